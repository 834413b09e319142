"""Handle one update: parse and check it, let the engine apply the quiz rules, and send replies."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import datetime, timezone

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from quizkit.bot import to_incoming
from quizkit.engine import Engine
from quizkit.model import CallbackAnswer, Outgoing, Reply
from quizkit.server.traffic import Traffic

logger = logging.getLogger("quizkit.server")

# Repeated warnings of one kind (a locked database under a burst, a flood of forged updates) are
# summarised at most once per this many seconds.
WARNING_INTERVAL_S = 5.0


class StorageFailed(Exception):
    """The database could not store an update's effects for now; the transport must not acknowledge it."""


def is_update_id(value: object) -> bool:
    """Return True for a Telegram update_id: a positive int (bool excluded)."""
    return type(value) is int and value > 0


def parse_update(data: dict, bot: Bot, processor: UpdateProcessor) -> Update | None:
    """Return the python-telegram-bot Update for `data`, or None after counting it as rejected."""
    try:
        return Update.de_json(data, bot)
    except Exception as error:  # noqa: BLE001 - python-telegram-bot raises many types on bad shapes
        processor.reject(f"update {data.get('update_id')} malformed: {type(error).__name__}: {error}")
        return None


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

    def process(self, update: Update) -> list[Outgoing]:
        """Store `update`'s effects and return the replies to its chat.

        A redelivered update returns the replies stored with it that were not cleared (see
        `Engine.handle` with `replay`). Raises StorageFailed when the database is busy or failed
        for now, so the update is not acknowledged and Telegram delivers it again. An update the rules cannot apply to (forged
        field types, a bug) is logged and dropped, since retrying it would hold back its chat forever.
        """
        try:
            incoming = to_incoming(update, datetime.now(timezone.utc))
        except Exception as error:  # noqa: BLE001 - a forged shape must not stop the server
            self.reject(f"update {update.update_id} has an invalid shape: {type(error).__name__}: {error}")
            return []
        self._traffic.count(incoming.kind.value if incoming else _update_type(update))
        if incoming is None:
            return []

        try:
            return self._engine.handle(incoming, replay=True)
        except sqlite3.OperationalError as error:
            self._note_error(f"update {update.update_id}: storage failed: {error}")
            self._storage_warning.log(f"update {update.update_id}: {error}")
            raise StorageFailed(str(error)) from error
        except Exception as error:  # noqa: BLE001 - one bad update must not stop the event
            self._note_error(f"update {update.update_id} dropped: {type(error).__name__}: {error}")
            logger.warning("Update %s dropped after an error", update.update_id, exc_info=True)
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

    def reject(self, reason: str) -> None:
        """Count an update that is acknowledged but ignored because it is malformed or forged."""
        self.rejected += 1
        self._rejected_warning.log(reason)

    async def send(self, reply: Outgoing) -> None:
        """Send `reply` through the Bot API; failures are logged and counted, never raised."""
        method = "answerCallbackQuery" if isinstance(reply, CallbackAnswer) else "sendMessage"
        try:
            if isinstance(reply, CallbackAnswer):
                await self._bot.answer_callback_query(
                    reply.callback_query_id, text=reply.text, show_alert=reply.show_alert
                )
            else:
                await self._bot.send_message(
                    reply.chat_id, reply.text, parse_mode=reply.parse_mode, reply_markup=inline_markup(reply)
                )
        except TelegramError as error:
            self._note_error(f"{method} for chat {reply.chat_id} failed: {error}")
            logger.warning("%s for chat %s failed: %s", method, reply.chat_id, error)

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


def _update_type(update: Update) -> str:
    for name in ("channel_post", "edited_channel_post", "callback_query", "my_chat_member", "chat_member"):
        if getattr(update, name, None) is not None:
            return name
    return "other"
