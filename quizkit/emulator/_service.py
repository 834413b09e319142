"""The running side of the emulator: Bot API calls, getUpdates long polling and webhook delivery.

A `BotApiService` lives on the server's event loop, where its coroutines run. `notify` is the one
method that other threads call, to say that a bot has a new update.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from itertools import islice
from typing import Any


from quizkit.emulator._http import KeepAliveClient
from quizkit.emulator._errors import ApiError, conflict, not_found, unauthorized
from quizkit.emulator._faults import ConnectionDropped, Fault, take_fault
from quizkit.emulator._flood import FloodLimiter
from quizkit.emulator._methods import METHODS, CallContext, Described, read_allowed_updates
from quizkit.emulator._params import Params
from quizkit.emulator._state import Bot, World, is_well_formed_token
from quizkit.emulator._webhook import DeliverySettings, WebhookDispatcher

logger = logging.getLogger("quizkit.emulator")

MAX_LONG_POLL_TIMEOUT_S = 50  # the Bot API server's own cap on getUpdates' timeout
WEBHOOK_ACTIVE = "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
TERMINATED_BY_GET_UPDATES = "terminated by other getUpdates request; make sure that only one bot instance is running"
TERMINATED_BY_SET_WEBHOOK = "terminated by setWebhook request"
# Every Bot API method the emulator serves: getUpdates, which lives here, and the method table.
SERVED_METHODS = ("getUpdates", *(name for name, _ in METHODS.values()))


@dataclass(frozen=True)
class ServiceSettings:
    """Options of a running emulator, as `Emulator` documents them."""

    latency_s: float = 0.0
    flood_limits: bool = False
    delivery: DeliverySettings = DeliverySettings()


class _LongPoll:
    """A getUpdates call that waits for updates. New updates wake it, and a newer poll or setWebhook ends it."""

    def __init__(self) -> None:
        self.wakeup = asyncio.get_running_loop().create_future()
        self.terminated: ApiError | None = None
        self.closing = False

    def wake(self) -> None:
        if not self.wakeup.done():
            self.wakeup.set_result(None)

    def rearm(self) -> None:
        self.wakeup = asyncio.get_running_loop().create_future()


class BotApiService:
    """Serves Bot API calls for every bot of a `World` and pushes updates to webhooks."""

    def __init__(self, world: World, settings: ServiceSettings) -> None:
        self.world = world
        self.settings = settings
        self.flood = FloodLimiter() if settings.flood_limits else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: KeepAliveClient | None = None
        self._long_polls: dict[str, _LongPoll] = {}
        self._dispatchers: dict[str, WebhookDispatcher] = {}
        self._closing = False

    async def startup(self) -> None:
        """Open the webhook client and resume delivery for bots whose webhook is already set."""
        self._loop = asyncio.get_running_loop()
        # trust_env=False: proxy settings in the environment must never route webhook traffic elsewhere.
        self._client = KeepAliveClient()
        with self.world.lock:
            bots = list(self.world.bots.values())
        for bot in bots:
            await self._sync_webhook(bot)

    async def close(self) -> None:
        """End long polls, which return no updates, and stop webhook delivery. Later calls still get responses."""
        self._closing = True
        for poll in list(self._long_polls.values()):
            poll.closing = True
            poll.wake()
        dispatchers = list(self._dispatchers.values())
        self._dispatchers.clear()
        await asyncio.gather(*(dispatcher.stop() for dispatcher in dispatchers))

    async def shutdown(self) -> None:
        await self.close()
        if self._client is not None:
            await self._client.close()
            self._client = None

    def notify(self, token: str) -> None:
        """Wake the long poll or webhook dispatcher of `token`. Safe to call from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._wake, token)
        except RuntimeError:
            pass  # the loop closed between the check and the call, so nothing is left to wake

    def _wake(self, token: str) -> None:
        poll = self._long_polls.get(token)
        if poll is not None:
            poll.wake()
        dispatcher = self._dispatchers.get(token)
        if dispatcher is not None:
            dispatcher.wake()

    async def call(
        self, token: str, method: str, raw_params: dict[str, Any], source: str, update_id: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call and return its HTTP status and Telegram envelope. Every call is logged.

        Raises ConnectionDropped for an injected "disconnect" fault, so the app cuts the response off.
        `update_id` is the update whose webhook response carried the call, logged with it.
        """
        with self.world.lock:
            bot = self.world.bots.get(token)
        if bot is None:
            error = unauthorized() if is_well_formed_token(token) else not_found()
            return error.error_code, error.to_json()

        received_at = time.time()
        if self.settings.latency_s > 0 and source == "http":
            await asyncio.sleep(self.settings.latency_s)

        params = Params(raw_params)
        fault = self._take_fault(bot, method, params, source)
        if fault is not None:
            return await self._fail(bot, method, params, received_at, source, fault)

        canonical = method
        try:
            canonical, result = await self._dispatch(bot, method, params, source)
        except ApiError as error:
            self._log_call(bot, canonical, params, received_at, source, update_id, error)
            return error.error_code, error.to_json()

        self._log_call(bot, canonical, params, received_at, source, update_id, None)
        if isinstance(result, Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _take_fault(self, bot: Bot, method: str, params: Params, source: str) -> Fault | None:
        if source != "http":
            return None
        try:
            chat_id = params.integer("chat_id")
        except ApiError:
            chat_id = None
        with self.world.lock:
            return take_fault(bot.faults, method, chat_id)

    async def _fail(
        self, bot: Bot, method: str, params: Params, received_at: float, source: str, fault: Fault
    ) -> tuple[int, dict[str, Any]]:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay_s)
        error = fault.error()
        if fault.kind == "disconnect":
            error = ApiError(502, "Connection dropped by an injected fault")
        self._log_call(bot, method, params, received_at, source, None, error)
        if fault.kind == "disconnect":
            raise ConnectionDropped()
        return error.error_code, error.to_json()

    def _log_call(
        self, bot: Bot, method: str, params: Params, received_at: float, source: str, update_id: int | None,
        error: ApiError | None,
    ) -> None:
        entry: dict[str, Any] = {
            "method": method,
            "params": params.logged(),
            "time": received_at,
            "source": source,
            "ok": error is None,
        }
        if update_id is not None:
            entry["update_id"] = update_id
        if error is not None:
            entry["error_code"] = error.error_code
            entry["description"] = error.description
        self.world.record_call(bot, entry)

    async def _dispatch(self, bot: Bot, method: str, params: Params, source: str) -> tuple[str, Any]:
        key = method.lower()  # Telegram matches method names case-insensitively
        if key == "getupdates":
            return "getUpdates", await self._get_updates(bot, params)
        if key not in METHODS:
            raise not_found()

        canonical, function = METHODS[key]
        context = CallContext(self.world, bot, params, source, self.flood)
        with self.world.lock:
            result = function(context)
            self.world.changed.notify_all()  # drop_pending_updates may have emptied the queue
        if canonical in ("setWebhook", "deleteWebhook"):
            await self._sync_webhook(bot)
        return canonical, result

    async def _sync_webhook(self, bot: Bot) -> None:
        """Start, restart or stop the bot's webhook delivery to match its current settings."""
        with self.world.lock:
            webhook = bot.webhook
            config = (webhook.url, webhook.secret_token, webhook.max_connections, webhook.certificate_pem)
        current = self._dispatchers.get(bot.token)
        if current is not None and current.config == config:
            return
        if current is not None:
            del self._dispatchers[bot.token]
            await current.stop()
        if not config[0] or self._closing or self._client is None:
            return

        self._terminate_long_poll(bot.token, conflict(TERMINATED_BY_SET_WEBHOOK))
        dispatcher = WebhookDispatcher(self.world, bot, self._client, self._execute_response, self.settings.delivery)
        self._dispatchers[bot.token] = dispatcher
        dispatcher.start()

    async def _execute_response(self, token: str, method: str, params: dict[str, Any],
                                update_id: int) -> tuple[int, dict[str, Any]]:
        return await self.call(token, method, params, source="webhook_response", update_id=update_id)

    async def _get_updates(self, bot: Bot, params: Params) -> list[dict[str, Any]]:
        with self.world.lock:
            if bot.webhook.url:
                raise conflict(WEBHOOK_ACTIVE)
        offset = params.integer("offset", 0) or 0
        limit = min(max(params.integer("limit", 100) or 100, 1), 100)
        timeout = min(max(params.integer("timeout", 0) or 0, 0), MAX_LONG_POLL_TIMEOUT_S)
        allowed_updates = read_allowed_updates(params)

        with self.world.lock:
            if allowed_updates is not None:
                bot.allowed_updates = allowed_updates or None
            self._confirm(bot, offset)
            batch = self._take(bot, limit)
        if batch or timeout == 0 or self._closing:
            return batch
        return await self._long_poll(bot, limit, timeout)

    def _confirm(self, bot: Bot, offset: int) -> None:
        """Apply getUpdates' offset: confirm every update before it, or keep only the last -offset ones."""
        pending = list(bot.pending.values())
        if offset > 0:
            self.world.mark_delivered(bot, [update for update in pending if update.update_id < offset])
        elif offset < 0:
            for update in pending[:offset]:
                del bot.pending[update.update_id]
                bot.counters.updates_dropped += 1
            self.world.changed.notify_all()

    def _take(self, bot: Bot, limit: int) -> list[dict[str, Any]]:
        # An update handed out again, because no offset confirmed it, counts as a redelivery.
        batch = list(islice(bot.pending.values(), limit))
        for update in batch:
            update.attempts += 1
            if update.attempts > 1:
                bot.counters.redeliveries += 1
        return [update.payload for update in batch]

    async def _long_poll(self, bot: Bot, limit: int, timeout: int) -> list[dict[str, Any]]:
        """Wait up to `timeout` seconds for updates; a newer long poll for the bot ends this one with a 409.

        NOTE: the emulator does not notice a client that disconnects. Its poll waits out its timeout
        and may take updates that it never confirms, which then go to the next poll.
        """
        self._terminate_long_poll(bot.token, conflict(TERMINATED_BY_GET_UPDATES))
        poll = self._long_polls[bot.token] = _LongPoll()
        deadline = time.monotonic() + timeout
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    await asyncio.wait({poll.wakeup}, timeout=remaining)
                if poll.terminated is not None:
                    raise poll.terminated
                with self.world.lock:
                    batch = self._take(bot, limit)
                if batch or poll.closing or remaining <= 0:
                    return batch
                poll.rearm()
        finally:
            if self._long_polls.get(bot.token) is poll:
                del self._long_polls[bot.token]

    def _terminate_long_poll(self, token: str, error: ApiError) -> None:
        # NOTE: Telegram sends at most one 409 per 3 s and delays the others. The emulator responds at once.
        poll = self._long_polls.pop(token, None)
        if poll is not None:
            poll.terminated = error
            poll.wake()

    async def wait_delivered(self, token: str, timeout: float) -> bool:
        """Return True once `token` has no pending updates, or False after `timeout` seconds."""
        with self.world.lock:
            bot = self.world.require_bot(token)
        deadline = time.monotonic() + timeout
        while True:
            with self.world.lock:
                if not bot.pending:
                    return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
