"""The quizkit server: bot, transport, outbox and live counts on an event loop in a daemon thread."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from quizkit.bot import make_bot
from quizkit.bot.telegram import TELEGRAM_API_URL, api_base_url, masked_token
from quizkit.engine import Engine
from quizkit.errors import QuizkitError
from quizkit.doctor import DoctorSettings
from quizkit.log_redaction import hide_in_logs, mask_secrets
from quizkit.server._event_loop import new_event_loop
from quizkit.store._checkpoints import BackgroundCheckpoints
from quizkit.server._http import HttpServer
from quizkit.server._lock import EventLock
from quizkit.server.outbox import OutboxSender
from quizkit.server.polling import Poller, sleep_or_stop
from quizkit.server.processing import UpdateProcessor
from quizkit.server.traffic import Traffic
from quizkit.server.webhook import MAX_BODY_BYTES, Webhook

logger = logging.getLogger("quizkit.server")

T = TypeVar("T")

# The update types that setWebhook and getUpdates ask for; Telegram drops the others unsent.
# callback_query carries taps on the buttons of choice questions, and my_chat_member tells when a
# participant blocks or restarts the bot. `quizkit.bot.incoming` has a rule for every other type too.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
WEBHOOK_PATH = "/webhook"
HOUSEKEEPING_PERIOD_S = 1.0
SHUTDOWN_GRACE_S = 15.0


class ServerNotRunning(QuizkitError):
    """A host action needs the server, but it is not running."""


class ServerStartFailed(QuizkitError):
    """The server thread could not start: the port, the Bot API or the database failed."""


@dataclass(frozen=True)
class ServerStatus:
    """A snapshot of the server for status displays; safe to read from any thread."""

    running: bool
    transport: str
    webhook_url: str | None
    updates_total: int
    updates_per_s: int
    peak_updates_per_s: int
    posts_sent: int
    errors: int
    last_error: str | None
    # Updates acknowledged but ignored because they were malformed or forged.
    updates_rejected: int = 0
    # Why the channel rejects posts (no rights, not found, ...), or None while posting works.
    channel_error: str | None = None


class Server:
    """Run the bot for one event in the background, by webhook (push) or polling (pull).

    `start()` returns once the server listens and the webhook URL is registered with the Bot API; `stop()` may be
    called any number of times. While the server runs, the engine belongs to its event loop:
    reach it through `call()`, which runs a function there and returns its result.

    By webhook, `start()` calls setWebhook with `public_url` + "/webhook" (default: the listening
    address), the secret token (random when None), ALLOWED_UPDATES and `max_connections` (1-100).
    Pending updates are kept unless `drop_pending_updates`. `certificate` (PEM bytes) is uploaded for
    a self-signed certificate, and `ssl_certfile`/`ssl_keyfile` make the listener speak HTTPS. On
    stop the webhook stays set, so Telegram keeps updates for the next start, unless
    `delete_webhook_on_stop`. The token and the secret token are masked in every log record.
    `api_timeout_s` is how long a Bot API call waits for its response before it counts as failed.

    NOTE: engine calls run on the event loop itself. While another connection holds SQLite's write
    lock, each call waits up to the store's busy timeout (5 s) and the whole loop waits with it.

    >>> with Server(engine, token, transport="polling") as server:   # doctest: +SKIP
    ...     server.call(engine.open_question, 1)
    """

    def __init__(
        self,
        engine: Engine,
        token: str,
        *,
        api_url: str = TELEGRAM_API_URL,
        transport: str = "webhook",
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        secret_token: str | None = None,
        max_connections: int = 40,
        drop_pending_updates: bool = False,
        delete_webhook_on_stop: bool = False,
        certificate: bytes | None = None,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        rate_limit: bool = True,
        api_timeout_s: float = 10.0,
    ) -> None:
        if transport not in ("webhook", "polling"):
            raise ValueError(f"Invalid transport {transport!r}; use 'webhook' or 'polling'.")
        self.engine = engine
        self.transport = transport
        self.traffic = Traffic()
        self._token = token
        self._api_url = api_base_url(api_url)
        self._host = host
        self._port = port
        self._public_url = public_url
        self._secret_token = secret_token or secrets.token_urlsafe(32)
        hide_in_logs(token, masked_token(token))
        hide_in_logs(self._secret_token)
        self._max_connections = max_connections
        self._drop_pending_updates = drop_pending_updates
        self._delete_webhook_on_stop = delete_webhook_on_stop
        self._certificate = certificate
        self._ssl_files = (ssl_certfile, ssl_keyfile) if ssl_certfile else None
        self._rate_limit = rate_limit
        self._api_timeout_s = api_timeout_s
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._processor: UpdateProcessor | None = None
        self._outbox: OutboxSender | None = None
        self._bot = None
        self.webhook_url: str | None = None
        self.port: int | None = None
        self._event_lock = EventLock(engine.store.path, engine.event.id, engine.event.name)

    # Lifecycle, called from the host's thread.

    def start(self, timeout_s: float = 30.0) -> "Server":
        """Start the server thread and return once updates are being received."""
        if self.running:
            return self
        self._event_lock.acquire()
        self._started.clear()
        self._start_error = None
        self._start_step = "getMe"  # what the server thread was doing when a start error happened
        self._thread = threading.Thread(target=self._run, name="quizkit-server", daemon=True)
        self._thread.start()

        if not self._started.wait(timeout_s):
            self.stop()
            raise ServerStartFailed(f"Server did not start within {timeout_s} s; check the Bot API URL {self._api_url!r}.")
        if self._start_error is not None:
            self._thread.join()
            self._thread = None
            self._event_lock.release()
            error = self._start_error
            if isinstance(error, QuizkitError):
                raise error
            # python-telegram-bot names the token in some errors, such as InvalidToken, so such an
            # error is masked and not chained, which would print it in a traceback.
            text = mask_secrets(str(error))
            cause = error if text == str(error) else None
            raise ServerStartFailed(
                f"Server failed to start at {self._start_step}: {type(error).__name__}: {text.rstrip('. ')}. "
                f"The Bot API is at "
                f"{self._api_url.removesuffix('/bot')}; check that it answers and that the token is right, "
                f"then start again."
            ) from cause
        logger.info("Server started (%s%s)", self.transport, f" at {self.webhook_url}" if self.webhook_url else "")
        return self

    def stop(self) -> None:
        """Stop the server and join its thread; a no-op when it is not running."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:
                logger.debug("Server loop closed before stop() reached it")
        thread.join()
        self._thread = None
        self._event_lock.release()
        logger.info("Server stopped")

    @property
    def running(self) -> bool:
        """True while the server thread serves updates."""
        return self._thread is not None and self._thread.is_alive() and self._started.is_set() and self._start_error is None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Host actions, called from any thread.

    def call(self, function: Callable[..., T], *args: Any, timeout_s: float = 30.0, **kwargs: Any) -> T:
        """Run `function(*args, **kwargs)` on the server's loop and return its result.

        Raises ServerNotRunning when the server is down, and re-raises the function's own error.
        """
        if not self.running or self._loop is None:
            raise ServerNotRunning("The quizkit server is not running; call start() first.")

        async def run_and_wake() -> T:
            result = function(*args, **kwargs)
            if self._outbox is not None:
                self._outbox.wake()
            return result

        future = asyncio.run_coroutine_threadsafe(run_and_wake(), self._loop)
        return future.result(timeout_s)

    def drain_outbox(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued channel post went out; return False on time-out."""
        if not self.running or self._loop is None or self._outbox is None:
            raise ServerNotRunning("The quizkit server is not running; call start() first.")
        future = asyncio.run_coroutine_threadsafe(self._outbox.drain(timeout_s), self._loop)
        return future.result(timeout_s + 5.0)

    def pending_updates(self, timeout_s: float = 5.0) -> int:
        """Ask the Bot API (getWebhookInfo) how many updates wait for delivery to this bot.

        Raises ServerNotRunning when the server is stopped, and python-telegram-bot's TelegramError or
        TimeoutError when the Bot API does not answer within `timeout_s`.
        """
        if not self.running or self._loop is None or self._bot is None:
            raise ServerNotRunning("The quizkit server is not running; call start() first.")
        future = asyncio.run_coroutine_threadsafe(self._bot.get_webhook_info(), self._loop)
        try:
            return future.result(timeout_s).pending_update_count
        finally:
            future.cancel()

    def doctor_settings(self, language: str = "en") -> DoctorSettings:
        """Return what `quizkit.doctor` should check for this server, with messages in `language`."""
        return DoctorSettings(
            token=self._token,
            api_url=self._api_url.rstrip("/").removesuffix("/bot"),
            language=language,
            channel_id=self.engine.event.channel_id,
            transport=self.transport,
            public_url=self._public_url,
            secret_token=self._secret_token,
            self_signed=self._certificate is not None,
            db_path=self.engine.store.path,
        )

    def status(self) -> ServerStatus:
        """Return a snapshot of counters and the last error, for status displays."""
        processor, outbox = self._processor, self._outbox
        errors = 0
        last_error = None
        for part in (processor, outbox):
            if part is not None:
                errors += part.errors
                last_error = part.last_error or last_error
        if outbox is not None and outbox.channel_error is not None:
            last_error = outbox.channel_error  # the problem the host must fix, shown by the panel
        return ServerStatus(
            running=self.running,
            transport=self.transport,
            webhook_url=self.webhook_url,
            updates_total=self.traffic.total,
            updates_per_s=self.traffic.rate(),
            peak_updates_per_s=self.traffic.peak,
            posts_sent=outbox.sent if outbox else 0,
            errors=errors,
            last_error=last_error,
            updates_rejected=processor.rejected if processor else 0,
            channel_error=outbox.channel_error if outbox else None,
        )

    # The server thread.

    def _run(self) -> None:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(self._main())

    async def _main(self) -> None:
        checkpoints = BackgroundCheckpoints(self.engine.store)
        checkpoints.start()
        try:
            await self._serve()
        finally:
            await asyncio.to_thread(checkpoints.stop)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        bot = self._bot = make_bot(self._token, self._api_url, rate_limit=self._rate_limit,
                                   read_timeout_s=self._api_timeout_s)
        tasks: list[asyncio.Task] = []
        web_server: HttpServer | None = None
        poller: Poller | None = None
        try:
            self._start_step = "getMe"
            await bot.initialize()
            self._processor = UpdateProcessor(self.engine, bot, self.traffic)
            self._outbox = OutboxSender(self.engine, bot)
            if self.transport == "webhook":
                self._start_step = "listening for the webhook"
                web_server = await self._listen()
                self._start_step = "setWebhook"
                await self._set_webhook(bot)
            else:
                self._start_step = "deleteWebhook"
                candidate = Poller(bot, self._processor, allowed_updates=ALLOWED_UPDATES,
                                   trust_env=self._api_url.startswith(TELEGRAM_API_URL))
                candidate.claim()
                poller = candidate
                await bot.delete_webhook(drop_pending_updates=self._drop_pending_updates)
                tasks.append(asyncio.create_task(poller.run(self._stopping), name="quizkit-poller"))
            tasks.append(asyncio.create_task(self._outbox.run(self._stopping), name="quizkit-outbox"))
            tasks.append(asyncio.create_task(self._every_second(), name="quizkit-every-second"))
        except BaseException as error:  # noqa: BLE001 - reported to start() in the host's thread
            self._start_error = error
            self._started.set()
            await self._shutdown(bot, web_server, poller, tasks)
            return

        self._started.set()
        await self._stopping.wait()
        await self._shutdown(bot, web_server, poller, tasks)

    async def _listen(self) -> HttpServer:
        # IPPROTO_TCP, not 0: asyncio turns on TCP_NODELAY only for sockets created with it, and
        # without it every response waits for the delayed ACK (about 40 ms).
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._host, self._port))
        self.port = listener.getsockname()[1]

        path = WEBHOOK_PATH
        webhook = Webhook(self._processor, path, self._secret_token)
        web_server = HttpServer(webhook, max_body_bytes=MAX_BODY_BYTES, keep_alive_s=75,
                                ssl_context=self._ssl_context())
        await web_server.start(listener)

        scheme = "https" if self._ssl_files else "http"
        base = self._public_url or f"{scheme}://{self._host}:{self.port}"
        self.webhook_url = base.rstrip("/") + path
        return web_server

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self._ssl_files is None:
            return None
        certfile, keyfile = self._ssl_files
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
        return context

    async def _set_webhook(self, bot) -> None:
        await bot.set_webhook(
            self.webhook_url,
            secret_token=self._secret_token,
            max_connections=self._max_connections,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=self._drop_pending_updates,
            certificate=self._certificate,
        )

    async def _delete_webhook(self, bot) -> None:
        # Pending updates stay with Telegram, so a later server or poller still gets them.
        try:
            await bot.delete_webhook(drop_pending_updates=False)
            logger.info("Webhook %s deleted", self.webhook_url)
        except Exception as error:  # noqa: BLE001 - stopping anyway; the host can delete it by hand
            logger.warning("Deleting the webhook %s failed: %s; it stays set until the next setWebhook or "
                           "deleteWebhook", self.webhook_url, error)

    async def _every_second(self) -> None:
        # Questions whose time is up, live answer counts on the announcements, and the finished
        # seconds of traffic for analysts.
        while not self._stopping.is_set():
            await sleep_or_stop(self._stopping, HOUSEKEEPING_PERIOD_S)
            self._close_expired_questions()
            try:
                if self.engine.refresh_live_counts():
                    self._outbox.wake()
            except Exception:  # noqa: BLE001 - the count is cosmetic; the next round tries again
                logger.warning("Refreshing the live answer counts failed", exc_info=True)
            self._record_traffic(include_current=False)
        self._record_traffic(include_current=True)

    def _close_expired_questions(self) -> None:
        try:
            if self.engine.close_expired_questions():
                self._outbox.wake()
        except Exception:  # noqa: BLE001 - the next round tries again, and the deadline stays stored
            logger.warning("Closing the questions whose time is up failed", exc_info=True)

    def _record_traffic(self, include_current: bool) -> None:
        samples = self.traffic.take_completed(include_current=include_current)
        if not samples:
            return
        try:
            self.engine.record_traffic([(sample.second, sample.kind, sample.count) for sample in samples])
        except Exception:  # noqa: BLE001 - losing a few seconds of counters must not stop the event
            logger.warning("Storing %d traffic counters failed", len(samples), exc_info=True)

    async def _shutdown(self, bot, web_server, poller, tasks) -> None:
        # Tasks finish what they are doing (a batch of updates, a channel post, open webhook
        # requests) so nothing committed misses its reply or is posted twice after a restart.
        self._stopping.set()
        if self._outbox is not None:
            self._outbox.wake()
        if web_server is not None:
            await web_server.stop()
        _, unfinished = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_S) if tasks else (set(), set())
        for task in unfinished:
            logger.warning("Task %s did not finish within %.0f s of stopping; cancelling it",
                           task.get_name(), SHUTDOWN_GRACE_S)
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        if poller is not None:
            poller.release()
        if self._delete_webhook_on_stop and self.webhook_url is not None:
            await self._delete_webhook(bot)
        try:
            await bot.shutdown()
        except Exception:  # noqa: BLE001 - shutting down; nothing left to protect
            logger.debug("Bot shutdown failed", exc_info=True)
        logger.debug("Server loop finished")
