"""A timed question through the emulator and the server: the server closes it on time, also after a restart."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from quizkit.emulator import SimUser
from quizkit.engine import Engine
from quizkit.model import QuestionState
from quizkit.server import Server
from quizkit.store import Store
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN

ANNA = SimUser(user_id=400000001, first_name="Anna", language_code="en")
BRUNO = SimUser(user_id=400000002, first_name="Bruno", language_code="en")


class MovableClock:
    """The real UTC time plus an offset that the test moves forward; safe to read from any thread."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return datetime.now(timezone.utc) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)


def wait_closed(server: Server, engine: Engine, code: str, timeout_s: float = 5.0) -> float:
    """Wait until the server closed the question; return how long that took."""
    began = time.monotonic()
    while server.call(engine.question, code).state is not QuestionState.CLOSED:
        assert time.monotonic() - began < timeout_s, f"question {code} still open after {timeout_s} s"
        time.sleep(0.05)
    return time.monotonic() - began


def new_event(db_path, clock) -> tuple[Store, Engine]:
    store = Store(db_path)
    engine = Engine.create_event(store, name="timed", language="en", channel_id=CHANNEL_ID,
                                 bot_username=BOT_USERNAME, clock=clock)
    engine.add_question(text="Capital of Italy?", answers=["Roma"], code="TM1", time_limit_s=60)
    return store, engine


def test_server_closes_question_when_time_is_up(db_path, emulator):
    clock = MovableClock()
    store, engine = new_event(db_path, clock)

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, "TM1")
        for user, answer in ((ANNA, "Roma"), (BRUNO, "Milano")):
            emulator.send_text(TOKEN, user, "/start TM1")
            emulator.send_text(TOKEN, user, answer)
        assert emulator.wait_delivered(TOKEN, 10)
        still_open = server.call(engine.question, "TM1").state

        clock.advance(61)
        waited = wait_closed(server, engine, "TM1")
        assert server.drain_outbox(10)

    channel = [message["text"] for message in emulator.messages(CHANNEL_ID)]
    assert still_open is QuestionState.OPEN
    assert waited < 3.0
    assert channel[0] == "Question 1\nCapital of Italy?\n\n✅ Answer: Roma\nClosed with 2 answers."
    assert channel[1].startswith("Question 1: results\n✅ Roma\nAnswers: 2 · People reached: 2 · Correct: 50%\n\n🥇 Anna")
    assert emulator.message_versions(CHANNEL_ID, 1)[0]["text"].splitlines()[3] == "⏱ Time limit: 1 min"
    store.close()


def test_restarted_server_closes_expired_question(db_path, emulator):
    clock = MovableClock()
    store, engine = new_event(db_path, clock)
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, "TM1")
        assert server.drain_outbox(10)
    store.close()

    clock.advance(3600)
    reopened = Store(db_path)
    resumed = Engine.load(reopened, "timed", clock=clock)
    with Server(resumed, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        waited = wait_closed(server, resumed, "TM1")
        assert server.drain_outbox(10)

    assert waited < 3.0
    assert [message["text"].splitlines()[0] for message in emulator.messages(CHANNEL_ID)] == [
        "Question 1",
        "Question 1: results",
    ]
    reopened.close()
