"""`quizkit serve`: one event's server and its control endpoint in a process that runs until a signal."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from quizkit.bot.telegram import TELEGRAM_API_URL, masked_token
from quizkit.control import ControlServer, control_file_path
from quizkit.engine import Engine
from quizkit.store import Store

logger = logging.getLogger("quizkit.serve")


@dataclass(frozen=True)
class ServeOptions:
    """Settings of `quizkit serve`."""

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


class TokenRedactor(logging.Filter):
    """Replace the bot token with its masked form in every record a handler emits.

    python-telegram-bot and httpx put the token in request URLs, so a debug or error line could show it.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token
        self._masked = masked_token(token)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg = message.replace(self._token, self._masked)
            record.args = None
        if record.exc_info and self._token in logging.Formatter().formatException(record.exc_info):
            text = logging.Formatter().formatException(record.exc_info).replace(self._token, self._masked)
            record.msg = f"{record.msg}\n{text}"
            record.exc_info = None
            record.exc_text = None
        return True


def redact(text: str, token: str) -> str:
    """Return `text` with every occurrence of `token` masked."""
    return text.replace(token, masked_token(token))


def api_base_url(api_url: str) -> str:
    """Return python-telegram-bot's `base_url` for an API root: "http://127.0.0.1:8081" becomes ".../bot"."""
    url = api_url.rstrip("/")
    return url if url.endswith("/bot") else url + "/bot"


def serve(options: ServeOptions, stop: threading.Event | None = None) -> None:
    """Serve the event until SIGINT or SIGTERM (or until `stop` is set), then stop gracefully.

    Raises EventNotFound, naming the events present, when the database lacks the event, and
    ServerStartFailed or EventAlreadyServed when the server cannot start.
    """
    from quizkit.server import Server

    stop = stop or threading.Event()
    store = Store(options.db_path)
    try:
        engine = Engine.load(store, options.event)
        server = Server(
            engine,
            options.token,
            api_url=api_base_url(options.api_url),
            transport=options.transport,
            host=options.host,
            port=options.port,
            public_url=options.public_url,
            secret_token=options.secret_token,
        )
        previous = _handle_signals(stop)
        try:
            _run(server, engine, options, stop)
        finally:
            _restore_signals(previous)
    finally:
        store.close()


def _run(server, engine: Engine, options: ServeOptions, stop: threading.Event) -> None:
    logger.info("Starting event %r for bot %s (%s, API %s)", options.event, masked_token(options.token),
                options.transport, options.api_url)
    server.start()
    try:
        control = ControlServer(server, engine, control_file_path(options.db_path),
                                options.control_host, options.control_port)
        with control:
            listening = f"webhook {server.webhook_url}" if server.webhook_url else "polling"
            print(f"Serving event {options.event!r} for bot {masked_token(options.token)} ({listening}); "
                  f"control endpoint {control.url}, token in {control.control_file}. Ctrl-C stops it.", flush=True)
            stop.wait()
            logger.info("Stopping event %r", options.event)
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
