"""Channel posts through the server's outbox: queued while stopped, retried after failures, live counts."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from quizkit.emulator import SimUser
from quizkit.engine import Engine
from quizkit.server import Server
from quizkit.store import Store
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN


def _server(engine, emulator) -> Server:
    return Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False)


def _wait_until(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_outbox_sends_posts_queued_while_stopped(engine, emulator):
    engine.open_question(1)
    assert emulator.messages(CHANNEL_ID) == []

    with _server(engine, emulator) as server:
        assert server.drain_outbox(10)

    channel = emulator.messages(CHANNEL_ID)
    assert len(channel) == 1
    assert "Capital of Italy?" in channel[0]["text"]


def test_outbox_retries_until_channel_accepts(engine, emulator):
    emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests", bot_is_admin=False)

    with _server(engine, emulator) as server:
        server.call(engine.open_question, 1)
        assert _wait_until(lambda: server.status().errors >= 1)
        assert emulator.messages(CHANNEL_ID) == []
        assert "Need administrator rights in the channel chat" in server.status().last_error

        emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests", bot_is_admin=True)
        assert server.drain_outbox(40)

    assert len(emulator.messages(CHANNEL_ID)) == 1


def test_outbox_survives_restart_before_sending(db_path, emulator):
    store = Store(db_path)
    engine = Engine.create_event(store, name="restart", language="en", channel_id=CHANNEL_ID, bot_username=BOT_USERNAME)
    engine.add_question(text="First?", answers=["yes"])
    engine.open_question(1)
    store.close()

    reopened = Store(db_path)
    try:
        resumed = Engine.load(reopened, "restart")
        with _server(resumed, emulator) as server:
            assert server.drain_outbox(10)
    finally:
        reopened.close()

    assert [message["text"].splitlines()[0] for message in emulator.messages(CHANNEL_ID)] == ["Question 1"]


class _Clock:
    """A clock the test moves forward by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def test_live_count_edits_announcement(db_path, emulator):
    clock = _Clock()
    store = Store(db_path)
    engine = Engine.create_event(store, name="counts", language="en", channel_id=CHANNEL_ID,
                                 bot_username=BOT_USERNAME, clock=clock)
    question = engine.add_question(text="Capital of Italy?", answers=["Rome"])
    users = [SimUser(user_id=300000000 + n, first_name=f"Player {n}", language_code="en") for n in range(3)]
    try:
        with _server(engine, emulator) as server:
            server.call(engine.open_question, 1)
            assert server.drain_outbox(10)
            for user in users:
                emulator.send_text(TOKEN, user, f"/start {question.code}")
                emulator.send_text(TOKEN, user, "Rome")
            assert emulator.wait_delivered(TOKEN, 10)

            clock.now += timedelta(seconds=6)
            announcement_id = server.call(engine.question, 1).announcement_message_id
            assert _wait_until(lambda: len(emulator.message_versions(CHANNEL_ID, announcement_id)) == 2)
    finally:
        store.close()

    latest = emulator.message_versions(CHANNEL_ID, announcement_id)[-1]["text"]
    assert "3 answers" in latest


def test_longest_question_and_answer_fit_every_post(db_path, emulator):
    store = Store(db_path)
    engine = Engine.create_event(store, name="long", language="it", channel_id=CHANNEL_ID, bot_username=BOT_USERNAME)
    answer = "R" * 200
    question = engine.add_question(text="Q" * 3500, answers=[answer])
    players = [SimUser(user_id=800000000 + n, first_name="N" * 64, last_name="L" * 64) for n in range(4)]
    try:
        with _server(engine, emulator) as server:
            server.call(engine.open_question, 1)
            for player in players[:3]:
                emulator.send_text(TOKEN, player, f"/start {question.code}")
                emulator.send_text(TOKEN, player, answer)
            assert emulator.wait_delivered(TOKEN, 10)
            server.call(engine.close_question, 1)
            emulator.send_text(TOKEN, players[3], f"/start {question.code}")
            emulator.send_text(TOKEN, players[3], answer)
            assert emulator.wait_delivered(TOKEN, 10)
            server.call(engine.post_leaderboard)
            assert server.drain_outbox(10)
    finally:
        store.close()

    failed = [call for call in emulator.calls(TOKEN) if not call["ok"]]
    assert failed == []
    assert len(emulator.messages(players[3].user_id)) == 2
    assert len(emulator.messages(CHANNEL_ID)) == 3


def test_outbox_resends_post_interrupted_by_crash(db_path, emulator, caplog):
    store = Store(db_path)
    engine = Engine.create_event(store, name="crash", language="en", channel_id=CHANNEL_ID, bot_username=BOT_USERNAME)
    engine.add_question(text="First?", answers=["yes"])
    engine.open_question(1)
    engine.outbox_sending(engine.outbox_pending()[0].id)  # a server died during this call

    with caplog.at_level("WARNING", logger="quizkit.server"):
        with _server(engine, emulator) as server:
            assert server.drain_outbox(10)
    store.close()

    interrupted = [record.getMessage() for record in caplog.records if "in flight when the server stopped" in record.getMessage()]
    assert len(emulator.messages(CHANNEL_ID)) == 1
    assert len(interrupted) == 1
    assert "(announcement)" in interrupted[0]
