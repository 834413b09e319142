"""The quiz rules over a Store: questions, answers, results, the leaderboard and the channel outbox.

The engine does no I/O of its own: it reads and writes the Store and returns replies. Channel posts
and edits wait in the outbox until the server sends them and reports back with `outbox_sent` or
`outbox_failed`. Time comes from the `clock` callable, so tests can move it by hand.

    store = Store("quiz.db")
    engine = Engine.create_event(store, name="codeweek", language="it", channel_id=-1001,
                                 bot_username="quizkit_bot", podium_size=5, scoring=True)
    engine.add_question(text="Capital of Italy?", answers=["Roma", "Rome"])
    engine.add_question(text="Largest city?", kind="choice", options=["Milano", "Roma", "Napoli"],
                        answers=["Roma"], time_limit_s=30)
    engine.open_question(1)
    replies = engine.handle(incoming)          # for each update from Telegram
    result = engine.close_question(1)
    engine.close_expired_questions()           # about once a second: questions whose time is up

Event settings (`podium_size`, `scoring`, `leaderboard`) are given to `create_event` and changed
with `update_settings`.
"""

from __future__ import annotations

import logging
import numbers
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone

from quizkit._conversation import Turn, group_chat_reply
from quizkit._results import PODIUM_SIZE, PODIUM_SIZE_MAX, compute_leaderboard, compute_result, rank_answers
from quizkit._stored_replies import decode_replies, encode_replies
from quizkit._taps import Tap
from quizkit.answers import generate_code, validate_answers, validate_code, validate_options
from quizkit.errors import (
    EventNotFound,
    InvalidEvent,
    InvalidQuestion,
    QuestionNotFound,
    QuestionStateError,
)
from quizkit.limits import LEADERBOARD_TOP, TIME_LIMIT_MAX_S, TIME_LIMIT_MIN_S
from quizkit.locales import LANGUAGES, Texts
from quizkit.model import (
    CallbackAnswer,
    Event,
    Incoming,
    LeaderboardRow,
    MessageKind,
    OutboxItem,
    Question,
    QuestionResult,
    QuestionState,
    Reply,
)
from quizkit.store import EventSettings, Store

__all__ = ["Clock", "Engine"]

logger = logging.getLogger("quizkit.engine")

Clock = Callable[[], datetime]

# Outbox purposes: what each channel call is for.
ANNOUNCEMENT = "announcement"
LIVE_COUNT = "live_count"
ANSWER_REVEAL = "answer_reveal"
RESULTS = "results"
LEADERBOARD = "leaderboard"
# The edit of a tapped choice message in a private chat, showing the answer instead of the buttons.
TAP_CONFIRMATION = "tap_confirmation"

# Live count edits of one announcement are at least this far apart, which keeps a busy question
# well under Telegram's limit of about 20 messages per minute in a channel.
LIVE_COUNT_INTERVAL = timedelta(seconds=5)

# Telegram keeps unconfirmed updates for 24 hours, so no redelivery is older than that.
# Twice as long leaves a margin for a server that was down when the day ended.
PROCESSED_UPDATES_KEPT = timedelta(hours=48)
PRUNE_INTERVAL = timedelta(hours=1)

# Leaves room for the heading, the code, the deep link and the count line within Telegram's
# 4096-character message limit.
MAX_QUESTION_CHARS = 3500

# Telegram usernames are 5 to 32 characters, as `quizkit.qr.deep_link` checks.
_BOT_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")


class _Redelivered(Exception):
    """Raised inside a redelivered update's transaction or savepoint, so that what handling it changed rolls back.

    `replies` is what `Engine.handle` returns for the redelivery.
    """

    def __init__(self, replies: list[Reply | CallbackAnswer]) -> None:
        super().__init__("update already processed")
        self.replies = replies


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime; the default clock."""
    return datetime.now(timezone.utc)



def question_ref(ref: object) -> int | str:
    """Check a question reference: a number (any integer type, numpy's included) or a code.

    Returns an int or the str unchanged. Raises TypeError for anything else, booleans included.
    """
    if isinstance(ref, str):
        return ref
    if isinstance(ref, numbers.Integral) and not isinstance(ref, bool):
        return int(ref)
    raise TypeError(f"Question reference {ref!r} must be a number (int) or a code (str).")


def known_events(store: Store) -> str:
    """Return "events: a, b" for the events in `store`, or "the database has no events yet", for error messages."""
    names = store.event_names()
    return f"events: {', '.join(names)}" if names else "the database has no events yet"


class Engine:
    """The rules of one event. Build it with `create_event` or `load`, not with the constructor.

    Every public method commits its effects before it returns. Several engines (in several threads)
    may share one Store, because each method runs in one store transaction.
    """

    def __init__(self, store: Store, event: Event, clock: Clock | None = None) -> None:
        self.store = store
        self._event = event
        self._clock = clock or utc_now
        self._pruned_at: datetime | None = None

    @classmethod
    def create_event(
        cls,
        store: Store,
        name: str,
        language: str,
        channel_id: int | None,
        bot_username: str,
        clock: Clock | None = None,
        *,
        podium_size: int = PODIUM_SIZE,
        scoring: bool = False,
        leaderboard: bool = True,
    ) -> Engine:
        """Create an event in the store and return its engine.

        `language` ("it" or "en") is used for channel posts and for participants whose Telegram
        language is neither. With `channel_id` None, nothing is queued for a channel.
        `podium_size` (1 to 20) is how many correct answers each results post lists. `scoring`
        shows speed scores (1000 to 500 points for a correct answer) in posts and ranks the
        leaderboard by them; `leaderboard` False hides /stats and forbids the leaderboard post.
        Raises InvalidEvent for a bad argument and EventExists when the name is taken.
        """
        name = name.strip() if isinstance(name, str) else name
        if not isinstance(name, str) or not name:
            raise InvalidEvent(f"Event name {name!r} is empty; give the event a name, e.g. 'codeweek'.")
        if language not in LANGUAGES:
            raise InvalidEvent(
                f"Event language {language!r} is not supported; use one of: {', '.join(sorted(LANGUAGES))}."
            )
        username = bot_username.strip().removeprefix("@") if isinstance(bot_username, str) else ""
        if not _BOT_USERNAME.fullmatch(username):
            raise InvalidEvent(
                f"Bot username {bot_username!r} is invalid; give the bot's Telegram username, "
                f"e.g. 'quizkit_bot' (5 to 32 letters, digits and underscores)."
            )

        settings = _checked_settings(EventSettings(), podium_size, scoring, leaderboard)
        clock = clock or utc_now
        event = store.insert_event(name, language, channel_id, username, _checked(clock()), settings)
        logger.info("created event %s (id %d)", name, event.id)
        return cls(store, event, clock)

    @classmethod
    def load(cls, store: Store, name: str, clock: Clock | None = None) -> Engine:
        """Return the engine of an existing event, with its questions, participants and outbox."""
        event = store.event(name)
        if event is None:
            raise EventNotFound(
                f"Event {name!r} not found in {store.path!r}; {known_events(store)}. "
                f"Create it with Engine.create_event(store, name={name!r}, ...)."
            )
        return cls(store, event, clock)

    @property
    def event(self) -> Event:
        return self._event

    def update_settings(
        self, *, podium_size: int | None = None, scoring: bool | None = None, leaderboard: bool | None = None
    ) -> Event:
        """Change the event's settings given (None keeps one) and return the event.

        Posts already queued keep their text; the next results post uses the new podium size.
        Raises InvalidEvent for a bad value.
        """
        current = EventSettings(self._event.podium_size, self._event.scoring, self._event.leaderboard)
        settings = _checked_settings(current, podium_size, scoring, leaderboard)
        with self.store.transaction():
            self._event = self.store.set_event_settings(self._event.id, settings)
        logger.info("changed the settings of event %s: %s", self._event.name, settings)
        return self._event

    # Questions

    def add_question(
        self,
        text: str,
        answers: Sequence[str] = (),
        code: str | None = None,
        kind: str = "text",
        options: Sequence[str] | None = None,
        time_limit_s: float | None = None,
    ) -> Question:
        """Add a draft question with the next number and return it.

        `kind` is "text" (free answer), "number" (answers like "3.14 ± 0.01") or "choice", which
        needs 2 to 10 `options`, shown as buttons; its accepted answers name options by text or
        number. `answers` may stay empty until `close_question` gives them, unless `time_limit_s`
        (5 to 86400 seconds) is set: the question then closes by itself, so it needs them now.
        Without `code`, the engine generates one of two letters and the number ("KX4").
        Raises InvalidQuestion.
        """
        question_text = text.strip() if isinstance(text, str) else ""
        if not question_text:
            raise InvalidQuestion(
                f"Question text {text!r} is empty; pass the text participants should read, "
                f"e.g. 'Capital of Italy?'."
            )
        if len(question_text) > MAX_QUESTION_CHARS:
            raise InvalidQuestion(
                f"Question text has {len(question_text)} characters, more than the {MAX_QUESTION_CHARS} "
                f"that fit in a channel post; shorten it."
            )

        with self.store.transaction():
            number = self.store.next_question_number(self._event.id)
            label = f"question {number}"
            choices = validate_options(options, kind, label)
            _check_question_length(question_text, choices)
            accepted = validate_answers(answers, kind, label, choices)
            limit = _checked_time_limit(time_limit_s, accepted, label)
            existing = self.store.questions(self._event.id)
            question_code = self._new_code(number, code, existing)
            question = self.store.insert_question(
                self._event.id, number, question_code, kind, question_text, accepted, self._now(), choices, limit
            )
        logger.info("added question %d (%s) to event %s", question.number, question.code, self._event.name)
        return question

    def _new_code(self, number: int, code: str | None, existing: list[Question]) -> str:
        if code is None:
            return generate_code(number, [question.code for question in existing])

        custom = validate_code(code)
        for question in existing:
            if question.code.upper() == custom.upper():
                raise InvalidQuestion(
                    f"Question code {custom!r} is already used by question {question.number} in event "
                    f"{self._event.name!r}; choose another code, or leave code=None to generate one."
                )
        return custom

    def questions(self) -> list[Question]:
        """Return the event's questions in number order."""
        return self.store.questions(self._event.id)

    def question(self, ref: int | str) -> Question:
        """Return the question with that number (int) or code (str, case-insensitive).

        A string of digits that is no question's code is read as a number. Raises QuestionNotFound.
        """
        ref = question_ref(ref)
        questions = self.questions()
        if isinstance(ref, str):
            key = ref.strip().upper()
            for question in questions:
                if question.code.upper() == key:
                    return question
            if not key.isdecimal():
                raise QuestionNotFound(self._not_found_message(f"code {ref!r}", questions, by_number=False))
            ref = int(key)

        for question in questions:
            if question.number == ref:
                return question
        raise QuestionNotFound(self._not_found_message(f"number {ref}", questions, by_number=True))

    def _not_found_message(self, reference: str, questions: list[Question], by_number: bool) -> str:
        if not questions:
            return (
                f"Question {reference} not found in event {self._event.name!r}; the event has no questions yet, "
                f"so add one with engine.add_question(...)."
            )
        if by_number:
            listed = ", ".join(f"{question.number} ({question.code})" for question in questions)
        else:
            listed = ", ".join(question.code for question in questions)
        return f"Question {reference} not found in event {self._event.name!r}; questions: {listed}"

    def open_question(self, ref: int | str) -> Question:
        """Open a draft question and queue its announcement; opening an open question changes nothing.

        Several questions may be open at once. Raises QuestionStateError for a closed question.
        """
        with self.store.transaction():
            question = self.question(ref)
            if question.state is QuestionState.OPEN:
                return question
            if question.state is QuestionState.CLOSED:
                raise QuestionStateError(
                    f"Question {question.number} ({question.code}) is already closed and cannot be reopened; "
                    f"add a new question instead."
                )

            now = self._now()
            deadline = None if question.time_limit_s is None else now + timedelta(seconds=question.time_limit_s)
            self.store.set_question_opened(question.id, now, deadline)
            question = self.store.question_by_id(question.id)
            self._enqueue(question, "send", ANNOUNCEMENT, self._channel_texts.announcement(question, self._event.bot_username))
        logger.info("opened question %d (%s) of event %s", question.number, question.code, self._event.name)
        return question

    def close_question(self, ref: int | str, answers: Sequence[str] | None = None) -> QuestionResult:
        """Close an open question, rank its correct answers by update_id and queue the channel posts.

        `answers` replaces the accepted answers given to `add_question`. The results post (totals and
        podium) and the announcement edit with the correct answer go to the outbox, and pending live
        count edits are cancelled. Closing a closed question returns the same result and queues
        nothing. Raises QuestionStateError for a draft, or for a closed question given other answers,
        and InvalidQuestion when no accepted answer is known.
        """
        with self.store.transaction():
            question = self.question(ref)
            label = f"Question {question.number} ({question.code})"
            if question.state is QuestionState.DRAFT:
                raise QuestionStateError(
                    f"{label} is a draft, so it cannot be closed; open it first with "
                    f"engine.open_question({question.code!r})."
                )
            if question.state is QuestionState.CLOSED:
                self._check_same_answers(question, answers, label)
                return compute_result(self.store, question, self._event.podium_size)

            if answers is None:
                accepted = question.answers
            else:
                accepted = validate_answers(answers, question.kind, label, question.options)
            if not accepted and question.answers:
                raise InvalidQuestion(
                    f"{label}: answers={list(answers)!r} gives no accepted answer; pass answers=None to keep "
                    f"{list(question.answers)!r}, or give at least one answer."
                )
            if not accepted:
                raise InvalidQuestion(
                    f"{label} has no accepted answers; pass them when closing, e.g. "
                    f"engine.close_question({question.code!r}, answers=['Roma'])."
                )

            self.store.set_question_closed(question.id, self._now(), accepted)
            question = self.store.question_by_id(question.id)
            self.store.set_answer_results(question.id, rank_answers(question, self.store.answers(question.id)))
            result = compute_result(self.store, question, self._event.podium_size)

            self.store.cancel_pending(question.id, LIVE_COUNT)
            texts = self._channel_texts
            self._enqueue(question, "send", RESULTS, texts.results(result, self._event.scoring))
            self._enqueue(question, "edit", ANSWER_REVEAL, texts.announcement_closed(question, result.answers))

        logger.info(
            "closed question %d (%s) of event %s: %d answers, %d correct",
            question.number,
            question.code,
            self._event.name,
            result.answers,
            result.correct,
        )
        return result

    def close_expired_questions(self) -> list[QuestionResult]:
        """Close every open question whose time limit is up, and return their results.

        The server calls this about once a second. The deadline is stored when a question opens, so
        after a restart the first call closes what expired meanwhile.
        """
        results = []
        for question in self.store.expired_questions(self._event.id, self._now()):
            logger.info("question %d (%s) of event %s reached its time limit", question.number, question.code,
                        self._event.name)
            results.append(self.close_question(question.number))
        return results

    def _check_same_answers(self, question: Question, answers: Sequence[str] | None, label: str) -> None:
        if answers is None:
            return
        requested = validate_answers(answers, question.kind, label, question.options)
        if requested != question.answers:
            raise QuestionStateError(
                f"{label} is already closed with answers {list(question.answers)!r}; its results cannot "
                f"change, so close it without answers to read them, or use engine.result({question.code!r})."
            )

    def result(self, ref: int | str) -> QuestionResult:
        """Return the question's totals and podium; for an open question, a preview of them."""
        return compute_result(self.store, self.question(ref), self._event.podium_size)

    def answer_count(self, ref: int | str) -> int:
        """Return how many answers the question has stored so far, in time and late."""
        return self.store.count_answers(self.question(ref).id)

    def leaderboard(self, limit: int | None = None) -> list[LeaderboardRow]:
        """Return the standings over closed questions: correct in-time answers, then cumulative delay.

        With the event's `scoring` setting on, the total speed score comes first.
        """
        return compute_leaderboard(self.store, self._event.id, limit, by_score=self._event.scoring)

    def post_leaderboard(self) -> None:
        """Queue a channel post with the top of the leaderboard.

        Raises InvalidEvent when the event's leaderboard setting is off.
        """
        if not self._event.leaderboard:
            raise InvalidEvent(
                f"Event {self._event.name!r} has its leaderboard turned off, so it cannot be posted; "
                f"turn it on with engine.update_settings(leaderboard=True) first."
            )
        with self.store.transaction():
            rows = self.leaderboard(LEADERBOARD_TOP)
            text = self._channel_texts.leaderboard_post(rows, self._event.scoring)
            self._enqueue(None, "send", LEADERBOARD, text)

    # Participants

    def handle(self, incoming: Incoming, replay: bool = False) -> list[Reply | CallbackAnswer]:
        """Apply one update's effects and return the replies to its chat, committed before returning.

        The replies are stored with the update_id in the same transaction. A duplicate update_id
        (a redelivery) changes nothing and returns [], or with `replay` the replies stored at its
        first handling that `forget_replies` has not cleared: a transport redelivers an update
        only when its reply may be lost, so the reply goes out once. If handling raises,
        nothing is committed, so a redelivery of the same update is handled afresh. A message from
        a group or channel stores only its update_id, and gets a reply only when it is a command for
        this bot (see `group_chat_reply`). A tap on a button (kind CALLBACK) gets exactly one
        CallbackAnswer; when it stores an answer, the edit of the tapped message is queued in the
        outbox.
        """
        now = self._now()
        try:
            with self.store.transaction():
                # The outermost transaction rolls back by itself, so only a caller's transaction
                # around this one needs a savepoint for this update's statements.
                if self.store.transaction_depth == 1:
                    return self._handle_once(incoming, replay, now)
                with self.store.savepoint():
                    return self._handle_once(incoming, replay, now)
        except _Redelivered as redelivered:
            return redelivered.replies

    def _handle_once(self, incoming: Incoming, replay: bool, now: datetime) -> list[Reply | CallbackAnswer]:
        """Apply the update, then record its update_id with its replies in one INSERT.

        Must run in a transaction or savepoint of its own. A redelivered update is applied again
        before its INSERT finds the update_id. `_Redelivered` then rolls those effects back and
        carries what `handle` returns for it. A redelivery costs more so, but redeliveries are rare,
        and each fresh update saves the UPDATE that stored its replies after the update_id.
        NOTE: log lines written while a redelivery is applied again (a user noticed blocking the
        bot) stay, although its effects roll back.
        """
        try:
            replies = self._apply(incoming, now)
        except sqlite3.OperationalError:
            raise
        except Exception:
            # Applied again on today's state, a redelivered update may fail where its first
            # handling succeeded; it still gets what its first handling stored.
            if self.store.is_update_processed(self._event.id, incoming.update_id):
                raise _Redelivered(self._stored_replies(incoming.update_id, replay)) from None
            raise

        if not self.store.mark_update_processed(self._event.id, incoming.update_id, now, encode_replies(replies)):
            raise _Redelivered(self._stored_replies(incoming.update_id, replay))
        self._prune_processed_updates(now)
        return replies

    def _stored_replies(self, update_id: int, replay: bool) -> list[Reply | CallbackAnswer]:
        if not replay:
            return []
        return decode_replies(self.store.update_replies(self._event.id, update_id))

    def forget_replies(self, update_id: int) -> None:
        """Clear the stored replies of `update_id` just before sending them, so no redelivery repeats them.

        A transport that sends replies itself, such as polling, calls this first: a crash during the
        send then loses the reply instead of sending it twice.
        """
        with self.store.transaction():
            self.store.set_update_replies(self._event.id, update_id, None)

    def _apply(self, incoming: Incoming, now: datetime) -> list[Reply | CallbackAnswer]:
        if incoming.kind in (MessageKind.BLOCKED, MessageKind.UNBLOCKED):
            self._set_blocked(incoming.sender.user_id, incoming.kind is MessageKind.BLOCKED, now)
            return []
        if incoming.kind is MessageKind.CALLBACK:
            return [self._tap(incoming, now)]
        if incoming.chat_type != "private":
            text = group_chat_reply(self.store, self._event, incoming)
            return [] if text is None else [Reply(chat_id=incoming.chat_id, text=text)]

        conversation = self.store.upsert_participant(self._event.id, incoming.sender, now)
        turn = Turn(self.store, self._event, incoming, now, conversation)
        text = turn.reply()
        return [Reply(chat_id=incoming.chat_id, text=text, keyboard=turn.keyboard)]

    def handle_many(self, incomings: Sequence[Incoming]) -> list[list[Reply | CallbackAnswer] | Exception]:
        """Apply several updates in one transaction, each as `handle(replay=True)` would, and commit them together.

        Returns one entry per update, in order: its replies, or the exception its handling raised,
        in which case only that update's effects are rolled back. A storage failure
        (sqlite3.OperationalError, such as a locked database) rolls back every update and is raised.
        """
        if len(incomings) == 1:
            # handle() rolls back its own transaction when it raises, so one update needs no savepoint.
            return [self._handle_or_error(incomings[0])]

        results: list[list[Reply | CallbackAnswer] | Exception] = []
        seen: set[int] = set()
        with self.store.transaction():
            for incoming in incomings:
                # The same update twice in one group is one delivery racing another: only the first
                # carries the reply. A redelivery in a later group gets the stored reply again.
                if incoming.update_id in seen:
                    results.append([])
                    continue
                seen.add(incoming.update_id)
                results.append(self._handle_in_savepoint(incoming))
        return results

    def _handle_or_error(self, incoming: Incoming) -> list[Reply | CallbackAnswer] | Exception:
        try:
            return self.handle(incoming, replay=True)
        except sqlite3.OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 - returned to the caller, which logs it with the update_id
            return error

    def _handle_in_savepoint(self, incoming: Incoming) -> list[Reply | CallbackAnswer] | Exception:
        try:
            with self.store.savepoint():
                return self._handle_once(incoming, True, self._now())
        except _Redelivered as redelivered:
            return redelivered.replies
        except sqlite3.OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 - returned to the caller, which logs it with the update_id
            return error

    def mark_blocked(self, user_id: int) -> None:
        """Record that `user_id` blocked the bot, as a 403 "bot was blocked by the user" shows.

        Pending outbox items to that user's chat are cancelled, and `is_blocked` stays True until a
        my_chat_member update says the user restarted the bot.
        """
        with self.store.transaction():
            self._set_blocked(user_id, True, self._now())

    def is_blocked(self, user_id: int) -> bool:
        """Return whether the user blocked the bot in their private chat."""
        return self.store.is_blocked(self._event.id, user_id)

    def blocked_users(self) -> list[int]:
        """Return the ids of the users who blocked the bot, in id order."""
        return self.store.blocked_users(self._event.id)

    def _set_blocked(self, user_id: int, blocked: bool, now: datetime) -> None:
        was_blocked = self.store.is_blocked(self._event.id, user_id)
        self.store.set_blocked(self._event.id, user_id, blocked, now)
        if blocked and not was_blocked:
            cancelled = self.store.cancel_chat_pending(self._event.id, user_id)
            logger.info("user %d blocked the bot; %d pending messages to them cancelled", user_id, cancelled)
        elif not blocked and was_blocked:
            logger.info("user %d restarted the bot", user_id)

    def _tap(self, incoming: Incoming, now: datetime) -> CallbackAnswer:
        outcome = Tap(self.store, self._event, incoming, now).outcome()
        if outcome.confirmation is not None and incoming.message_id is not None:
            self.store.enqueue(
                self._event.id, None, "edit", TAP_CONFIRMATION, incoming.chat_id, outcome.confirmation, now,
                target_message_id=incoming.message_id,
            )
        return outcome.answer

    def _prune_processed_updates(self, now: datetime) -> None:
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_INTERVAL:
            return
        self._pruned_at = now
        deleted = self.store.prune_processed_updates(self._event.id, now - PROCESSED_UPDATES_KEPT)
        if deleted:
            logger.debug("pruned %d processed update ids of event %s", deleted, self._event.name)

    # Traffic

    def record_traffic(self, samples: Iterable[tuple[int, str, int]]) -> None:
        """Add `(second, kind, count)` samples to the event's traffic counters in one transaction.

        `second` is Unix time in whole seconds (UTC) and `kind` names what was counted, e.g. "update".
        Counts for a second and kind already stored are added to it.
        """
        with self.store.transaction():
            self.store.add_traffic(self._event.id, samples)

    # Outbox

    def refresh_live_counts(self) -> int:
        """Queue an announcement edit with the answer count of each open question whose count changed.

        A question gets at most one such edit per LIVE_COUNT_INTERVAL. A pending edit that was not
        sent yet gets the new text instead of a second edit being queued. Returns how many questions
        got a new or updated edit.
        """
        queued = 0
        with self.store.transaction():
            now = self._now()
            for question in self.questions():
                if question.state is QuestionState.OPEN and self._queue_live_count(question, now):
                    queued += 1
        return queued

    def _queue_live_count(self, question: Question, now: datetime) -> bool:
        count = self.store.count_answers(question.id)
        last_count, last_count_at = self.store.live_count(question.id)
        if count == last_count:
            return False
        if last_count_at is not None and now - last_count_at < LIVE_COUNT_INTERVAL:
            return False
        if self._event.channel_id is None:
            return False

        texts = self._channel_texts
        text = f"{texts.announcement(question, self._event.bot_username)}\n\n{texts.count_line(count)}"
        pending = self.store.pending_item_id(question.id, LIVE_COUNT)
        if pending is None:
            self._enqueue(question, "edit", LIVE_COUNT, text)
        else:
            self.store.replace_outbox_text(pending, text)
        self.store.set_live_count(question.id, count, now)
        return True

    def outbox_pending(self, limit: int = 20) -> list[OutboxItem]:
        """Return up to `limit` outbox items ready to send now, oldest first.

        An edit is ready only once the announcement it edits has been sent and its message_id stored.
        """
        if limit < 1:
            raise ValueError(f"Outbox limit {limit!r} must be at least 1.")
        return self.store.outbox_ready(self._event.id, limit)

    def outbox_sending(self, item_id: int) -> None:
        """Record, committed, that item `item_id` is about to be sent, so a crash during the call is known."""
        with self.store.transaction():
            self.store.mark_outbox_sending(item_id, self._now())

    def outbox_interrupted(self) -> list[OutboxItem]:
        """Return the items whose Bot API call was in flight when the last server stopped, and clear the mark.

        Call it once when a server starts, before sending. The items stay pending and are sent again.
        NOTE: the Bot API cannot tell whether such a call went out, and a channel's history cannot be
        read by a bot, so a post whose call succeeded just before a crash appears twice.
        """
        with self.store.transaction():
            return self.store.take_interrupted_outbox(self._event.id)

    def outbox_sent(self, item_id: int, message_id: int | None) -> None:
        """Mark an outbox item as sent; for an announcement, store the message_id that edits target.

        Reporting an item that is no longer pending changes nothing. Raises OutboxItemNotFound.
        """
        with self.store.transaction():
            record = self.store.outbox_record(item_id)
            if record.status != "pending":
                return
            self.store.mark_outbox_sent(item_id, message_id, self._now())
            if record.item.purpose == ANNOUNCEMENT and record.item.question_id is not None:
                if message_id is None:
                    logger.warning(
                        "announcement %d was sent without a message_id, so its edits cannot be sent", item_id
                    )
                else:
                    self.store.set_announcement_message_id(record.item.question_id, message_id)

    def outbox_failed(self, item_id: int, error: str, give_up: bool = False) -> None:
        """Count a failed attempt and store the error; the item stays pending for a later retry.

        With `give_up`, the item is cancelled instead, for a call that can never succeed, such as
        the edit of a message the participant deleted.
        NOTE: there is no maximum number of attempts. An item that always fails (for example
        because the bot is not an admin of the channel) stays pending, so the sender must back off.
        Raises OutboxItemNotFound.
        """
        with self.store.transaction():
            self.store.outbox_record(item_id)
            self.store.mark_outbox_failed(item_id, error, give_up)

    def outbox_target(self, item: OutboxItem) -> int | None:
        """Return the message_id that an edit item changes, or None for a send or an unsent announcement."""
        if item.action != "edit":
            return None
        if item.target_message_id is not None:
            return item.target_message_id
        if item.question_id is None:
            return None
        return self.store.question_by_id(item.question_id).announcement_message_id

    # Helpers

    @property
    def _channel_texts(self) -> Texts:
        return LANGUAGES[self._event.language]

    def _enqueue(self, question: Question | None, action: str, purpose: str, text: str) -> None:
        if self._event.channel_id is None:
            return
        question_id = None if question is None else question.id
        self.store.enqueue(self._event.id, question_id, action, purpose, self._event.channel_id, text, self._now())

    def _now(self) -> datetime:
        return _checked(self._clock())


def _checked_settings(
    current: EventSettings, podium_size: int | None, scoring: bool | None, leaderboard: bool | None
) -> EventSettings:
    """Return `current` with the given settings replaced, or raise InvalidEvent for a bad value."""
    if podium_size is not None:
        if isinstance(podium_size, bool) or not isinstance(podium_size, int) or not 1 <= podium_size <= PODIUM_SIZE_MAX:
            raise InvalidEvent(
                f"Podium size {podium_size!r} is invalid; give the number of winners each results post lists, "
                f"a whole number from 1 to {PODIUM_SIZE_MAX}."
            )
        current = EventSettings(podium_size, current.scoring, current.leaderboard)
    for name, value in (("scoring", scoring), ("leaderboard", leaderboard)):
        if value is not None and not isinstance(value, bool):
            raise InvalidEvent(f"Setting {name}={value!r} is invalid; pass True or False.")
    return EventSettings(
        current.podium_size,
        current.scoring if scoring is None else scoring,
        current.leaderboard if leaderboard is None else leaderboard,
    )


def _check_question_length(text: str, options: tuple[str, ...]) -> None:
    """Raise InvalidQuestion when the text and the numbered options together exceed MAX_QUESTION_CHARS.

    Every message that shows the question shows its options too, so both share the budget.
    """
    options_chars = sum(len(f"\n{index}. {option}") for index, option in enumerate(options, 1))
    total = len(text) + options_chars
    if options and total > MAX_QUESTION_CHARS:
        raise InvalidQuestion(
            f"Question text and options have {total} characters together, more than the {MAX_QUESTION_CHARS} "
            f"that fit in a channel post; shorten the text by {total - MAX_QUESTION_CHARS} characters."
        )


def _checked_time_limit(time_limit_s: float | None, accepted: tuple[str, ...], label: str) -> float | None:
    """Return the time limit as a float, or raise InvalidQuestion for a bad one or missing answers."""
    if time_limit_s is None:
        return None
    valid_type = isinstance(time_limit_s, (int, float)) and not isinstance(time_limit_s, bool)
    if not valid_type or not TIME_LIMIT_MIN_S <= time_limit_s <= TIME_LIMIT_MAX_S:
        raise InvalidQuestion(
            f"Time limit {time_limit_s!r} of {label} is invalid; give the seconds participants have to answer, "
            f"from {TIME_LIMIT_MIN_S} to {TIME_LIMIT_MAX_S}."
        )
    if not accepted:
        raise InvalidQuestion(
            f"{label.capitalize()} has a time limit but no accepted answers; a timed question closes by itself, "
            f"so give its answers now, e.g. answers=['Roma'], time_limit_s={time_limit_s!r}."
        )
    return float(time_limit_s)


def _checked(moment: datetime) -> datetime:
    """Return the clock's reading, or raise ValueError when it has no time zone."""
    if moment.tzinfo is None:
        raise ValueError(f"The clock returned {moment!r} without a time zone; return an aware UTC datetime.")
    return moment
