"""Forged, malformed and unparseable input at the transports: a clear status, nothing stored, no crash."""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import time

import httpx
import pytest

from quizkit.emulator import SimUser
from quizkit.server import Server
from tests.conftest import TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="en")
SECRET = "s3cret"


@pytest.fixture
def server(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token=SECRET) as running:
        running.call(engine.open_question, 1)
        yield running


def _post(server: Server, body: bytes | str) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    return httpx.post(server.webhook_url, content=body, headers=headers, trust_env=False, timeout=30)


def _message_update(update_id, *, sender=None, chat=None, text="Rome") -> dict:
    sender = {"id": ALICE.user_id, "is_bot": False, "first_name": "Alice"} if sender is None else sender
    message = {"message_id": 1, "date": 1700000000, "from": sender, "text": text}
    if chat is not False:
        message["chat"] = chat or {"id": ALICE.user_id, "type": "private", "first_name": "Alice"}
    return {"update_id": update_id, "message": message}


def _stored_participants(engine) -> int:
    with sqlite3.connect(engine.store.path) as connection:
        return connection.execute("SELECT COUNT(*) FROM participants").fetchone()[0]


def _errors_logged(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("update_id", [True, 0, -5, 2.5, "7", None, 2**63, 2**64, 2**70])
def test_webhook_invalid_update_id_ignored(server, engine, caplog, update_id):
    response = _post(server, json.dumps(_message_update(update_id)))

    assert response.status_code == 200
    assert response.content == b""
    assert _stored_participants(engine) == 0
    assert _errors_logged(caplog) == []


@pytest.mark.parametrize("case, update", [
    ("string user id", _message_update(9001, sender={"id": "abc", "is_bot": False, "first_name": "Eve"})),
    ("null user id", _message_update(9002, sender={"id": None, "is_bot": False, "first_name": "Eve"})),
    ("float chat id", _message_update(9003, chat={"id": 3.5, "type": "private"})),
    ("list username", _message_update(9004, sender={"id": 5, "is_bot": False, "first_name": "E", "username": ["x"]})),
    ("object first name", _message_update(9005, sender={"id": 5, "is_bot": False, "first_name": {"a": 1}})),
    ("no chat", _message_update(9006, chat=False)),
    ("user id over 64 bits", _message_update(9008, sender={"id": 2**63, "is_bot": False, "first_name": "Eve"})),
    ("chat id over 64 bits", _message_update(9009, chat={"id": -(2**63), "type": "private"})),
    ("user id over 70 bits", _message_update(9019, sender={"id": 2**70, "is_bot": False, "first_name": "Eve"})),
    ("no date", {"update_id": 9007, "message": {"message_id": 1, "chat": {"id": 5, "type": "private"}, "text": "x"}}),
])
def test_webhook_forged_field_types_ignored(server, engine, caplog, case, update):
    response = _post(server, json.dumps(update))

    assert response.status_code == 200, case
    assert response.content == b"", case
    assert _stored_participants(engine) == 0, case
    assert _errors_logged(caplog) == [], case
    assert server.status().updates_total <= 1


_MESSAGE_WITHOUT_ID = _message_update(9011)
del _MESSAGE_WITHOUT_ID["message"]["message_id"]


@pytest.mark.parametrize("case, update", [
    ("message not an object", {"update_id": 9010, "message": "Rome"}),
    ("no message_id", _MESSAGE_WITHOUT_ID),
    ("date as text", {"update_id": 9012, "message": {**_message_update(9012)["message"], "date": "yesterday"}}),
    ("date out of range", {"update_id": 9013, "message": {**_message_update(9013)["message"], "date": 10**20}}),
    ("sender without is_bot", _message_update(9014, sender={"id": 5, "first_name": "Eve"})),
    ("sender without first_name", _message_update(9015, sender={"id": 5, "is_bot": False})),
    ("callback from not an object", {"update_id": 9016, "callback_query": {"id": "q1", "from": "eve",
                                                                            "chat_instance": "1", "data": "x"}}),
    ("callback id missing", {"update_id": 9017, "callback_query": {"from": {"id": 5, "is_bot": False,
                                                                             "first_name": "Eve"},
                                                                    "chat_instance": "1", "data": "x"}}),
    ("member change without chat", {"update_id": 9018, "my_chat_member": {
        "from": {"id": 5, "is_bot": False, "first_name": "Eve"}, "date": 1700000000,
        "old_chat_member": {"status": "member"}, "new_chat_member": {"status": "kicked"}}}),
])
def test_webhook_forged_shape_counted_rejected(server, engine, caplog, case, update):
    response = _post(server, json.dumps(update))

    assert response.status_code == 200, case
    assert response.content == b"", case
    assert server.status().updates_rejected == 1, case
    assert _stored_participants(engine) == 0, case
    assert engine.blocked_users() == [], case
    assert any("malformed" in record.getMessage() for record in caplog.records), case


def test_webhook_lone_surrogates_become_replacement_characters(server, engine, caplog):
    code = engine.question(1).code
    _post(server, json.dumps(_message_update(9300, text=f"/start {code}")))
    forged = {"id": ALICE.user_id, "is_bot": False, "first_name": "Al\udfffice"}

    response = _post(server, json.dumps(_message_update(9301, sender=forged, text="Ro\ud800me")))

    assert response.status_code == 200
    assert "Ro\ufffdme" in response.json()["text"]
    with sqlite3.connect(engine.store.path) as connection:
        assert connection.execute("SELECT raw_text FROM answers").fetchall() == [("Ro\ufffdme",)]
        assert connection.execute("SELECT first_name FROM participants").fetchall() == [("Al\ufffdice",)]
    assert _errors_logged(caplog) == []


def test_webhook_deeply_nested_json_is_bad_request(server, caplog):
    response = _post(server, "[" * 100_000)

    assert response.status_code == 400
    assert _errors_logged(caplog) == []


def test_webhook_client_hanging_up_logs_no_error(server, caplog):
    host, port = server.webhook_url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\nContent-Length: 100\r\n\r\n{}"
        )
    time.sleep(0.3)

    assert _post(server, json.dumps(_message_update(9100, text="/help"))).status_code == 200
    assert _errors_logged(caplog) == []


def test_webhook_locked_database_not_acknowledged(server, engine, emulator, caplog):
    blocker = sqlite3.connect(engine.store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        response = _post(server, json.dumps(_message_update(9200, text="/start RM1")))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert response.status_code == 500
    assert any("Storage failed" in record.getMessage() and "9200" in record.getMessage() for record in caplog.records)
    again = _post(server, json.dumps(_message_update(9200, text="/start RM1")))
    assert again.status_code == 200
    assert again.json()["method"] == "sendMessage"


def test_polling_skips_unparseable_update_and_goes_on(engine, emulator, caplog):
    with Server(engine, TOKEN, api_url=emulator.base_url, transport="polling", rate_limit=False) as server:
        server.call(engine.open_question, 1)
        broken = _message_update(0, sender={"id": 444000444, "is_bot": False})  # no first_name
        del broken["update_id"]
        emulator.send_update(TOKEN, broken)
        emulator.send_text(TOKEN, ALICE, "/start RM1")
        emulator.send_text(TOKEN, ALICE, "Rome")
        assert emulator.wait_delivered(TOKEN, 15)
        stored = server.call(engine.answer_count, 1)
        status = server.status()

    assert stored == 1
    assert len(emulator.messages(ALICE.user_id)) == 2
    assert status.running
    assert any("malformed" in record.getMessage() for record in caplog.records)


def test_webhook_group_answer_not_stored(server, engine, emulator):
    group = {"id": -1001999, "type": "supergroup", "title": "Classe 3B"}
    chatter = _message_update(9300, chat=group, text="ciao a tutti")
    start = _message_update(9301, chat=group, text="/start@quizkit_test_bot RM1")
    answer = _message_update(9302, chat=group, text="Rome")

    assert _post(server, json.dumps(chatter)).content == b""
    reply = _post(server, json.dumps(start)).json()
    assert _post(server, json.dumps(answer)).content == b""

    assert reply["chat_id"] == -1001999
    assert "https://t.me/quizkit_test_bot?start=RM1" in reply["text"]
    assert server.call(engine.answer_count, 1) == 0


def _stored_update_ids(engine) -> int:
    with sqlite3.connect(engine.store.path) as connection:
        return connection.execute("SELECT COUNT(*) FROM processed_updates").fetchone()[0]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_webhook_bad_secret_forbidden_quietly(server, engine, caplog, secret):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = json.dumps(_message_update(9400, text="/start RM1"))

    response = httpx.post(server.webhook_url, content=body, headers=headers, trust_env=False, timeout=30)

    assert response.status_code == 403
    assert _stored_participants(engine) == 0
    assert _stored_update_ids(engine) == 0
    assert [record for record in caplog.records if record.exc_info] == []
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_webhook_object_without_update_warns_once(server, engine, caplog):
    response = _post(server, json.dumps({"ok": True, "message": {"text": "hi"}}))

    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert response.status_code == 200
    assert warnings == ["Update ignored: webhook body is not an update (dict)"]
    assert _stored_update_ids(engine) == 0
    assert server.status().updates_rejected == 1
