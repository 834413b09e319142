"""The webhook transport against the emulator: replies in the response body, guards, lifecycle."""

from __future__ import annotations

import json

import httpx
import pytest

from quizkit.emulator import SimUser
from quizkit.server import Server, ServerNotRunning
from tests.conftest import TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="en")


@pytest.fixture
def server(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token="s3cret") as running:
        yield running


def _post(server: Server, body: bytes | str, secret: str | None = "s3cret") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return httpx.post(server.webhook_url, content=body, headers=headers, trust_env=False)


def _update(update_id: int, text: str, user: SimUser = ALICE) -> dict:
    sender = {"id": user.user_id, "is_bot": False, "first_name": user.first_name, "language_code": user.language_code}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1700000000,
            "chat": {"id": user.user_id, "type": "private", "first_name": user.first_name},
            "from": sender,
            "text": text,
        },
    }


def test_webhook_sets_webhook_on_emulator(server, emulator):
    calls = emulator.calls(TOKEN, "setWebhook")
    assert len(calls) == 1
    assert calls[0]["params"]["url"] == server.webhook_url
    assert calls[0]["params"]["secret_token"] == "s3cret"


def test_webhook_reply_travels_in_response_body(server, engine):
    server.call(engine.open_question, 1)
    response = _post(server, json.dumps(_update(5001, "/start RM1")))

    assert response.status_code == 200
    method = response.json()
    assert method["method"] == "sendMessage"
    assert method["chat_id"] == ALICE.user_id
    assert method["parse_mode"] == "HTML"
    assert "Capital of Italy?" in method["text"]


def test_webhook_duplicate_update_replays_first_reply(server, engine):
    # Telegram redelivers an update only when it got no 2xx, so the first response's reply was
    # never executed: the stored reply goes out with the redelivery, and nothing is handled twice.
    server.call(engine.open_question, 1)
    first = _post(server, json.dumps(_update(5002, "/start RM1")))
    answered = _post(server, json.dumps(_update(5003, "Rome")))
    again = _post(server, json.dumps(_update(5003, "Rome")))

    assert first.status_code == 200
    assert answered.status_code == 200
    assert answered.content
    assert again.status_code == 200
    assert again.content == answered.content
    assert server.call(engine.answer_count, 1) == 1


def test_webhook_missing_secret_is_forbidden(server, engine):
    server.call(engine.open_question, 1)
    response = _post(server, json.dumps(_update(5003, "/start RM1")), secret=None)

    assert response.status_code == 403
    assert server.call(engine.answer_count, 1) == 0


def test_webhook_wrong_secret_stores_nothing(server, engine):
    server.call(engine.open_question, 1)
    _post(server, json.dumps(_update(5004, "/start RM1")), secret="wrong")
    response = _post(server, json.dumps(_update(5005, "Rome")), secret="wrong")

    assert response.status_code == 403
    assert server.call(engine.answer_count, 1) == 0


def test_webhook_body_over_one_mebibyte_is_rejected(server):
    update = _update(5006, "x")
    update["padding"] = "y" * (1024 * 1024)
    response = _post(server, json.dumps(update))

    assert response.status_code == 413


def test_webhook_invalid_json_is_bad_request(server):
    response = _post(server, b"{not json")

    assert response.status_code == 400


def test_webhook_json_that_is_no_update_is_ignored(server):
    for body in ("[1, 2]", '{"hello": "world"}', '{"update_id": "seven"}', "null"):
        response = _post(server, body)
        assert response.status_code == 200, body
        assert response.content == b"", body


def test_webhook_answers_through_emulator_push(server, engine, emulator):
    server.call(engine.open_question, 1)
    emulator.send_text(TOKEN, ALICE, "/start RM1")
    emulator.send_text(TOKEN, ALICE, "roma!")
    assert emulator.wait_delivered(TOKEN, 10)

    replies = [message["text"] for message in emulator.messages(ALICE.user_id)]
    assert len(replies) == 2
    assert server.call(engine.answer_count, 1) == 1


def test_webhook_close_posts_podium_to_channel(server, engine, emulator):
    from tests.conftest import CHANNEL_ID

    server.call(engine.open_question, 1)
    emulator.send_text(TOKEN, ALICE, "/start RM1")
    emulator.send_text(TOKEN, ALICE, "Rome")
    assert emulator.wait_delivered(TOKEN, 10)
    result = server.call(engine.close_question, 1)
    assert server.drain_outbox(10)

    assert result.correct == 1
    channel = emulator.messages(CHANNEL_ID)
    assert len(channel) == 2
    assert "🥇" in channel[1]["text"]
    assert "Alice" in channel[1]["text"]


def test_server_stop_is_idempotent_and_restartable(engine, emulator):
    server = Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False)
    for _ in range(2):
        server.start()
        assert server.running
        server.stop()
        server.stop()
        assert not server.running


def test_server_call_when_stopped_raises(engine, emulator):
    server = Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False)

    with pytest.raises(ServerNotRunning, match="not running"):
        server.call(engine.open_question, 1)
