"""Builders of real-shaped updates, checked against python-telegram-bot's own parsing."""

from __future__ import annotations

import pytest
from telegram import Bot, Update

from quizkit.emulator import SimUser
from quizkit.emulator.updates import (
    callback_query,
    channel_post,
    command_entities,
    edited_message,
    my_chat_member,
    photo_message,
    sticker_message,
    text_message,
)

ANNA = SimUser(user_id=301, first_name="Anna")
MARCO = SimUser(user_id=302, first_name="Marco", last_name="Rossi", username="mrossi", language_code="it")
BOT = Bot("123456789:TESTtokenTESTtokenTESTtokenTESTtoken")


def _parse(payload: dict, update_id: int = 1) -> Update:
    return Update.de_json({"update_id": update_id, **payload}, BOT)


def test_sim_user_omits_missing_optional_fields():
    assert ANNA.to_user() == {"id": 301, "is_bot": False, "first_name": "Anna"}
    assert ANNA.to_private_chat() == {"id": 301, "type": "private", "first_name": "Anna"}
    assert MARCO.to_user() == {
        "id": 302,
        "is_bot": False,
        "first_name": "Marco",
        "last_name": "Rossi",
        "username": "mrossi",
        "language_code": "it",
    }


def test_text_message_is_private_chat_message():
    update = _parse(text_message(MARCO, "Roma", message_id=9, date=1_700_000_000))

    assert update.message.chat.id == MARCO.user_id
    assert update.message.chat.type == "private"
    assert update.message.from_user.language_code == "it"
    assert update.message.message_id == 9
    assert update.message.date.timestamp() == 1_700_000_000
    assert update.message.entities == ()


def test_text_message_marks_leading_command():
    payload = text_message(ANNA, "/start IY4")

    assert payload["message"]["entities"] == [{"offset": 0, "length": 6, "type": "bot_command"}]
    assert _parse({"message": {"message_id": 1, **payload["message"]}}).message.text == "/start IY4"


def test_command_entities_cases():
    assert command_entities("/start@quizkit_bot IY4") == [{"offset": 0, "length": 18, "type": "bot_command"}]
    assert command_entities("/stats") == [{"offset": 0, "length": 6, "type": "bot_command"}]
    assert command_entities("see /help") == []
    assert command_entities("/") == []
    assert command_entities("/path/to") == []


def test_sticker_and_photo_messages_parse():
    sticker = _parse(sticker_message(ANNA, emoji="🎉", message_id=1)).message.sticker
    photo = _parse(photo_message(ANNA, "my answer", message_id=2)).message

    assert sticker.emoji == "🎉"
    assert not sticker.is_animated
    assert photo.caption == "my answer"
    assert [size.width for size in photo.photo] == [90, 800]


def test_edited_message_has_edit_date():
    edited = _parse(edited_message(ANNA, 4, "Rome", date=1_700_000_000, edit_date=1_700_000_060)).edited_message

    assert edited.message_id == 4
    assert edited.text == "Rome"
    assert edited.edit_date.timestamp() == 1_700_000_060


def test_channel_post_comes_from_channel():
    post = _parse(channel_post(-1001, "Quiz night", "Question 1", message_id=3)).channel_post

    assert post.chat.type == "channel"
    assert post.sender_chat.title == "Quiz night"
    assert post.from_user is None


def test_callback_query_carries_message_and_data():
    message = {
        "message_id": 5,
        "from": {"id": 123456789, "is_bot": True, "first_name": "Quizkit", "username": "quizkit_bot"},
        "chat": ANNA.to_private_chat(),
        "date": 1_700_000_000,
        "text": "Pick one",
    }
    first = _parse(callback_query(ANNA, "q1:a", message=message)).callback_query
    second = callback_query(ANNA, "q1:b")["callback_query"]

    assert first.data == "q1:a"
    assert first.message.message_id == 5
    assert first.from_user.id == ANNA.user_id
    assert first.id != second["id"]


def test_my_chat_member_promotion_parses():
    bot_user = {"id": 123456789, "is_bot": True, "first_name": "Quizkit", "username": "quizkit_test_bot"}
    channel = {"id": -1001000000042, "title": "Quiz", "type": "channel"}

    update = _parse(my_chat_member(MARCO, channel, bot_user, "left", "administrator"))

    change = update.my_chat_member
    assert change.old_chat_member.status == "left"
    assert change.new_chat_member.status == "administrator"
    assert change.new_chat_member.can_post_messages is True
    assert change.new_chat_member.can_promote_members is False
    assert change.from_user.id == MARCO.user_id


def test_my_chat_member_rejects_unknown_status():
    bot_user = {"id": 123456789, "is_bot": True, "first_name": "Quizkit"}

    with pytest.raises(ValueError, match="Invalid chat member status 'owner'; use one of administrator, member"):
        my_chat_member(ANNA, ANNA.to_private_chat(), bot_user, "member", "owner")
