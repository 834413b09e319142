"""Reads and writes of quiz records: events, questions, participants, answers, updates and the outbox.

Every method runs parameterised SQL on the shared connection. Callers group writes with
`store.transaction()`; the engine commits one transaction per handled update, or per group of
updates with `Engine.handle_many`, where each update of a group of several runs in its own
savepoint.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from quizkit.errors import EventExists, OutboxItemNotFound
from quizkit.model import (
    Answer,
    Event,
    OutboxItem,
    Participant,
    Question,
    QuestionState,
    Sender,
)
from quizkit.store._database import Database, to_datetime, to_text


@dataclass(frozen=True)
class Conversation:
    """A participant's place in the conversation with the bot.

    `registration_step` is None, "confirm", "team_name" or "head_count". `pending_team_name` is the
    team name typed before the head count step.
    """

    selected_question_id: int | None = None
    registration_step: str | None = None
    pending_team_name: str | None = None


@dataclass(frozen=True)
class EventSettings:
    """The settings an event stores: podium size, speed scores shown, leaderboard shown."""

    podium_size: int = 3
    scoring: bool = False
    leaderboard: bool = True


@dataclass(frozen=True)
class AnswerResult:
    """What closing a question decides about one in-time answer."""

    user_id: int
    correct: bool
    rank: int | None
    score: int
    delay_us: int = 0  # from the question's opening, never below zero


@dataclass(frozen=True)
class OutboxRecord:
    """An outbox row with its delivery state, as `outbox_record` returns it."""

    item: OutboxItem
    status: str
    message_id: int | None
    last_error: str | None


@dataclass(frozen=True)
class _EventQuestions:
    """An event's questions in number order, with look-ups by id and by upper-case code."""

    ordered: tuple[Question, ...]
    by_id: dict[int, Question]
    by_code: dict[str, Question]

    @classmethod
    def of(cls, ordered: tuple[Question, ...]) -> _EventQuestions:
        by_id = {question.id: question for question in ordered}
        return cls(ordered, by_id, {question.code.upper(): question for question in ordered})


def _event(row: sqlite3.Row) -> Event:
    return Event(
        id=row["id"],
        name=row["name"],
        language=row["language"],
        channel_id=row["channel_id"],
        bot_username=row["bot_username"],
        created_at=to_datetime(row["created_at"]),
        podium_size=row["podium_size"],
        scoring=bool(row["scoring"]),
        leaderboard=bool(row["leaderboard"]),
    )


def _question(row: sqlite3.Row) -> Question:
    return Question(
        id=row["id"],
        event_id=row["event_id"],
        number=row["number"],
        code=row["code"],
        kind=row["kind"],
        text=row["text"],
        answers=tuple(json.loads(row["answers"])),
        state=QuestionState(row["state"]),
        opened_at=to_datetime(row["opened_at"]),
        closed_at=to_datetime(row["closed_at"]),
        announcement_message_id=row["announcement_message_id"],
        options=tuple(json.loads(row["options"])),
        time_limit_s=row["time_limit_s"],
        deadline_at=to_datetime(row["deadline_at"]),
    )


def _participant(row: sqlite3.Row) -> Participant:
    return Participant(
        user_id=row["user_id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        language_code=row["language_code"],
        team_name=row["team_name"],
        head_count=row["head_count"],
    )


def _answer(row: sqlite3.Row) -> Answer:
    return Answer(
        question_id=row["question_id"],
        user_id=row["user_id"],
        update_id=row["update_id"],
        raw_text=row["raw_text"],
        normalised=row["normalised"],
        sent_at=to_datetime(row["sent_at"]),
        received_at=to_datetime(row["received_at"]),
        late=bool(row["late"]),
        correct=None if row["correct"] is None else bool(row["correct"]),
        rank=row["rank"],
        score=row["score"],
    )


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(row["selected_question_id"], row["registration_step"], row["pending_team_name"])


def _outbox_item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        event_id=row["event_id"],
        question_id=row["question_id"],
        action=row["action"],
        purpose=row["purpose"],
        chat_id=row["chat_id"],
        text=row["text"],
        attempts=row["attempts"],
        target_message_id=row["target_message_id"],
    )


class Store(Database):
    """A quizkit database: one SQLite file in WAL mode that contains any number of events.

    `Store(path)` creates the file or migrates it to the current schema. With `create=False`, a
    missing file raises StoreError instead. One Store may be shared by threads; each statement and
    each `transaction()` runs under the store's lock. Other threads or processes that only read can
    open `store.reader()` and never wait for the writer.
    """

    def __init__(self, path: str | Path, create: bool = True) -> None:
        # Every event's questions, read once and dropped at each write to the questions table,
        # each rollback and each commit of another connection.
        self._questions: dict[int, _EventQuestions] = {}
        super().__init__(path, create)

    def _forget_cached(self) -> None:
        self._questions.clear()

    # Events

    def insert_event(
        self,
        name: str,
        language: str,
        channel_id: int | None,
        bot_username: str,
        created_at: datetime,
        settings: EventSettings | None = None,
    ) -> Event:
        """Insert an event; raise EventExists when the name is taken."""
        settings = settings or EventSettings()
        try:
            cursor = self._execute(
                "INSERT INTO events (name, language, channel_id, bot_username, created_at, podium_size, scoring, "
                "leaderboard) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    language,
                    channel_id,
                    bot_username,
                    to_text(created_at),
                    settings.podium_size,
                    int(settings.scoring),
                    int(settings.leaderboard),
                ),
            )
        except sqlite3.IntegrityError:
            raise EventExists(
                f"Event {name!r} already exists in {self.path!r}; resume it with "
                f"Engine.load(store, name={name!r}) or choose another name."
            ) from None
        return self.event_by_id(cursor.lastrowid)

    def event(self, name: str) -> Event | None:
        row = self._one("SELECT * FROM events WHERE name = ?", (name,))
        return None if row is None else _event(row)

    def event_by_id(self, event_id: int) -> Event:
        return _event(self._one("SELECT * FROM events WHERE id = ?", (event_id,)))

    def event_names(self) -> list[str]:
        return [row["name"] for row in self._all("SELECT name FROM events ORDER BY id")]

    def set_event_settings(self, event_id: int, settings: EventSettings) -> Event:
        self._execute(
            "UPDATE events SET podium_size = ?, scoring = ?, leaderboard = ? WHERE id = ?",
            (settings.podium_size, int(settings.scoring), int(settings.leaderboard), event_id),
        )
        return self.event_by_id(event_id)

    # Questions

    def insert_question(
        self,
        event_id: int,
        number: int,
        code: str,
        kind: str,
        text: str,
        answers: tuple[str, ...],
        created_at: datetime,
        options: tuple[str, ...] = (),
        time_limit_s: float | None = None,
    ) -> Question:
        self._questions.clear()
        cursor = self._execute(
            "INSERT INTO questions (event_id, number, code, kind, text, answers, state, created_at, options, "
            "time_limit_s) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)",
            (
                event_id,
                number,
                code,
                kind,
                text,
                json.dumps(list(answers)),
                to_text(created_at),
                json.dumps(list(options)),
                time_limit_s,
            ),
        )
        return self.question_by_id(cursor.lastrowid)

    def questions(self, event_id: int) -> list[Question]:
        """Return the event's questions in number order, from memory unless the table changed."""
        return list(self._event_questions(event_id).ordered)

    def _event_questions(self, event_id: int) -> _EventQuestions:
        with self._lock:
            if self._changed_elsewhere():
                self._questions.clear()
            cached = self._questions.get(event_id)
            if cached is None:
                rows = self._all("SELECT * FROM questions WHERE event_id = ? ORDER BY number", (event_id,))
                cached = self._questions[event_id] = _EventQuestions.of(tuple(_question(row) for row in rows))
            return cached

    def question_by_id(self, question_id: int) -> Question:
        return _question(self._one("SELECT * FROM questions WHERE id = ?", (question_id,)))

    def event_question(self, event_id: int, question_id: int) -> Question | None:
        """Return the event's question with that id, from the same memory as `questions`."""
        return self._event_questions(event_id).by_id.get(question_id)

    def event_question_by_code(self, event_id: int, code: str) -> Question | None:
        """Return the event's question whose code, upper-cased, is `code`, from the same memory as `questions`.

        The schema keeps codes unique per event regardless of case (COLLATE NOCASE).
        """
        return self._event_questions(event_id).by_code.get(code)

    def next_question_number(self, event_id: int) -> int:
        row = self._one("SELECT COALESCE(MAX(number), 0) + 1 FROM questions WHERE event_id = ?", (event_id,))
        return row[0]

    def set_question_opened(self, question_id: int, opened_at: datetime, deadline_at: datetime | None = None) -> None:
        self._questions.clear()
        self._execute(
            "UPDATE questions SET state = 'open', opened_at = ?, deadline_at = ? WHERE id = ?",
            (to_text(opened_at), to_text(deadline_at), question_id),
        )

    def expired_questions(self, event_id: int, now: datetime) -> list[Question]:
        """Return the event's open questions whose deadline is at or before `now`, by deadline."""
        # Time columns contain UTC ISO 8601 text, so text order is time order. isoformat() leaves out
        # zero microseconds, and "+" sorts before ".", so "12:00:30+00:00" still sorts first.
        rows = self._all(
            "SELECT * FROM questions WHERE event_id = ? AND state = 'open' AND deadline_at IS NOT NULL "
            "AND deadline_at <= ? ORDER BY deadline_at, number",
            (event_id, to_text(now)),
        )
        return [_question(row) for row in rows]

    def set_question_closed(self, question_id: int, closed_at: datetime, answers: tuple[str, ...]) -> None:
        self._questions.clear()
        self._execute(
            "UPDATE questions SET state = 'closed', closed_at = ?, answers = ? WHERE id = ?",
            (to_text(closed_at), json.dumps(list(answers)), question_id),
        )

    def set_announcement_message_id(self, question_id: int, message_id: int) -> None:
        self._questions.clear()
        self._execute(
            "UPDATE questions SET announcement_message_id = ? WHERE id = ?", (message_id, question_id)
        )

    def live_count(self, question_id: int) -> tuple[int, datetime | None]:
        """Return the answer count of the last queued count edit and when it was queued."""
        row = self._one("SELECT live_count, live_count_at FROM questions WHERE id = ?", (question_id,))
        return row["live_count"], to_datetime(row["live_count_at"])

    def set_live_count(self, question_id: int, count: int, queued_at: datetime) -> None:
        self._execute(
            "UPDATE questions SET live_count = ?, live_count_at = ? WHERE id = ?",
            (count, to_text(queued_at), question_id),
        )

    # Participants

    def upsert_participant(self, event_id: int, sender: Sender, seen_at: datetime) -> Conversation:
        """Insert the sender as a participant, or refresh the names Telegram sent this time.

        Returns the participant's conversation as stored, which is empty for a new participant.
        """
        seen = to_text(seen_at)
        with self._lock:
            # RETURNING (SQLite 3.35 and later) saves a SELECT. fetchall() steps the statement to
            # its end, so the statement is finished when this method returns.
            rows = self._execute(
                "INSERT INTO participants (event_id, user_id, first_name, last_name, username, language_code, "
                "first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (event_id, user_id) DO UPDATE SET first_name = excluded.first_name, "
                "last_name = excluded.last_name, username = excluded.username, "
                "language_code = excluded.language_code, last_seen_at = excluded.last_seen_at "
                "RETURNING selected_question_id, registration_step, pending_team_name",
                (
                    event_id,
                    sender.user_id,
                    sender.first_name or "",
                    sender.last_name,
                    sender.username,
                    sender.language_code,
                    seen,
                    seen,
                ),
            ).fetchall()
        return _conversation(rows[0])

    def participant(self, event_id: int, user_id: int) -> Participant | None:
        row = self._one(
            "SELECT * FROM participants WHERE event_id = ? AND user_id = ?", (event_id, user_id)
        )
        return None if row is None else _participant(row)

    def participants(self, event_id: int) -> list[Participant]:
        rows = self._all("SELECT * FROM participants WHERE event_id = ? ORDER BY user_id", (event_id,))
        return [_participant(row) for row in rows]

    def conversation(self, event_id: int, user_id: int) -> Conversation:
        row = self._one(
            "SELECT selected_question_id, registration_step, pending_team_name FROM participants "
            "WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
        if row is None:
            return Conversation()
        return _conversation(row)

    def set_conversation(self, event_id: int, user_id: int, conversation: Conversation) -> None:
        self._execute(
            "UPDATE participants SET selected_question_id = ?, registration_step = ?, pending_team_name = ? "
            "WHERE event_id = ? AND user_id = ?",
            (
                conversation.selected_question_id,
                conversation.registration_step,
                conversation.pending_team_name,
                event_id,
                user_id,
            ),
        )

    def set_team(self, event_id: int, user_id: int, team_name: str, head_count: int) -> None:
        self._execute(
            "UPDATE participants SET team_name = ?, head_count = ? WHERE event_id = ? AND user_id = ?",
            (team_name, head_count, event_id, user_id),
        )

    # Answers

    def insert_answer(self, event_id: int, answer: Answer) -> bool:
        """Insert the answer; return False, changing nothing, when the user already answered the question."""
        cursor = self._execute(
            "INSERT INTO answers (event_id, question_id, user_id, update_id, raw_text, normalised, sent_at, "
            "received_at, late, correct, rank, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (question_id, user_id) DO NOTHING",
            (
                event_id,
                answer.question_id,
                answer.user_id,
                answer.update_id,
                answer.raw_text,
                answer.normalised,
                to_text(answer.sent_at),
                to_text(answer.received_at),
                int(answer.late),
                None if answer.correct is None else int(answer.correct),
                answer.rank,
                answer.score,
            ),
        )
        return cursor.rowcount == 1

    def answer(self, question_id: int, user_id: int) -> Answer | None:
        row = self._one("SELECT * FROM answers WHERE question_id = ? AND user_id = ?", (question_id, user_id))
        return None if row is None else _answer(row)

    def answers(self, question_id: int) -> list[Answer]:
        """Return the question's answers, in time and late, in update_id order."""
        rows = self._all("SELECT * FROM answers WHERE question_id = ? ORDER BY update_id", (question_id,))
        return [_answer(row) for row in rows]

    def answers_with_participants(self, question_id: int) -> list[tuple[Answer, Participant]]:
        """Return the question's answers in update_id order, each with the participant who sent it."""
        rows = self._all(
            "SELECT a.*, p.first_name, p.last_name, p.username, p.language_code, p.team_name, p.head_count "
            "FROM answers a JOIN participants p ON p.event_id = a.event_id AND p.user_id = a.user_id "
            "WHERE a.question_id = ? ORDER BY a.update_id",
            (question_id,),
        )
        return [(_answer(row), _participant(row)) for row in rows]

    def count_answers(self, question_id: int) -> int:
        return self._one("SELECT COUNT(*) FROM answers WHERE question_id = ?", (question_id,))[0]

    def set_answer_results(self, question_id: int, results: Iterable[AnswerResult]) -> None:
        """Store the correctness, rank, score and delay of answers of the question."""
        self._executemany(
            "UPDATE answers SET correct = ?, rank = ?, score = ?, delay_us = ? WHERE question_id = ? AND user_id = ?",
            [(int(item.correct), item.rank, item.score, item.delay_us, question_id, item.user_id) for item in results],
        )

    def leaderboard_totals(
        self, event_id: int, limit: int | None = None, by_score: bool = False
    ) -> list[tuple[Participant, int, int, int]]:
        """Return `(participant, correct answers, summed delay in microseconds, summed score)`, best first.

        Only correct in-time answers of closed questions count. The order is correct answers (desc),
        delay (asc), user_id; with `by_score`, the summed score (desc) comes first. One aggregate
        query does the work, over the partial index of correct in-time answers.
        """
        order = "correct DESC, delay_us ASC, user_id ASC"
        if by_score:
            order = "points DESC, " + order
        rows = self._all(
            "SELECT p.*, totals.correct AS total_correct, totals.delay_us AS total_delay_us, "
            "totals.points AS total_points FROM ("
            "  SELECT a.user_id AS user_id, COUNT(*) AS correct, COALESCE(SUM(a.delay_us), 0) AS delay_us, "
            "    COALESCE(SUM(a.score), 0) AS points "
            "  FROM answers a "
            "  WHERE a.event_id = ? AND a.correct = 1 AND a.late = 0 "
            "    AND a.question_id IN (SELECT id FROM questions WHERE event_id = ? AND state = 'closed') "
            "  GROUP BY a.user_id "
            f"  ORDER BY {order} "
            "  LIMIT ?"
            ") AS totals "
            "JOIN participants p ON p.event_id = ? AND p.user_id = totals.user_id "
            f"ORDER BY {order}",
            (event_id, event_id, -1 if limit is None else limit, event_id),
        )
        return [(_participant(row), row["total_correct"], row["total_delay_us"], row["total_points"]) for row in rows]

    # Blocked users

    def set_blocked(self, event_id: int, user_id: int, blocked: bool, at: datetime) -> None:
        """Record that the user blocked the bot (`blocked`) or restarted it; the first block time is kept."""
        if blocked:
            self._execute(
                "INSERT INTO blocked_users (event_id, user_id, blocked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (event_id, user_id, to_text(at)),
            )
        else:
            self._execute("DELETE FROM blocked_users WHERE event_id = ? AND user_id = ?", (event_id, user_id))

    def is_blocked(self, event_id: int, user_id: int) -> bool:
        row = self._one("SELECT 1 FROM blocked_users WHERE event_id = ? AND user_id = ?", (event_id, user_id))
        return row is not None

    def blocked_users(self, event_id: int) -> list[int]:
        rows = self._all("SELECT user_id FROM blocked_users WHERE event_id = ? ORDER BY user_id", (event_id,))
        return [row["user_id"] for row in rows]

    # Processed updates

    def mark_update_processed(
        self, event_id: int, update_id: int, processed_at: datetime, replies: str | None = None
    ) -> bool:
        """Record the update_id with its JSON replies; return False, changing nothing, when it was already recorded.

        An update_id already recorded is a redelivered update.
        """
        cursor = self._execute(
            "INSERT INTO processed_updates (event_id, update_id, processed_at, replies) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (event_id, update_id, to_text(processed_at), replies),
        )
        return cursor.rowcount == 1

    def is_update_processed(self, event_id: int, update_id: int) -> bool:
        row = self._one("SELECT 1 FROM processed_updates WHERE event_id = ? AND update_id = ?", (event_id, update_id))
        return row is not None

    def set_update_replies(self, event_id: int, update_id: int, replies: str | None) -> None:
        """Store the JSON replies of a processed update, or clear them with None."""
        self._execute("UPDATE processed_updates SET replies = ? WHERE event_id = ? AND update_id = ?",
                      (replies, event_id, update_id))

    def update_replies(self, event_id: int, update_id: int) -> str | None:
        """Return the JSON replies stored with a processed update, or None."""
        row = self._one("SELECT replies FROM processed_updates WHERE event_id = ? AND update_id = ?",
                        (event_id, update_id))
        return None if row is None else row["replies"]

    def prune_processed_updates(self, event_id: int, before: datetime) -> int:
        """Delete the update_ids recorded before `before`; return how many were deleted."""
        cursor = self._execute(
            "DELETE FROM processed_updates WHERE event_id = ? AND processed_at < ?",
            (event_id, to_text(before)),
        )
        return cursor.rowcount

    # Traffic

    def add_traffic(self, event_id: int, samples: Iterable[tuple[int, str, int]]) -> None:
        """Add `(second, kind, count)` samples to the event's traffic counters.

        `second` is Unix time in whole seconds. A sample for a second and kind already stored adds its
        count to the stored one, so callers may report the same second more than once.
        """
        self._executemany(
            "INSERT INTO traffic (event_id, second, kind, count) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (event_id, second, kind) DO UPDATE SET count = count + excluded.count",
            [(event_id, int(second), kind, int(count)) for second, kind, count in samples],
        )

    def traffic(self, event_id: int) -> list[tuple[int, str, int]]:
        """Return the event's `(second, kind, count)` counters in time order."""
        rows = self._all(
            "SELECT second, kind, count FROM traffic WHERE event_id = ? ORDER BY second, kind", (event_id,)
        )
        return [(row["second"], row["kind"], row["count"]) for row in rows]

    # Outbox

    def enqueue(
        self,
        event_id: int,
        question_id: int | None,
        action: str,
        purpose: str,
        chat_id: int,
        text: str,
        created_at: datetime,
        target_message_id: int | None = None,
    ) -> int:
        """Queue a call and return its outbox id; an edit with `target_message_id` changes that message."""
        cursor = self._execute(
            "INSERT INTO outbox (event_id, question_id, action, purpose, chat_id, text, created_at, target_message_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (event_id, question_id, action, purpose, chat_id, text, to_text(created_at), target_message_id),
        )
        return cursor.lastrowid

    def pending_item_id(self, question_id: int, purpose: str) -> int | None:
        """Return the id of the question's oldest pending outbox item with that purpose, if any."""
        row = self._one(
            "SELECT id FROM outbox WHERE question_id = ? AND purpose = ? AND status = 'pending' ORDER BY id",
            (question_id, purpose),
        )
        return None if row is None else row["id"]

    def replace_outbox_text(self, item_id: int, text: str) -> None:
        self._execute("UPDATE outbox SET text = ? WHERE id = ?", (text, item_id))

    def cancel_pending(self, question_id: int, purpose: str) -> int:
        """Cancel the question's pending outbox items with that purpose; return how many."""
        cursor = self._execute(
            "UPDATE outbox SET status = 'cancelled' WHERE question_id = ? AND purpose = ? AND status = 'pending'",
            (question_id, purpose),
        )
        return cursor.rowcount

    def cancel_chat_pending(self, event_id: int, chat_id: int) -> int:
        """Cancel the event's pending items to `chat_id`; return how many were cancelled."""
        cursor = self._execute(
            "UPDATE outbox SET status = 'cancelled' WHERE event_id = ? AND chat_id = ? AND status = 'pending'",
            (event_id, chat_id),
        )
        return cursor.rowcount

    def outbox_ready(self, event_id: int, limit: int) -> list[OutboxItem]:
        """Return pending items that can be sent now, oldest first.

        An edit without a target message is ready only once its question's announcement has a message_id.
        """
        rows = self._all(
            "SELECT o.* FROM outbox o LEFT JOIN questions q ON q.id = o.question_id "
            "WHERE o.event_id = ? AND o.status = 'pending' "
            "AND (o.action = 'send' OR o.target_message_id IS NOT NULL OR q.announcement_message_id IS NOT NULL) "
            "ORDER BY o.id LIMIT ?",
            (event_id, limit),
        )
        return [_outbox_item(row) for row in rows]

    def outbox_record(self, item_id: int) -> OutboxRecord:
        """Return the outbox row with its delivery state; raise OutboxItemNotFound for an unknown id."""
        row = self._one("SELECT * FROM outbox WHERE id = ?", (item_id,))
        if row is None:
            raise OutboxItemNotFound(
                f"Outbox item {item_id!r} not found in {self.path!r}; use an id from outbox_pending()."
            )
        return OutboxRecord(_outbox_item(row), row["status"], row["message_id"], row["last_error"])

    def outbox_records(self, event_id: int) -> list[OutboxRecord]:
        """Return every outbox row of the event, whatever its state, oldest first."""
        rows = self._all("SELECT * FROM outbox WHERE event_id = ? ORDER BY id", (event_id,))
        return [OutboxRecord(_outbox_item(row), row["status"], row["message_id"], row["last_error"]) for row in rows]

    def mark_outbox_sending(self, item_id: int, started_at: datetime) -> None:
        self._execute("UPDATE outbox SET sending_since = ? WHERE id = ? AND status = 'pending'",
                      (to_text(started_at), item_id))

    def mark_outbox_sent(self, item_id: int, message_id: int | None, sent_at: datetime) -> None:
        self._execute(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, sending_since = NULL "
            "WHERE id = ? AND status = 'pending'",
            (message_id, to_text(sent_at), item_id),
        )

    def mark_outbox_failed(self, item_id: int, error: str, give_up: bool = False) -> None:
        status = "cancelled" if give_up else "pending"
        self._execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, status = ?, sending_since = NULL "
            "WHERE id = ? AND status = 'pending'",
            (error, status, item_id),
        )

    def take_interrupted_outbox(self, event_id: int) -> list[OutboxItem]:
        """Return the pending items whose send was in flight when a server stopped, and count them as interrupted."""
        rows = self._all(
            "SELECT * FROM outbox WHERE event_id = ? AND status = 'pending' AND sending_since IS NOT NULL ORDER BY id",
            (event_id,),
        )
        self._execute(
            "UPDATE outbox SET interrupted = interrupted + 1, sending_since = NULL "
            "WHERE event_id = ? AND status = 'pending' AND sending_since IS NOT NULL",
            (event_id,),
        )
        return [_outbox_item(row) for row in rows]
