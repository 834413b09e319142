"""Handle one update: translate it, let the engine apply the quiz rules, and send replies."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone

from telegram import Bot, Update
from telegram.error import TelegramError

from quizkit.bot import to_incoming
from quizkit.engine import Engine
from quizkit.model import Reply
from quizkit.server.traffic import Traffic

logger = logging.getLogger("quizkit.server")


class StorageFailed(Exception):
    """The database rejected an update's effects; the transport must not acknowledge the update."""


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
        self.last_error: str | None = None

    def process(self, update: Update) -> list[Reply]:
        """Store `update`'s effects and return the replies to its chat.

        Raises StorageFailed when the database failed, so the update is not acknowledged and
        Telegram delivers it again. Any other error is logged and the update is dropped, since
        retrying an update that breaks a rule would hold back its chat forever.
        """
        incoming = to_incoming(update, datetime.now(timezone.utc))
        self._traffic.count(incoming.kind.value if incoming else _update_type(update))
        if incoming is None:
            return []

        try:
            return self._engine.handle(incoming)
        except sqlite3.Error as error:
            self._note_error(f"update {update.update_id}: storage failed: {error}")
            raise StorageFailed(str(error)) from error
        except Exception as error:  # noqa: BLE001 - one bad update must not stop the event
            self._note_error(f"update {update.update_id}: {type(error).__name__}: {error}")
            logger.warning("Update %s dropped after an error", update.update_id, exc_info=True)
            return []

    async def send(self, reply: Reply) -> None:
        """Send `reply` through the Bot API; failures are logged and counted, never raised."""
        try:
            await self._bot.send_message(reply.chat_id, reply.text, parse_mode=reply.parse_mode)
        except TelegramError as error:
            self._note_error(f"sendMessage to chat {reply.chat_id} failed: {error}")
            logger.warning("sendMessage to chat %s failed: %s", reply.chat_id, error)

    def _note_error(self, text: str) -> None:
        self.errors += 1
        self.last_error = text


def _update_type(update: Update) -> str:
    for name in ("channel_post", "edited_channel_post", "callback_query", "my_chat_member", "chat_member"):
        if getattr(update, name, None) is not None:
            return name
    return "other"
