"""Send queued channel posts and edits, retrying until each one went out."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import TelegramError

from quizkit.engine import Engine
from quizkit.model import OutboxItem
from quizkit.server._api_errors import ApiFailure, classify, retry_after_s

logger = logging.getLogger("quizkit.server")

IDLE_POLL_S = 0.25
MAX_BACKOFF_S = 30.0


class OutboxSender:
    """Drain the engine's outbox in order through the Bot API.

    Channel items are retried until they go out; while a channel rejects them, `channel_error` says
    why. The edit of a tapped message in a private chat is given up after a Bad Request, because the
    participant may have deleted the message and no retry would succeed; the answer itself is stored
    and was confirmed by answerCallbackQuery. A user who blocked the bot is marked blocked, which
    cancels what waits for them. Within a chat, items go out in order: after a failure, the chat's
    later items wait for the next round.

    Items live in the database until sent, so posts queued before a crash go out once after the
    restart. Each call is marked in the database before it starts; an item whose call a crash
    interrupted is sent again with a warning, because its post may or may not be in the channel.
    """

    def __init__(self, engine: Engine, bot: Bot) -> None:
        self._engine = engine
        self._bot = bot
        self._wakeup = asyncio.Event()
        self.sent = 0
        self.errors = 0
        self.last_error: str | None = None
        # Why the channel rejects posts, or None once a post to it went out.
        self.channel_error: str | None = None

    def wake(self) -> None:
        """Look at the outbox now instead of at the next idle poll (call on the event loop)."""
        self._wakeup.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Send pending items until `stopping` is set; no error ends the loop."""
        self._warn_interrupted()
        backoff_s = 0.0
        while not stopping.is_set():
            try:
                failed = await self._send_pending(stopping)
            except Exception as error:  # noqa: BLE001 - e.g. a locked database; the items stay queued
                self.errors += 1
                self.last_error = f"outbox: {type(error).__name__}: {error}"
                logger.warning("Outbox round failed (%s: %s); retrying", type(error).__name__, error)
                failed = True
            if failed:
                backoff_s = min(max(backoff_s * 2, 0.5), MAX_BACKOFF_S)
                await self._idle(backoff_s)
            else:
                backoff_s = 0.0

    async def _send_pending(self, stopping: asyncio.Event) -> bool:
        # Returns True when some item failed, so the caller backs off.
        items = self._engine.outbox_pending(20)
        if not items:
            await self._idle(IDLE_POLL_S)
            return False

        failed_chats: set[int] = set()
        for item in items:
            if stopping.is_set():
                break
            if item.chat_id in failed_chats:
                continue
            if not await self._send(item):
                failed_chats.add(item.chat_id)
        return bool(failed_chats)

    async def drain(self, timeout_s: float) -> bool:
        """Wait until nothing is pending; return False if `timeout_s` passed first.

        It wakes the sender once and then only watches, so a failing item keeps its back-off.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        self.wake()
        while self._engine.outbox_pending(1):
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def _idle(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass
        self._wakeup.clear()

    def _warn_interrupted(self) -> None:
        try:
            interrupted = self._engine.outbox_interrupted()
        except Exception as error:  # noqa: BLE001 - the marks stay; the next start reports them
            logger.warning("Reading the outbox items interrupted by the last stop failed: %s", error)
            return
        for item in interrupted:
            logger.warning("%s of outbox item %s (%s) in chat %s was in flight when the server stopped; sending it "
                           "again, so it may appear twice", item.action, item.id, item.purpose, item.chat_id)

    async def _send(self, item: OutboxItem) -> bool:
        # Returns False when the item stays pending for a retry.
        self._engine.outbox_sending(item.id)
        try:
            message_id = await self._call(item)
        except TelegramError as error:
            return await self._handle_failure(item, error)

        self._engine.outbox_sent(item.id, message_id)
        self.sent += 1
        if item.chat_id < 0:
            self.channel_error = None
        return True

    async def _handle_failure(self, item: OutboxItem, error: TelegramError) -> bool:
        failure = classify(error)
        if failure is ApiFailure.NOT_MODIFIED:
            self._engine.outbox_sent(item.id, None)
            return True
        if failure is ApiFailure.USER_GONE and item.chat_id > 0:
            logger.info("User %s blocked the bot (%s); cancelling what waits for them", item.chat_id, error)
            self._engine.mark_blocked(item.chat_id)
            return True
        if failure is ApiFailure.FLOOD:
            self._fail(item, f"flood limit, retry after {retry_after_s(error):.0f} s")
            await asyncio.sleep(retry_after_s(error))
            return False
        if failure is ApiFailure.REJECTED and item.target_message_id is not None:
            self._fail(item, str(error), give_up=True)
            return True
        self._fail(item, str(error))
        return False

    async def _call(self, item: OutboxItem) -> int | None:
        if item.action == "send":
            message = await self._bot.send_message(item.chat_id, item.text, parse_mode="HTML")
            return message.message_id

        target = self._engine.outbox_target(item)
        await self._bot.edit_message_text(item.text, chat_id=item.chat_id, message_id=target, parse_mode="HTML")
        return target

    def _fail(self, item: OutboxItem, error: str, give_up: bool = False) -> None:
        self.errors += 1
        self.last_error = f"outbox item {item.id} ({item.purpose}) to chat {item.chat_id}: {error}"
        if item.chat_id < 0:
            self.channel_error = f"Cannot post to channel {item.chat_id}: {error}; the posts wait in the outbox"
        outcome = "given up" if give_up else "will retry"
        logger.warning("%s for outbox item %s in chat %s failed (%s): %s", item.action, item.id, item.chat_id, outcome, error)
        self._engine.outbox_failed(item.id, error, give_up)

