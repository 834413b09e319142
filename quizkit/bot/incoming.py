"""Reduce a python-telegram-bot `Update` to the engine's `Incoming` record."""

from __future__ import annotations

from datetime import datetime, timezone

from telegram import Message, Update

from quizkit.model import Incoming, MessageKind, Sender


def to_incoming(update: Update, received_at: datetime) -> Incoming | None:
    """Return the engine input for `update`, or None when no quiz rule applies to it.

    Channel posts, updates without a sender and update types the quiz does not use (polls,
    chat member changes, ...) return None, so the caller acknowledges them and replies nothing.
    """
    message = update.message or update.edited_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None

    kind = MessageKind.EDITED if update.edited_message is not None else _message_kind(message)
    user = message.from_user
    sender = Sender(
        user_id=user.id,
        first_name=user.first_name,
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
    )


def _message_kind(message: Message) -> MessageKind:
    if message.text is not None:
        return MessageKind.TEXT
    if message.sticker is not None:
        return MessageKind.STICKER
    if message.photo:
        return MessageKind.PHOTO
    return MessageKind.OTHER


def _aware(moment: datetime) -> datetime:
    # python-telegram-bot 22 returns aware UTC datetimes unless a Defaults.tzinfo says otherwise.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
