"""Reduce a python-telegram-bot `Update` to the engine's `Incoming` record."""

from __future__ import annotations

from datetime import datetime, timezone

from telegram import Message, Update

from quizkit.model import Incoming, MessageKind, Sender


def to_incoming(update: Update, received_at: datetime) -> Incoming | None:
    """Return the engine input for `update`, or None when no quiz rule applies to it.

    Channel posts, updates without a sender and update types the quiz does not use (polls,
    chat member changes, ...) return None, so the caller acknowledges them and replies nothing.
    Raises InvalidUpdate when a field has a type Telegram never sends.
    """
    message = update.message or update.edited_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    _check_shape(message)

    kind = MessageKind.EDITED if update.edited_message is not None else _message_kind(message)
    user = message.from_user
    sender = Sender(
        user_id=user.id,
        first_name=user.first_name or "",
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )
    return Incoming(
        update_id=update.update_id,
        chat_id=message.chat_id,
        sender=sender,
        kind=kind,
        text=message.text if message.text is not None else message.caption,
        sent_at=_aware(message.date),
        received_at=received_at,
        chat_type=message.chat.type,
    )


class InvalidUpdate(ValueError):
    """An update whose fields have types Telegram never sends; only a forged request has them."""


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
