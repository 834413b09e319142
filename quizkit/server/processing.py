"""Handle one update: parse and check it, let the engine apply the quiz rules, and send replies."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime, timezone

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter, TelegramError

from quizkit.bot import to_incoming
from quizkit.bot.incoming import MAX_ID, update_type
from quizkit.engine import Engine
from quizkit.model import CallbackAnswer, Incoming, Outgoing, Reply
from quizkit.server._api_errors import ApiFailure, backoff_s, classify, retry_after_s
from quizkit.server.traffic import Traffic

logger = logging.getLogger("quizkit.server")

# Repeated warnings of one kind (a locked database under a burst, a flood of forged updates) are
# summarised at most once per this many seconds.
WARNING_INTERVAL_S = 5.0
# Calls per reply sent through the Bot API, the first included: with back-off that is about 3.5 s of
# waiting plus the calls' own timeouts, which a polling batch waits for.
MAX_SEND_ATTEMPTS = 4


class StorageFailed(Exception):
    """The database could not store an update's effects for now; the transport must not acknowledge it."""


def is_update_id(value: object) -> bool:
    """Return True for a Telegram update_id: a positive int (bool excluded) that fits SQLite's INTEGER."""
    return type(value) is int and 0 < value <= MAX_ID


class _ThrottledWarning:
    """Log the first warning of a kind at once, then at most one summary per WARNING_INTERVAL_S."""

    def __init__(self, template: str) -> None:
        self._template = template
        self._last_logged = 0.0
        self._suppressed = 0

    def log(self, detail: str) -> None:
        now = time.monotonic()
        if now - self._last_logged < WARNING_INTERVAL_S:
            self._suppressed += 1
            return
        suffix = f" ({self._suppressed} more since the last warning)" if self._suppressed else ""
        logger.warning(self._template + suffix, detail)
        self._last_logged = now
        self._suppressed = 0


class UpdateProcessor:
    """Apply the quiz rules to updates; the webhook and the poller share one instance.

    Every method runs on the server's event loop thread, which is the only thread using the engine
    while the server runs.
    """

    def __init__(self, engine: Engine, bot: Bot, traffic: Traffic) -> None:
        self._engine = engine
        self._bot = bot
        self._traffic = traffic
        self.errors = 0
        self.rejected = 0
        self.last_error: str | None = None
        self._storage_warning = _ThrottledWarning(
            "Storage failed, update not acknowledged, so Telegram delivers it again: %s; check the free disk "
            "space and that the database file is writable"
        )
        self._rejected_warning = _ThrottledWarning("Update ignored: %s")

    def process(self, update: dict) -> list[Outgoing]:
        """Store the effects of `update`, a decoded update object with a valid update_id, and return the replies to its chat.

        A redelivered update returns the replies stored with it that were not cleared (see
        `Engine.handle` with `replay`). Raises StorageFailed when the database is busy or failed
        for now, so the update is not acknowledged and Telegram delivers it again. An update with
        fields of the wrong type or missing is counted as rejected and dropped, and so is one the
        rules cannot apply to (a bug), since retrying it would hold back its chat forever.
        """
        update_id = update["update_id"]
        incoming = self._to_incoming(update, datetime.now(timezone.utc))
        if incoming is None:
            return []

        try:
            return self._engine.handle(incoming, replay=True)
        except sqlite3.OperationalError as error:
            self._note_error(f"update {update_id}: storage failed: {error}")
            self._storage_warning.log(f"update {update_id}: {error}")
            raise StorageFailed(str(error)) from error
        except Exception as error:  # noqa: BLE001 - one bad update must not stop the event
            self._note_error(f"update {update_id} dropped: {type(error).__name__}: {error}")
            logger.warning("Update %s dropped after an error", update_id, exc_info=True)
            return []

    def forget_replies(self, update_id: int) -> None:
        """Clear the stored replies of `update_id` before sending them; a storage failure is logged.

        If clearing fails, the replies are sent anyway: only a crash before the offset confirms the
        update could then send them twice.
        """
        try:
            self._engine.forget_replies(update_id)
        except sqlite3.OperationalError as error:
            self._note_error(f"update {update_id}: clearing its stored replies failed: {error}")
            self._storage_warning.log(f"update {update_id}: {error}")

    def process_many(self, updates: Sequence[dict]) -> list[list[Outgoing]]:
        """Store the effects of several updates in one transaction, as `process` does for one, and return their replies.

        One commit for several updates is cheaper than one commit each. Raises StorageFailed for
        all of them when the transaction fails, since none of them is stored then. An update
        whose handling raises is dropped alone, as in `process`.
        """
        now = datetime.now(timezone.utc)
        incomings = [self._to_incoming(update, now) for update in updates]
        handled = [incoming for incoming in incomings if incoming is not None]
        try:
            results = iter(self._engine.handle_many(handled))
        except sqlite3.OperationalError as error:
            ids = ", ".join(str(update["update_id"]) for update in updates)
            label = f"update {ids}" if len(updates) == 1 else f"updates {ids}"
            self._note_error(f"{label}: storage failed: {error}")
            self._storage_warning.log(f"{label}: {error}")
            raise StorageFailed(str(error)) from error

        replies: list[list[Outgoing]] = []
        for incoming in incomings:
            result = [] if incoming is None else next(results)
            if isinstance(result, Exception):
                self._note_error(f"update {incoming.update_id} dropped: {type(result).__name__}: {result}")
                logger.warning("Update %s dropped after an error", incoming.update_id, exc_info=result)
                result = []
            replies.append(result)
        return replies

    def _to_incoming(self, update: dict, now: datetime) -> Incoming | None:
        # Returns None for an update the rules ignore or reject, after counting it.
        try:
            incoming = to_incoming(update, now)
        except Exception as error:  # noqa: BLE001 - a forged shape must not stop the server
            self.reject(f"update {update['update_id']} malformed: {type(error).__name__}: {error}")
            return None
        self._traffic.count(incoming.kind.value if incoming else update_type(update))
        return incoming

    def reject(self, reason: str) -> None:
        """Count an update that is acknowledged but ignored because it is malformed or forged."""
        self.rejected += 1
        self._rejected_warning.log(reason)

    async def send(self, reply: Outgoing) -> None:
        """Send `reply` through the Bot API; failures are logged and counted, never raised.

        A flood limit is waited out and a network failure or 5xx retried with back-off, up to
        MAX_SEND_ATTEMPTS calls. A user who blocked the bot is marked blocked and not retried.
        NOTE: a call that timed out may still have reached Telegram, so its retry can deliver the
        message twice.
        """
        method = "answerCallbackQuery" if isinstance(reply, CallbackAnswer) else "sendMessage"
        for attempt in range(1, MAX_SEND_ATTEMPTS + 1):
            try:
                await self._call(reply)
                return
            except TelegramError as error:
                failure = classify(error)
                if failure is ApiFailure.USER_GONE and reply.chat_id > 0:
                    self._mark_blocked(reply.chat_id, error)
                    return
                retryable = failure in (ApiFailure.FLOOD, ApiFailure.TRANSIENT)
                if not retryable or attempt == MAX_SEND_ATTEMPTS:
                    self._note_error(f"{method} for chat {reply.chat_id} failed: {error}")
                    logger.warning("%s for chat %s failed after %d attempts: %s", method, reply.chat_id, attempt, error)
                    return
                wait_s = retry_after_s(error) if isinstance(error, RetryAfter) else backoff_s(attempt)
                logger.info("%s for chat %s failed (%s); retrying in %.1f s", method, reply.chat_id, error, wait_s)
                await asyncio.sleep(wait_s)

    async def _call(self, reply: Outgoing) -> None:
        if isinstance(reply, CallbackAnswer):
            await self._bot.answer_callback_query(reply.callback_query_id, text=reply.text, show_alert=reply.show_alert)
        else:
            await self._bot.send_message(
                reply.chat_id, reply.text, parse_mode=reply.parse_mode, reply_markup=inline_markup(reply)
            )

    def _mark_blocked(self, user_id: int, error: TelegramError) -> None:
        logger.info("User %s blocked the bot (%s); nothing more is sent to them", user_id, error)
        try:
            self._engine.mark_blocked(user_id)
        except Exception:  # noqa: BLE001 - e.g. a locked database; the next failed send marks them again
            logger.warning("Marking user %s as blocked failed", user_id, exc_info=True)

    def _note_error(self, text: str) -> None:
        self.errors += 1
        self.last_error = text


def inline_markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """Return the python-telegram-bot markup of the reply's inline keyboard, or None without one."""
    if not reply.keyboard:
        return None
    rows = [[InlineKeyboardButton(button.text, callback_data=button.data) for button in row] for row in reply.keyboard]
    return InlineKeyboardMarkup(rows)


def method_call(reply: Outgoing) -> dict:
    """Return the Bot API call for `reply` as a JSON object with "method", for a webhook response body."""
    if isinstance(reply, CallbackAnswer):
        call: dict = {"method": "answerCallbackQuery", "callback_query_id": reply.callback_query_id}
        if reply.text:
            call["text"] = reply.text
        if reply.show_alert:
            call["show_alert"] = True
        return call

    call = {"method": "sendMessage", "chat_id": reply.chat_id, "text": reply.text, "parse_mode": reply.parse_mode}
    if reply.keyboard:
        call["reply_markup"] = {
            "inline_keyboard": [[{"text": button.text, "callback_data": button.data} for button in row] for row in reply.keyboard]
        }
    return call
