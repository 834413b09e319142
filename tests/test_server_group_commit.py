"""Group commit at the webhook: concurrent updates share a transaction, and each 200 follows its commit."""

from __future__ import annotations

import asyncio
import json
import sqlite3

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
    # Updates submitted in one turn of the loop form one group; the HTTP clients above cannot
    # guarantee that, so this drives GroupCommit directly with the real engine and database.
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
