"""A number question through the emulator and the webhook server: comma or dot, tolerance, ranks, replies."""

from __future__ import annotations

import re

import pytest

from quizkit.emulator import SimUser
from quizkit.engine import Engine
from quizkit.server import Server
from quizkit.store import Store
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN

# Each student's first answer, in the order Telegram receives them.
STUDENTS = [
    (SimUser(user_id=200000001, first_name="Anna", language_code="en"), "3,14"),
    (SimUser(user_id=200000002, first_name="Bruno", language_code="en"), "3.14"),
    (SimUser(user_id=200000003, first_name="Carla", language_code="en"), " 3.140 "),
    (SimUser(user_id=200000004, first_name="Dario", language_code="en"), "3.2"),
    (SimUser(user_id=200000005, first_name="Elena", language_code="en"), "tre"),
]
LATE_STUDENT = SimUser(user_id=200000006, first_name="Franco", language_code="en")
PROMPT = "Question 1\nPi to two decimals?\n\nSend me your answer in a message."


@pytest.fixture
def played(db_path, emulator):
    """Play the question: every student answers, the host closes it with "3.14 ± 0.01", one answer arrives late."""
    store = Store(db_path)
    engine = Engine.create_event(store, name="pi-day", language="en", channel_id=CHANNEL_ID, bot_username=BOT_USERNAME)
    engine.add_question(text="Pi to two decimals?", code="PI1", kind="number")

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token="s3cret") as server:
        server.call(engine.open_question, "PI1")
        update_ids = {}
        for student, text in STUDENTS:
            emulator.send_text(TOKEN, student, "/start PI1")
            update_ids[student.first_name] = emulator.send_text(TOKEN, student, text)
        assert emulator.wait_delivered(TOKEN, 10)

        result = server.call(engine.close_question, "PI1", ["3.14 ± 0.01"])
        emulator.send_text(TOKEN, LATE_STUDENT, "/start PI1")
        emulator.send_text(TOKEN, LATE_STUDENT, "3,15")
        assert emulator.wait_delivered(TOKEN, 10)
        assert server.drain_outbox(10)

        question = server.call(engine.question, "PI1")
        answers = {answer.user_id: answer for answer in server.call(store.answers, question.id)}
    yield result, answers, update_ids
    store.close()


def test_number_answers_correct_flags(played):
    _, answers, _ = played

    flags = {student.first_name: answers[student.user_id].correct for student, _ in STUDENTS}
    assert flags == {"Anna": True, "Bruno": True, "Carla": True, "Dario": False, "Elena": False}


def test_number_answers_ranked_by_update_id(played):
    _, answers, update_ids = played

    ranks = {student.first_name: answers[student.user_id].rank for student, _ in STUDENTS}
    assert ranks == {"Anna": 1, "Bruno": 2, "Carla": 3, "Dario": None, "Elena": None}
    assert update_ids["Anna"] < update_ids["Bruno"] < update_ids["Carla"]


def test_number_answers_stored_raw_and_late(played):
    _, answers, _ = played

    assert [answers[student.user_id].raw_text for student, _ in STUDENTS] == [text for _, text in STUDENTS]
    assert not any(answers[student.user_id].late for student, _ in STUDENTS)
    assert answers[LATE_STUDENT.user_id].late
    assert answers[LATE_STUDENT.user_id].correct is True
    assert answers[LATE_STUDENT.user_id].rank is None


def test_number_answers_result_totals(played):
    result, _, _ = played

    assert result.answers == 5
    assert result.people_reached == 5
    assert result.correct == 3
    assert [entry.display_name for entry in result.podium] == ["Anna", "Bruno", "Carla"]
    assert [entry.rank for entry in result.podium] == [1, 2, 3]


def test_number_answers_replies_to_students(played, emulator):
    for student, text in STUDENTS:
        replies = [message["text"] for message in emulator.messages(student.user_id)]
        assert replies == [
            PROMPT,
            f"Got it! Your answer to question 1: {text.strip()}\n"
            "The results will appear on the channel when the question closes.",
        ], student.first_name


def test_number_answers_late_reply(played, emulator):
    replies = [message["text"] for message in emulator.messages(LATE_STUDENT.user_id)]

    assert replies == [
        "Question 1\nPi to two decimals?\n\nThis question is closed: you can still answer to find out whether "
        "you were right, but your answer won't count for the leaderboard.",
        "✅ Right! The answer is 3.14 ± 0.01.\nThe question was already closed, so your answer doesn't count "
        "for the leaderboard. 60% of the answers in time were correct.",
    ]


def test_number_answers_channel_posts(played, emulator):
    channel = [message["text"] for message in emulator.messages(CHANNEL_ID)]

    # The delays come from the wall clock, so a loaded machine may show 0.1 s; only the digits vary.
    delays = re.compile(r"\((\d+\.\d) s\)")
    assert [delays.sub("(N s)", text) for text in channel] == [
        "Question 1\nPi to two decimals?\n\n✅ Answer: 3.14 ± 0.01\nClosed with 5 answers.",
        "Question 1: results\n✅ 3.14 ± 0.01\nAnswers: 5 · People reached: 5 · Correct: 60%\n\n"
        "🥇 Anna (N s)\n🥈 Bruno (N s)\n🥉 Carla (N s)",
    ]
