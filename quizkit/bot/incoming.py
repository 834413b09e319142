"""Reduce an update, as the JSON object Telegram sends, to the engine's `Incoming` record.

The webhook and the poller pass the decoded JSON straight here, without building
python-telegram-bot's `Update` objects: that took about 15% of the server's time under load.

Each update type the Bot API sends gets one rule. An update that reduces to None is acknowledged
and counted in the traffic counters under its type, and gets no reply:

| update | rule |
| --- | --- |
| message, private chat, text | the quiz rules (`quizkit._conversation`): command, code or answer |
| message, private chat, sticker, photo (with or without caption), voice, video, document, location, contact, poll, dice, ... | kind STICKER, PHOTO or OTHER: "please send text", or the buttons of a choice question; nothing stored |
| message, private chat, forwarded (`forward_origin` set) | kind FORWARDED: the bot replies that forwarded messages do not count; nothing stored |
| message in a group or supergroup | a command for this bot ("/start@bot CODE") gets a link to the private chat; anything else is ignored |
| message from a bot, or without a sender | None |
| edited_message | kind EDITED: the first answer stays; the bot replies that it reads no edits |
| channel_post, edited_channel_post | None: the bot posts to its channel but reads nothing there |
| callback_query | kind CALLBACK: a tap on a button (`quizkit._taps`); unknown or stale data gets an alert |
| my_chat_member, private chat, status "kicked" | kind BLOCKED: the user blocked the bot; nothing more is sent to them |
| my_chat_member, private chat, status "member" | kind UNBLOCKED: the user restarted the bot |
| my_chat_member in a group or channel | None: the bot was added to or removed from it |
| chat_member, chat_join_request, inline_query, chosen_inline_result, poll, poll_answer, message_reaction, message_reaction_count, chat_boost, removed_chat_boost, shipping_query, pre_checkout_query, purchased_paid_media | None: the quiz does not use them |
| business_connection, business_message, edited_business_message, deleted_business_messages | None: the quiz runs only in the bot's own chats |
| a type none of the rows above names | None |

The server asks for message, edited_message, callback_query and my_chat_member only (see
`quizkit.server.server.ALLOWED_UPDATES`), but a stale allowed_updates list or a newer Bot API can
still deliver the others, so each has its rule.

An object this module reads must be a JSON object with the fields the Bot API always sends in it
(a message's `message_id`, `date` and `chat`, a user's `id`, `is_bot` and `first_name`, and so on),
and each field read must have the type Telegram sends. Anything else raises InvalidUpdate: only a
forged request has it. Objects the quiz does not read, such as entities or a reply's message, are
not checked.
"""

from __future__ import annotations

from datetime import datetime, timezone

from telegram import Update

from quizkit.model import Incoming, MessageKind, Sender

# The fields the Bot API always sends in each object this module reads; python-telegram-bot 22
# requires the same ones.
_USER_FIELDS = ("id", "is_bot", "first_name")
_CHAT_FIELDS = ("id", "type")
_MESSAGE_FIELDS = ("message_id", "date", "chat")
_CALLBACK_FIELDS = ("id", "from", "chat_instance")
_MEMBER_UPDATE_FIELDS = ("chat", "from", "date", "old_chat_member", "new_chat_member")
# Telegram's update types, in the order of the Bot API's Update object.
UPDATE_TYPES = tuple(str(name) for name in Update.ALL_TYPES)


def to_incoming(update: dict, received_at: datetime) -> Incoming | None:
    """Return the engine input for the update object `update`, or None when no quiz rule applies to it.

    `update` must have a valid update_id (see `quizkit.server.processing.is_update_id`). Raises
    InvalidUpdate when a field it reads is missing or has a type Telegram never sends.
    """
    update_id = update["update_id"]
    query = update.get("callback_query")
    if query is not None:
        return _callback_incoming(update_id, _object(query, "callback_query", _CALLBACK_FIELDS), received_at)
    change = update.get("my_chat_member")
    if change is not None:
        return _membership_incoming(update_id, _object(change, "my_chat_member", _MEMBER_UPDATE_FIELDS), received_at)

    message = update.get("message")
    edited = update.get("edited_message")
    if message is None:
        message = edited
    if message is None:
        return None
    message = _object(message, "message", _MESSAGE_FIELDS)
    user = message.get("from")
    if user is None:
        return None
    user = _object(user, "from", _USER_FIELDS)
    if user["is_bot"]:
        return None
    chat = _object(message["chat"], "chat", _CHAT_FIELDS)
    _check_shape(message, user, chat)

    text = message.get("text")
    return Incoming(
        update_id=update_id,
        chat_id=chat["id"],
        sender=_sender(user),
        kind=MessageKind.EDITED if edited is not None else _message_kind(message),
        text=text if text is not None else message.get("caption"),
        sent_at=_date(message["date"], "message.date"),
        received_at=received_at,
        chat_type=chat["type"],
    )


def update_type(update: dict) -> str:
    """Return the name of the update's type, such as "poll" or "chat_join_request", or "other"."""
    for name in UPDATE_TYPES:
        if update.get(name) is not None:
            return name
    return "other"


# SQLite stores 64-bit signed integers, and Telegram's ids use at most 52 significant bits, so a
# larger id comes only from a forged update and would fail to store.
MAX_ID = 2**63 - 1


def is_telegram_id(value: object) -> bool:
    """Return True for an int (bool excluded) that fits SQLite's 64-bit INTEGER."""
    return type(value) is int and -MAX_ID <= value <= MAX_ID


class InvalidUpdate(ValueError):
    """An update whose fields have types Telegram never sends; only a forged request has them."""


def _object(value: object, name: str, required: tuple[str, ...]) -> dict:
    """Return `value` when it is a JSON object with every `required` field, else raise InvalidUpdate."""
    if not isinstance(value, dict):
        raise InvalidUpdate(f"{name} must be an object, got {type(value).__name__}")
    for field in required:
        if field not in value:
            raise InvalidUpdate(f"{name}.{field} is missing")
    return value


def _sender(user: dict) -> Sender:
    return Sender(
        user_id=user["id"],
        first_name=user["first_name"] or "",
        last_name=user.get("last_name"),
        username=user.get("username"),
        language_code=user.get("language_code"),
    )


def _callback_incoming(update_id: int, query: dict, received_at: datetime) -> Incoming | None:
    """Return the Incoming of a tap; the chat is the tapped message's, else the user's private chat.

    A message older than 48 hours arrives as an InaccessibleMessage (date 0): its chat is known,
    but it cannot be edited, so `message_id` is None.
    """
    user = query["from"]
    if user is None:
        return None
    user = _object(user, "callback_query.from", _USER_FIELDS)
    if user["is_bot"]:
        return None
    _check_user(user)
    if not isinstance(query["id"], str) or not query["id"]:
        raise InvalidUpdate("callback_query.id must be a non-empty string")
    data = query.get("data")
    if data is not None and not isinstance(data, str):
        raise InvalidUpdate(f"callback_query.data must be a string, got {type(data).__name__}")

    chat_id, chat_type, message_id = user["id"], "private", None
    message = query.get("message")
    if message is not None:
        chat = message.get("chat") if isinstance(message, dict) else None
        if not isinstance(chat, dict) or not is_telegram_id(chat.get("id")) or not isinstance(chat.get("type"), str):
            raise InvalidUpdate("callback_query.message has no valid chat")
        chat_id, chat_type = chat["id"], chat["type"]
        inaccessible = message.get("date") == 0
        if not inaccessible and is_telegram_id(message.get("message_id")):
            message_id = message["message_id"]
    return Incoming(
        update_id=update_id,
        chat_id=chat_id,
        sender=_sender(user),
        kind=MessageKind.CALLBACK,
        text=None,
        sent_at=received_at,
        received_at=received_at,
        chat_type=chat_type,
        callback_query_id=query["id"],
        callback_data=data,
        message_id=message_id,
    )


def _membership_incoming(update_id: int, change: dict, received_at: datetime) -> Incoming | None:
    """Return a BLOCKED or UNBLOCKED Incoming when a user blocks or restarts the bot in their private chat."""
    user = change["from"]
    chat = change["chat"]
    if user is None or chat is None:
        return None
    user = _object(user, "my_chat_member.from", _USER_FIELDS)
    chat = _object(chat, "my_chat_member.chat", _CHAT_FIELDS)
    if user["is_bot"] or chat["type"] != "private":
        return None
    _check_user(user)
    if not is_telegram_id(chat["id"]):
        raise InvalidUpdate(f"my_chat_member.chat.id must be a 64-bit integer, got {chat['id']!r:.40}")
    member = change["new_chat_member"]
    status = member.get("status") if isinstance(member, dict) else None
    if status == "kicked":
        kind = MessageKind.BLOCKED
    elif status == "member":
        kind = MessageKind.UNBLOCKED
    else:
        return None

    return Incoming(
        update_id=update_id,
        chat_id=chat["id"],
        sender=_sender(user),
        kind=kind,
        text=None,
        sent_at=received_at if change["date"] is None else _date(change["date"], "my_chat_member.date"),
        received_at=received_at,
        chat_type="private",
    )


def _check_user(user: dict) -> None:
    if not is_telegram_id(user["id"]):
        raise InvalidUpdate(f"from.id must be a 64-bit integer, got {user['id']!r:.40}")
    for name in ("first_name", "last_name", "username", "language_code"):
        value = user.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidUpdate(f"from.{name} must be a string, got {type(value).__name__}")


def _check_shape(message: dict, user: dict, chat: dict) -> None:
    # A forged update could carry a string id into the database or a reply's chat_id.
    _check_user(user)
    if not is_telegram_id(chat["id"]):
        raise InvalidUpdate(f"chat.id must be a 64-bit integer, got {chat['id']!r:.40}")
    if not isinstance(chat["type"], str):
        raise InvalidUpdate(f"chat.type must be a string, got {type(chat['type']).__name__}")
    for name in ("text", "caption"):
        value = message.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidUpdate(f"{name} must be a string, got {type(value).__name__}")


def _date(value: object, name: str) -> datetime:
    """Return a Unix time in seconds as an aware UTC datetime, or raise InvalidUpdate."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidUpdate(f"{name} is missing or invalid: {value!r:.40}")
    try:
        return datetime.fromtimestamp(value, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise InvalidUpdate(f"{name} is out of range: {value!r:.40}") from None


def _message_kind(message: dict) -> MessageKind:
    if message.get("forward_origin") is not None:
        return MessageKind.FORWARDED
    if message.get("text") is not None:
        return MessageKind.TEXT
    if message.get("sticker") is not None:
        return MessageKind.STICKER
    if message.get("photo"):
        return MessageKind.PHOTO
    return MessageKind.OTHER
