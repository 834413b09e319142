"""Start the host of a real event from the environment variables that notebooks/host.ipynb documents.

    host = start_event_host(language="it")   # reads QUIZKIT_BOT_TOKEN, QUIZKIT_EVENT, QUIZKIT_DB, ...
    panel = Panel(host, language="it")

A start can fail for reasons the host can fix: a variable not set, a database file that does not
exist, an event not in the database, a Bot API that does not respond, or another process serving the
event. Each raises HostStartError, whose message is in the panel's language and tells the host what to do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from quizkit.bot.telegram import TELEGRAM_API_URL
from quizkit.engine import Engine
from quizkit.errors import EventNotFound, QuizkitError, StoreError
from quizkit.host import Host
from quizkit.log_redaction import mask_secrets
from quizkit.notebook.labels import labels
from quizkit.server import EventAlreadyServed, ServerStartFailed
from quizkit.server.polling import PollerAlreadyRunning
from quizkit.store import Store

__all__ = ["HostStartError", "start_event_host"]

DEFAULT_PORT = 8443


class HostStartError(QuizkitError):
    """The host notebook cannot start its event; the message is in the panel's language."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines in place of the traceback, so the host reads the message and what
        # to do without the library's frames around it. The exception keeps its cause for code.
        return [f"{type(self).__name__}: {self}"]


@dataclass(frozen=True)
class _Settings:
    token: str
    event: str
    db_path: Path
    public_url: str | None
    port: int
    api_url: str


def start_event_host(language: str = "it", environ: Mapping[str, str] | None = None) -> Host:
    """Load the event named by QUIZKIT_EVENT from QUIZKIT_DB and start its bot; return the running host.

    The bot uses a webhook when QUIZKIT_PUBLIC_URL is set (listening on QUIZKIT_PORT, default 8443) and
    polling otherwise, at QUIZKIT_API_URL (default Telegram's). Raises HostStartError in `language`
    ("it" or "en"), and ValueError for another language.
    """
    words = labels(language)
    settings = _read_settings(os.environ if environ is None else environ, words)
    store = _open_store(settings, words)
    try:
        engine = _load_event(store, settings, words)
        host = Host(engine, settings.token, api_url=settings.api_url,
                    transport="webhook" if settings.public_url else "polling",
                    public_url=settings.public_url, port=settings.port)
        _start(host, settings, words)
    except BaseException:
        store.close()
        raise
    return host


def _read_settings(environ: Mapping[str, str], words: dict[str, str]) -> _Settings:
    token = environ.get("QUIZKIT_BOT_TOKEN", "").strip()
    if not token:
        raise HostStartError(words["start_no_token"])
    event = environ.get("QUIZKIT_EVENT", "").strip()
    if not event:
        raise HostStartError(words["start_no_event"])
    db_path = environ.get("QUIZKIT_DB", "").strip()
    if not db_path:
        raise HostStartError(words["start_no_database"].format(event=event))

    return _Settings(
        token=token,
        event=event,
        db_path=Path(db_path),
        public_url=environ.get("QUIZKIT_PUBLIC_URL", "").strip() or None,
        port=_port(environ.get("QUIZKIT_PORT", "").strip(), words),
        api_url=environ.get("QUIZKIT_API_URL", "").strip() or TELEGRAM_API_URL,
    )


def _port(text: str, words: dict[str, str]) -> int:
    if not text:
        return DEFAULT_PORT
    if text.isascii() and text.isdecimal() and 1 <= int(text) <= 65535:
        return int(text)
    raise HostStartError(words["start_invalid_port"].format(value=text))


def _open_store(settings: _Settings, words: dict[str, str]) -> Store:
    if settings.db_path.is_dir():
        raise HostStartError(words["start_database_folder"].format(path=settings.db_path))
    # A mistyped QUIZKIT_DB must not become a new, empty database.
    if not settings.db_path.is_file():
        raise HostStartError(words["start_database_missing"].format(path=settings.db_path, event=settings.event))
    try:
        return Store(settings.db_path, create=False)
    except StoreError as error:
        raise HostStartError(words["start_database_failed"].format(path=settings.db_path, error=error)) from error


def _load_event(store: Store, settings: _Settings, words: dict[str, str]) -> Engine:
    try:
        return Engine.load(store, settings.event)
    except EventNotFound:
        names = store.event_names()
        events = ", ".join(repr(name) for name in names) if names else words["start_no_events"]
        raise HostStartError(
            words["start_event_missing"].format(event=settings.event, path=settings.db_path, events=events)
        ) from None


def _start(host: Host, settings: _Settings, words: dict[str, str]) -> None:
    try:
        host.start()
    except (EventAlreadyServed, PollerAlreadyRunning) as error:
        raise HostStartError(words["start_already_running"].format(error=mask_secrets(str(error)))) from error
    except (ServerStartFailed, OSError) as error:
        # The server's own message masks the token; an OSError names none. A QUIZKIT_API_URL
        # copied with its /bot<token> part would show the token, so the URL is masked too.
        url = mask_secrets(settings.api_url.rstrip("/").removesuffix("/bot"))
        raise HostStartError(words["start_failed"].format(url=url, error=mask_secrets(str(error)))) from error
