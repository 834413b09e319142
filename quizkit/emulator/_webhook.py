"""Webhook delivery the way Telegram does it: concurrent across chats, in order within a chat.

Up to `max_connections` updates are in flight at once. An update waits while an earlier update
of the same chat is unacknowledged, so a failing update holds back its chat's later ones but
not other chats. A non-2xx response, a connection error or a timeout counts as a failure. The
update is then retried after an exponential back-off, and the error shows in getWebhookInfo. A
2xx response whose body is a JSON object with "method" is executed as an API call, and its result is
discarded, as on Telegram.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from quizkit.emulator._http import DeliveryError, HttpResponse, KeepAliveClient
from quizkit.emulator._state import Bot, PendingUpdate, World

logger = logging.getLogger("quizkit.emulator")

# Executes a method from a response body: (token, method, params, update_id) -> (HTTP status, envelope).
ExecuteMethod = Callable[[str, str, dict[str, Any], int], Awaitable[tuple[int, dict[str, Any]]]]


@dataclass(frozen=True)
class DeliverySettings:
    """Timing of webhook delivery, in seconds. `latency_s` delays every delivery attempt."""

    timeout_s: float = 60.0
    retry_delay_s: float = 1.0
    max_retry_delay_s: float = 60.0
    latency_s: float = 0.0

    def retry_delay(self, attempts: int) -> float:
        """Return the wait before the next attempt after `attempts` failed ones: doubling, capped."""
        return min(self.retry_delay_s * 2 ** max(attempts - 1, 0), self.max_retry_delay_s)


class WebhookDispatcher:
    """Delivers one bot's pending updates to its webhook URL until stopped.

    NOTE: Telegram keeps updates for 24 hours and gives up on a failing one after a time it does
    not publish. The dispatcher retries until the update is delivered or the webhook is deleted.
    """

    def __init__(
        self, world: World, bot: Bot, client: KeepAliveClient, execute: ExecuteMethod, settings: DeliverySettings
    ) -> None:
        self._world = world
        self._bot = bot
        self._client = client
        self._execute = execute
        self._settings = settings
        with world.lock:
            webhook = bot.webhook
            self.config = (webhook.url, webhook.secret_token, webhook.max_connections, webhook.certificate_pem)
        self._tls, self._tls_error = _tls_context(self.config[0], self.config[3])
        self._wakeup = asyncio.Event()
        self._deliveries: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"webhook-{self._bot.user['id']}")

    def wake(self) -> None:
        """Start the deliveries that became possible. Call it on the event loop after an update was queued."""
        self._wakeup.set()

    async def stop(self) -> None:
        """Cancel the dispatcher and its deliveries. Their updates stay pending for the next transport."""
        tasks = [task for task in (self._task, *self._deliveries) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with self._world.lock:
            for update in self._bot.pending.values():
                update.in_flight = False

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            delay = self._launch_ready()
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)
            except TimeoutError:
                pass

    def _launch_ready(self) -> float | None:
        """Start every delivery that may start now and return the seconds until the next retry is due."""
        ready, next_retry_s = self._select_ready(time.monotonic())
        loop = asyncio.get_running_loop()
        for update in ready:
            task = loop.create_task(self._deliver(update))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        return next_retry_s

    def _select_ready(self, now: float) -> tuple[list[PendingUpdate], float | None]:
        ready: list[PendingUpdate] = []
        next_retry_at: float | None = None
        with self._world.lock:
            pending = self._bot.pending.values()
            free = self.config[2] - self._in_flight
            busy_chats: set[Any] = set()
            for update in pending:
                if free <= 0:
                    break  # a finishing delivery wakes the dispatcher again
                if update.order_key in busy_chats:
                    continue
                busy_chats.add(update.order_key)
                if update.in_flight:
                    continue
                if update.retry_at > now:
                    next_retry_at = update.retry_at if next_retry_at is None else min(next_retry_at, update.retry_at)
                    continue
                self._begin_attempt(update)
                ready.append(update)
                free -= 1
        return ready, None if next_retry_at is None else max(next_retry_at - now, 0.0)

    def _begin_attempt(self, update: PendingUpdate) -> None:
        self._in_flight += 1
        update.in_flight = True
        update.attempts += 1
        if update.attempts > 1:
            self._bot.counters.redeliveries += 1

    async def _deliver(self, update: PendingUpdate) -> None:
        try:
            await self._attempt(update)
        finally:
            self._in_flight -= 1
            self._wakeup.set()

    async def _attempt(self, update: PendingUpdate) -> None:
        url, secret_token = self.config[:2]
        headers = {"Content-Type": "application/json"}
        if secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        if self._tls_error is not None:
            self._fail(update, self._tls_error)
            return

        if self._settings.latency_s > 0:
            await asyncio.sleep(self._settings.latency_s)
        try:
            response = await self._client.post(
                url, json.dumps(update.payload).encode(), headers, timeout_s=self._settings.timeout_s,
                tls=self._tls,
            )
        except DeliveryError as error:
            self._fail(update, error.reason)
            return

        if not 200 <= response.status < 300:
            self._fail(update, f"Wrong response from the webhook: {response.status} {response.reason}")
            return
        # The method runs before the acknowledgement, so wait_delivered() also covers its effects.
        await self._execute_response_method(update, response)
        self._world.mark_delivered(self._bot, [update])

    async def _execute_response_method(self, update: PendingUpdate, response: HttpResponse) -> None:
        try:
            body = json.loads(response.body) if response.body else None
        except ValueError:
            return
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return

        params = dict(body)
        method = params.pop("method")
        status, envelope = await self._execute(self._bot.token, method, params, update.update_id)
        if not envelope.get("ok"):
            logger.warning(
                "Method %s in the webhook response to update %d failed: %s %s",
                method,
                update.update_id,
                status,
                envelope.get("description"),
            )

    def _fail(self, update: PendingUpdate, message: str) -> None:
        with self._world.lock:
            update.in_flight = False
            update.retry_at = time.monotonic() + self._settings.retry_delay(update.attempts)
            self._bot.counters.deliveries_failed += 1
            webhook = self._bot.webhook
            webhook.last_error_date = int(time.time())
            webhook.last_error_message = message

        # One warning per update. Its later retries log at debug level, so a failing webhook stays quiet.
        log = logger.warning if update.attempts == 1 else logger.debug
        log("Webhook delivery of update %d failed (attempt %d): %s", update.update_id, update.attempts, message)


def _tls_context(url: str, certificate_pem: bytes | None) -> tuple[ssl.SSLContext | None, str | None]:
    """Return the TLS context for an https:// webhook, trusting only an uploaded certificate when there is one.

    The second value is the delivery error to report when the uploaded certificate is unusable.
    """
    if not url.startswith("https://"):
        return None, None
    if certificate_pem is None:
        return ssl.create_default_context(), None
    try:
        return ssl.create_default_context(cadata=certificate_pem.decode("ascii")), None
    except (ssl.SSLError, UnicodeDecodeError, ValueError) as error:
        return None, f"SSL error: the uploaded certificate cannot be read ({error})"
