"""Bot API failures injected by the emulator: quizkit waits, retries, gives up or reports, and keeps sending.

Replies by polling go through the Bot API (`UpdateProcessor.send`), and channel posts and the
edits of tapped messages through the outbox, so both sending paths meet each failure.
"""

from __future__ import annotations

import time

import pytest

from quizkit.emulator import SimUser
from quizkit.server import Server
from tests.conftest import CHANNEL_ID, TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="en")
BOB = SimUser(user_id=222000222, first_name="Bob", language_code="en")
SELECTED = "Question 1\nCapital of Italy?\n\nSend me your answer in a message."
ADMIN_ERROR = (
    f"Cannot post to channel {CHANNEL_ID}: Need administrator rights in the channel chat; "
    "the posts wait in the outbox"
)


def _wait_until(condition, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _texts(emulator, chat_id: int) -> list[str]:
    return [message["text"] for message in emulator.messages(chat_id)]


def _calls_to(emulator, method: str, chat_id: int) -> list[dict]:
    return [call for call in emulator.calls(TOKEN, method) if call["params"].get("chat_id") == str(chat_id)
            or call["params"].get("chat_id") == chat_id]


@pytest.fixture
def polling(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, transport="polling", rate_limit=False,
                api_timeout_s=1.0) as server:
        server.call(engine.open_question, 1)
        assert server.drain_outbox(10)
        yield server


def test_reply_waits_out_flood_limit(polling, emulator):
    emulator.inject_fault(TOKEN, "flood", method="sendMessage", chat_id=ALICE.user_id, count=2, retry_after=1)

    emulator.send_text(TOKEN, ALICE, "/start RM1")

    assert _wait_until(lambda: _texts(emulator, ALICE.user_id) == [SELECTED])
    calls = _calls_to(emulator, "sendMessage", ALICE.user_id)
    assert [call.get("error_code") for call in calls] == [429, 429, None]
    assert calls[1]["time"] - calls[0]["time"] >= 1.0
    assert calls[2]["time"] - calls[1]["time"] >= 1.0


@pytest.mark.parametrize("kind", ["server_error", "disconnect", "timeout"])
def test_reply_retried_after_transient_failure(polling, emulator, kind):
    emulator.inject_fault(TOKEN, kind, method="sendMessage", chat_id=ALICE.user_id, count=2, delay_s=2.0)

    emulator.send_text(TOKEN, ALICE, "/start RM1")

    assert _wait_until(lambda: _texts(emulator, ALICE.user_id) == [SELECTED])
    # A timed-out call is logged when the emulator's delay ends, which can come after the retry that
    # succeeded, so wait for all three and order them by the time the emulator received them.
    assert _wait_until(lambda: len(_calls_to(emulator, "sendMessage", ALICE.user_id)) >= 3)
    calls = sorted(_calls_to(emulator, "sendMessage", ALICE.user_id), key=lambda call: call["time"])
    assert [call["ok"] for call in calls] == [False, False, True]
    assert calls[1]["time"] - calls[0]["time"] >= 0.5
    assert calls[2]["time"] - calls[1]["time"] >= 1.0
    assert polling.status().errors == 0


def test_reply_given_up_after_repeated_failures(polling, emulator):
    emulator.inject_fault(TOKEN, "server_error", method="sendMessage", chat_id=ALICE.user_id, count=None)

    emulator.send_text(TOKEN, ALICE, "/start RM1")
    emulator.send_text(TOKEN, BOB, "/start RM1")

    assert _wait_until(lambda: _texts(emulator, BOB.user_id) == [SELECTED])
    assert _wait_until(lambda: polling.status().errors == 1)
    assert len(_calls_to(emulator, "sendMessage", ALICE.user_id)) == 4
    assert polling.status().last_error == f"sendMessage for chat {ALICE.user_id} failed: Internal Server Error"


def test_blocked_participant_marked_not_retried(polling, engine, emulator):
    emulator.inject_fault(TOKEN, "blocked", method="sendMessage", chat_id=ALICE.user_id, count=None)

    emulator.send_text(TOKEN, ALICE, "/start RM1")
    emulator.send_text(TOKEN, BOB, "/start RM1")

    assert _wait_until(lambda: _texts(emulator, BOB.user_id) == [SELECTED])
    assert _wait_until(lambda: polling.call(engine.is_blocked, ALICE.user_id))
    time.sleep(0.5)
    assert len(_calls_to(emulator, "sendMessage", ALICE.user_id)) == 1
    assert polling.call(engine.is_blocked, BOB.user_id) is False
    assert polling.status().errors == 0


def test_block_update_marks_participant(polling, engine, emulator):
    emulator.send_text(TOKEN, ALICE, "/start RM1")
    emulator.block_bot(TOKEN, ALICE)
    assert emulator.wait_delivered(TOKEN, 15)

    assert polling.call(engine.blocked_users) == [ALICE.user_id]

    emulator.unblock_bot(TOKEN, ALICE)
    assert emulator.wait_delivered(TOKEN, 15)
    assert polling.call(engine.blocked_users) == []


def test_tap_confirmations_go_on_after_one_blocked(engine, emulator):
    engine.add_question(text="Largest city?", kind="choice", options=["Milano", "Roma"], answers=["Milano"],
                        code="CH3")
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, "CH3")
        for user in (ALICE, BOB):
            emulator.send_text(TOKEN, user, "/start CH3")
        assert emulator.wait_delivered(TOKEN, 15)
        emulator.inject_fault(TOKEN, "blocked", method="editMessageText", chat_id=ALICE.user_id, count=None)
        for user in (ALICE, BOB):
            emulator.tap(TOKEN, user, emulator.messages(user.user_id)[0]["message_id"], "1. Milano")
        assert emulator.wait_delivered(TOKEN, 15)
        assert server.drain_outbox(15)
        blocked = server.call(engine.blocked_users)
        errors = server.status().errors

    assert blocked == [ALICE.user_id]
    assert errors == 0
    assert len(_calls_to(emulator, "editMessageText", ALICE.user_id)) == 1
    assert _texts(emulator, BOB.user_id)[0].startswith("Question 3\nLargest city?\n\nGot it! Your answer")
    assert "reply_markup" not in emulator.messages(BOB.user_id)[0]


def test_channel_without_rights_reported_posts_wait(engine, emulator):
    emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests", bot_is_admin=False)

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, 1)
        server.call(engine.open_question, 2)
        assert _wait_until(lambda: server.status().channel_error is not None)
        status = server.status()
        pending = len(server.call(engine.outbox_pending, 10))

        emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests", bot_is_admin=True)
        assert server.drain_outbox(40)
        recovered = server.status()

    assert status.channel_error == ADMIN_ERROR
    assert status.last_error == ADMIN_ERROR
    assert status.errors >= 1
    assert pending == 2
    assert [text.splitlines()[0] for text in _texts(emulator, CHANNEL_ID)] == ["Question 1", "Question 2"]
    assert recovered.channel_error is None


def test_channel_not_found_then_posts_once(engine, emulator):
    emulator.inject_fault(TOKEN, "chat_not_found", chat_id=CHANNEL_ID, count=None)

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, 1)
        assert _wait_until(lambda: server.status().channel_error is not None)
        error = server.status().channel_error
        emulator.clear_faults(TOKEN)
        assert server.drain_outbox(40)

    assert error == f"Cannot post to channel {CHANNEL_ID}: Chat not found; the posts wait in the outbox"
    assert len(emulator.messages(CHANNEL_ID)) == 1


def test_channel_posts_retried_in_order(engine, emulator):
    emulator.inject_fault(TOKEN, "server_error", method="sendMessage", chat_id=CHANNEL_ID, count=2, status=502)

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, 1)
        server.call(engine.open_question, 2)
        assert server.drain_outbox(40)

    assert [text.splitlines()[0] for text in _texts(emulator, CHANNEL_ID)] == ["Question 1", "Question 2"]
    assert [call["ok"] for call in _calls_to(emulator, "sendMessage", CHANNEL_ID)] == [False, False, True, True]


def test_edit_not_modified_counts_as_sent(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, 1)
        assert server.drain_outbox(10)
        emulator.inject_fault(TOKEN, "not_modified", method="editMessageText", chat_id=CHANNEL_ID)
        server.call(engine.close_question, 1, ["Rome"])
        assert server.drain_outbox(10)
        status = server.status()

    assert len(_calls_to(emulator, "editMessageText", CHANNEL_ID)) == 1
    assert status.errors == 0
    assert status.channel_error is None


def test_channel_post_waits_out_flood_limit(engine, emulator):
    emulator.inject_fault(TOKEN, "flood", method="sendMessage", chat_id=CHANNEL_ID, count=2, retry_after=1)

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, 1)
        assert server.drain_outbox(20)

    calls = _calls_to(emulator, "sendMessage", CHANNEL_ID)
    assert [call.get("error_code") for call in calls] == [429, 429, None]
    assert calls[1]["time"] - calls[0]["time"] >= 1.0
    assert calls[2]["time"] - calls[1]["time"] >= 1.0
    assert len(emulator.messages(CHANNEL_ID)) == 1
