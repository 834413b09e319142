"""The channel outbox: ready items, sent and failed reports, edit targets."""

from __future__ import annotations

import pytest

from quizkit.engine import Engine
from quizkit.errors import OutboxItemNotFound
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    chat,
    clock,
    make_engine,
    quiz,
    store,
)


def test_outbox_pending_oldest_first(quiz):
    quiz.open_question(1)
    quiz.open_question(2)

    items = quiz.outbox_pending()

    assert [(item.purpose, item.question_id) for item in items] == [
        ("announcement", quiz.question(1).id),
        ("announcement", quiz.question(2).id),
    ]
    assert items[0].chat_id == -1001
    assert items[0].action == "send"
    assert items[0].attempts == 0


def test_outbox_pending_limit(quiz):
    quiz.open_question(1)
    quiz.open_question(2)

    assert len(quiz.outbox_pending(limit=1)) == 1


def test_outbox_pending_rejects_zero_limit(quiz):
    with pytest.raises(ValueError):
        quiz.outbox_pending(limit=0)


def test_outbox_edit_waits_for_announcement_id(quiz):
    quiz.open_question(1)
    quiz.close_question(1)

    assert [item.purpose for item in quiz.outbox_pending()] == ["announcement", "results"]


def test_outbox_sent_stores_announcement_id(quiz):
    quiz.open_question(1)
    quiz.close_question(1)
    announcement = quiz.outbox_pending()[0]

    quiz.outbox_sent(announcement.id, 555)

    ready = quiz.outbox_pending()
    assert [item.purpose for item in ready] == ["results", "answer_reveal"]
    assert quiz.question(1).announcement_message_id == 555
    assert quiz.outbox_target(ready[1]) == 555
    assert quiz.outbox_target(ready[0]) is None


def test_outbox_sent_twice_keeps_first(quiz, store):
    quiz.open_question(1)
    announcement = quiz.outbox_pending()[0]
    quiz.outbox_sent(announcement.id, 555)

    quiz.outbox_sent(announcement.id, 777)

    assert quiz.question(1).announcement_message_id == 555
    assert store.outbox_record(announcement.id).message_id == 555


def test_outbox_failed_keeps_item_pending(quiz, store):
    quiz.open_question(1)
    announcement = quiz.outbox_pending()[0]

    quiz.outbox_failed(announcement.id, "429 Too Many Requests: retry after 3")
    quiz.outbox_failed(announcement.id, "timed out")

    record = store.outbox_record(announcement.id)
    assert record.status == "pending"
    assert record.item.attempts == 2
    assert record.last_error == "timed out"
    assert quiz.outbox_pending()[0].attempts == 2


def test_outbox_unknown_item_raises(quiz, store):
    with pytest.raises(OutboxItemNotFound) as raised:
        quiz.outbox_sent(99, 1)

    assert str(raised.value) == f"Outbox item 99 not found in {store.path!r}; use an id from outbox_pending()."


def test_outbox_failed_unknown_item_raises(quiz):
    with pytest.raises(OutboxItemNotFound):
        quiz.outbox_failed(99, "error")


def test_outbox_empty_without_channel(store, clock, chat):
    silent = Engine.create_event(store, name="no-channel", language="en", channel_id=None, bot_username="quizkit_bot", clock=clock)
    silent.add_question(text="Capital of Italy?", answers=["Roma"], code="KX1")
    silent.open_question(1)
    silent.close_question(1)
    silent.post_leaderboard()

    assert silent.outbox_pending() == []
    assert silent.refresh_live_counts() == 0


def test_outbox_belongs_to_its_event(store, clock, quiz):
    other = make_engine(store, clock, name="other-event")
    other.open_question(1)

    assert quiz.outbox_pending() == []
    assert len(other.outbox_pending()) == 1


def test_outbox_interrupted_returns_items_in_flight(quiz, store):
    quiz.open_question(1)
    quiz.close_question(1)
    announcement, results = quiz.outbox_pending()
    quiz.outbox_sending(announcement.id)
    quiz.outbox_sent(announcement.id, 555)
    quiz.outbox_sending(results.id)

    interrupted = quiz.outbox_interrupted()

    assert [item.id for item in interrupted] == [results.id]
    assert quiz.outbox_interrupted() == []
    assert [item.id for item in quiz.outbox_pending()][0] == results.id
    assert store._one("SELECT interrupted FROM outbox WHERE id = ?", (results.id,))[0] == 1
    assert store._one("SELECT interrupted FROM outbox WHERE id = ?", (announcement.id,))[0] == 0


def test_outbox_failed_clears_sending_mark(quiz):
    quiz.open_question(1)
    announcement = quiz.outbox_pending()[0]
    quiz.outbox_sending(announcement.id)

    quiz.outbox_failed(announcement.id, "timed out")

    assert quiz.outbox_interrupted() == []
