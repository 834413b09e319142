"""The /_emulator control endpoints, which drive the emulator from another process."""

from __future__ import annotations

import httpx
import pytest

from quizkit.emulator import Emulator
from tests.conftest import CHANNEL_ID, TOKEN

NEW_TOKEN = "777:ControlToken"


@pytest.fixture
def client(emulator):
    with httpx.Client(base_url=f"{emulator.url}/_emulator", trust_env=False, timeout=5) as http:
        yield http


def _result(response: httpx.Response):
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    return body["result"]


def test_control_health_counts_bots(client):
    assert _result(client.get("/health")) == {"bots": 1}


def test_control_adds_bot_and_channel(client, emulator: Emulator):
    _result(client.post("/bots", json={"token": NEW_TOKEN, "username": "other_bot"}))
    _result(client.post("/channels", json={"token": NEW_TOKEN, "chat_id": -100777, "title": "Other"}))

    me = httpx.post(f"{emulator.base_url}{NEW_TOKEN}/getMe", trust_env=False).json()["result"]
    assert me["username"] == "other_bot"
    assert me["id"] == 777
    posted = httpx.post(
        f"{emulator.base_url}{NEW_TOKEN}/sendMessage", data={"chat_id": "-100777", "text": "hi"}, trust_env=False
    )
    assert posted.json()["ok"]


def test_control_send_text_and_read_back(client, emulator: Emulator):
    user = {"user_id": 42, "first_name": "Ada", "username": "ada", "language_code": "en"}
    update_id = _result(client.post(f"/bot{TOKEN}/send_text", json={"user": user, "text": "/start IY4"}))

    updates = httpx.post(f"{emulator.base_url}{TOKEN}/getUpdates", trust_env=False).json()["result"]
    assert updates[0]["update_id"] == update_id
    assert updates[0]["message"]["from"]["username"] == "ada"

    httpx.post(f"{emulator.base_url}{TOKEN}/sendMessage", data={"chat_id": "42", "text": "Welcome"}, trust_env=False)
    messages = _result(client.get("/chats/42/messages"))
    assert [message["text"] for message in messages] == ["Welcome"]
    versions = _result(client.get(f"/chats/42/messages/{messages[0]['message_id']}/versions"))
    assert len(versions) == 1


def test_control_send_update_calls_and_stats(client, emulator: Emulator):
    payload = {"channel_post": {"chat": {"id": CHANNEL_ID, "type": "channel", "title": "Quizkit tests"}, "text": "Q1"}}
    update_id = _result(client.post(f"/bot{TOKEN}/send_update", json=payload))
    assert _result(client.post(f"/bot{TOKEN}/wait_delivered", params={"timeout": "0.05"})) is False

    httpx.post(f"{emulator.base_url}{TOKEN}/getUpdates", data={"offset": str(update_id + 1)}, trust_env=False)

    assert _result(client.post(f"/bot{TOKEN}/wait_delivered", params={"timeout": "1"})) is True
    calls = _result(client.get(f"/bot{TOKEN}/calls", params={"method": "getupdates"}))
    assert [call["params"] for call in calls] == [{"offset": update_id + 1}]
    stats = _result(client.get(f"/bot{TOKEN}/stats"))
    assert (stats["updates_queued"], stats["updates_delivered"]) == (1, 1)


def test_control_errors_use_envelope(client):
    unknown = client.get("/bot999:nobody/stats")
    missing = client.post("/bots", json={"username": "no_token"})
    invalid = client.post(f"/bot{TOKEN}/send_update", json={"message": {}, "extra": {}})

    assert unknown.status_code == 404
    assert unknown.json()["description"] == "No bot with id 999 in the emulator; call add_bot(token, username) first."
    assert missing.status_code == 400
    assert missing.json()["description"] == "Invalid control request: the field 'token' is missing"
    assert invalid.status_code == 400
    assert "exactly one update type" in invalid.json()["description"]


def test_control_channel_admin_rights(client, emulator: Emulator):
    _result(client.post("/channels", json={"token": TOKEN, "chat_id": CHANNEL_ID, "title": "Quizkit tests",
                                           "admin_rights": {"can_post_messages": False}}))

    member = httpx.post(f"{emulator.base_url}{TOKEN}/getChatMember",
                        data={"chat_id": str(CHANNEL_ID), "user_id": "123456789"}, trust_env=False).json()
    posted = httpx.post(f"{emulator.base_url}{TOKEN}/sendMessage", data={"chat_id": str(CHANNEL_ID), "text": "Q1"},
                        trust_env=False)
    assert member["result"]["status"] == "administrator"
    assert member["result"]["can_post_messages"] is False
    assert member["result"]["can_edit_messages"] is True
    assert member["result"]["can_promote_members"] is False
    assert posted.status_code == 400
    assert posted.json()["description"] == "Bad Request: need administrator rights in the channel chat"


@pytest.mark.parametrize("rights", [{"can_fly": True}, {"can_post_messages": "no"}])
def test_control_channel_invalid_admin_rights(client, rights):
    response = client.post("/channels", json={"token": TOKEN, "chat_id": CHANNEL_ID, "title": "Quizkit tests",
                                               "admin_rights": rights})

    assert response.status_code == 400
    assert "Invalid admin_rights" in response.json()["description"]
