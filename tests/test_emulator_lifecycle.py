"""The emulator's server lifecycle and its HTTP surface: routes, bodies, tokens and the envelope."""

from __future__ import annotations

import json
import socket
import threading

import httpx
import pytest
from telegram import Bot
from telegram.error import InvalidToken
from telegram.request import HTTPXRequest

from quizkit.emulator import Emulator
from tests.conftest import TOKEN


def _post(url: str, **kwargs) -> httpx.Response:
    return httpx.post(url, trust_env=False, timeout=5, **kwargs)


def test_emulator_start_listens_on_free_loopback_port():
    with Emulator() as emu:
        host, port = emu.url.removeprefix("http://").split(":")

        assert host == "127.0.0.1"
        assert int(port) > 0
        assert emu.base_url == emu.url + "/bot"
        with socket.create_connection(("127.0.0.1", int(port)), timeout=2):
            pass


def test_emulator_stop_is_idempotent_and_restartable():
    emu = Emulator()
    emu.add_bot(TOKEN, "quizkit_test_bot")
    for _ in range(3):
        emu.start()
        response = httpx.get(f"{emu.base_url}{TOKEN}/getMe", trust_env=False, timeout=5)
        assert response.json()["result"]["username"] == "quizkit_test_bot"
        emu.stop()
        emu.stop()
        assert not emu.running

    threads = [thread.name for thread in threading.enumerate()]
    assert "quizkit-emulator" not in threads


def test_emulator_url_when_stopped_raises():
    emu = Emulator()

    with pytest.raises(RuntimeError, match="call start"):
        emu.url


def test_emulator_port_in_use_raises():
    with Emulator() as first:
        port = int(first.url.rsplit(":", 1)[1])

        with pytest.raises(RuntimeError, match=f"cannot listen on 127.0.0.1:{port}"):
            Emulator(port=port).start()


def test_emulator_state_survives_restart(emulator):
    from quizkit.emulator import SimUser

    update_id = emulator.send_text(TOKEN, SimUser(7, "Ada"), "hello")
    emulator.stop()
    emulator.start()
    response = _post(f"{emulator.base_url}{TOKEN}/getUpdates")

    assert [update["update_id"] for update in response.json()["result"]] == [update_id]


def test_api_unknown_method_is_not_found(emulator):
    response = _post(f"{emulator.base_url}{TOKEN}/sendTelepathy")

    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


def test_api_unknown_token_is_unauthorized(emulator):
    response = _post(f"{emulator.base_url}42:UnknownToken/getMe")

    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_api_malformed_token_is_not_found(emulator):
    response = _post(f"{emulator.base_url}not-a-token/getMe")

    assert response.status_code == 404
    assert response.json()["description"] == "Not Found"


def test_api_unknown_path_gets_envelope(emulator):
    response = httpx.get(f"{emulator.url}/favicon.ico", trust_env=False, timeout=5)

    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_api_unknown_token_raises_invalid_token_in_ptb(emulator):
    bot = Bot("42:UnknownToken", base_url=emulator.base_url, request=HTTPXRequest(httpx_kwargs={"trust_env": False}))

    with pytest.raises(InvalidToken):
        async with bot:  # closes the HTTP client when initialize() fails
            pass


def test_api_method_names_are_case_insensitive(emulator):
    for name in ("getMe", "getme", "GETME"):
        response = _post(f"{emulator.base_url}{TOKEN}/{name}")
        assert response.status_code == 200, name

    assert [call["method"] for call in emulator.calls(TOKEN)] == ["getMe", "getMe", "getMe"]


def test_api_accepts_get_with_query_string(emulator):
    from quizkit.emulator import SimUser

    emulator.send_text(TOKEN, SimUser(7, "Ada"), "hi")
    response = httpx.get(
        f"{emulator.base_url}{TOKEN}/sendMessage", params={"chat_id": "7", "text": "hello"}, trust_env=False
    )

    assert response.status_code == 200
    assert response.json()["result"]["text"] == "hello"


def test_api_accepts_json_body(emulator):
    from quizkit.emulator import SimUser

    emulator.send_text(TOKEN, SimUser(7, "Ada"), "hi")
    body = {"chat_id": 7, "text": "<i>x</i>", "parse_mode": "HTML"}
    response = _post(f"{emulator.base_url}{TOKEN}/sendMessage", json=body)

    assert response.json()["result"]["entities"] == [{"offset": 0, "length": 1, "type": "italic"}]
    assert emulator.calls(TOKEN, "sendMessage")[0]["params"]["chat_id"] == 7


def test_api_accepts_urlencoded_body_with_json_values(emulator):
    from quizkit.emulator import SimUser

    emulator.send_text(TOKEN, SimUser(7, "Ada"), "hi")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    response = _post(
        f"{emulator.base_url}{TOKEN}/sendMessage",
        data={"chat_id": "7", "text": "pick", "reply_markup": json.dumps(markup)},
    )

    assert response.json()["result"]["reply_markup"] == markup
    assert emulator.calls(TOKEN, "sendMessage")[0]["params"]["reply_markup"] == markup


def test_api_rejects_invalid_json_body(emulator):
    response = _post(
        f"{emulator.base_url}{TOKEN}/sendMessage", content=b"{oops", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["description"] == "Bad Request: can't parse JSON object"


def test_api_accepts_multipart_body(emulator):
    from quizkit.emulator import SimUser

    emulator.send_text(TOKEN, SimUser(7, "Ada"), "hi")
    response = _post(
        f"{emulator.base_url}{TOKEN}/sendPhoto",
        data={"chat_id": "7", "caption": "<b>Q1</b>", "parse_mode": "HTML"},
        files={"photo": ("qr.png", b"\x89PNG fake", "image/png")},
    )

    result = response.json()["result"]
    assert result["caption"] == "Q1"
    assert result["caption_entities"] == [{"offset": 0, "length": 2, "type": "bold"}]
    logged = emulator.calls(TOKEN, "sendPhoto")[0]["params"]["photo"]
    assert logged == {"filename": "qr.png", "content_type": "image/png", "size": 9}
