"""Random update shapes, valid-looking and broken, posted to the real webhook server.

Checks: no 5xx (the database is healthy, so no storage failure may occur), the server keeps
running, no update is dropped by an exception in the quiz rules, and the database stays
consistent: at most one answer per (question, user), each processed update_id once, and ranks
1..n among the correct in-time answers of each closed question, in update_id order.

QUIZKIT_FUZZ_BATCHES sets the number of hypothesis examples (batches of 10 to 60 requests);
bench/fuzz_webhook.py runs it longer and reports the number of cases.
"""

from __future__ import annotations

import copy
import json
import os
import sqlite3

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizkit.emulator import Emulator
from quizkit.engine import Engine
from quizkit.server import Server
from quizkit.store import Store
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN

SECRET = "fuzz-secret"
BATCHES = int(os.environ.get("QUIZKIT_FUZZ_BATCHES", "200"))
USER_IDS = [1001, 1002, 1003, 1004, 1005]
TEXTS = [
    "/start RM1", "/start KX2", "/start CH3", "Rome", "roma", "Milano", "42", "41", "RM1", "KX2", "CH3", "1", "2",
    "/register", "yes", "sì", "The Owls", "12", "1e3", "-5", "٣", "/stats", "/reset", "/help", "/start register",
    f"/start@{BOT_USERNAME} RM1", "", " ", "\u200b", "<b>&", "😀" * 3,
]

json_leaves = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_leaves, lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
update_ids = st.integers(min_value=1, max_value=400) | st.integers(min_value=-5, max_value=2**63)


@st.composite
def users(draw) -> dict:
    user = {"id": draw(st.sampled_from(USER_IDS)), "is_bot": draw(st.sampled_from([False, False, False, True])),
            "first_name": draw(st.sampled_from(["Anna", "<b>Bo</b>", "", "\u200b", "سارة"]))}
    if draw(st.booleans()):
        user["username"] = draw(st.sampled_from(["anna", "bo_1", "x" * 32]))
    if draw(st.booleans()):
        user["language_code"] = draw(st.sampled_from(["en", "it", "ar", "xx"]))
    return user


@st.composite
def messages(draw) -> dict:
    user = draw(users())
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    if draw(st.integers(0, 9)) == 0:
        chat = {"id": -1001999, "type": draw(st.sampled_from(["group", "supergroup", "channel"])), "title": "G"}
    message = {"message_id": draw(st.integers(1, 10**6)), "date": draw(st.integers(0, 2**31)), "chat": chat,
               "from": user}
    content = draw(st.sampled_from(["text", "text", "text", "sticker", "photo", "forward"]))
    if content == "sticker":
        message["sticker"] = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
                              "is_animated": False, "is_video": False}
    elif content == "photo":
        message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        message["caption"] = draw(st.sampled_from(TEXTS))
    else:
        message["text"] = draw(st.sampled_from(TEXTS) | st.text(max_size=60))
        if content == "forward":
            message["forward_origin"] = {"type": "hidden_user", "date": 0, "sender_user_name": "X"}
    return {draw(st.sampled_from(["message", "message", "edited_message", "channel_post"])): message}


@st.composite
def callback_queries(draw) -> dict:
    data = draw(st.sampled_from(["c:1:3:0", "c:1:3:1", "c:1:3:9", "c:1:1:0", "c:2:3:0", "c:1:999:0", "x"]) | st.text(max_size=70))
    query = {"id": str(draw(st.integers(1, 10**9))), "from": draw(users()), "chat_instance": "1", "data": data}
    return {"callback_query": query}


@st.composite
def member_changes(draw) -> dict:
    user = draw(users())
    bot = {"id": 123456789, "is_bot": True, "first_name": "Q"}
    status = draw(st.sampled_from(["kicked", "member"]))
    new = {"status": status, "user": bot, **({"until_date": 0} if status == "kicked" else {})}
    return {"my_chat_member": {"chat": {"id": user["id"], "type": "private"}, "from": user, "date": 0,
                               "old_chat_member": {"status": "left", "user": bot}, "new_chat_member": new}}


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@st.composite
def broken(draw, valid) -> dict:
    """A valid-looking update with one field replaced by random JSON or removed."""
    update = copy.deepcopy(draw(valid))
    path = draw(st.sampled_from([path for path in _paths(update) if path]))
    parent = update
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.booleans()):
        parent[path[-1]] = draw(json_values)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    return update


valid_bodies = messages() | callback_queries() | member_changes()
bodies = valid_bodies | broken(valid_bodies) | st.dictionaries(st.text(max_size=20), json_values, max_size=3)


@st.composite
def posts(draw) -> bytes:
    """A webhook request body: usually an update with an update_id, sometimes any JSON or invalid JSON."""
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(st.binary(max_size=40))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()
    update = {"update_id": draw(update_ids), **draw(bodies)}
    return json.dumps(update).encode()


def _engine(path) -> Engine:
    engine = Engine.create_event(Store(path), name="fuzz", language="en", channel_id=CHANNEL_ID,
                                 bot_username=BOT_USERNAME)
    engine.add_question(text="Capital of Italy?", answers=["Rome", "Roma"], code="RM1")
    engine.add_question(text="Six times seven?", kind="number", answers=["42"], code="KX2")
    engine.add_question(text="Largest city?", kind="choice", options=["Milano", "Roma"], answers=["Milano"],
                        code="CH3")
    return engine


def _check_consistent(path) -> None:
    with sqlite3.connect(path) as connection:
        duplicates = connection.execute(
            "SELECT question_id, user_id FROM answers GROUP BY question_id, user_id HAVING COUNT(*) > 1").fetchall()
        assert duplicates == []
        repeated = connection.execute(
            "SELECT update_id FROM processed_updates GROUP BY event_id, update_id HAVING COUNT(*) > 1").fetchall()
        assert repeated == []
        unprocessed = connection.execute(
            "SELECT a.update_id FROM answers a LEFT JOIN processed_updates p "
            "ON p.event_id = a.event_id AND p.update_id = a.update_id WHERE p.update_id IS NULL").fetchall()
        assert unprocessed == []
        for (question_id,) in connection.execute("SELECT id FROM questions WHERE state = 'closed'").fetchall():
            ranks = connection.execute(
                "SELECT rank FROM answers WHERE question_id = ? AND correct = 1 AND late = 0 ORDER BY update_id",
                (question_id,)).fetchall()
            assert [rank for (rank,) in ranks] == list(range(1, len(ranks) + 1))


def test_webhook_fuzz_random_updates(tmp_path, caplog):
    db_path = tmp_path / "fuzz.db"
    engine = _engine(db_path)
    statuses: dict[int, int] = {}
    cases = 0
    with Emulator() as emulator:
        emulator.add_bot(TOKEN, BOT_USERNAME)
        emulator.add_channel(TOKEN, CHANNEL_ID, "Fuzz")
        with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token=SECRET) as server, \
                httpx.Client(trust_env=False, timeout=30) as client:
            for number in (1, 2, 3):
                server.call(engine.open_question, number)
            headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}

            @settings(max_examples=BATCHES, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
            @given(st.lists(posts(), min_size=10, max_size=60))
            def post_batch(batch):
                nonlocal cases
                for body in batch:
                    response = client.post(server.webhook_url, content=body, headers=headers)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    cases += 1
                    assert response.status_code < 500, body[:300]
                assert server.running

            post_batch()
            server.call(engine.close_question, 1)
            server.call(engine.close_question, 2)
            server.call(engine.close_question, 3)
            assert server.running

    _check_consistent(db_path)
    engine.store.close()
    dropped = [record.getMessage() for record in caplog.records if "dropped after an error" in record.getMessage()]
    assert dropped == []
    assert set(statuses) <= {200, 400}
    print(f"\nwebhook fuzz: {cases} cases, statuses {statuses}")
