"""Several updates in one transaction: each as handle() alone, a failure rolls back only its own update."""

from __future__ import annotations

import sqlite3

import pytest

from quizkit.engine import Engine
from quizkit.errors import StoreError
from quizkit.store import Store
from tests.engine_support import ANNA, BRUNO, CARLA, chat, clock, quiz, store  # noqa: F401  (pytest fixtures)


def _processed_update_ids(store) -> list[int]:
    return [row[0] for row in store._all("SELECT update_id FROM processed_updates ORDER BY update_id")]


def test_handle_many_matches_handle_alone(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")
    chat.send(BRUNO, "/start KX1")

    results = quiz.handle_many([chat.incoming(ANNA, "Roma"), chat.incoming(BRUNO, "Milano")])

    assert [reply.text for replies in results for reply in replies] == [
        "Got it! Your answer to question 1: <b>Roma</b>\n"
        "The results will appear on the channel when the question closes.",
        "Got it! Your answer to question 1: <b>Milano</b>\n"
        "The results will appear on the channel when the question closes.",
    ]
    assert quiz.answer_count(1) == 2


def test_handle_many_drops_duplicate_in_group(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")
    answer = chat.incoming(ANNA, "Roma")

    results = quiz.handle_many([answer, answer])

    assert len(results[0]) == 1
    assert results[1] == []
    assert quiz.answer_count(1) == 1


def _fail_for_bruno(store, monkeypatch, error: Exception) -> None:
    """Make storing Bruno's participant row raise `error`, after the row was written."""
    upsert = store.upsert_participant

    def failing(event_id, sender, seen_at):
        conversation = upsert(event_id, sender, seen_at)
        if sender.user_id == BRUNO.user_id:
            raise error
        return conversation

    monkeypatch.setattr(store, "upsert_participant", failing)


def test_handle_many_rolls_back_failing_update_alone(quiz, chat, store, monkeypatch):
    quiz.open_question(1)
    _fail_for_bruno(store, monkeypatch, RuntimeError("rule failed for Bruno"))
    anna, bruno, carla = (chat.incoming(user, "/start KX1") for user in (ANNA, BRUNO, CARLA))

    results = quiz.handle_many([anna, bruno, carla])

    assert len(results[0]) == 1
    assert isinstance(results[1], RuntimeError)
    assert len(results[2]) == 1
    assert _processed_update_ids(store) == [anna.update_id, carla.update_id]
    assert store.participant(quiz.event.id, BRUNO.user_id) is None
    assert store.participant(quiz.event.id, CARLA.user_id) is not None


def test_handle_many_storage_failure_stores_nothing(quiz, chat, store, monkeypatch):
    quiz.open_question(1)
    _fail_for_bruno(store, monkeypatch, sqlite3.OperationalError("database is locked"))

    with pytest.raises(sqlite3.OperationalError):
        quiz.handle_many([chat.incoming(ANNA, "/start KX1"), chat.incoming(BRUNO, "/start KX1")])

    assert _processed_update_ids(store) == []
    assert store.participant(quiz.event.id, ANNA.user_id) is None


def test_savepoint_outside_transaction_raises(store):
    with pytest.raises(StoreError, match="needs an open transaction"):
        with store.savepoint():
            pass


def test_handle_many_failing_single_update(quiz, chat, store, monkeypatch):
    quiz.open_question(1)

    def failing(event_id, sender, seen_at):
        raise RuntimeError("rule failed")

    monkeypatch.setattr(store, "upsert_participant", failing)
    bruno = chat.incoming(BRUNO, "/start KX1")

    results = quiz.handle_many([bruno])
    monkeypatch.undo()
    retried = quiz.handle_many([bruno])

    assert isinstance(results[0], RuntimeError)
    assert len(retried[0]) == 1
    assert _processed_update_ids(store) == [bruno.update_id]


def test_handle_many_sees_question_opened_elsewhere(quiz, chat, store):
    quiz.handle_many([chat.incoming(ANNA, "/start KX1"), chat.incoming(BRUNO, "/help")])

    other = Store(store.path)
    Engine.load(other, quiz.event.name).open_question(1)
    other.close()
    results = quiz.handle_many([chat.incoming(ANNA, "/start KX1"), chat.incoming(BRUNO, "/start KX1")])

    assert [replies[0].text.splitlines()[0] for replies in results] == ["<b>Question 1</b>"] * 2
    assert quiz.question(1).state.value == "open"
