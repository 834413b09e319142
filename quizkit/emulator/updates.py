"""Simulated Telegram users and the Bot API update payloads they produce.

Each builder returns an update without `update_id`, ready for `Emulator.send_update`, which
assigns the next update_id. When `message_id` is left out, `send_update` assigns the chat's next
message id, so a crowd can build messages without tracking ids. Dates are Unix seconds.

    >>> alice = SimUser(1001, "Alice", username="alice")
    >>> text_message(alice, "/start IY4")["message"]["entities"]
    [{'offset': 0, 'length': 6, 'type': 'bot_command'}]
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from typing import Any

from quizkit.emulator._html import utf16_length

# A command is "/" and 1-64 letters, digits or underscores, optionally "@" and a bot username.
_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")
_serial_numbers = itertools.count(1)
# The rights of a ChatMemberAdministrator in a channel. Bot API 10.3 requires all but the last two, and
# the emulator grants all but can_promote_members.
ADMINISTRATOR_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
    "can_delete_stories", "can_send_welcome_messages", "can_post_messages", "can_edit_messages",
)  # fmt: skip
MEMBER_STATUSES = ("administrator", "member", "left", "kicked")


@dataclass(frozen=True)
class SimUser:
    """A simulated Telegram user. As on Telegram, only `user_id` and `first_name` are always present."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_user(self) -> dict[str, Any]:
        """Return the Bot API User object for this user."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        _add_optional(user, last_name=self.last_name, username=self.username, language_code=self.language_code)
        return user

    def to_private_chat(self) -> dict[str, Any]:
        """Return the Bot API Chat object of this user's private chat with a bot (chat id = user id)."""
        chat: dict[str, Any] = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        _add_optional(chat, last_name=self.last_name, username=self.username)
        return chat


def now() -> int:
    """Return the current time in Unix seconds, the unit of every Bot API date."""
    return int(time.time())


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entity of a leading `/command` in `text`, or an empty list."""
    match = _LEADING_COMMAND.match(text)
    if match is None:
        return []
    return [{"offset": 0, "length": utf16_length(match.group()), "type": "bot_command"}]


def text_message(
    user: SimUser, text: str, *, message_id: int | None = None, date: int | None = None
) -> dict[str, Any]:
    """Build a `message` update: `user` writes `text` to the bot in their private chat."""
    message = _private_message(user, message_id, date)
    message["text"] = text
    entities = command_entities(text)
    if entities:
        message["entities"] = entities
    return {"message": message}


def sticker_message(
    user: SimUser, *, emoji: str = "👍", message_id: int | None = None, date: int | None = None
) -> dict[str, Any]:
    """Build a `message` update carrying a static sticker."""
    message = _private_message(user, message_id, date)
    file_number = next(_serial_numbers)
    message["sticker"] = {
        "file_id": f"CAACAgIAAxkBAAE{file_number:08d}",
        "file_unique_id": f"AgAD{file_number:08d}",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
        "file_size": 24_000,
    }
    return {"message": message}


def photo_message(
    user: SimUser,
    caption: str | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build a `message` update carrying a photo in two sizes and an optional caption."""
    message = _private_message(user, message_id, date)
    message["photo"] = photo_sizes(f"user{user.user_id}-{next(_serial_numbers)}")
    if caption is not None:
        message["caption"] = caption
    return {"message": message}


def edited_message(
    user: SimUser, message_id: int, text: str, *, date: int | None = None, edit_date: int | None = None
) -> dict[str, Any]:
    """Build an `edited_message` update: `user` changes the text of their message `message_id`."""
    message = _private_message(user, message_id, date)
    message["edit_date"] = edit_date if edit_date is not None else now()
    message["text"] = text
    entities = command_entities(text)
    if entities:
        message["entities"] = entities
    return {"edited_message": message}


def channel_post(
    chat_id: int, title: str, text: str, *, message_id: int | None = None, date: int | None = None
) -> dict[str, Any]:
    """Build a `channel_post` update: a post in channel `chat_id` where the bot is an administrator."""
    chat = {"id": chat_id, "title": title, "type": "channel"}
    post: dict[str, Any] = {"sender_chat": chat, "chat": chat, "date": now() if date is None else date, "text": text}
    if message_id is not None:
        post["message_id"] = message_id
    return {"channel_post": post}


def callback_query(
    user: SimUser, data: str, *, message: dict[str, Any] | None = None, query_id: str | None = None
) -> dict[str, Any]:
    """Build a `callback_query` update: `user` presses an inline button with `data` under `message`.

    `message` is the bot's Message dict that carries the keyboard, for example one returned by
    `Emulator.messages()`.

    NOTE: without `message` the query carries neither `message` nor `inline_message_id`, which
    Telegram never sends. Both client libraries still parse it, and tests use it where the origin
    does not matter.
    """
    chat_id = message["chat"]["id"] if message else user.user_id
    query: dict[str, Any] = {
        "id": query_id if query_id is not None else str(4_000_000_000_000_000 + next(_serial_numbers)),
        "from": user.to_user(),
        "chat_instance": str(7_000_000_000_000_000_000 + abs(chat_id)),
        "data": data,
    }
    if message is not None:
        query["message"] = message
    return {"callback_query": query}


def my_chat_member(
    user: SimUser, chat: dict[str, Any], bot: dict[str, Any], old_status: str, new_status: str,
    *, date: int | None = None,
) -> dict[str, Any]:
    """Build a `my_chat_member` update: `user` changes the bot's status in `chat`.

    `chat` is a Chat object, such as a channel's or `user.to_private_chat()`, and `bot` the bot's
    User object. Statuses are among MEMBER_STATUSES: "administrator" after a promotion, "kicked"
    when a user blocks the bot. Raises ValueError for another status.
    """
    return {
        "my_chat_member": {
            "chat": dict(chat),
            "from": user.to_user(),
            "date": now() if date is None else date,
            "old_chat_member": chat_member(bot, old_status),
            "new_chat_member": chat_member(bot, new_status),
        }
    }


def chat_member(user: dict[str, Any], status: str, rights: dict[str, bool] | None = None) -> dict[str, Any]:
    """Return the ChatMember object of `user` with `status`.

    An administrator has every right that `rights` leaves on.
    """
    if status not in MEMBER_STATUSES:
        raise ValueError(f"Invalid chat member status {status!r}; use one of {', '.join(MEMBER_STATUSES)}.")
    member: dict[str, Any] = {"status": status, "user": dict(user)}
    if status == "administrator":
        overrides = rights or {}
        member.update(can_be_edited=False, is_anonymous=False)
        member.update({right: overrides.get(right, right != "can_promote_members") for right in ADMINISTRATOR_RIGHTS})
    elif status == "kicked":
        member["until_date"] = 0  # banned forever
    return member


def photo_sizes(seed: str) -> list[dict[str, Any]]:
    """Return the PhotoSize list of a photo, smallest first, with file ids derived from `seed`."""
    sizes = [(90, 67, 1_300), (800, 600, 52_000)]
    return [
        {
            "file_id": f"AgACAgQAAxkBAAI{seed}-{width}",
            "file_unique_id": f"AQAD{seed}-{width}",
            "width": width,
            "height": height,
            "file_size": file_size,
        }
        for width, height, file_size in sizes
    ]


def _private_message(user: SimUser, message_id: int | None, date: int | None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": user.to_user(),
        "chat": user.to_private_chat(),
        "date": date if date is not None else now(),
    }
    if message_id is not None:
        message = {"message_id": message_id, **message}
    return message


def _add_optional(target: dict[str, Any], **fields: Any) -> None:
    for name, value in fields.items():
        if value is not None:
            target[name] = value
