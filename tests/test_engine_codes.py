"""Question codes: generated, custom, invalid, and looking questions up by number or code."""

from __future__ import annotations

import re

import pytest

from quizkit.answers import CODE_LETTERS
from quizkit.errors import InvalidQuestion, QuestionNotFound
from quizkit.model import QuestionState
from tests.engine_support import ANNA, chat, clock, quiz, store  # noqa: F401  (pytest fixtures)


def test_add_question_generates_code_with_number(quiz):
    question = quiz.add_question(text="Largest planet?", answers=["Jupiter"])

    assert question.number == 3
    assert re.fullmatch(f"[{CODE_LETTERS}]{{2}}3", question.code)
    assert question.state is QuestionState.DRAFT
    assert question.answers == ("Jupiter",)


def test_add_question_generated_codes_unique(quiz):
    codes = [quiz.add_question(text=f"Question {index}?", answers=["x"]).code for index in range(30)]

    assert len({code.upper() for code in codes}) == 30


def test_add_question_keeps_custom_code(quiz):
    question = quiz.add_question(text="Largest planet?", answers=["Jupiter"], code="giove_3")

    assert question.code == "giove_3"


def test_add_question_invalid_code_says_allowed_characters(quiz):
    with pytest.raises(InvalidQuestion) as raised:
        quiz.add_question(text="Largest planet?", answers=["Jupiter"], code="giove 3!")

    assert str(raised.value) == (
        "Question code 'giove 3!' is invalid: a code is 1 to 64 characters from A-Z, a-z, 0-9, "
        "underscore and hyphen, because it travels as a Telegram deep-link payload."
    )


def test_add_question_duplicate_code_rejected(quiz):
    with pytest.raises(InvalidQuestion) as raised:
        quiz.add_question(text="Largest planet?", answers=["Jupiter"], code="kx1")

    assert str(raised.value) == (
        "Question code 'kx1' is already used by question 1 in event 'codeweek'; "
        "choose another code, or leave code=None to generate one."
    )


def test_add_question_empty_text_rejected(quiz):
    with pytest.raises(InvalidQuestion) as raised:
        quiz.add_question(text="   ", answers=["x"])

    assert str(raised.value) == (
        "Question text '   ' is empty; pass the text participants should read, e.g. 'Capital of Italy?'."
    )


def test_add_question_too_long_text_rejected(quiz):
    with pytest.raises(InvalidQuestion) as raised:
        quiz.add_question(text="x" * 3501, answers=["x"])

    assert str(raised.value) == (
        "Question text has 3501 characters, more than the 3500 that fit in a channel post; shorten it."
    )


def test_add_question_answers_optional(quiz):
    question = quiz.add_question(text="Largest planet?")

    assert question.answers == ()


def test_question_by_number(quiz):
    assert quiz.question(2).code == "HT2"


def test_question_by_code_ignores_case(quiz):
    assert quiz.question("kx1").number == 1
    assert quiz.question(" Ht2 ").number == 2


def test_question_by_digit_string(quiz):
    assert quiz.question("2").code == "HT2"


def test_question_unknown_code_lists_codes(quiz):
    with pytest.raises(QuestionNotFound) as raised:
        quiz.question("IY9")

    assert str(raised.value) == "Question code 'IY9' not found in event 'codeweek'; questions: KX1, HT2"


def test_question_unknown_number_lists_numbers(quiz):
    with pytest.raises(QuestionNotFound) as raised:
        quiz.question(9)

    assert str(raised.value) == "Question number 9 not found in event 'codeweek'; questions: 1 (KX1), 2 (HT2)"


def test_question_lookup_in_empty_event(store, clock):
    from quizkit.engine import Engine

    empty = Engine.create_event(store, name="empty", language="en", channel_id=-1, bot_username="quizkit_bot", clock=clock)

    with pytest.raises(QuestionNotFound) as raised:
        empty.question("KX1")

    assert str(raised.value) == (
        "Question code 'KX1' not found in event 'empty'; the event has no questions yet, "
        "so add one with engine.add_question(...)."
    )


def test_question_rejects_other_reference_types(quiz):
    with pytest.raises(TypeError):
        quiz.question(1.0)


def test_typed_code_with_spaces_selects_question(quiz, chat):
    quiz.open_question(1)

    reply = chat.send(ANNA, "kx 1")

    assert reply == "<b>Question 1</b>\nCapital of Italy?\n\nSend me your answer in a message."
