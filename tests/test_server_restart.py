"""Stopping and restarting the server mid-event: nothing committed misses its reply or is posted twice."""

from __future__ import annotations

import sqlite3
import time

import pytest

from quizkit.emulator import Emulator, SimUser
from quizkit.engine import Engine
from quizkit.server import Server
from quizkit.store import Store
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN


@pytest.fixture
def slow_emulator():
    """An emulator whose every Bot API call takes 20 ms, so a stop lands in the middle of work."""
    with Emulator(latency_s=0.02) as emu:
        emu.add_bot(TOKEN, BOT_USERNAME)
        emu.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests")
        yield emu


def _new_event(db_path) -> tuple[Store, Engine]:
    store = Store(db_path)
    engine = Engine.create_event(store, name="restart", language="en", channel_id=CHANNEL_ID, bot_username=BOT_USERNAME)
    engine.add_question(text="Capital of Italy?", answers=["Rome"], code="RM1")
    engine.open_question(1)
    return store, engine


def _wait_until(condition, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def _server(engine, emulator, transport) -> Server:
    return Server(engine, TOKEN, api_url=emulator.base_url, transport=transport, rate_limit=False)


@pytest.mark.parametrize("transport", ["webhook", "polling"])
def test_restart_mid_burst_replies_once_per_update(db_path, slow_emulator, transport):
    store, engine = _new_event(db_path)
    users = [SimUser(user_id=500000000 + n, first_name=f"P{n}", language_code="en") for n in range(60)]
    server = _server(engine, slow_emulator, transport).start()
    for user in users:
        slow_emulator.send_text(TOKEN, user, "/start RM1")
        slow_emulator.send_text(TOKEN, user, "Rome")
    _wait_until(lambda: server.call(engine.answer_count, 1) >= 10)
    server.stop()
    store.close()

    reopened = Store(db_path)
    try:
        resumed = Engine.load(reopened, "restart")
        with _server(resumed, slow_emulator, transport) as again:
            assert slow_emulator.wait_delivered(TOKEN, 60)
            stored = again.call(resumed.answer_count, 1)
    finally:
        reopened.close()

    assert stored == 60
    replies_per_chat = {user.user_id: len(slow_emulator.messages(user.user_id)) for user in users}
    assert set(replies_per_chat.values()) == {2}


def test_restart_during_channel_post_posts_once(db_path):
    with Emulator(latency_s=0.3) as emulator:
        emulator.add_bot(TOKEN, BOT_USERNAME)
        emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests")
        store, engine = _new_event(db_path)
        with _server(engine, emulator, "webhook") as server:
            assert server.drain_outbox(10)
            server.call(engine.close_question, 1)
            time.sleep(0.1)
        store.close()

        reopened = Store(db_path)
        try:
            with _server(Engine.load(reopened, "restart"), emulator, "webhook") as server:
                assert server.drain_outbox(10)
        finally:
            reopened.close()

        channel = emulator.messages(CHANNEL_ID)

    results_posts = [message for message in channel if "Nobody answered" in message["text"]]
    assert len(channel) == 2
    assert len(results_posts) == 1


class _LockedOnce(Engine):
    """An engine whose database reports 'locked' once, at the given handle() call."""

    fail_at = 0

    def handle(self, incoming, replay=False):
        type(self).fail_at -= 1
        if type(self).fail_at == 0:
            raise sqlite3.OperationalError("database is locked")
        return super().handle(incoming, replay)


def test_polling_storage_failure_mid_batch_keeps_replies(db_path, emulator):
    store, _ = _new_event(db_path)
    engine = _LockedOnce.load(store, "restart")
    _LockedOnce.fail_at = 30
    users = [SimUser(user_id=600000000 + n, first_name=f"Q{n}", language_code="en") for n in range(25)]
    for user in users:
        emulator.send_text(TOKEN, user, "/start RM1")
        emulator.send_text(TOKEN, user, "Rome")
    try:
        with _server(engine, emulator, "polling") as server:
            assert emulator.wait_delivered(TOKEN, 30)
            stored = server.call(engine.answer_count, 1)
    finally:
        store.close()

    assert stored == 25
    assert {len(emulator.messages(user.user_id)) for user in users} == {2}


def test_server_stores_traffic_counters(db_path, emulator):
    store, engine = _new_event(db_path)
    user = SimUser(user_id=700000001, first_name="Tina", language_code="en")
    try:
        with _server(engine, emulator, "webhook"):
            emulator.send_text(TOKEN, user, "/start RM1")
            emulator.send_text(TOKEN, user, "Rome")
            assert emulator.wait_delivered(TOKEN, 10)
        counters = store.traffic(engine.event.id)
    finally:
        store.close()

    assert sum(count for _, kind, count in counters if kind == "text") == 2


def test_second_server_same_event_rejected(engine, emulator):
    from quizkit.server import EventAlreadyServed

    with _server(engine, emulator, "webhook"):
        with pytest.raises(EventAlreadyServed, match="already serves event 'test-event'"):
            _server(engine, emulator, "webhook").start()

    with _server(engine, emulator, "webhook") as again:
        assert again.running


def test_second_server_in_other_process_rejected(engine, emulator, db_path):
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from quizkit import Engine, Server, Store\n"
        f"engine = Engine.load(Store({str(db_path)!r}), 'test-event')\n"
        f"try:\n    Server(engine, {TOKEN!r}, api_url={emulator.base_url!r}).start()\n"
        "except Exception as error:\n    print(type(error).__name__)\n"
    )
    with _server(engine, emulator, "webhook"):
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)

    assert run.stdout.strip() == "EventAlreadyServed"


def test_restart_within_day_replays_no_update_as_new(db_path, emulator):
    from datetime import datetime, timedelta, timezone

    store, engine = _new_event(db_path)
    users = [SimUser(user_id=800000000 + n, first_name=f"R{n}", language_code="en") for n in range(5)]
    update_ids = []
    with _server(engine, emulator, "webhook"):
        for user in users:
            update_ids.append(emulator.send_text(TOKEN, user, "/start RM1"))
            update_ids.append(emulator.send_text(TOKEN, user, "Rome"))
        assert emulator.wait_delivered(TOKEN, 20)
    store.close()
    first_replies = {user.user_id: [m["text"] for m in emulator.messages(user.user_id)] for user in users}

    reopened = Store(db_path)
    try:
        a_day_later = Engine.load(reopened, "restart", clock=lambda: datetime.now(timezone.utc) + timedelta(hours=23))
        with _server(a_day_later, emulator, "webhook") as server:
            assert emulator.redeliver(TOKEN, update_ids) == len(update_ids)
            assert emulator.wait_delivered(TOKEN, 20)
            stored = server.call(a_day_later.answer_count, 1)
            processed = reopened._one("SELECT COUNT(*) FROM processed_updates")[0]
    finally:
        reopened.close()

    assert stored == len(users)
    assert processed == len(update_ids)
    for user in users:
        texts = [message["text"] for message in emulator.messages(user.user_id)]
        # The redelivered updates get the replies stored with them, never a reply to a new answer.
        assert len(first_replies[user.user_id]) == 2
        assert texts == first_replies[user.user_id] * 2
