"""Storage failures: a read-only or full database makes the webhook answer 500, never 200 without a commit.

Tests run as any user, root included, who may write to a file whatever its mode, so the failures are
made inside SQLite on the server's own connection: `PRAGMA query_only` for a read-only database and
`PRAGMA max_page_count` for a full disk. Readers on their own connections, as the notebook opens
them, must never see "database is locked" while the server writes.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import httpx
import pytest

from quizkit.analysis import load
from quizkit.emulator import SimUser
from quizkit.host import Host
from quizkit.live import read_live
from quizkit.server import Server
from quizkit.store import Store, connect_reader
from tests.conftest import TOKEN

SECRET = "s3cret"


@pytest.fixture
def server(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token=SECRET) as running:
        running.call(engine.open_question, 1)
        yield running


def _user(number: int) -> SimUser:
    return SimUser(user_id=900000000 + number, first_name=f"S{number}", language_code="en")


def _update(update_id: int, text: str, user: SimUser) -> str:
    sender = {"id": user.user_id, "is_bot": False, "first_name": user.first_name, "language_code": "en"}
    return json.dumps({"update_id": update_id, "message": {
        "message_id": update_id, "date": 1700000000, "text": text, "from": sender,
        "chat": {"id": user.user_id, "type": "private", "first_name": user.first_name},
    }})


def _post(server: Server, body: str) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    return httpx.post(server.webhook_url, content=body, headers=headers, trust_env=False, timeout=30)


def _pragma(server: Server, engine, statement: str) -> int | None:
    def run():
        row = engine.store._execute(statement).fetchone()
        return None if row is None else row[0]

    return server.call(run)


def _processed(db_path) -> set[int]:
    connection = connect_reader(db_path)
    try:
        return {row[0] for row in connection.execute("SELECT update_id FROM processed_updates")}
    finally:
        connection.close()


def _storage_warnings(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage().startswith("Storage failed")]


def test_webhook_read_only_database_answers_500(server, engine, db_path, caplog):
    alice = _user(1)
    assert _post(server, _update(6001, "/start RM1", alice)).status_code == 200
    _pragma(server, engine, "PRAGMA query_only = ON")

    with caplog.at_level(logging.WARNING, logger="quizkit.server"):
        failed = [_post(server, _update(6002 + n, "Rome", alice)) for n in range(5)]
    _pragma(server, engine, "PRAGMA query_only = OFF")
    retried = _post(server, _update(6002, "Rome", alice))

    assert [response.status_code for response in failed] == [500] * 5
    assert failed[0].text == "Storage failed; deliver again later"
    warnings = _storage_warnings(caplog)
    assert len(warnings) == 1
    assert "update 6002: attempt to write a readonly database" in warnings[0].getMessage()
    assert warnings[0].exc_info is None
    assert retried.status_code == 200
    assert "Rome" in retried.json()["text"]
    assert server.call(engine.answer_count, 1) == 1
    assert 6003 not in _processed(db_path)


def test_webhook_full_disk_never_acknowledges_uncommitted(server, engine, db_path, caplog):
    pages = _pragma(server, engine, "PRAGMA page_count")
    _pragma(server, engine, f"PRAGMA max_page_count = {pages}")

    statuses: dict[int, int] = {}
    with caplog.at_level(logging.WARNING, logger="quizkit.server"):
        for number in range(120):
            update_id = 7000 + number
            statuses[update_id] = _post(server, _update(update_id, "/start RM1", _user(number))).status_code
    processed = _processed(db_path)
    _pragma(server, engine, f"PRAGMA max_page_count = {pages * 100}")
    full = [update_id for update_id, status in statuses.items() if status == 500]
    retried = [_post(server, _update(update_id, "/start RM1", _user(update_id - 7000))) for update_id in full]

    acknowledged = {update_id for update_id, status in statuses.items() if status == 200}
    assert set(statuses.values()) == {200, 500}
    assert acknowledged <= processed
    assert not set(full) & processed
    assert "database or disk is full" in _storage_warnings(caplog)[0].getMessage()
    assert {response.status_code for response in retried} == {200}
    assert set(statuses) <= _processed(db_path)


def test_readers_never_see_locked_during_writer_burst(db_path, engine, emulator):
    users = [_user(1000 + number) for number in range(150)]
    errors: list[BaseException] = []
    reads = {"live": 0, "load": 0, "host": 0}
    stop = threading.Event()

    def keep_reading(kind: str, read) -> None:
        while not stop.is_set():
            try:
                read()
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)
                return
            reads[kind] += 1

    def read_live_once() -> None:
        connection = connect_reader(db_path)
        try:
            read_live(connection, engine.event.id)
        finally:
            connection.close()

    def write_traffic() -> None:
        # A second writer on its own connection, as a notebook cell writing to the database would
        # be, so the write lock is held more often while the readers run.
        writer = Store(db_path)
        try:
            second = 1_700_000_000
            while not stop.is_set():
                with writer.transaction():
                    writer.add_traffic(engine.event.id, [(second + n, "burst", 1) for n in range(200)])
                second += 200
                time.sleep(0.01)
        finally:
            writer.close()

    with Host(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as host:
        host.launch(1)
        threads = [
            threading.Thread(target=keep_reading, args=("live", read_live_once)),
            threading.Thread(target=keep_reading, args=("load", lambda: load(db_path))),
            threading.Thread(target=keep_reading, args=("host", lambda: (host.questions(), host.live()))),
            threading.Thread(target=write_traffic),
        ]
        for thread in threads:
            thread.start()
        for user in users:
            emulator.send_text(TOKEN, user, "/start RM1")
            emulator.send_text(TOKEN, user, "Rome")
        delivered = emulator.wait_delivered(TOKEN, 60)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        stored = host.server.call(engine.answer_count, 1)

    assert errors == []
    assert delivered
    assert stored == len(users)
    assert min(reads.values()) > 0
