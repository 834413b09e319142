"""Every Bot API request quizkit makes, checked against aiogram's method models in strict mode.

The emulator logs each call with its parameters (`Emulator.calls`). A quizkit event runs over both
transports with text and choice questions, then a classroom rehearsal and `quizkit doctor` run,
and each logged call must be one that aiogram, which follows the Bot API reference, accepts.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

import pytest

import quizkit.rehearsal
from quizkit.doctor import DoctorSettings, run_doctor
from quizkit.emulator import SimUser
from quizkit.emulator.updates import callback_query, edited_message, photo_message, sticker_message
from quizkit.engine import Engine
from quizkit.rehearsal import REHEARSAL_TOKEN, RehearsalOptions, rehearse
from quizkit.server import Server
from quizkit.store import Store
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN
from tests.fidelity_support import FidelityError, check_request

ANNA = SimUser(user_id=320000001, first_name="Anna", language_code="it")
BRUNO = SimUser(user_id=320000002, first_name="Bruno", language_code="en")
CARLA = SimUser(user_id=320000003, first_name="Carla")


def play_event(db_path, emulator, transport: str) -> None:
    """Run an event with a text and a choice question, the way participants and the host do."""
    store = Store(db_path)
    engine = Engine.create_event(store, name=f"fidelity-{transport}", language="en", channel_id=CHANNEL_ID,
                                 bot_username=BOT_USERNAME)
    engine.add_question(text="Capital of Italy?", answers=["Rome", "Roma"], code="RM1")
    choice = engine.add_question(text="Largest city of Italy?", kind="choice", options=["Milano", "Roma", "Napoli"],
                                 answers=["Roma"], code="CH1")
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token="s3cret_token-1",
                max_connections=12, transport=transport, delete_webhook_on_stop=True) as server:
        server.call(engine.open_question, "RM1")
        for user in (ANNA, BRUNO, CARLA):
            emulator.send_text(TOKEN, user, "/start RM1")
        emulator.send_text(TOKEN, ANNA, "Roma")
        emulator.send_update(TOKEN, sticker_message(BRUNO))
        emulator.send_update(TOKEN, photo_message(BRUNO, "Rome?"))
        emulator.send_text(TOKEN, BRUNO, "Milano")
        emulator.send_update(TOKEN, edited_message(BRUNO, 1, "Rome"))
        emulator.send_text(TOKEN, CARLA, "/help")
        assert emulator.wait_delivered(TOKEN, 10)
        server.call(engine.close_question, "RM1")

        server.call(engine.open_question, "CH1")
        for user in (ANNA, BRUNO, CARLA):
            emulator.send_text(TOKEN, user, "/start CH1")
        assert emulator.wait_delivered(TOKEN, 10)
        emulator.tap(TOKEN, ANNA, _keyboard_message(emulator, ANNA)["message_id"], "2. Roma")
        emulator.send_text(TOKEN, BRUNO, "1")
        prompt = _keyboard_message(emulator, CARLA)
        emulator.send_update(TOKEN, callback_query(CARLA, "drop table", message=prompt))
        assert emulator.wait_delivered(TOKEN, 10)
        assert server.drain_outbox(10)
        server.call(engine.close_question, "CH1")
        emulator.tap(TOKEN, CARLA, prompt["message_id"], "3. Napoli")
        emulator.send_update(TOKEN, callback_query(ANNA, f"c:{engine.event.id}:{choice.id}:0", message=prompt))
        assert emulator.wait_delivered(TOKEN, 10)
        server.call(engine.post_leaderboard)
        assert server.drain_outbox(10)
    store.close()


def _keyboard_message(emulator, user: SimUser) -> dict:
    return [message for message in emulator.messages(user.user_id) if "reply_markup" in message][-1]


def invalid_calls(calls: list[dict[str, Any]]) -> list[str]:
    """Return one line per call that aiogram rejects, naming the method and the parameter."""
    problems = []
    for call in calls:
        try:
            check_request(call["method"], call["params"])
        except FidelityError as error:
            problems.append(f"{call['source']} {error}")
    return problems


@pytest.mark.parametrize("transport", ["webhook", "polling"])
def test_event_requests_match_aiogram(db_path, emulator, transport):
    play_event(db_path, emulator, transport)
    calls = emulator.calls(TOKEN)

    assert invalid_calls(calls) == []
    methods = Counter(call["method"] for call in calls)
    for method in ("getMe", "sendMessage", "answerCallbackQuery", "editMessageText", "deleteWebhook"):
        assert methods[method] > 0, f"the event made no {method} call, so its parameters went unchecked"
    keyboards = [call for call in calls if call["method"] == "sendMessage" and "reply_markup" in call["params"]]
    assert keyboards, "no sendMessage carried an inline keyboard"
    assert any(call["params"].get("chat_id") == CHANNEL_ID for call in calls if call["method"] == "sendMessage")
    if transport == "webhook":
        (setup,) = [call for call in calls if call["method"] == "setWebhook"]
        assert {"url", "secret_token", "max_connections", "allowed_updates"} <= set(setup["params"])
        assert any(call["source"] == "webhook_response" for call in calls)
    else:
        assert methods["getUpdates"] > 0


def test_rehearsal_requests_match_aiogram(tmp_path, monkeypatch):
    started = []

    def keep_emulator():
        started.append(original())
        return started[-1]

    original = quizkit.rehearsal.rehearsal_emulator
    monkeypatch.setattr(quizkit.rehearsal, "rehearsal_emulator", keep_emulator)
    options = RehearsalOptions(profile="classroom", time_scale=0.05, db_path=tmp_path / "rehearsal.db", progress=False)
    rehearse(options, out=io.StringIO())
    calls = started[0].calls(REHEARSAL_TOKEN)

    assert len(calls) > 100
    assert invalid_calls(calls) == []


def test_doctor_requests_match_aiogram(emulator, tmp_path):
    settings = DoctorSettings(token=TOKEN, api_url=emulator.url, channel_id=CHANNEL_ID,
                              public_url="https://quiz.example.org", db_path=tmp_path / "quiz.db")
    run_doctor(settings)
    calls = emulator.calls(TOKEN)

    assert {"getMe", "getChatMember"} <= {call["method"] for call in calls}
    assert invalid_calls(calls) == []


@pytest.mark.parametrize(("params", "message"), [
    ({"chat_id": 1, "text": "x", "parse_mod": "HTML"},
     "sendMessage: python-telegram-bot's Bot.send_message has no parameter parse_mod"),
    # read_timeout is python-telegram-bot's own argument, never a Bot API parameter.
    ({"chat_id": 1, "text": "x", "read_timeout": 5},
     "sendMessage: aiogram's SendMessage has no parameter read_timeout"),
    ({"chat_id": 1, "text": 5}, "sendMessage: aiogram rejects the parameter text"),
    ({"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": 1}]]}},
     "sendMessage: aiogram rejects the parameter reply_markup: no such fields {'reply_markup.inline_keyboard'"),
    ({"chat_id": 1, "text": "x", "disable_notification": '"yes"'},
     "sendMessage: aiogram rejects the parameter disable_notification"),
    ({"chat_id": 1, "text": "x", "reply_markup": None}, "sendMessage: the parameter reply_markup is sent as null"),
])
def test_check_request_names_the_bad_parameter(params, message):
    with pytest.raises(FidelityError, match="^" + re.escape(message)):
        check_request("sendMessage", params)


def test_check_request_rejects_an_unknown_method():
    with pytest.raises(FidelityError, match="sendMesage: python-telegram-bot's Bot has no method send_mesage"):
        check_request("sendMesage", {"chat_id": 1, "text": "x"})


def test_check_request_asks_python_telegram_bot_for_names():
    expected = "^setWebhook: python-telegram-bot's Bot.set_webhook has no parameter secret$"
    with pytest.raises(FidelityError, match=expected):
        check_request("setWebhook", {"url": "https://quiz.example.org/webhook", "secret": "s3cret"})
