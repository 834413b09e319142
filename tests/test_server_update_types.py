"""Every update type the Bot API sends reaches the bot through the emulator and its webhook, each with its rule.

The rules are the table in `quizkit.bot.incoming`, which reads each update's JSON in the server. The
emulator delivers the types that the server's allowed_updates leaves out with `unfiltered=True`, as
a stale allowed_updates list would.
"""

from __future__ import annotations

import logging
import time

import pytest

from quizkit.emulator import SimUser
from quizkit.emulator.updates import callback_query, edited_message, text_message
from quizkit.server import Server
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="en")
GROUP = {"id": -1001999000111, "type": "supergroup", "title": "Classe 3B"}
SEND_TEXT = "Please send your answer to question 1 as a text message."
DATE = 1_700_000_000


@pytest.fixture
def server(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as running:
        running.call(engine.open_question, 1)
        _deliver(emulator, text_message(ALICE, "/start RM1"))
        yield running


def _deliver(emulator, payload, unfiltered: bool = False) -> int:
    update_id = emulator.send_update(TOKEN, payload, unfiltered=unfiltered)
    assert emulator.wait_delivered(TOKEN, 15), f"update {update_id} was not acknowledged"
    return update_id


def _private_message(**content) -> dict:
    message = {"from": ALICE.to_user(), "chat": ALICE.to_private_chat(), "date": DATE, **content}
    return {"message": message}


def _replies(emulator) -> list[str]:
    """Return the texts of the bot's messages to Alice after the reply to "/start RM1"."""
    return [message["text"] for message in emulator.messages(ALICE.user_id)][1:]


def _wait_for_replies(emulator, count: int, timeout_s: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while len(_replies(emulator)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return _replies(emulator)


def _warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING
            and record.name.startswith("quizkit")]


NOT_TEXT_MESSAGES = {
    "sticker": {"sticker": {"file_id": "CAAC1", "file_unique_id": "AgAD1", "type": "regular", "width": 512,
                            "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}},
    "photo with caption": {"photo": [{"file_id": "AgAC1", "file_unique_id": "AQAD1", "width": 90, "height": 67}],
                           "caption": "Rome"},
    "voice": {"voice": {"file_id": "AwAC1", "file_unique_id": "AgAD2", "duration": 3}},
    "video": {"video": {"file_id": "BAAC1", "file_unique_id": "AgAD3", "width": 640, "height": 480, "duration": 5},
              "caption": "Rome"},
    "document": {"document": {"file_id": "BQAC1", "file_unique_id": "AgAD4", "file_name": "answer.txt"}},
    "location": {"location": {"latitude": 41.9028, "longitude": 12.4964}},
    "contact": {"contact": {"phone_number": "+390612345678", "first_name": "Rome"}},
    "poll": {"poll": {"id": "5001", "question": "Rome?", "options": [{"persistent_id": "0", "text": "Rome", "voter_count": 0}],
                      "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
                      "allows_multiple_answers": False, "allows_revoting": False, "members_only": False}},
    "dice": {"dice": {"emoji": "🎲", "value": 4}},
}


@pytest.mark.parametrize("case", NOT_TEXT_MESSAGES)
def test_update_not_text_gets_send_text(server, engine, emulator, caplog, case):
    _deliver(emulator, _private_message(**NOT_TEXT_MESSAGES[case]))

    assert _wait_for_replies(emulator, 1) == [SEND_TEXT]
    assert server.call(engine.answer_count, 1) == 0
    assert server.status().updates_rejected == 0
    assert _warnings(caplog) == []


def test_update_forwarded_answer_not_counted(server, engine, emulator, caplog):
    origin = {"type": "user", "date": DATE, "sender_user": {"id": 222, "is_bot": False, "first_name": "Bob"}}
    _deliver(emulator, _private_message(text="Rome", forward_origin=origin))

    assert _wait_for_replies(emulator, 1) == [
        "I don't read forwarded messages. To answer, type your answer in a new message."
    ]
    assert server.call(engine.answer_count, 1) == 0
    assert _warnings(caplog) == []


def test_update_edited_answer_keeps_first(server, engine, emulator, caplog):
    _deliver(emulator, text_message(ALICE, "Milan"))
    # Alice's "/start RM1" is message 1, the bot's reply 2, and her "Milan" 3.
    _deliver(emulator, edited_message(ALICE, 3, "Rome"))

    replies = _wait_for_replies(emulator, 2)
    assert replies[1] == "I don't read edited messages. To answer, send a new message."
    stored = server.call(engine.store.answer, engine.question(1).id, ALICE.user_id)
    assert stored.raw_text == "Milan"
    assert _warnings(caplog) == []


@pytest.mark.parametrize("update_type", ["channel_post", "edited_channel_post"])
def test_update_channel_post_ignored(server, emulator, caplog, update_type):
    chat = {"id": CHANNEL_ID, "type": "channel", "title": "Quizkit tests"}
    post = {"message_id": 77, "sender_chat": chat, "chat": chat, "date": DATE, "text": "Rome"}
    if update_type == "edited_channel_post":
        post["edit_date"] = DATE + 5
    _deliver(emulator, {update_type: post}, unfiltered=True)

    assert server.drain_outbox(10)
    assert len(emulator.messages(CHANNEL_ID)) == 1  # the announcement of question 1, nothing in reply
    assert _replies(emulator) == []
    assert server.status().updates_rejected == 0
    assert _warnings(caplog) == []


def test_update_group_start_with_bot_name(server, engine, emulator, caplog):
    emulator.send_text(TOKEN, ALICE, f"/start@{BOT_USERNAME} RM1", chat_id=GROUP["id"])
    emulator.send_text(TOKEN, ALICE, "Rome", chat_id=GROUP["id"])
    assert emulator.wait_delivered(TOKEN, 15)

    group_messages = [message["text"] for message in emulator.messages(GROUP["id"])]
    assert group_messages == [
        "The quiz is played only in a private chat with me. "
        f"Open https://t.me/{BOT_USERNAME}?start=RM1 and we'll continue there."
    ]
    assert server.call(engine.answer_count, 1) == 0
    assert _warnings(caplog) == []


@pytest.mark.parametrize("data, alert", [
    ("not-ours", "This button is not valid. Send the question's code again to get new buttons."),
    ("c:1:999:0", "This button belongs to a question that is no longer in the quiz. Send the code shown on the channel."),
])
def test_update_callback_unknown_or_stale_data(server, engine, emulator, caplog, data, alert):
    payload = callback_query(ALICE, data)
    query_id = payload["callback_query"]["id"]
    _deliver(emulator, payload)

    answer = emulator.callback_answer(TOKEN, query_id)
    assert answer is not None
    assert answer["show_alert"] is True
    assert answer["text"] == alert
    assert server.call(engine.answer_count, 1) == 0
    assert _warnings(caplog) == []


def _member(status: str, user: dict) -> dict:
    return {"status": status, "user": user, **({"until_date": 0} if status == "kicked" else {})}


def _member_change(status: str, chat: dict | None = None) -> dict:
    bot_user = {"id": 123456789, "is_bot": True, "first_name": "Quizkit", "username": BOT_USERNAME}
    old_status = "member" if status == "kicked" else "kicked"
    return {"my_chat_member": {
        "chat": chat or ALICE.to_private_chat(), "from": ALICE.to_user(), "date": DATE,
        "old_chat_member": _member(old_status, bot_user),
        "new_chat_member": _member(status, bot_user),
    }}


def test_update_my_chat_member_blocks_and_restarts(server, engine, emulator, caplog):
    _deliver(emulator, _member_change("kicked"))
    assert server.call(engine.is_blocked, ALICE.user_id) is True
    assert server.call(engine.blocked_users) == [ALICE.user_id]

    _deliver(emulator, _member_change("member"))
    assert server.call(engine.is_blocked, ALICE.user_id) is False
    assert _replies(emulator) == []
    assert _warnings(caplog) == []


def test_update_my_chat_member_in_group_ignored(server, engine, emulator, caplog):
    _deliver(emulator, _member_change("kicked", chat=GROUP))

    assert server.call(engine.blocked_users) == []
    assert server.status().updates_rejected == 0
    assert _warnings(caplog) == []


ALICE_USER = ALICE.to_user()
IGNORED_UPDATES = {
    "chat_member": {
        "chat": GROUP, "from": ALICE_USER, "date": DATE,
        "old_chat_member": {"status": "left", "user": ALICE_USER},
        "new_chat_member": {"status": "member", "user": ALICE_USER},
    },
    "chat_join_request": {"chat": GROUP, "from": ALICE_USER, "user_chat_id": ALICE.user_id, "date": DATE},
    "inline_query": {"id": "9001", "from": ALICE_USER, "query": "RM1", "offset": ""},
    "chosen_inline_result": {"result_id": "r1", "from": ALICE_USER, "query": "RM1"},
    "poll": {"id": "5001", "question": "Rome?", "options": [{"persistent_id": "0", "text": "Rome", "voter_count": 1}],
             "total_voter_count": 1, "is_closed": False, "is_anonymous": True, "type": "regular",
             "allows_multiple_answers": False, "allows_revoting": False, "members_only": False},
    "poll_answer": {"poll_id": "5001", "user": ALICE_USER, "option_ids": [0], "option_persistent_ids": ["0"]},
    "message_reaction": {"chat": ALICE.to_private_chat(), "message_id": 2, "user": ALICE_USER, "date": DATE,
                         "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]},
    "message_reaction_count": {"chat": GROUP, "message_id": 2, "date": DATE,
                               "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 3}]},
    "business_connection": {"id": "bc1", "user": ALICE_USER, "user_chat_id": ALICE.user_id, "date": DATE,
                            "is_enabled": True},
    "business_message": {"message_id": 5, "from": ALICE_USER, "chat": ALICE.to_private_chat(), "date": DATE,
                         "text": "Rome", "business_connection_id": "bc1"},
    "edited_business_message": {"message_id": 5, "from": ALICE_USER, "chat": ALICE.to_private_chat(),
                                "date": DATE, "edit_date": DATE + 1, "text": "Roma",
                                "business_connection_id": "bc1"},
    "deleted_business_messages": {"business_connection_id": "bc1", "chat": ALICE.to_private_chat(),
                                  "message_ids": [5]},
    "chat_boost": {"chat": GROUP, "boost": {"boost_id": "b1", "add_date": DATE, "expiration_date": DATE + 86400,
                                            "source": {"source": "premium", "user": ALICE_USER}}},
    "removed_chat_boost": {"chat": GROUP, "boost_id": "b1", "remove_date": DATE,
                           "source": {"source": "premium", "user": ALICE_USER}},
    "shipping_query": {"id": "s1", "from": ALICE_USER, "invoice_payload": "p",
                       "shipping_address": {"country_code": "IT", "state": "", "city": "Roma",
                                            "street_line1": "Via Roma 1", "street_line2": "", "post_code": "00100"}},
    "pre_checkout_query": {"id": "p1", "from": ALICE_USER, "currency": "EUR", "total_amount": 100,
                           "invoice_payload": "p"},
    "purchased_paid_media": {"from": ALICE_USER, "paid_media_payload": "p"},
    "quiz_night_started": {"id": 1, "note": "an update type from a Bot API newer than python-telegram-bot"},
}


@pytest.mark.parametrize("update_type", IGNORED_UPDATES)
def test_update_type_ignored_without_error(server, engine, emulator, caplog, update_type):
    _deliver(emulator, {update_type: IGNORED_UPDATES[update_type]}, unfiltered=True)
    _deliver(emulator, text_message(ALICE, "Rome"))

    assert _wait_for_replies(emulator, 1) == ["Got it! Your answer to question 1: Rome\nThe results will appear on the channel when the question closes."]
    assert server.call(engine.answer_count, 1) == 1
    assert server.status().updates_rejected == 0
    assert server.status().errors == 0
    assert _warnings(caplog) == []
