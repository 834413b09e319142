"""Time closing a question with many answers, and the leaderboard over many more, on seeded SQLite files.

The answers are written with plain SQL, much faster than through the engine; the timed calls are
the engine's own: `close_question` (ranking, totals, channel posts queued) and `leaderboard`.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from quizkit.engine import Engine
from quizkit.store import Store

CLOSE_ANSWERS = 10_000
LEADERBOARD_PARTICIPANTS = 20_000
LEADERBOARD_QUESTIONS = 50  # 20,000 participants x 50 questions = 1,000,000 answers
_OPENED_AT = datetime(2016, 10, 20, 10, 0, tzinfo=timezone.utc)


def run_closing(quick: bool = False) -> dict:
    """Return the seconds to close a 10,000-answer question and to rank 1,000,000 answers.

    `quick` uses 1,000 and 20,000 answers, to show the code runs.
    """
    close_answers = 1_000 if quick else CLOSE_ANSWERS
    participants = 400 if quick else LEADERBOARD_PARTICIPANTS
    with tempfile.TemporaryDirectory(prefix="quizkit-closing-") as folder:
        close_s = time_close(Path(folder, "close.db"), close_answers)
        top_s, full_s = time_leaderboard(Path(folder, "leaderboard.db"), participants, LEADERBOARD_QUESTIONS)
    return {
        "close_answers": close_answers,
        "close_10k_s": round(close_s, 3),
        "leaderboard_answers": participants * LEADERBOARD_QUESTIONS,
        "leaderboard_1m_s": round(top_s, 3),
        "leaderboard_1m_full_s": round(full_s, 3),
    }


def time_close(db_path: Path, answers: int) -> float:
    """Seed one open question with `answers` answers from as many participants; return the seconds to close it."""
    store = Store(db_path)
    try:
        engine = _event(store, questions=1)
        engine.open_question(1)
        event_id = engine.event.id
        question_id = engine.question(1).id
    finally:
        store.close()

    rng = random.Random(2016)
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("UPDATE questions SET opened_at = ? WHERE id = ?", (_OPENED_AT.isoformat(), question_id))
        _insert_participants(connection, event_id, answers)
        rows = []
        for user in range(answers):
            text = "Ada Lovelace" if rng.random() < 0.6 else "Alan Turing"
            rows.append(_answer_row(event_id, question_id, user, user + 1, text, rng, correct=None, rank=None))
        _insert_answers(connection, rows)
    connection.close()

    store = Store(db_path)
    try:
        engine = Engine.load(store, "bench-closing")
        started = time.perf_counter()
        engine.close_question(1)
        return time.perf_counter() - started
    finally:
        store.close()


def time_leaderboard(db_path: Path, participants: int, questions: int) -> tuple[float, float]:
    """Seed `questions` closed questions answered by every participant; return the seconds for the top 10 and for all rows."""
    store = Store(db_path)
    try:
        engine = _event(store, questions=questions)
        event_id = engine.event.id
        question_ids = [question.id for question in engine.questions()]
    finally:
        store.close()

    rng = random.Random(2016)
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("UPDATE questions SET state = 'closed', opened_at = ?, closed_at = ?",
                           (_OPENED_AT.isoformat(), (_OPENED_AT + timedelta(minutes=2)).isoformat()))
        _insert_participants(connection, event_id, participants)
        update_id = 0
        for question_id in question_ids:
            rows = []
            rank = 0
            for user in range(participants):
                update_id += 1
                correct = rng.random() < 0.5
                rank += correct
                rows.append(_answer_row(event_id, question_id, user, update_id, "x", rng,
                                        correct=int(correct), rank=rank if correct else None))
            _insert_answers(connection, rows)
    connection.close()

    store = Store(db_path)
    try:
        engine = Engine.load(store, "bench-closing")
        started = time.perf_counter()
        engine.leaderboard(10)
        top_s = time.perf_counter() - started
        started = time.perf_counter()
        engine.leaderboard()
        return top_s, time.perf_counter() - started
    finally:
        store.close()


def _event(store: Store, questions: int) -> Engine:
    engine = Engine.create_event(store, name="bench-closing", language="it", channel_id=-1001000000003,
                                 bot_username="quizkit_bench_bot")
    for number in range(questions):
        engine.add_question(text=f"Who wrote the first program? ({number + 1})", answers=["Ada Lovelace", "Ada"])
    return engine


def _insert_participants(connection: sqlite3.Connection, event_id: int, count: int) -> None:
    seen = _OPENED_AT.isoformat()
    connection.executemany(
        "INSERT INTO participants (event_id, user_id, first_name, last_name, username, language_code, "
        "head_count, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, 'it', ?, ?, ?)",
        [(event_id, _user_id(user), f"Name{user}", f"Surname{user}", f"user{user}", 1 + user % 20, seen, seen)
         for user in range(count)],
    )


def _answer_row(event_id: int, question_id: int, user: int, update_id: int, text: str, rng: random.Random,
                correct: int | None, rank: int | None) -> tuple:
    # A closed question's answers carry their delay, as close_question stores it; open ones have none yet.
    delay = timedelta(microseconds=rng.randrange(1_000_000, 120_000_000))
    received = (_OPENED_AT + delay).isoformat()
    delay_us = None if correct is None else delay // timedelta(microseconds=1)
    return (event_id, question_id, _user_id(user), update_id, text, text.lower(), received, received, correct, rank,
            delay_us)


def _insert_answers(connection: sqlite3.Connection, rows: list[tuple]) -> None:
    connection.executemany(
        "INSERT INTO answers (event_id, question_id, user_id, update_id, raw_text, normalised, sent_at, "
        "received_at, late, correct, rank, delay_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
        rows,
    )


def _user_id(user: int) -> int:
    return 100_000_000 + user
