"""The polling transport: fetch updates with getUpdates and confirm them only once stored."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict

from telegram import Bot, Update
from telegram.error import NetworkError, TelegramError, TimedOut

from quizkit.errors import QuizkitError
from quizkit.model import Reply
from quizkit.server.processing import StorageFailed, UpdateProcessor

logger = logging.getLogger("quizkit.server")

_active_tokens: set[str] = set()
_active_lock = threading.Lock()


class PollerAlreadyRunning(QuizkitError):
    """A second poller was started for a bot token that this process already polls."""


class Poller:
    """Fetch up to 100 updates per getUpdates call, store them, send replies, then advance the offset.

    The offset moves past a batch only after every update of it is committed, so a crash between
    fetching and storing loses nothing: Telegram hands the batch out again after a restart.
    """

    def __init__(self, bot: Bot, processor: UpdateProcessor, *, timeout_s: int = 10, allowed_updates=None) -> None:
        self._bot = bot
        self._processor = processor
        self._timeout_s = timeout_s
        self._allowed_updates = allowed_updates
        self._token = bot.token
        self.offset: int | None = None

    def claim(self) -> None:
        """Reserve this bot token for this poller, or raise PollerAlreadyRunning."""
        with _active_lock:
            if self._token in _active_tokens:
                bot_id = self._token.split(":", 1)[0]
                raise PollerAlreadyRunning(
                    f"A poller for bot {bot_id} already runs in this process; stop that server "
                    "before starting another, because Telegram lets only one getUpdates run at a time."
                )
            _active_tokens.add(self._token)

    def release(self) -> None:
        """Free the bot token for another poller."""
        with _active_lock:
            _active_tokens.discard(self._token)

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until `stopping` is set; back off on network errors.

        The caller deletes any webhook first, since getUpdates fails while one is set.
        """
        backoff_s = 0.5
        while not stopping.is_set():
            try:
                updates = await self._bot.get_updates(
                    offset=self.offset, limit=100, timeout=self._timeout_s, allowed_updates=self._allowed_updates
                )
            except (TimedOut, NetworkError) as error:
                logger.warning("getUpdates failed (%s); retrying in %.1f s", error, backoff_s)
                await _sleep_or_stop(stopping, backoff_s)
                backoff_s = min(backoff_s * 2, 30.0)
                continue
            except TelegramError as error:
                logger.warning("getUpdates rejected (%s); retrying in 5 s", error)
                await _sleep_or_stop(stopping, 5.0)
                continue
            backoff_s = 0.5

            if updates and await self._handle_batch(updates):
                self.offset = updates[-1].update_id + 1

    async def _handle_batch(self, updates: list[Update]) -> bool:
        replies: list[Reply] = []
        try:
            for update in updates:
                replies.extend(self._processor.process(update))
        except StorageFailed:
            # Leave the offset where it was: the whole batch comes again, and stored updates are
            # recognised by update_id.
            await asyncio.sleep(1.0)
            return False

        await _send_per_chat(self._processor, replies)
        return True


async def _send_per_chat(processor: UpdateProcessor, replies: list[Reply]) -> None:
    # Chats are served concurrently; within a chat, replies keep their order.
    by_chat: dict[int, list[Reply]] = defaultdict(list)
    for reply in replies:
        by_chat[reply.chat_id].append(reply)

    async def send_in_order(chat_replies: list[Reply]) -> None:
        for reply in chat_replies:
            await processor.send(reply)

    await asyncio.gather(*(send_in_order(chat_replies) for chat_replies in by_chat.values()))


async def _sleep_or_stop(stopping: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
