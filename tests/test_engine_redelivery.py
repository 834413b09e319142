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


def _last_seen(store, user_id: int) -> str:
    return store._one("SELECT last_seen_at FROM participants WHERE user_id = ?", (user_id,))[0]


def _row_counts(store) -> tuple[int, int, int, int]:
    return tuple(
        store._one(f"SELECT COUNT(*) FROM {table}")[0]
        for table in ("participants", "answers", "processed_updates", "outbox")
    )


def _anna_answered_a_minute_ago(quiz, chat, clock, store):
    """Open question 1, store Anna's answer and move the clock on; return the update, its replies and her last_seen_at."""
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")
    answer = chat.incoming(ANNA, "Roma")
    first = quiz.handle(answer)
    seen_before = _last_seen(store, ANNA.user_id)
    clock.advance(60)
    return answer, first, seen_before


def test_redelivery_in_later_group_replays_replies(quiz, chat, clock, store):
    quiz.open_question(1)
    quiz.handle_many([chat.incoming(ANNA, "/start KX1"), chat.incoming(BRUNO, "/start KX1")])
    anna_answer = chat.incoming(ANNA, "Roma")
    first = quiz.handle_many([anna_answer, chat.incoming(BRUNO, "Milano")])
    seen_before = _last_seen(store, ANNA.user_id)
    counts_before = _row_counts(store)
    clock.advance(60)

    again = quiz.handle_many([anna_answer, chat.incoming(BRUNO, "HT2")])

    assert again[0] == first[0]
    assert again[0][0].text.startswith("Got it! Your answer to question 1")
    assert _last_seen(store, ANNA.user_id) == seen_before
    assert _last_seen(store, BRUNO.user_id) != seen_before
    assert _row_counts(store)[:2] == counts_before[:2]
    assert _row_counts(store)[2] == counts_before[2] + 1
    assert quiz.answer_count(1) == 2


def test_redelivery_alone_stores_nothing(quiz, chat, clock, store):
    answer, first, seen_before = _anna_answered_a_minute_ago(quiz, chat, clock, store)
    counts_before = _row_counts(store)

    grouped = quiz.handle_many([answer])
    plain = quiz.handle(answer)
    replayed = quiz.handle(answer, replay=True)

    assert grouped == [first]
    assert plain == []
    assert replayed == first
    assert _last_seen(store, ANNA.user_id) == seen_before
    assert _row_counts(store) == counts_before


def test_redelivery_replays_when_rules_now_fail(quiz, chat, clock, store, monkeypatch):
    answer, first, seen_before = _anna_answered_a_minute_ago(quiz, chat, clock, store)

    def failing(*args, **kwargs):
        raise RuntimeError("rule failed")

    monkeypatch.setattr(store, "answer", failing)

    assert quiz.handle(answer, replay=True) == first
    assert quiz.handle_many([answer, chat.incoming(BRUNO, "/help")])[0] == first
    assert _last_seen(store, ANNA.user_id) == seen_before
    assert quiz.answer_count(1) == 1


def test_redelivery_in_caller_transaction_keeps_writes(quiz, chat, clock, store):
    answer, first, seen_before = _anna_answered_a_minute_ago(quiz, chat, clock, store)

    with store.transaction():
        store.set_blocked(quiz.event.id, BRUNO.user_id, True, clock.now)
        replayed = quiz.handle(answer, replay=True)

    assert replayed == first
    assert _last_seen(store, ANNA.user_id) == seen_before
    assert quiz.blocked_users() == [BRUNO.user_id]


def test_prune_still_runs_once_an_hour(quiz, chat, clock, store):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1", update_id=9201)
    clock.advance(PROCESSED_UPDATES_KEPT.total_seconds() + HOUR_S)

    quiz.handle_many([chat.incoming(BRUNO, "/start KX1", update_id=9202),
                      chat.incoming(ANNA, "/help", update_id=9203)])

    assert not _processed(store, 9201)
    assert _processed(store, 9202)
    assert _processed(store, 9203)
