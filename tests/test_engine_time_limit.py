"""Time limits: validation, the announcement, the time left, late answers and closing on time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from quizkit.engine import Engine
from quizkit.errors import InvalidQuestion
from quizkit.model import MessageKind, QuestionState
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    CARLA,
    START,
    chat,
    clock,
    outbox_rows,
    quiz,
    store,
)

LIMIT_ERROR = "from 5 to 86400."


@pytest.fixture
def timed(quiz):
    """Question 3 (code TM3): 30 seconds to name the capital of France."""
    return quiz.add_question(text="Capital of France?", answers=["Parigi", "Paris"], code="TM3", time_limit_s=30)


def test_time_limit_stored(timed, store):
    assert timed.time_limit_s == 30.0
    assert timed.deadline_at is None
    assert store.question_by_id(timed.id).time_limit_s == 30.0


def test_time_limit_needs_answers(quiz):
    with pytest.raises(InvalidQuestion) as raised:
        quiz.add_question(text="Capital of France?", time_limit_s=30)

    assert str(raised.value) == (
        "Question 3 has a time limit but no accepted answers; a timed question closes by itself, so give its "
        "answers now, e.g. answers=['Roma'], time_limit_s=30."
    )
    assert len(quiz.questions()) == 2


@pytest.mark.parametrize("limit", [0, 4.9, -30, 86401, float("nan"), float("inf"), "30", True])
def test_time_limit_rejects_bad_values(quiz, limit):
    with pytest.raises(InvalidQuestion) as raised:
        quiz.add_question(text="Capital of France?", answers=["Paris"], time_limit_s=limit)

    assert str(raised.value) == (
        f"Time limit {limit!r} of question 3 is invalid; give the seconds participants have to answer, {LIMIT_ERROR}"
    )


def test_time_limit_deadline_set_on_open(quiz, timed, clock):
    clock.advance(10)

    opened = quiz.open_question("TM3")

    assert opened.opened_at == START + timedelta(seconds=10)
    assert opened.deadline_at == START + timedelta(seconds=40)


@pytest.mark.parametrize(
    ("language", "line"), [("en", "⏱ Time limit: 30 s"), ("it", "⏱ Tempo a disposizione: 30 s")]
)
def test_time_limit_in_announcement(store, clock, language, line):
    engine = Engine.create_event(store, name=f"timed-{language}", language=language, channel_id=-1001,
                                 bot_username="quizkit_bot", clock=clock)
    engine.add_question(text="Capital of France?", answers=["Paris"], code="TM1", time_limit_s=30)

    engine.open_question(1)

    announcement = outbox_rows(store, engine.event.id)[-1][3]
    assert announcement.splitlines()[3] == line


def test_time_limit_minutes_in_announcement(quiz, store):
    quiz.add_question(text="Long one?", answers=["yes"], time_limit_s=120)

    quiz.open_question(3)

    assert "⏱ Time limit: 2 min\nTo answer, open " in outbox_rows(store, quiz.event.id)[-1][3]


def test_time_left_in_selection(quiz, timed, chat, clock):
    quiz.open_question("TM3")
    clock.advance(12.5)

    reply = chat.send(ANNA, "/start TM3")

    assert reply == "<b>Question 3</b>\nCapital of France?\n\nSend me your answer in a message.\n⏱ 18 s left."


def test_time_up_selection_says_closed(quiz, timed, chat, clock):
    quiz.open_question("TM3")
    clock.advance(31)

    reply = chat.send(ANNA, "/start TM3")

    assert reply.endswith("This question is closed: you can still answer to find out whether you were right, "
                          "but your answer won't count for the leaderboard.")


def test_answer_after_deadline_is_late(quiz, timed, chat, clock):
    quiz.open_question("TM3")
    chat.answer(ANNA, "TM3", "Paris")
    chat.send(BRUNO, "/start TM3")
    clock.advance(30.5)

    reply = chat.send(BRUNO, "Paris")

    stored = quiz.store.answer(timed.id, BRUNO.user_id)
    assert (stored.late, stored.correct, stored.score) == (True, True, 0)
    assert reply.startswith("✅ Right! The answer is <b>Parigi</b>.")
    assert quiz.question("TM3").state is QuestionState.OPEN


def test_answer_at_deadline_is_in_time(quiz, timed, chat, clock):
    quiz.open_question("TM3")
    chat.send(ANNA, "/start TM3")
    clock.advance(30)

    chat.send(ANNA, "Paris")

    assert quiz.store.answer(timed.id, ANNA.user_id).late is False


def test_close_expired_closes_only_expired(quiz, timed, chat, clock, store):
    quiz.open_question(1)
    quiz.open_question("TM3")
    chat.answer(ANNA, "TM3", "Paris")
    clock.advance(29)

    early = quiz.close_expired_questions()
    clock.advance(2)
    closed = quiz.close_expired_questions()
    again = quiz.close_expired_questions()

    assert early == []
    assert [result.question.code for result in closed] == ["TM3"]
    assert [entry.display_name for entry in closed[0].podium] == ["Anna Rossi"]
    assert again == []
    assert quiz.question("TM3").closed_at == START + timedelta(seconds=31)
    assert quiz.question(1).state is QuestionState.OPEN
    assert [row[1] for row in outbox_rows(store, quiz.event.id)][-2:] == ["results", "answer_reveal"]


def test_close_expired_after_restart(quiz, timed, clock, store):
    quiz.open_question("TM3")
    clock.advance(3600)

    restarted = Engine.load(store, "codeweek", clock=clock)
    closed = restarted.close_expired_questions()

    assert [result.question.code for result in closed] == ["TM3"]
    assert restarted.question("TM3").state is QuestionState.CLOSED


def test_close_before_deadline_by_host(quiz, timed, clock):
    quiz.open_question("TM3")
    clock.advance(5)

    result = quiz.close_question("TM3", answers=["Paris"])
    clock.advance(60)

    assert result.question.closed_at == START + timedelta(seconds=5)
    assert quiz.close_expired_questions() == []


def test_timed_choice_tap_after_deadline_is_late(quiz, chat, clock):
    question = quiz.add_question(text="Capital?", kind="choice", options=["Roma", "Milano"], answers=["Roma"],
                                 time_limit_s=10)
    quiz.open_question(question.number)
    clock.advance(11)
    tap = replace(chat.incoming(CARLA, None, MessageKind.CALLBACK), callback_query_id="q1",
                  callback_data=f"c:{quiz.event.id}:{question.id}:0")

    answer = quiz.handle(tap)[0]

    assert answer.show_alert is True
    assert answer.text.startswith("✅ Esatto! La risposta è Roma.")
    assert quiz.store.answer(question.id, CARLA.user_id).late is True


def test_close_expired_with_microseconds(quiz, timed, clock):
    clock.advance(0.25)
    quiz.open_question("TM3")
    clock.advance(29.9)

    early = quiz.close_expired_questions()
    clock.advance(0.1)
    closed = quiz.close_expired_questions()

    assert early == []
    assert [result.question.code for result in closed] == ["TM3"]
