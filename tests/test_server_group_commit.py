"""Group commit at the webhook: concurrent updates share a transaction, and each 200 follows its commit."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3
import struct
import threading
import time

import httpx
import pytest

from quizkit.server import Server
from quizkit.server._group_commit import GroupCommit
from quizkit.server.processing import StorageFailed, UpdateProcessor
from quizkit.server.traffic import Traffic
from tests.conftest import TOKEN

SECRET = "group-secret"
USERS = range(700000001, 700000041)


@pytest.fixture
def server(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token=SECRET) as running:
        running.call(engine.open_question, 1)
        yield running


def _update(update_id: int, user_id: int, text: str) -> bytes:
    sender = {"id": user_id, "is_bot": False, "first_name": "Pupil"}
    message = {"message_id": update_id, "date": 1700000000, "from": sender, "text": text,
               "chat": {"id": user_id, "type": "private", "first_name": "Pupil"}}
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def _post_all(url: str, bodies: list[bytes]) -> list[httpx.Response]:
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(trust_env=False, timeout=30, limits=limits) as client:
        return await asyncio.gather(*(client.post(url, content=body, headers=headers) for body in bodies))


def _stored(engine, sql: str) -> int:
    with sqlite3.connect(engine.store.path) as connection:
        return connection.execute(sql).fetchone()[0]


def test_group_commit_concurrent_updates_each_answered(server, engine):
    starts = [_update(5000 + index, user_id, "/start RM1") for index, user_id in enumerate(USERS)]
    answers = [_update(6000 + index, user_id, "Rome") for index, user_id in enumerate(USERS)]

    started = asyncio.run(_post_all(server.webhook_url, starts))
    answered = asyncio.run(_post_all(server.webhook_url, answers + answers[:5]))

    assert [response.status_code for response in started + answered] == [200] * 85
    assert all(response.json()["method"] == "sendMessage" for response in started)
    # A duplicate in the same group as its first delivery gets an empty body; one in a later group
    # is a redelivery and gets the stored reply again, because Telegram redelivers only when it
    # lost the response. Either way no answer is stored twice and the reply is the same text.
    bodies: dict[int, set[bytes]] = {}
    for update, response in zip(answers + answers[:5], answered):
        bodies.setdefault(json.loads(update)["message"]["from"]["id"], set()).add(response.content)
    for user_id, seen in bodies.items():
        replies = seen - {b""}
        assert len(replies) == 1, (user_id, seen)
    assert server.call(engine.answer_count, 1) == 40
    assert _stored(engine, "SELECT COUNT(*) FROM processed_updates") == 80


def test_group_commit_locked_database_fails_request(server, engine):
    # The server writes now and then on its own (traffic counters), so wait for its lock to take ours.
    locker = sqlite3.connect(engine.store.path, timeout=5)
    locker.execute("BEGIN IMMEDIATE")
    body = _update(7000, USERS[0], "/start RM1")
    try:
        # The store waits up to its busy timeout (5 s) for the lock before it gives up.
        failed = asyncio.run(_post_all(server.webhook_url, [body]))
    finally:
        locker.rollback()
        locker.close()

    assert [response.status_code for response in failed] == [500]
    assert _stored(engine, "SELECT COUNT(*) FROM processed_updates") == 0
    retried = asyncio.run(_post_all(server.webhook_url, [body]))
    assert [response.status_code for response in retried] == [200]
    assert _stored(engine, "SELECT COUNT(*) FROM processed_updates") == 1


def test_group_commit_locked_database_fails_whole_group(engine):
    # Updates submitted in one turn of the loop form one group. HTTP clients cannot guarantee
    # that, so this test drives GroupCommit directly with the real engine and database.
    engine.open_question(1)
    processor = UpdateProcessor(engine, bot=None, traffic=Traffic())
    bodies = [json.loads(_update(7100 + index, user_id, "/start RM1")) for index, user_id in enumerate(USERS[:3])]

    async def submit_all() -> list:
        group_commit = GroupCommit(processor)
        futures = [asyncio.get_running_loop().create_future() for _ in bodies]
        for body, future in zip(bodies, futures):
            group_commit.submit(body, future.set_result)
        return await asyncio.gather(*futures)

    locker = sqlite3.connect(engine.store.path, timeout=5)
    locker.execute("BEGIN IMMEDIATE")
    try:
        outcomes = asyncio.run(submit_all())
    finally:
        locker.rollback()
        locker.close()

    assert [type(outcome) for outcome in outcomes] == [StorageFailed] * 3
    assert _stored(engine, "SELECT COUNT(*) FROM processed_updates") == 0
    stored = asyncio.run(submit_all())
    assert [len(replies) for replies in stored] == [1, 1, 1]
    assert _stored(engine, "SELECT COUNT(*) FROM processed_updates") == 3


def _raw_post(body: bytes) -> bytes:
    return (b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def _read_status(connection: socket.socket) -> int | None:
    """Read one response and return its status, or None when the server closed the connection first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += connection.recv(65536)
    return int(head.split()[1])


def _stored_update_ids(engine) -> set[int]:
    with sqlite3.connect(engine.store.path) as connection:
        return {row[0] for row in connection.execute("SELECT update_id FROM processed_updates")}


def test_group_commit_client_gone_update_stored(server, engine, caplog):
    # The lock keeps the first group in its transaction while half the clients hang up, one with a reset.
    locker = sqlite3.connect(engine.store.path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    connections = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(6)]
    for index, connection in enumerate(connections):
        connection.sendall(_raw_post(_update(7200 + index, USERS[index], "/start RM1")))
    time.sleep(0.3)
    connections[1].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    for connection in connections[:3]:
        connection.close()
    time.sleep(0.3)
    locker.execute("ROLLBACK")
    locker.close()

    statuses = [_read_status(connection) for connection in connections[3:]]
    for connection in connections[3:]:
        connection.close()

    assert statuses == [200, 200, 200]
    assert _stored_update_ids(engine) == set(range(7200, 7206))
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


def test_group_commit_stop_acknowledges_only_stored(engine, emulator, caplog):
    server = Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token=SECRET).start()
    server.call(engine.open_question, 1)
    acknowledged: list[int] = []

    def deliver(first_id: int) -> None:
        # One update at a time per connection, until the server closes it.
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=20) as connection:
                for update_id in range(first_id, first_id + 1000):
                    connection.sendall(_raw_post(_update(update_id, 700000000 + update_id, "/start RM1")))
                    if _read_status(connection) != 200:
                        return
                    acknowledged.append(update_id)
        except OSError:
            return  # reset by the stopping server: that update was not acknowledged

    clients = [threading.Thread(target=deliver, args=(10000 + 1000 * index,)) for index in range(20)]
    for client in clients:
        client.start()
    time.sleep(0.5)
    server.stop()
    for client in clients:
        client.join(30)

    assert acknowledged
    assert set(acknowledged) <= _stored_update_ids(engine)
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
