"""In-memory state of the emulated Bot API: bots, chats, messages, pending updates and call logs.

`World.lock` guards every object here. The server's event loop and the callers of the Python API
(any thread) take it for short, non-blocking sections. `World.changed` is notified whenever an
update is queued, delivered or dropped, so that `wait_delivered` can block on it.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
import time
import zlib
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quizkit.emulator._faults import Fault

# Telegram sends every update type except these three unless allowed_updates lists them.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
UPDATE_TYPES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
        "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
        "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member",
        "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip
MESSAGE_UPDATE_TYPES = frozenset({"message", "edited_message", "channel_post", "edited_channel_post"})
FIRST_UPDATE_ID = 100_000_001
# Delivered updates kept per bot for `World.redeliver`, the newest ones; about five codeweek2016 events.
DELIVERED_KEPT = 100_000
_TOKEN_FORMAT = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")


def is_well_formed_token(token: str) -> bool:
    """Return True for tokens shaped like Telegram's: the bot id, a colon and a secret."""
    return _TOKEN_FORMAT.match(token) is not None


def bot_id_from_token(token: str) -> int:
    """Return the bot's user id: the number before the colon, or a stable number for other tokens."""
    match = _TOKEN_FORMAT.match(token)
    if match:
        return int(match.group(1))
    return 5_000_000_000 + zlib.crc32(token.encode())


@dataclass
class PendingUpdate:
    """An update that the bot has not yet acknowledged (webhook) or confirmed (getUpdates offset)."""

    update_id: int
    payload: dict[str, Any]
    order_key: Hashable
    attempts: int = 0
    in_flight: bool = False
    retry_at: float = 0.0


@dataclass
class StoredMessage:
    """A message the bot sent: its current Bot API dict and every version, the original first."""

    sequence: int
    message: dict[str, Any]
    versions: list[dict[str, Any]]
    deleted: bool = False


@dataclass
class Chat:
    """One bot's view of a chat. The bot's and the user's messages share the chat's message id sequence."""

    data: dict[str, Any]
    bot_is_admin: bool = False
    # Administrator rights that differ from the default (all true), such as {"can_post_messages": False}.
    admin_rights: dict[str, bool] = field(default_factory=dict)
    user: dict[str, Any] | None = None
    # A private chat whose user blocked the bot: sending and editing fail with 403.
    bot_blocked: bool = False
    last_message_id: int = 0
    messages: dict[int, StoredMessage] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.data["id"]

    @property
    def type(self) -> str:
        return self.data["type"]

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id


@dataclass
class Webhook:
    """The bot's webhook settings as getWebhookInfo reports them. An empty `url` means that no webhook is set."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    has_custom_certificate: bool = False
    # The PEM certificate uploaded with setWebhook, which deliveries to https:// URLs trust.
    certificate_pem: bytes | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Counters:
    """Running totals for `Emulator.stats`."""

    updates_queued: int = 0
    updates_delivered: int = 0
    deliveries_failed: int = 0
    redeliveries: int = 0
    updates_dropped: int = 0
    updates_filtered: int = 0
    api_calls: int = 0
    flood_rejections: int = 0


@dataclass
class Bot:
    """One bot account: its User object, chats, update queue, webhook and call log."""

    token: str
    user: dict[str, Any]
    next_update_id: int = FIRST_UPDATE_ID
    chats: dict[int, Chat] = field(default_factory=dict)
    pending: dict[int, PendingUpdate] = field(default_factory=dict)  # by update_id, oldest first
    # Acknowledged or confirmed updates, kept so that `World.redeliver` can queue them again.
    delivered: dict[int, PendingUpdate] = field(default_factory=dict)
    allowed_updates: list[str] | None = None
    webhook: Webhook = field(default_factory=Webhook)
    callback_queries: dict[str, bool] = field(default_factory=dict)  # query id -> answered
    callback_answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # query id -> answer
    calls: list[dict[str, Any]] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    faults: list[Fault] = field(default_factory=list)  # injected failures, see quizkit.emulator._faults

    @property
    def sender(self) -> dict[str, Any]:
        """Return the short User object that appears as `from` in the bot's messages."""
        return {key: self.user[key] for key in ("id", "is_bot", "first_name", "username")}

    def allows(self, update_type: str) -> bool:
        if not self.allowed_updates:
            return update_type not in OPT_IN_UPDATE_TYPES
        return update_type in self.allowed_updates

    def drop_pending(self) -> int:
        """Forget every pending update, as drop_pending_updates does, and return how many there were."""
        dropped = len(self.pending)
        self.pending.clear()
        self.counters.updates_dropped += dropped
        return dropped


class World:
    """Every bot of one emulator, with the lock and condition that guard them."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.bots: dict[str, Bot] = {}
        self._sequence = itertools.count(1)
        # When True, a call to an unknown positive chat id opens that private chat instead of failing.
        self.open_private_chats = False

    def add_bot(self, token: str, username: str, first_name: str) -> Bot:
        user = {
            "id": bot_id_from_token(token),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        with self.lock:
            if token in self.bots:
                self.bots[token].user = user
            else:
                self.bots[token] = Bot(token, user)
            return self.bots[token]

    def require_bot(self, token: str) -> Bot:
        """Return the bot with `token`, or raise LookupError naming the next step."""
        bot = self.bots.get(token)
        if bot is None:
            bot_id = token.split(":", 1)[0]
            raise LookupError(f"No bot with id {bot_id} in the emulator; call add_bot(token, username) first.")
        return bot

    def add_channel(self, bot: Bot, chat_id: int, title: str, bot_is_admin: bool,
                    admin_rights: dict[str, bool] | None = None) -> Chat:
        with self.lock:
            chat = bot.chats.get(chat_id)
            data = {"id": chat_id, "title": title, "type": "channel"}
            if chat is None:
                chat = bot.chats[chat_id] = Chat(data)
            chat.data = data
            chat.bot_is_admin = bot_is_admin
            chat.admin_rights = dict(admin_rights or {})
            return chat

    def queue_update(self, bot: Bot, payload: dict[str, Any], unfiltered: bool = False) -> int:
        """Queue `payload` under the bot's next update_id and return that id.

        An update type that allowed_updates excludes still takes an id but is not queued. Missing
        message ids and dates of new messages are filled in. Raises ValueError for a payload that
        is not one update type with its object. With `unfiltered`, an update type unknown to the
        emulator is accepted and allowed_updates is not applied.
        """
        update_type, body = _validate_payload(payload, unfiltered)
        with self.lock:
            order_key = self._register_sender(bot, update_type, body)
            update_id = bot.next_update_id
            bot.next_update_id += 1
            if not unfiltered and not bot.allows(update_type):
                bot.counters.updates_filtered += 1
                return update_id

            order_key = order_key if order_key is not None else ("update", update_id)
            if "message_id" in body:
                body = {"message_id": body["message_id"], **body}  # first, as in Telegram's JSON
            update = {"update_id": update_id, update_type: body}
            bot.pending[update_id] = PendingUpdate(update_id, update, order_key)
            bot.counters.updates_queued += 1
            self.changed.notify_all()
            return update_id

    def _register_sender(self, bot: Bot, update_type: str, body: dict[str, Any]) -> Hashable | None:
        """Record the chat, user or callback query of an incoming update and return its order key."""
        if update_type in MESSAGE_UPDATE_TYPES:
            chat = self._incoming_chat(bot, body)
            if "message_id" not in body:
                body["message_id"] = chat.next_message_id()
            chat.last_message_id = max(chat.last_message_id, int(body["message_id"]))
            body.setdefault("date", int(time.time()))
            return chat.id

        if update_type == "callback_query":
            bot.callback_queries[str(body["id"])] = False
            message = body.get("message")
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                return message["chat"]["id"]

        sender = body.get("from") or body.get("user")
        if isinstance(sender, dict) and "id" in sender:
            return ("user", sender["id"])
        return None

    def _incoming_chat(self, bot: Bot, message: dict[str, Any]) -> Chat:
        chat_data = message.get("chat")
        if not isinstance(chat_data, dict) or "id" not in chat_data or "type" not in chat_data:
            raise ValueError("A message update needs a 'chat' object with 'id' and 'type'.")
        chat = bot.chats.get(chat_data["id"])
        if chat is None:
            chat = bot.chats[chat_data["id"]] = Chat(dict(chat_data), bot_is_admin=chat_data["type"] == "channel")
        else:
            chat.data = dict(chat_data)
        if chat.type == "private" and isinstance(message.get("from"), dict):
            chat.user = dict(message["from"])
        return chat

    def private_chat(self, bot: Bot, user: dict[str, Any]) -> Chat:
        """Return the bot's private chat with `user`, created when the user never wrote to the bot."""
        with self.lock:
            chat = bot.chats.get(user["id"])
            if chat is None:
                data = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
                chat = bot.chats[user["id"]] = Chat(data, user=dict(user))
            return chat

    def store_message(self, chat: Chat, message: dict[str, Any]) -> None:
        """Keep a message the bot just sent, in the order of sending across all bots."""
        chat.messages[message["message_id"]] = StoredMessage(next(self._sequence), message, [copy.deepcopy(message)])

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        with self.lock:
            stored = [
                item
                for bot in self.bots.values()
                if chat_id in bot.chats
                for item in bot.chats[chat_id].messages.values()
                if not item.deleted
            ]
            stored.sort(key=lambda item: item.sequence)
            return [copy.deepcopy(item.message) for item in stored]

    def bot_message(self, bot: Bot, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Return the current version of a message the bot sent to `chat_id`, or None when missing or deleted."""
        with self.lock:
            chat = bot.chats.get(chat_id)
            stored = None if chat is None else chat.messages.get(message_id)
            if stored is None or stored.deleted:
                return None
            return copy.deepcopy(stored.message)

    def message_versions(self, chat_id: int, message_id: int) -> list[dict[str, Any]]:
        with self.lock:
            for bot in self.bots.values():
                chat = bot.chats.get(chat_id)
                if chat is not None and message_id in chat.messages:
                    return copy.deepcopy(chat.messages[message_id].versions)
            return []

    def record_call(self, bot: Bot, entry: dict[str, Any]) -> None:
        with self.lock:
            bot.calls.append(entry)
            bot.counters.api_calls += 1

    def mark_delivered(self, bot: Bot, updates: list[PendingUpdate]) -> None:
        """Remove updates that the bot acknowledged or confirmed, and wake `wait_delivered`."""
        with self.lock:
            for update in updates:
                if bot.pending.pop(update.update_id, None) is not None:
                    bot.counters.updates_delivered += 1
                    bot.delivered[update.update_id] = update
                    if len(bot.delivered) > DELIVERED_KEPT:
                        del bot.delivered[next(iter(bot.delivered))]
            self.changed.notify_all()

    def redeliver(self, bot: Bot, update_ids: list[int]) -> int:
        """Queue delivered updates again under their old update_ids, as Telegram does when an acknowledgement is lost.

        Returns how many were queued. Raises LookupError for an update_id that was never delivered.
        """
        with self.lock:
            missing = [update_id for update_id in update_ids if update_id not in bot.delivered]
            if missing:
                raise LookupError(f"Updates {missing!r} were never delivered to the bot, so they cannot be "
                                  "redelivered; pass update_ids that wait_delivered() has seen acknowledged.")
            for update_id in update_ids:
                old = bot.delivered.pop(update_id)
                bot.pending[update_id] = PendingUpdate(update_id, old.payload, old.order_key, attempts=old.attempts)
                bot.counters.updates_queued += 1
            bot.pending = dict(sorted(bot.pending.items()))
            self.changed.notify_all()
            return len(update_ids)

    def stats(self, bot: Bot) -> dict[str, int]:
        with self.lock:
            counters = bot.counters
            return {
                "updates_queued": counters.updates_queued,
                "updates_delivered": counters.updates_delivered,
                "deliveries_failed": counters.deliveries_failed,
                "redeliveries": counters.redeliveries,
                "pending_update_count": len(bot.pending),
                "updates_dropped": counters.updates_dropped,
                "updates_filtered": counters.updates_filtered,
                "api_calls": counters.api_calls,
                "flood_rejections": counters.flood_rejections,
            }


def _validate_payload(payload: dict[str, Any], unfiltered: bool = False) -> tuple[str, dict[str, Any]]:
    if not isinstance(payload, dict):
        raise ValueError(f"An update payload must be a dict, got {type(payload).__name__}.")
    if "update_id" in payload:
        raise ValueError("Leave 'update_id' out of the payload; the emulator assigns the next one.")
    if len(payload) != 1:
        raise ValueError(f"An update carries exactly one update type, got keys {sorted(payload)!r}.")

    update_type, body = next(iter(payload.items()))
    if update_type not in UPDATE_TYPES and not unfiltered:
        raise ValueError(f"Unknown update type {update_type!r}; expected one of {sorted(UPDATE_TYPES)}.")
    if not isinstance(body, dict):
        raise ValueError(f"The {update_type!r} object must be a dict, got {type(body).__name__}.")
    return update_type, copy.deepcopy(body)
