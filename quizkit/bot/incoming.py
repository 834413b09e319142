"""Reduce a python-telegram-bot `Update` to the engine's `Incoming` record.

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
| a type unknown to python-telegram-bot | None: `Update.de_json` keeps only the update_id |

The server asks for message, edited_message, callback_query and my_chat_member only (see
`quizkit.server.server.ALLOWED_UPDATES`), but a stale allowed_updates list or a newer Bot API can
still deliver the others, so each has its rule.
"""

from __future__ import annotations

from datetime import datetime, timezone

from telegram import CallbackQuery, ChatMember, ChatMemberUpdated, Message, Update, User

from quizkit.model import Incoming, MessageKind, Sender


def to_incoming(update: Update, received_at: datetime) -> Incoming | None:
    """Return the engine input for `update`, or None when no quiz rule applies to it (see the table above).

    Raises InvalidUpdate when a field has a type Telegram never sends.
    """
    if update.callback_query is not None:
        return _callback_incoming(update.update_id, update.callback_query, received_at)
    if update.my_chat_member is not None:
        return _membership_incoming(update.update_id, update.my_chat_member, received_at)

    message = update.message or update.edited_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    _check_shape(message)

    kind = MessageKind.EDITED if update.edited_message is not None else _message_kind(message)
    return Incoming(
        update_id=update.update_id,
        chat_id=message.chat_id,
        sender=_sender(message.from_user),
        kind=kind,
        text=message.text if message.text is not None else message.caption,
        sent_at=_aware(message.date),
        received_at=received_at,
        chat_type=message.chat.type,
    )


def update_type(update: Update) -> str:
    """Return the name of the update's type, such as "poll" or "chat_join_request", or "other"."""
    for name in Update.ALL_TYPES:
        if getattr(update, str(name), None) is not None:
            return str(name)
    return "other"


# SQLite stores 64-bit signed integers, and Telegram's ids use at most 52 significant bits, so a
# larger id comes only from a forged update and would fail to store.
MAX_ID = 2**63 - 1


def is_telegram_id(value: object) -> bool:
    """Return True for an int (bool excluded) that fits SQLite's 64-bit INTEGER."""
    return type(value) is int and -MAX_ID <= value <= MAX_ID


class InvalidUpdate(ValueError):
    """An update whose fields have types Telegram never sends; only a forged request has them."""


def _sender(user: User) -> Sender:
    return Sender(
        user_id=user.id,
        first_name=user.first_name or "",
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


def _callback_incoming(update_id: int, query: CallbackQuery, received_at: datetime) -> Incoming | None:
    """Return the Incoming of a tap; the chat is the tapped message's, else the user's private chat.

    A message older than 48 hours arrives as an InaccessibleMessage (date 0): its chat is known,
    but it cannot be edited, so `message_id` is None.
    """
    user = query.from_user
    if user is None or user.is_bot:
        return None
    _check_user(user)
    if not isinstance(query.id, str) or not query.id:
        raise InvalidUpdate("callback_query.id must be a non-empty string")
    if query.data is not None and not isinstance(query.data, str):
        raise InvalidUpdate(f"callback_query.data must be a string, got {type(query.data).__name__}")

    chat_id, chat_type, message_id = user.id, "private", None
    message = query.message
    if message is not None:
        if message.chat is None or not is_telegram_id(message.chat.id) or not isinstance(message.chat.type, str):
            raise InvalidUpdate("callback_query.message has no valid chat")
        chat_id, chat_type = message.chat.id, message.chat.type
        if isinstance(message, Message) and is_telegram_id(message.message_id):
            message_id = message.message_id
    return Incoming(
        update_id=update_id,
        chat_id=chat_id,
        sender=_sender(user),
        kind=MessageKind.CALLBACK,
        text=None,
        sent_at=received_at,
        received_at=received_at,
        chat_type=chat_type,
        callback_query_id=query.id,
        callback_data=query.data,
        message_id=message_id,
    )


def _membership_incoming(update_id: int, change: ChatMemberUpdated, received_at: datetime) -> Incoming | None:
    """Return a BLOCKED or UNBLOCKED Incoming when a user blocks or restarts the bot in their private chat."""
    user = change.from_user
    chat = change.chat
    if user is None or user.is_bot or chat is None or chat.type != "private":
        return None
    _check_user(user)
    if not is_telegram_id(chat.id):
        raise InvalidUpdate(f"my_chat_member.chat.id must be a 64-bit integer, got {chat.id!r:.40}")
    status = getattr(change.new_chat_member, "status", None)
    if status == ChatMember.BANNED:
        kind = MessageKind.BLOCKED
    elif status == ChatMember.MEMBER:
        kind = MessageKind.UNBLOCKED
    else:
        return None

    sent_at = _aware(change.date) if isinstance(change.date, datetime) else received_at
    return Incoming(
        update_id=update_id,
        chat_id=chat.id,
        sender=_sender(user),
        kind=kind,
        text=None,
        sent_at=sent_at,
        received_at=received_at,
        chat_type="private",
    )


def _check_user(user: User) -> None:
    if not is_telegram_id(user.id):
        raise InvalidUpdate(f"from.id must be a 64-bit integer, got {user.id!r:.40}")
    names = (
        ("from.first_name", user.first_name), ("from.last_name", user.last_name), ("from.username", user.username),
        ("from.language_code", user.language_code),
    )
    for name, value in names:
        if value is not None and not isinstance(value, str):
            raise InvalidUpdate(f"{name} must be a string, got {type(value).__name__}")


def _check_shape(message: Message) -> None:
    # python-telegram-bot does not check JSON types, so a forged update could carry a string id
    # into the database or a reply's chat_id.
    if message.chat is None:
        raise InvalidUpdate("message has no chat")
    user = message.from_user
    for name, value in (("from.id", user.id), ("chat.id", message.chat.id)):
        if not is_telegram_id(value):
            raise InvalidUpdate(f"{name} must be a 64-bit integer, got {value!r:.40}")
    if not isinstance(message.chat.type, str):
        raise InvalidUpdate(f"chat.type must be a string, got {type(message.chat.type).__name__}")
    texts = (
        ("from.first_name", user.first_name), ("from.last_name", user.last_name), ("from.username", user.username),
        ("from.language_code", user.language_code), ("text", message.text), ("caption", message.caption),
    )
    for name, value in texts:
        if value is not None and not isinstance(value, str):
            raise InvalidUpdate(f"{name} must be a string, got {type(value).__name__}")
    if not isinstance(message.date, datetime):
        raise InvalidUpdate("message date is missing or invalid")


def _message_kind(message: Message) -> MessageKind:
    if message.forward_origin is not None:
        return MessageKind.FORWARDED
    if message.text is not None:
        return MessageKind.TEXT
    if message.sticker is not None:
        return MessageKind.STICKER
    if message.photo:
        return MessageKind.PHOTO
    return MessageKind.OTHER


def _aware(moment: datetime) -> datetime:
    # python-telegram-bot 22 returns aware UTC datetimes unless Defaults.tzinfo sets another zone.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
