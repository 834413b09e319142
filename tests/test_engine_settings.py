"""Event settings: podium size, speed scores and the leaderboard switch."""

from __future__ import annotations

import pytest

from quizkit.engine import Engine
from quizkit.errors import InvalidEvent
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BOT_USERNAME,
    BRUNO,
    CARLA,
    CHANNEL_ID,
    DARIO,
    ELENA,
    chat,
    clock,
    outbox_rows,
    quiz,
    store,
)

EVERYONE = (ANNA, BRUNO, CARLA, DARIO, ELENA)


def results_post(store, quiz) -> str:
    return [row[3] for row in outbox_rows(store, quiz.event.id) if row[1] == "results"][-1]


def test_settings_default(quiz):
    event = quiz.event

    assert (event.podium_size, event.scoring, event.leaderboard) == (3, False, True)


def test_settings_given_at_creation(store, clock):
    engine = Engine.create_event(
        store, name="finals", language="it", channel_id=CHANNEL_ID, bot_username=BOT_USERNAME, clock=clock,
        podium_size=10, scoring=True, leaderboard=False,
    )

    reloaded = Engine.load(store, "finals").event
    assert (reloaded.podium_size, reloaded.scoring, reloaded.leaderboard) == (10, True, False)
    assert engine.event == reloaded


def test_settings_update_keeps_others(quiz, store):
    quiz.update_settings(scoring=True)
    event = quiz.update_settings(podium_size=5)

    assert (event.podium_size, event.scoring, event.leaderboard) == (5, True, True)
    assert Engine.load(store, "codeweek").event == event


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"podium_size": 0}, "Podium size 0 is invalid; give the number of winners each results post lists, a whole number from 1 to 20."),
        ({"podium_size": 21}, "Podium size 21 is invalid; give the number of winners each results post lists, a whole number from 1 to 20."),
        ({"podium_size": "5"}, "Podium size '5' is invalid; give the number of winners each results post lists, a whole number from 1 to 20."),
        ({"podium_size": True}, "Podium size True is invalid; give the number of winners each results post lists, a whole number from 1 to 20."),
        ({"podium_size": 3.0}, "Podium size 3.0 is invalid; give the number of winners each results post lists, a whole number from 1 to 20."),
        ({"scoring": "yes"}, "Setting scoring='yes' is invalid; pass True or False."),
        ({"leaderboard": 0}, "Setting leaderboard=0 is invalid; pass True or False."),
    ],
    ids=["zero", "too-many", "text", "bool", "float", "scoring-text", "leaderboard-int"],
)
def test_settings_rejects_bad_values(quiz, store, settings, message):
    with pytest.raises(InvalidEvent) as raised:
        quiz.update_settings(**settings)

    assert str(raised.value) == message
    assert Engine.load(store, "codeweek").event.podium_size == 3


def test_settings_bad_value_at_creation(store):
    with pytest.raises(InvalidEvent, match="Podium size 99 is invalid"):
        Engine.create_event(store, name="x", language="en", channel_id=None, bot_username=BOT_USERNAME, podium_size=99)

    assert store.event_names() == []


# Podium size


def test_podium_size_five_in_results_post(quiz, chat, store):
    quiz.update_settings(podium_size=5)
    quiz.open_question(1)
    for user in EVERYONE:
        chat.answer(user, "KX1", "Roma")

    result = quiz.close_question(1)

    assert [entry.rank for entry in result.podium] == [1, 2, 3, 4, 5]
    assert results_post(store, quiz).splitlines()[-5:] == [
        "🥇 Anna Rossi (0.0 s)",
        "🥈 Bruno (0.0 s)",
        "🥉 Carla (0.0 s)",
        "💐 Dario (0.0 s)",
        "💐 Elena (0.0 s)",
    ]
    assert len(quiz.result(1).podium) == 5


def test_podium_size_one(quiz, chat, store):
    quiz.update_settings(podium_size=1)
    quiz.open_question(1)
    for user in EVERYONE:
        chat.answer(user, "KX1", "Roma")

    result = quiz.close_question(1)

    assert [entry.display_name for entry in result.podium] == ["Anna Rossi"]
    assert results_post(store, quiz).splitlines()[-1] == "🥇 Anna Rossi (0.0 s)"


def test_podium_larger_than_correct_answers(quiz, chat):
    quiz.update_settings(podium_size=10)
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    chat.answer(BRUNO, "KX1", "Milano")

    result = quiz.close_question(1)

    assert [entry.display_name for entry in result.podium] == ["Anna Rossi"]
