"""Cheap reads of a running event for displays that refresh every second.

`quizkit.analysis.load` reads a whole event into DataFrames, which is right after the event and too
slow to repeat every second during it. `read_live` answers only what a live display shows: each
question's state and answer count, and the newest answers of one question with its counts, in a
handful of indexed queries over a read-only connection.

    with connect_reader("quiz.db") as connection:
        snapshot = read_live(connection, event_id, question=None, limit=20)
        snapshot.current.code, snapshot.answers, snapshot.recent
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from quizkit.model import Participant

__all__ = ["LiveAnswer", "LiveQuestion", "LiveSnapshot", "read_live"]


@dataclass(frozen=True)
class LiveQuestion:
    """One question as a live display lists it."""

    number: int
    code: str
    text: str
    state: str
    answers: tuple[str, ...]
    answer_count: int
    opened_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class LiveAnswer:
    """One stored answer, with what a live table shows of its participant."""

    update_id: int
    participant: str
    team: str | None
    head_count: int
    raw_text: str
    delay_s: float
    correct: bool | None
    rank: int | None
    late: bool


@dataclass(frozen=True)
class LiveSnapshot:
    """What a live display shows, read in one transaction.

    `participants` counts the Telegram users who wrote to the bot, `people` sums their head counts.
    `current` is the question asked for, else the most recently opened one, else None. Its counts:
    `answers` (late included), `correct` (None until it closes) and `people_reached` (head counts of
    everyone who answered in time). `recent` holds its newest answers, newest first.
    """

    questions: tuple[LiveQuestion, ...]
    participants: int
    people: int
    current: LiveQuestion | None = None
    answers: int = 0
    correct: int | None = None
    people_reached: int = 0
    recent: tuple[LiveAnswer, ...] = field(default_factory=tuple)


def read_live(connection: sqlite3.Connection, event_id: int, question: int | None = None,
              limit: int = 20) -> LiveSnapshot:
    """Read the questions, participant count and the current question's newest `limit` answers.

    `connection` must return `sqlite3.Row` rows, as `quizkit.store.connect_reader` does. Raises
    LookupError when `question` is given and the event has no question with that number.
    """
    connection.execute("BEGIN")
    try:
        questions = _questions(connection, event_id)
        participants, people = connection.execute(
            "SELECT COUNT(*), COALESCE(SUM(head_count), 0) FROM participants WHERE event_id = ?", (event_id,)
        ).fetchone()
        current = _current(questions, question)
        if current is None:
            return LiveSnapshot(questions, participants, people)

        answers, correct, reached = _counts(connection, event_id, current)
        recent = _recent(connection, event_id, current, limit)
    finally:
        connection.execute("COMMIT")

    return LiveSnapshot(questions, participants, people, current, answers, correct, reached, recent)


def _questions(connection: sqlite3.Connection, event_id: int) -> tuple[LiveQuestion, ...]:
    rows = connection.execute(
        """
        SELECT q.number, q.code, q.text, q.state, q.answers, q.opened_at, q.closed_at,
               (SELECT COUNT(*) FROM answers a WHERE a.question_id = q.id) AS answer_count
        FROM questions q WHERE q.event_id = ? ORDER BY q.number
        """,
        (event_id,),
    ).fetchall()
    return tuple(
        LiveQuestion(
            number=row["number"],
            code=row["code"],
            text=row["text"],
            state=row["state"],
            answers=tuple(_json_list(row["answers"])),
            answer_count=row["answer_count"],
            opened_at=_timestamp(row["opened_at"]),
            closed_at=_timestamp(row["closed_at"]),
        )
        for row in rows
    )


def _current(questions: tuple[LiveQuestion, ...], number: int | None) -> LiveQuestion | None:
    if number is not None:
        for question in questions:
            if question.number == number:
                return question
        raise LookupError(f"Question number {number} is not in this event; it has {len(questions)} questions.")

    opened = [question for question in questions if question.opened_at is not None]
    return max(opened, key=lambda question: (question.opened_at, question.number), default=None)


def _counts(connection: sqlite3.Connection, event_id: int, question: LiveQuestion) -> tuple[int, int | None, int]:
    row = connection.execute(
        """
        SELECT COUNT(*) AS answers,
               SUM(a.correct) AS correct,
               COALESCE(SUM(CASE WHEN a.late = 0 THEN p.head_count END), 0) AS people
        FROM answers a
        JOIN questions q ON q.id = a.question_id
        JOIN participants p ON p.event_id = a.event_id AND p.user_id = a.user_id
        WHERE q.event_id = ? AND q.number = ?
        """,
        (event_id, question.number),
    ).fetchone()
    correct = (row["correct"] or 0) if question.state == "closed" else None
    return row["answers"], correct, row["people"]


def _recent(connection: sqlite3.Connection, event_id: int, question: LiveQuestion, limit: int) -> tuple[LiveAnswer, ...]:
    rows = connection.execute(
        """
        SELECT a.update_id, a.user_id, a.raw_text, a.received_at, a.late, a.correct, a.rank,
               p.first_name, p.last_name, p.username, p.team_name, p.head_count
        FROM answers a
        JOIN questions q ON q.id = a.question_id
        JOIN participants p ON p.event_id = a.event_id AND p.user_id = a.user_id
        WHERE q.event_id = ? AND q.number = ?
        ORDER BY a.received_at DESC, a.update_id DESC
        LIMIT ?
        """,
        (event_id, question.number, max(0, limit)),
    ).fetchall()
    return tuple(_answer(row, question.opened_at) for row in rows)


def _answer(row: sqlite3.Row, opened_at: datetime | None) -> LiveAnswer:
    participant = Participant(
        user_id=row["user_id"],
        first_name=row["first_name"] or "",
        last_name=row["last_name"],
        username=row["username"],
        team_name=row["team_name"],
    )
    received_at = _timestamp(row["received_at"])
    delay_s = max(0.0, (received_at - opened_at).total_seconds()) if opened_at and received_at else 0.0
    return LiveAnswer(
        update_id=row["update_id"],
        participant=participant.display_name,
        team=row["team_name"],
        head_count=row["head_count"],
        raw_text=row["raw_text"],
        delay_s=delay_s,
        correct=None if row["correct"] is None else bool(row["correct"]),
        rank=row["rank"],
        late=bool(row["late"]),
    )


def _json_list(text: str) -> list[str]:
    value = json.loads(text)
    return [str(item) for item in value] if isinstance(value, list) else []


def _timestamp(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
