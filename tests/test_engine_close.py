"""Closing a question: ranking by update_id, the channel posts, idempotence, the leaderboard."""

from __future__ import annotations

import pytest

from quizkit.errors import InvalidQuestion, QuestionStateError
from quizkit.model import Participant, QuestionState, Sender
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    CARLA,
    DARIO,
    chat,
    chat_it,
    clock,
    outbox_rows,
    quiz,
    quiz_it,
    store,
)


def _answer_in_order(quiz, chat, clock):
    """Anna answers Roma after 2 s, Bruno Milano after 3 s, Carla rome after 4.5 s."""
    quiz.open_question(1)
    for user, delay, text in [(ANNA, 2, "Roma"), (BRUNO, 1, "Milano"), (CARLA, 1.5, "rome")]:
        chat.send(user, "KX1")
        clock.advance(delay)
        chat.send(user, text)


def test_close_ranks_by_update_id(quiz, chat):
    quiz.open_question(1)
    for user in (ANNA, BRUNO, CARLA):
        chat.send(user, "KX1")
    # Handled in another order than Telegram received them.
    chat.send(ANNA, "Roma", update_id=30)
    chat.send(BRUNO, "Roma", update_id=10)
    chat.send(CARLA, "Roma", update_id=20)

    result = quiz.close_question(1)

    assert [entry.user_id for entry in result.podium] == [BRUNO.user_id, CARLA.user_id, ANNA.user_id]
    assert [entry.rank for entry in result.podium] == [1, 2, 3]
    question_id = quiz.question(1).id
    assert quiz.store.answer(question_id, BRUNO.user_id).rank == 1
    assert quiz.store.answer(question_id, CARLA.user_id).rank == 2
    assert quiz.store.answer(question_id, ANNA.user_id).rank == 3


def test_close_wrong_answers_unranked(quiz, chat, clock):
    _answer_in_order(quiz, chat, clock)

    quiz.close_question(1)

    stored = quiz.store.answer(quiz.question(1).id, BRUNO.user_id)
    assert stored.correct is False
    assert stored.rank is None


def test_close_returns_totals(quiz, chat, clock):
    _answer_in_order(quiz, chat, clock)

    result = quiz.close_question(1)

    assert result.answers == 3
    assert result.correct == 2
    assert result.people_reached == 3
    assert result.percent_correct == pytest.approx(200 / 3)
    assert [entry.delay_s for entry in result.podium] == [2.0, 4.5]
    assert result.question.state is QuestionState.CLOSED
    assert result.question.closed_at == clock.now


def test_close_queues_results_and_answer_edit(quiz, chat, clock, store):
    _answer_in_order(quiz, chat, clock)

    quiz.close_question(1)

    assert outbox_rows(store, quiz.event.id)[1:] == [
        (
            "send",
            "results",
            "pending",
            "<b>Question 1: results</b>\n✅ Roma\nAnswers: 3 · People reached: 3 · Correct: 67%\n\n"
            "🥇 Anna Rossi (2.0 s)\n🥈 Carla (4.5 s)",
        ),
        (
            "edit",
            "answer_reveal",
            "pending",
            "<b>Question 1</b>\nCapital of Italy?\n\n✅ Answer: <b>Roma</b>\nClosed with 3 answers.",
        ),
    ]


def test_close_podium_has_three_entries(quiz, chat):
    quiz.open_question(1)
    for user in (ANNA, BRUNO, CARLA, DARIO):
        chat.answer(user, "KX1", "Roma")

    result = quiz.close_question(1)

    assert [entry.display_name for entry in result.podium] == ["Anna Rossi", "Bruno", "Carla"]
    assert result.correct == 4


def test_close_nobody_answered_post(quiz, store):
    quiz.open_question(1)

    quiz.close_question(1)

    assert outbox_rows(store, quiz.event.id)[1][3] == (
        "<b>Question 1: results</b>\n✅ Roma\nAnswers: 0 · People reached: 0 · Correct: 0%\n\nNobody answered."
    )


def test_close_nobody_correct_post(quiz, chat, store):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Milano")

    quiz.close_question(1)

    assert outbox_rows(store, quiz.event.id)[1][3] == (
        "<b>Question 1: results</b>\n✅ Roma\nAnswers: 1 · People reached: 1 · Correct: 0%\n\n"
        "Nobody answered correctly."
    )


def test_close_italian_posts(quiz_it, chat_it, clock, store):
    quiz_it.open_question(1)
    clock.advance(3.5)
    chat_it.answer(CARLA, "KX1", "Roma")

    quiz_it.close_question(1)

    assert [row[3] for row in outbox_rows(store, quiz_it.event.id)[1:]] == [
        "<b>Domanda 1: i risultati</b>\n✅ Roma\nRisposte: 1 · Persone raggiunte: 1 · Esatte: 100%\n\n"
        "🥇 Carla (3,5 s)",
        "<b>Domanda 1</b>\nCapital of Italy?\n\n✅ Risposta: <b>Roma</b>\nDomanda chiusa con 1 risposta.",
    ]


def test_close_twice_same_result(quiz, chat, clock, store):
    _answer_in_order(quiz, chat, clock)
    first = quiz.close_question(1)
    rows = outbox_rows(store, quiz.event.id)
    clock.advance(60)

    second = quiz.close_question(1)

    assert second == first
    assert outbox_rows(store, quiz.event.id) == rows


def test_close_twice_same_answers_accepted(quiz, chat):
    quiz.open_question(1)
    first = quiz.close_question(1, answers=["Roma", "Rome"])

    assert quiz.close_question(1, answers=["Roma", "Rome"]) == first


def test_close_twice_other_answers_rejected(quiz):
    quiz.open_question(1)
    quiz.close_question(1)

    with pytest.raises(QuestionStateError) as raised:
        quiz.close_question(1, answers=["Milano"])

    assert str(raised.value) == (
        "Question 1 (KX1) is already closed with answers ['Roma', 'Rome']; its results cannot change, "
        "so close it without answers to read them, or use engine.result('KX1')."
    )


def test_close_with_answers_given_at_close(quiz, chat):
    question = quiz.add_question(text="Largest planet?", code="GV3")
    quiz.open_question("GV3")
    chat.answer(ANNA, "GV3", "giove")
    chat.answer(BRUNO, "GV3", "Saturn")

    result = quiz.close_question("GV3", answers=["Jupiter", "Giove"])

    assert result.correct == 1
    assert quiz.question(question.number).answers == ("Jupiter", "Giove")


def test_close_without_answers_rejected(quiz):
    quiz.add_question(text="Largest planet?", code="GV3")
    quiz.open_question("GV3")

    with pytest.raises(InvalidQuestion) as raised:
        quiz.close_question("GV3")

    assert str(raised.value) == (
        "Question 3 (GV3) has no accepted answers; pass them when closing, e.g. "
        "engine.close_question('GV3', answers=['Roma'])."
    )
    assert quiz.question("GV3").state is QuestionState.OPEN


def test_close_draft_rejected(quiz):
    with pytest.raises(QuestionStateError) as raised:
        quiz.close_question(2)

    assert str(raised.value) == (
        "Question 2 (HT2) is a draft, so it cannot be closed; open it first with engine.open_question('HT2')."
    )


def test_open_closed_question_rejected(quiz):
    quiz.open_question(1)
    quiz.close_question(1)

    with pytest.raises(QuestionStateError) as raised:
        quiz.open_question(1)

    assert str(raised.value) == (
        "Question 1 (KX1) is already closed and cannot be reopened; add a new question instead."
    )


def test_open_twice_queues_one_announcement(quiz, store, clock):
    first = quiz.open_question(1)
    clock.advance(10)

    second = quiz.open_question(1)

    assert second.opened_at == first.opened_at
    assert len(outbox_rows(store, quiz.event.id)) == 1


def test_close_display_names_never_none(quiz, chat):
    nameless = Sender(user_id=301, first_name="", language_code="en")
    username_only = Sender(user_id=302, first_name="", username="ghost", language_code="en")
    quiz.open_question(1)
    chat.answer(nameless, "KX1", "Roma")
    chat.answer(username_only, "KX1", "Roma")

    result = quiz.close_question(1)

    assert [entry.display_name for entry in result.podium] == ["#301", "@ghost"]


@pytest.mark.parametrize(
    ("participant", "expected"),
    [
        (Participant(user_id=303, first_name="\u200b", username="ghost"), "@ghost"),
        (Participant(user_id=304, first_name="\u200b\u2060", last_name="\u3164\x07"), "#304"),
        (Participant(user_id=305, first_name="Anna", team_name="\u200b\u200b\u200b"), "Anna"),
        (Participant(user_id=306, first_name="\u202eAnna", last_name="Rossi\u2067"), "Anna Rossi"),
        (Participant(user_id=307, first_name="Anna", team_name="\u202aThe\u202c Owls\u2068"), "The Owls"),
        (Participant(user_id=308, first_name=" Anna\t", last_name="\ufeff "), "Anna"),
    ],
)
def test_participant_display_name_invisible_characters(participant, expected):
    assert participant.display_name == expected


def test_close_podium_names_without_bidi_controls(quiz, chat):
    reversing = Sender(user_id=309, first_name="\u202eAnna", last_name="Rossi\u2066", language_code="en")
    invisible = Sender(user_id=310, first_name="\u200b", language_code="en")
    quiz.open_question(1)
    chat.answer(reversing, "KX1", "Roma")
    chat.answer(invisible, "KX1", "Roma")

    result = quiz.close_question(1)

    assert [entry.display_name for entry in result.podium] == ["Anna Rossi", "#310"]
    results_post = outbox_rows(quiz.store, quiz.event.id)[-2][3]
    assert results_post.endswith("\n\n🥇 Anna Rossi (0.0 s)\n🥈 #310 (0.0 s)")


def test_result_of_open_question_previews(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    chat.answer(BRUNO, "KX1", "Milano")

    result = quiz.result(1)

    assert result.answers == 2
    assert result.correct == 1
    assert result.question.state is QuestionState.OPEN


def test_leaderboard_orders_by_correct_then_delay(quiz, chat, clock):
    quiz.open_question(1)
    quiz.open_question(2)
    clock.advance(5)
    chat.answer(ANNA, "KX1", "Roma")      # 5 s
    chat.answer(BRUNO, "KX1", "Roma")     # 5 s
    clock.advance(5)
    chat.answer(CARLA, "KX1", "Roma")     # 10 s
    chat.answer(CARLA, "HT2", "42")       # 10 s
    chat.answer(BRUNO, "HT2", "42")       # 10 s
    chat.answer(ANNA, "HT2", "41")
    chat.answer(DARIO, "HT2", "43")
    quiz.close_question(1)
    quiz.close_question(2)

    rows = quiz.leaderboard()

    assert [(row.position, row.user_id, row.correct, row.delay_s) for row in rows] == [
        (1, BRUNO.user_id, 2, 15.0),
        (2, CARLA.user_id, 2, 20.0),
        (3, ANNA.user_id, 1, 5.0),
    ]


def test_leaderboard_ties_broken_by_user_id(quiz, chat):
    quiz.open_question(1)
    chat.answer(BRUNO, "KX1", "Roma")
    chat.answer(ANNA, "KX1", "Roma")
    quiz.close_question(1)

    assert [row.user_id for row in quiz.leaderboard()] == [ANNA.user_id, BRUNO.user_id]


def test_leaderboard_counts_closed_questions_only(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")

    assert quiz.leaderboard() == []


def test_leaderboard_limit(quiz, chat):
    quiz.open_question(1)
    for user in (ANNA, BRUNO, CARLA):
        chat.answer(user, "KX1", "Roma")
    quiz.close_question(1)

    assert len(quiz.leaderboard(limit=2)) == 2


def test_post_leaderboard_queues_post(quiz, chat, clock, store):
    quiz.open_question(1)
    clock.advance(4)
    chat.answer(ANNA, "KX1", "Roma")
    quiz.close_question(1)

    quiz.post_leaderboard()

    assert outbox_rows(store, quiz.event.id)[-1] == (
        "send",
        "leaderboard",
        "pending",
        "🏆 <b>Final leaderboard</b>\n\n🥇 Anna Rossi: 1 correct, 4.0 s",
    )


def test_post_leaderboard_without_results(quiz, store):
    quiz.post_leaderboard()

    assert outbox_rows(store, quiz.event.id) == [
        ("send", "leaderboard", "pending", "🏆 <b>Final leaderboard</b>\n\nNo results yet.")
    ]


def test_close_rejects_overlong_accepted_answer(quiz):
    quiz.open_question(1)

    with pytest.raises(InvalidQuestion, match="has 201 characters, more than the 200 that fit"):
        quiz.close_question(1, answers=["A" * 201])
    assert quiz.question(1).state is QuestionState.OPEN


def test_add_question_rejects_overlong_accepted_answer(quiz):
    with pytest.raises(InvalidQuestion, match="has 5000 characters, more than the 200 that fit"):
        quiz.add_question(text="Long?", answers=["B" * 5000])


def test_close_with_empty_answers_keeps_nothing_and_says_why(quiz):
    quiz.open_question(1)

    with pytest.raises(InvalidQuestion, match=r"Question 1 \(KX1\): answers=\[\] gives no accepted answer; pass "
                                              r"answers=None to keep \['Roma', 'Rome'\]"):
        quiz.close_question(1, answers=[])

    assert quiz.question(1).state is QuestionState.OPEN
