"""The polling transport against the emulator: offsets, replies, one poller per token."""

from __future__ import annotations

import pytest

from quizkit.emulator import SimUser
from quizkit.engine import Engine
from quizkit.server import Server
from quizkit.server.polling import PollerAlreadyRunning
from tests.conftest import TOKEN

BOB = SimUser(user_id=222000222, first_name="Bob", username="bob", language_code="en")


def _polling_server(engine, emulator) -> Server:
    return Server(engine, TOKEN, api_url=emulator.base_url, transport="polling", rate_limit=False)


def test_polling_deletes_webhook_keeping_pending_updates(engine, emulator):
    with _polling_server(engine, emulator):
        calls = emulator.calls(TOKEN, "deleteWebhook")

    assert len(calls) == 1
    assert str(calls[0]["params"].get("drop_pending_updates", False)).lower() in ("false", "0")


def test_polling_stores_answers_and_replies(engine, emulator):
    with _polling_server(engine, emulator) as server:
        server.call(engine.open_question, 2)
        emulator.send_text(TOKEN, BOB, "/start kx2")
        emulator.send_text(TOKEN, BOB, " 42 ")
        assert emulator.wait_delivered(TOKEN, 15)
        stored = server.call(engine.answer_count, 2)

    assert stored == 1
    assert len(emulator.messages(BOB.user_id)) == 2


def test_polling_confirms_offset_after_storing(engine, emulator):
    with _polling_server(engine, emulator) as server:
        server.call(engine.open_question, 1)
        first = emulator.send_text(TOKEN, BOB, "/start RM1")
        assert emulator.wait_delivered(TOKEN, 15)

    with _polling_server(engine, emulator) as server:
        second = emulator.send_text(TOKEN, BOB, "Roma")
        assert emulator.wait_delivered(TOKEN, 15)
        stored = server.call(engine.answer_count, 1)

    assert second > first
    assert stored == 1
    # /start and the answer each got exactly one reply: nothing was handled twice after the restart.
    assert len(emulator.messages(BOB.user_id)) == 2
    # A poller's first getUpdates has no offset yet and leaves it out rather than sending null.
    polls = emulator.calls(TOKEN, "getUpdates")
    assert "offset" not in polls[0]["params"]
    assert all(call["params"].get("offset", 0) is not None for call in polls)


def test_polling_second_poller_same_token_rejected(engine, emulator):
    other_event = Engine.create_event(engine.store, name="other-event", language="en", channel_id=None,
                                      bot_username="quizkit_test_bot")
    with _polling_server(engine, emulator):
        with pytest.raises(PollerAlreadyRunning, match="already runs in this process"):
            _polling_server(other_event, emulator).start()
