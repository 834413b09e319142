"""`quizkit serve`: one event's server and its control endpoint in a process that runs until a signal."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from telegram.error import TelegramError

from quizkit.bot.telegram import TELEGRAM_API_URL, api_base_url, make_bot, masked_token
from quizkit.control import ControlServer, control_file_path
from quizkit.engine import Engine, known_events
from quizkit.errors import EventNotFound, InvalidEventFile, QuizkitError
from quizkit.event_file import DEFAULT_MAX_CONNECTIONS, EventFile
from quizkit.event_setup import open_event
from quizkit.log_redaction import hide_in_logs
from quizkit.store import Store

logger = logging.getLogger("quizkit.serve")


@dataclass(frozen=True)
class ServeOptions:
    """Settings of `quizkit serve`.

    With `event_file`, the event is created from it on the first start (see `open_event`), and
    `event` is ignored. `self_signed` makes the listener speak HTTPS with a certificate for the
    public URL's IP address, which setWebhook uploads.
    """

    token: str
    db_path: Path
    event: str
    host: str
    port: int
    api_url: str = TELEGRAM_API_URL
    public_url: str | None = None
    secret_token: str | None = None
    transport: str = "webhook"
    control_host: str = "127.0.0.1"
    control_port: int = 0
    event_file: EventFile | None = None
    max_connections: int | None = None
    drop_pending_updates: bool = False
    delete_webhook_on_stop: bool = False
    self_signed: bool = False


def redact(text: str, token: str) -> str:
    """Return `text` with every occurrence of `token` masked."""
    return text.replace(token, masked_token(token))


def serve(options: ServeOptions, stop: threading.Event | None = None) -> None:
    """Serve the event until SIGINT or SIGTERM (or until `stop` is set), then stop gracefully.

    Raises EventNotFound, naming the events present, when the database lacks the event;
    InvalidEventFile when an event file no longer matches its stored event; BotApiFailed when getMe
    fails for an event file; CertificateError for --self-signed without an https:// IP URL; and
    ServerStartFailed or EventAlreadyServed when the server cannot start.
    """
    from quizkit.server import Server

    hide_in_logs(options.token, masked_token(options.token))
    stop = stop or threading.Event()
    # Only an event file creates its event, so only then may a missing database file be created.
    store = Store(options.db_path, create=options.event_file is not None)
    try:
        engine = _open_engine(store, options)
        server = Server(
            engine,
            options.token,
            api_url=api_base_url(options.api_url),
            transport=options.transport,
            host=options.host,
            port=options.port,
            public_url=options.public_url,
            secret_token=options.secret_token,
            max_connections=_max_connections(options),
            drop_pending_updates=options.drop_pending_updates,
            delete_webhook_on_stop=options.delete_webhook_on_stop,
            **_certificate_settings(options),
        )
        previous = _handle_signals(stop)
        try:
            _run(server, engine, options, stop)
        finally:
            _restore_signals(previous)
    finally:
        store.close()


class BotApiFailed(QuizkitError):
    """A Bot API call that `quizkit serve` needs before starting, such as getMe, failed."""


def fetch_bot_username(token: str, api_url: str) -> str:
    """Return the username of the token's bot, from getMe; raise BotApiFailed with the masked token."""
    async def get_me() -> str:
        bot = make_bot(token, api_base_url(api_url), rate_limit=False)
        async with bot:
            return bot.username

    try:
        return asyncio.run(get_me())
    except TelegramError as error:
        raise BotApiFailed(
            f"getMe for bot {masked_token(token)} at {api_url} failed: {redact(str(error), token)}; check the token "
            "(quizkit doctor explains what is wrong)."
        ) from None


def _open_engine(store: Store, options: ServeOptions) -> Engine:
    event_file = options.event_file
    if event_file is None:
        try:
            return Engine.load(store, options.event)
        except EventNotFound:
            # The engine's message suggests a Python call; someone at the command line needs the command.
            raise EventNotFound(
                f"Event {options.event!r} not found in {store.path!r}; {known_events(store)}. Give the name of one of "
                f"them, or create the event from an event file with `quizkit serve --event EVENT.toml "
                f"--db {store.path}`."
            ) from None

    username = fetch_bot_username(options.token, options.api_url)
    if event_file.bot_username is not None and event_file.bot_username.casefold() != username.casefold():
        raise InvalidEventFile(
            f"{event_file.path}: bot_username is {event_file.bot_username!r}, but the token belongs to "
            f"@{username}; write bot_username = {username!r}, or use the token of @{event_file.bot_username}."
        )
    return open_event(store, event_file, username)


def _max_connections(options: ServeOptions) -> int:
    if options.max_connections is not None:
        return options.max_connections
    if options.event_file is not None:
        return options.event_file.max_connections
    return DEFAULT_MAX_CONNECTIONS


def _certificate_settings(options: ServeOptions) -> dict:
    if not options.self_signed:
        return {}
    from quizkit.certificate import ensure_self_signed, self_signed_host

    files = ensure_self_signed(self_signed_host(options.public_url), options.db_path)
    return {"certificate": files.pem, "ssl_certfile": str(files.cert_path), "ssl_keyfile": str(files.key_path)}


def _run(server, engine: Engine, options: ServeOptions, stop: threading.Event) -> None:
    logger.info("Starting event %r for bot %s (%s, API %s)", engine.event.name, masked_token(options.token),
                options.transport, options.api_url)
    server.start()
    try:
        control = ControlServer(server, engine, control_file_path(options.db_path),
                                options.control_host, options.control_port)
        with control:
            listening = f"webhook {server.webhook_url}" if server.webhook_url else "polling"
            print(f"Serving event {engine.event.name!r} for bot {masked_token(options.token)} ({listening}); "
                  f"control endpoint {control.url}, token in {control.control_file}. Ctrl-C stops it.", flush=True)
            stop.wait()
            logger.info("Stopping event %r", engine.event.name)
    finally:
        server.stop()


def _handle_signals(stop: threading.Event) -> dict[int, object]:
    # Python runs signal handlers in the main thread, and on POSIX a signal interrupts the lock wait inside
    # stop.wait(), so setting the event from the handler ends the wait at once.
    def request_stop(signum: int, frame: object) -> None:
        logger.info("Received %s", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
