"""Redelivered update_ids: duplicates for as long as Telegram can redeliver them, pruned after that."""

from __future__ import annotations

from quizkit.engine import PROCESSED_UPDATES_KEPT
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    chat,
    clock,
    quiz,
    store,
)

HOUR_S = 3600.0


def _processed(store, update_id: int) -> bool:
    return store._one("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)) is not None


def test_redelivery_a_day_later_is_duplicate(quiz, chat, clock, store):
    quiz.open_question(1)
    chat.send(ANNA, "KX1")
    answer = chat.incoming(ANNA, "Roma", update_id=9001)
    first = quiz.handle(answer)
    clock.advance(24 * HOUR_S - 1)
    chat.send(BRUNO, "KX1")  # a new update an hour or more later runs the pruning

    again = quiz.handle(answer)
    replayed = quiz.handle(answer, replay=True)

    assert _processed(store, 9001)
    assert again == []
    assert replayed == first
    assert quiz.answer_count(1) == 1


def test_processed_updates_kept_two_days(quiz, chat, clock, store):
    quiz.open_question(1)
    chat.send(ANNA, "KX1", update_id=9101)
    clock.advance(PROCESSED_UPDATES_KEPT.total_seconds() - HOUR_S)
    chat.send(BRUNO, "KX1", update_id=9102)
    kept = _processed(store, 9101)
    clock.advance(2 * HOUR_S)

    chat.send(BRUNO, "help", update_id=9103)

    assert PROCESSED_UPDATES_KEPT.total_seconds() >= 48 * HOUR_S
    assert kept
    assert not _processed(store, 9101)
    assert _processed(store, 9102)
