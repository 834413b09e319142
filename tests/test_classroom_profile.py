"""The classroom profile built from a teacher's own questions, as the classroom notebook uses it."""

from __future__ import annotations

import pytest

from quizkit.answers import is_correct
from quizkit.emulator.crowd import Crowd
from quizkit.emulator.profiles import CLASSROOM, classroom_profile

QUESTIONS = [
    ("Qual è la capitale d'Italia?", ["Roma", "Rome"], "text"),
    ("Quanto fa 7 × 8?", ["56"], "number"),
    ("Chi ha scritto la Divina Commedia?", ["Dante", "Dante Alighieri"], "text"),
    ("Quanto vale pi greco, con due decimali?", ["3.14 ± 0.01"], "number"),
    ("In quale città si trova la Torre pendente?", ["Pisa"], "text"),
    ("Quanti lati ha un esagono?", ["6"], "number"),
]


class _NoSink:
    def send_text(self, token, user, text):
        return 0

    def send_update(self, token, payload):
        return 0

    def messages(self, chat_id):
        return []


def test_classroom_profile_uses_given_questions():
    profile = classroom_profile(QUESTIONS)

    assert [question.text for question in profile.questions] == [text for text, _, _ in QUESTIONS]
    assert profile.participants == CLASSROOM.participants
    assert profile.answers == CLASSROOM.answers + CLASSROOM.answers[:1]
    assert profile.late == CLASSROOM.late + CLASSROOM.late[:1]


def test_classroom_profile_text_wrong_answers():
    question = classroom_profile(QUESTIONS).questions[0]

    assert question.answers == ("Roma", "Rome")
    assert question.wrong_answers == ("Dante", "Pisa", "non lo so")


def test_classroom_profile_number_answers():
    questions = classroom_profile(QUESTIONS).questions

    assert questions[1].answers == ("56",)
    assert questions[1].wrong_answers == ("57", "55", "561")
    assert questions[3].answers == ("3.14", "3,14")
    for wrong in questions[3].wrong_answers:
        assert not is_correct(wrong, ["3.14 ± 0.01"], "number"), wrong


def test_classroom_profile_choice_answers_are_options():
    profile = classroom_profile([("Di che colore è il cielo?", ["Blu"], "choice", ["Rosso", "Blu", "Verde"])])

    question = profile.questions[0]
    assert question.answers == ("Blu",)
    assert question.wrong_answers == ("Rosso", "Verde")


def test_classroom_profile_plays_in_crowd():
    crowd = Crowd(_NoSink(), "token", profile=classroom_profile(QUESTIONS), seed=7)

    assert len(crowd.expected) == len(QUESTIONS)
    assert crowd.totals["participants"] == 25


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([], "at least one question"),
        ([("Senza risposta?", [], "text")], "no accepted answers"),
        ([("Numero?", ["tanti"], "number")], "is not a number"),
        ([("Cielo?", ["Viola"], "choice", ["Rosso", "Blu"])], r"accepts \['Viola'\], which is none of its options"),
        ([("Cielo?", ["Rosso", "Blu"], "choice", ["Rosso", "Blu"])], "accepts every option"),
    ],
    ids=["no-questions", "no-answers", "not-a-number", "answer-not-an-option", "every-option-right"],
)
def test_classroom_profile_rejects_invalid(questions, message):
    with pytest.raises(ValueError, match=message):
        classroom_profile(questions)
