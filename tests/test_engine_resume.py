"""Creating, loading and resuming events: everything survives closing and reopening the file."""

from __future__ import annotations

from datetime import datetime

import pytest

from quizkit.engine import Engine
from quizkit.errors import EventExists, EventNotFound, InvalidEvent
from quizkit.model import QuestionState
from quizkit.store import Store
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    CARLA,
    Chat,
    clock,
    make_engine,
    store,
)


def test_create_event_returns_event(store, clock):
    engine = Engine.create_event(
        store, name=" codeweek ", language="it", channel_id=-1001, bot_username="@quizkit_bot", clock=clock
    )

    assert engine.event.name == "codeweek"
    assert engine.event.language == "it"
    assert engine.event.channel_id == -1001
    assert engine.event.bot_username == "quizkit_bot"
    assert engine.event.created_at == clock.now


def test_create_event_twice_raises(store, clock):
    make_engine(store, clock)

    with pytest.raises(EventExists) as raised:
        make_engine(store, clock)

    assert str(raised.value) == (
        f"Event 'codeweek' already exists in {store.path!r}; resume it with "
        "Engine.load(store, name='codeweek') or choose another name."
    )


def test_create_event_rejects_language(store):
    with pytest.raises(InvalidEvent) as raised:
        Engine.create_event(store, name="codeweek", language="de", channel_id=-1, bot_username="quizkit_bot")

    assert str(raised.value) == "Event language 'de' is not supported; use one of: en, it."


def test_create_event_rejects_empty_name(store):
    with pytest.raises(InvalidEvent) as raised:
        Engine.create_event(store, name=" ", language="en", channel_id=-1, bot_username="quizkit_bot")

    assert str(raised.value) == "Event name '' is empty; give the event a name, e.g. 'codeweek'."


def test_create_event_rejects_bot_username(store):
    with pytest.raises(InvalidEvent) as raised:
        Engine.create_event(store, name="codeweek", language="en", channel_id=-1, bot_username="quiz bot")

    assert str(raised.value) == (
        "Bot username 'quiz bot' is invalid; give the bot's Telegram username, "
        "e.g. 'quizkit_bot' (5 to 32 letters, digits and underscores)."
    )


def test_create_event_rejects_naive_clock(store):
    with pytest.raises(ValueError):
        Engine.create_event(
            store, name="codeweek", language="en", channel_id=-1, bot_username="quizkit_bot", clock=datetime.now
        )


def test_load_unknown_event_lists_events(store, clock):
    make_engine(store, clock)

    with pytest.raises(EventNotFound) as raised:
        Engine.load(store, name="devfest")

    assert str(raised.value) == (
        f"Event 'devfest' not found in {store.path!r}; events: codeweek. "
        "Create it with Engine.create_event(store, name='devfest', ...)."
    )


def test_load_from_empty_database(store):
    with pytest.raises(EventNotFound) as raised:
        Engine.load(store, name="devfest")

    assert str(raised.value) == (
        f"Event 'devfest' not found in {store.path!r}; the database has no events yet. "
        "Create it with Engine.create_event(store, name='devfest', ...)."
    )


def test_load_keeps_events_apart(store, clock):
    make_engine(store, clock, name="morning")
    make_engine(store, clock, name="evening")

    engine = Engine.load(store, name="evening", clock=clock)

    assert engine.event.name == "evening"
    assert [question.code for question in engine.questions()] == ["KX1", "HT2"]


def test_resume_after_reopening_file(tmp_path, clock):
    path = tmp_path / "quiz.db"
    first_store = Store(path)
    first = make_engine(first_store, clock)
    first.open_question(1)
    chat = Chat(first, clock)
    chat.send(ANNA, "/start KX1")                      # selected, not answered yet
    chat.answer(BRUNO, "KX1", "Roma")                  # answered
    for text in ["/register", "yes", "The Owls"]:      # waiting for the head count
        chat.send(CARLA, text)
    repeated = chat.incoming(ANNA, "/help", update_id=9000)
    first.handle(repeated)
    first_store.close()

    second_store = Store(path)
    resumed = Engine.load(second_store, name="codeweek", clock=clock)
    chat = Chat(resumed, clock, next_update_id=chat.next_update_id)

    assert resumed.question(1).state is QuestionState.OPEN
    assert [item.purpose for item in resumed.outbox_pending()] == ["announcement"]
    assert resumed.handle(repeated) == []
    assert chat.send(ANNA, "Roma").startswith("Got it! Your answer to question 1: <b>Roma</b>")
    assert chat.send(BRUNO, "Milano") == (
        "You have already answered question 1: <b>Roma</b>\nOnly the first answer counts."
    )
    assert chat.send(CARLA, "4") == (
        "Fatto! La squadra <b>The Owls</b> è registrata con 4 persone. "
        "Le tue risposte compariranno con questo nome; per cambiarlo, scrivi di nuovo /register."
    )
    assert resumed.answer_count(1) == 2
    second_store.close()


def test_resume_closed_results_unchanged(tmp_path, clock):
    path = tmp_path / "quiz.db"
    first_store = Store(path)
    first = make_engine(first_store, clock)
    first.open_question(1)
    chat = Chat(first, clock)
    chat.answer(ANNA, "KX1", "Roma")
    clock.advance(2)
    chat.answer(BRUNO, "KX1", "Roma")
    closed = first.close_question(1)
    first_store.close()

    second_store = Store(path)
    resumed = Engine.load(second_store, name="codeweek", clock=clock)

    assert resumed.close_question(1) == closed
    assert [row.user_id for row in resumed.leaderboard()] == [ANNA.user_id, BRUNO.user_id]
    second_store.close()


def test_resume_outbox_message_ids(tmp_path, clock):
    path = tmp_path / "quiz.db"
    first_store = Store(path)
    first = make_engine(first_store, clock)
    first.open_question(1)
    first.outbox_sent(first.outbox_pending()[0].id, 555)
    first.close_question(1)
    first_store.close()

    second_store = Store(path)
    resumed = Engine.load(second_store, name="codeweek", clock=clock)
    ready = resumed.outbox_pending()

    assert [item.purpose for item in ready] == ["results", "answer_reveal"]
    assert resumed.outbox_target(ready[1]) == 555
    second_store.close()
