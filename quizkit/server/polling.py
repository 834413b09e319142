"""The polling transport: fetch updates with getUpdates and confirm them only once stored."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Awaitable
from typing import TypeVar

import httpx
from telegram import Bot

from quizkit.bot.telegram import masked_token
from quizkit.errors import QuizkitError
from quizkit.model import Outgoing
from quizkit.server.processing import StorageFailed, UpdateProcessor, is_update_id

logger = logging.getLogger("quizkit.server")

T = TypeVar("T")

# Updates whose replies are sent at once; see _send_per_chat.
REPLY_CONCURRENCY = 8

_active_tokens: set[str] = set()
_active_lock = threading.Lock()


class PollerAlreadyRunning(QuizkitError):
    """A second poller was started for a bot token that this process already polls."""


class _Rejected(Exception):
    """The Bot API returned an error for getUpdates (a 409 conflict, a wrong token, ...)."""


class Poller:
    """Fetch up to 100 updates per getUpdates call, store them, send replies, then advance the offset.

    The offset moves past a batch only after every update of it is committed, so a crash between
    fetching and storing loses nothing: Telegram hands the batch out again after a restart.
    """

    def __init__(
        self, bot: Bot, processor: UpdateProcessor, *, timeout_s: int = 10, allowed_updates=None, trust_env: bool = True
    ) -> None:
        self._bot = bot
        self._trust_env = trust_env
        self._processor = processor
        self._timeout_s = timeout_s
        self._allowed_updates = allowed_updates
        self._token = bot.token
        self.offset: int | None = None

    def claim(self) -> None:
        """Reserve this bot token for this poller, or raise PollerAlreadyRunning."""
        with _active_lock:
            if self._token in _active_tokens:
                raise PollerAlreadyRunning(
                    f"A poller for bot {masked_token(self._token)} already runs in this process; stop that server "
                    "before starting another, because Telegram lets only one getUpdates run at a time."
                )
            _active_tokens.add(self._token)

    def release(self) -> None:
        """Free the bot token for another poller."""
        with _active_lock:
            _active_tokens.discard(self._token)

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until `stopping` is set; back off on network errors and rejected calls.

        The caller deletes any webhook first, since getUpdates fails while one is set. A stop
        interrupts only the wait for updates: a batch being handled is finished, so every update
        committed to the database also gets its reply.
        """
        backoff_s = 0.5
        async with httpx.AsyncClient(trust_env=self._trust_env) as client:
            while not stopping.is_set():
                try:
                    batch = await _unless_stopped(self._fetch(client), stopping)
                except _Stopped:
                    return
                except httpx.HTTPError as error:
                    logger.warning("getUpdates failed (%s); retrying in %.1f s", type(error).__name__, backoff_s)
                    await sleep_or_stop(stopping, backoff_s)
                    backoff_s = min(backoff_s * 2, 30.0)
                    continue
                except _Rejected as error:
                    logger.warning("getUpdates rejected: %s; retrying in 5 s", error)
                    await sleep_or_stop(stopping, 5.0)
                    continue
                backoff_s = 0.5

                if batch.last_update_id is not None:
                    self.offset = await self._handle_batch(batch)

    async def _fetch(self, client: httpx.AsyncClient) -> "_Batch":
        # getUpdates goes out directly instead of through Bot.get_updates, which parses the whole
        # batch at once: one update it cannot parse would then fail every retry, forever. Here each
        # update is parsed alone and a broken one is skipped.
        parameters = {"limit": 100, "timeout": self._timeout_s, "allowed_updates": self._allowed_updates}
        # The first call has no offset yet. Telegram documents no null value for a parameter, so it is left out.
        if self.offset is not None:
            parameters["offset"] = self.offset
        response = await client.post(f"{self._bot.base_url}/getUpdates", json=parameters,
                                     timeout=self._timeout_s + 10.0)
        try:
            envelope = response.json()
        except ValueError:
            raise _Rejected(f"HTTP {response.status_code} with a body that is not JSON") from None
        if not isinstance(envelope, dict) or envelope.get("ok") is not True:
            description = envelope.get("description") if isinstance(envelope, dict) else None
            raise _Rejected(f"HTTP {response.status_code}: {description or 'no description'}")
        return _Batch.parse(envelope.get("result"), self._processor)

    async def _handle_batch(self, batch: "_Batch") -> int:
        """Store the batch's updates in order, send the replies of those stored, return the next offset."""
        next_offset = batch.last_update_id + 1
        replies: list[tuple[int, list[Outgoing]]] = []
        for update in batch.updates:
            try:
                replies.append((update["update_id"], self._processor.process(update)))
            except StorageFailed:
                # This update and the ones after it come again with the next getUpdates. The ones
                # before it are stored, so their replies go out now and their stored copies are
                # cleared: a refetched stored update is a duplicate and gets no second reply.
                next_offset = update["update_id"]
                break

        await _send_per_chat(self._processor, replies)
        if next_offset <= batch.last_update_id:
            await asyncio.sleep(1.0)
        return next_offset


class _Batch:
    """The updates of one getUpdates result that have a valid update_id, and the highest update_id in that result."""

    def __init__(self, updates: list[dict], last_update_id: int | None) -> None:
        self.updates = updates
        self.last_update_id = last_update_id

    @classmethod
    def parse(cls, raw: object, processor: UpdateProcessor) -> "_Batch":
        updates: list[dict] = []
        last_update_id: int | None = None
        for data in raw if isinstance(raw, list) else []:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not is_update_id(update_id):
                processor.reject(f"getUpdates returned an item without a valid update_id: {type(data).__name__}")
                continue
            last_update_id = max(update_id, last_update_id or 0)
            updates.append(data)
        return cls(updates, last_update_id)


async def _send_per_chat(processor: UpdateProcessor, replies: list[tuple[int, list[Outgoing]]]) -> None:
    # Chats are served concurrently; within a chat, replies keep their order. The stored copy of an
    # update's replies is cleared just before they go out, so after a crash a refetched update
    # replays the replies not yet begun and never repeats one.
    by_chat: dict[int, list[tuple[int, list[Outgoing]]]] = defaultdict(list)
    for update_id, outgoing in replies:
        if outgoing:
            by_chat[outgoing[0].chat_id].append((update_id, outgoing))

    # A reply cleared but still waiting for the flood limiter is lost if the server dies, so only a
    # few updates send at once. Eight concurrent calls still keep a limit of 30 messages/s busy.
    slots = asyncio.Semaphore(REPLY_CONCURRENCY)

    async def send_in_order(chat_replies: list[tuple[int, list[Outgoing]]]) -> None:
        for update_id, outgoing in chat_replies:
            async with slots:
                processor.forget_replies(update_id)
                for reply in outgoing:
                    await processor.send(reply)

    await asyncio.gather(*(send_in_order(chat_replies) for chat_replies in by_chat.values()))


class _Stopped(Exception):
    """The server stopped while the poller waited for updates."""


async def _unless_stopped(operation: Awaitable[T], stopping: asyncio.Event) -> T:
    # Cancel `operation` when `stopping` is set first; its result is otherwise returned as is.
    work = asyncio.ensure_future(operation)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if work.done():
        return work.result()
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    raise _Stopped()


async def sleep_or_stop(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stopping` is set meanwhile."""
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
