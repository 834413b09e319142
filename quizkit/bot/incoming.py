"""Reduce a python-telegram-bot `Update` to the engine's `Incoming` record."""

from __future__ import annotations

from datetime import datetime, timezone

from telegram import CallbackQuery, Message, Update, User

from quizkit.model import Incoming, MessageKind, Sender


def to_incoming(update: Update, received_at: datetime) -> Incoming | None:
    """Return the engine input for `update`, or None when no quiz rule applies to it.

    Channel posts, updates without a sender and update types the quiz does not use (polls,
    chat member changes, ...) return None, so the caller acknowledges them and replies nothing.
    A callback query (a tap on an inline button) becomes an Incoming of kind CALLBACK.
    Raises InvalidUpdate when a field has a type Telegram never sends.
    """
    if update.callback_query is not None:
        return _callback_incoming(update.update_id, update.callback_query, received_at)

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
        if message.chat is None or type(message.chat.id) is not int or not isinstance(message.chat.type, str):
            raise InvalidUpdate("callback_query.message has no valid chat")
        chat_id, chat_type = message.chat.id, message.chat.type
        if isinstance(message, Message) and type(message.message_id) is int:
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


def _check_user(user: User) -> None:
    if type(user.id) is not int:
        raise InvalidUpdate(f"from.id must be an integer, got {type(user.id).__name__}")
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
        if type(value) is not int:
            raise InvalidUpdate(f"{name} must be an integer, got {type(value).__name__}")
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
