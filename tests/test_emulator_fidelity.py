"""Every response the emulator returns, parsed by python-telegram-bot and by aiogram (see tests/fidelity_support.py).

Each served method has a scenario that calls it over HTTP on 127.0.0.1 with realistic parameters and
returns the results it got. The list of methods comes from the emulator's own table, so a method
added there without a scenario fails `test_every_served_method_has_a_scenario`.
"""

from __future__ import annotations

import http.server
import inspect
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import aiogram
import aiogram.exceptions as aiogram_errors
import httpx
import pytest
from aiogram.client.session.aiohttp import AiohttpSession

from quizkit.emulator import Emulator, SimUser, updates
from quizkit.emulator._service import SERVED_METHODS
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN
from tests.fidelity_support import AIOGRAM_METHODS, FidelityError, check_result, check_update

ANNA = SimUser(user_id=310000001, first_name="Anna", last_name="Bianchi", username="annab", language_code="it")
BRUNO = SimUser(user_id=310000002, first_name="Bruno")
OTHER_CHANNEL_ID = -1001000000077
KEYBOARD = {"inline_keyboard": [[{"text": "1. Milano", "callback_data": "c:1:1:0"}],
                                [{"text": "2. Roma", "callback_data": "c:1:1:1"}]]}
# The helpers of quizkit.emulator.updates that build no update on their own.
UPDATE_HELPERS = {"now", "command_entities", "photo_sizes", "chat_member"}


class Api:
    """Raw Bot API calls to the emulator, returning the `result` exactly as it came over the wire."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.prefix = f"{emulator.base_url}{TOKEN}/"
        self.client = httpx.Client(trust_env=False, timeout=10)

    def call(self, method: str, **params: Any) -> Any:
        return self._result(method, self.client.post(self.prefix + method, json=params))

    def form(self, method: str, files: dict | None = None, **params: Any) -> Any:
        """Call as python-telegram-bot does: a form whose non-text values are JSON-encoded."""
        data = {name: value if isinstance(value, str) else json.dumps(value) for name, value in params.items()}
        return self._result(method, self.client.post(self.prefix + method, data=data, files=files))

    def envelope(self, method: str, **params: Any) -> dict[str, Any]:
        return self.client.post(self.prefix + method, json=params).json()

    @staticmethod
    def _result(method: str, response: httpx.Response) -> Any:
        body = response.json()
        assert body["ok"], f"{method} failed in the emulator: {body}"
        return body["result"]


@pytest.fixture
def api() -> Iterator[Api]:
    with Emulator(retry_delay_s=0.05, max_retry_delay_s=0.2, webhook_timeout_s=2) as emulator:
        emulator.add_bot(TOKEN, BOT_USERNAME)
        emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests")
        emulator.add_channel(TOKEN, OTHER_CHANNEL_ID, "Read only", admin_rights={"can_post_messages": False,
                                                                               "can_edit_messages": False})
        emulator.send_text(TOKEN, ANNA, "/start")
        emulator.send_text(TOKEN, BRUNO, "ciao")
        client = Api(emulator)
        client.call("getUpdates", offset=-1)  # the chats now exist; drop all but the last update
        client.call("getUpdates", offset=10**10)
        yield client
        client.client.close()


def every_kind_of_update(api: Api) -> list[dict[str, Any]]:
    """Return one payload of each update builder, the callback query under a real bot message with a keyboard."""
    keyboard_message = api.call("sendMessage", chat_id=ANNA.user_id, text="Pick one", reply_markup=KEYBOARD)
    bot_user = api.call("getMe")
    return [
        updates.text_message(ANNA, "/start CH1"),
        updates.text_message(BRUNO, "Roma"),
        updates.sticker_message(BRUNO),
        updates.photo_message(ANNA, "my answer"),
        updates.photo_message(BRUNO),
        updates.edited_message(ANNA, 1, "Napoli"),
        updates.channel_post(CHANNEL_ID, "Quizkit tests", "Welcome"),
        updates.callback_query(ANNA, "c:1:1:1", message=keyboard_message),
        updates.callback_query(BRUNO, "c:1:1:0"),
        updates.my_chat_member(ANNA, {"id": CHANNEL_ID, "title": "Quizkit tests", "type": "channel"}, bot_user,
                               "left", "administrator"),
        updates.my_chat_member(BRUNO, BRUNO.to_private_chat(), bot_user, "member", "kicked"),
    ]


def queue_every_kind_of_update(api: Api) -> int:
    """Queue every kind of update, and messages in a group and a supergroup, and return how many."""
    payloads = every_kind_of_update(api)
    for payload in payloads:
        api.emulator.send_update(TOKEN, payload)
    api.emulator.send_text(TOKEN, ANNA, "/start@quizkit_test_bot", chat_id=-4000000123)
    api.emulator.send_text(TOKEN, BRUNO, "Roma", chat_id=-1002000000123)
    return len(payloads) + 2


BUILDERS_USED = {"text_message", "sticker_message", "photo_message", "edited_message", "channel_post",
                 "callback_query", "my_chat_member"}


# Scenarios: each calls one method in its realistic variants and returns the results.

def get_me(api: Api) -> list[Any]:
    return [api.call("getMe"), api.form("getMe")]


def get_updates(api: Api) -> list[Any]:
    queue_every_kind_of_update(api)
    api.call("getUpdates", allowed_updates=sorted(updates_types()))
    batch = api.call("getUpdates", timeout=0)
    assert {kind for update in batch for kind in update if kind != "update_id"} == updates_types()
    confirmed = api.form("getUpdates", offset=batch[-1]["update_id"] + 1, timeout=0)
    return [batch, confirmed]


def updates_types() -> set[str]:
    return {"message", "edited_message", "channel_post", "callback_query", "my_chat_member"}


def send_message(api: Api) -> list[Any]:
    return [
        api.call("sendMessage", chat_id=ANNA.user_id, text="Welcome!"),
        api.form("sendMessage", chat_id=ANNA.user_id, parse_mode="HTML", reply_markup=KEYBOARD,
                 text='<b>Question 1</b>\n<i>Largest</i> city? <a href="https://example.org/q">rules</a> '
                      '<code>CH1</code>'),
        api.call("sendMessage", chat_id=CHANNEL_ID, text="<b>Podium</b>\n🥇 Anna", parse_mode="HTML"),
        api.call("sendMessage", chat_id=ANNA.user_id, text="Roma",
                 entities=[{"type": "italic", "offset": 0, "length": 4}]),
    ]


def send_photo(api: Api) -> list[Any]:
    uploaded = api.form("sendPhoto", files={"photo": ("chart.png", b"\x89PNG\r\n\x1a\n", "image/png")},
                        chat_id=CHANNEL_ID, caption="<b>Results</b> of question 1", parse_mode="HTML")
    again = api.call("sendPhoto", chat_id=ANNA.user_id, photo=uploaded["photo"][-1]["file_id"],
                     reply_markup=KEYBOARD)
    return [uploaded, again]


def edit_message_text(api: Api) -> list[Any]:
    prompt = api.call("sendMessage", chat_id=ANNA.user_id, text="Pick one", reply_markup=KEYBOARD)
    post = api.call("sendMessage", chat_id=CHANNEL_ID, text="Question 1 is open")
    return [
        api.form("editMessageText", chat_id=ANNA.user_id, message_id=prompt["message_id"], parse_mode="HTML",
                 text="Pick one\n\n<b>Got it!</b> Your answer: Roma"),
        api.call("editMessageText", chat_id=ANNA.user_id, message_id=prompt["message_id"], text="Pick again",
                 reply_markup=KEYBOARD),
        api.call("editMessageText", chat_id=CHANNEL_ID, message_id=post["message_id"],
                 text="Question 1 is <s>open</s> closed", parse_mode="HTML"),
    ]


def delete_message(api: Api) -> list[Any]:
    message = api.call("sendMessage", chat_id=ANNA.user_id, text="oops")
    return [api.call("deleteMessage", chat_id=ANNA.user_id, message_id=message["message_id"])]


def answer_callback_query(api: Api) -> list[Any]:
    message = api.call("sendMessage", chat_id=ANNA.user_id, text="Pick one", reply_markup=KEYBOARD)
    _, first = api.emulator.tap(TOKEN, ANNA, message["message_id"], "2. Roma")
    _, second = api.emulator.tap(TOKEN, ANNA, message["message_id"], "1. Milano")
    return [
        api.call("answerCallbackQuery", callback_query_id=first, text="Got it! Your answer: Roma"),
        api.form("answerCallbackQuery", callback_query_id=second, text="Only the first answer counts.",
                 show_alert=True),
    ]


def get_chat(api: Api) -> list[Any]:
    return [api.call("getChat", chat_id=CHANNEL_ID), api.form("getChat", chat_id=ANNA.user_id),
            api.call("getChat", chat_id=BRUNO.user_id)]


def get_chat_member(api: Api) -> list[Any]:
    bot_id = api.call("getMe")["id"]
    api.emulator.add_channel(TOKEN, -1001000000099, "Not admin", bot_is_admin=False)
    admin = api.call("getChatMember", chat_id=CHANNEL_ID, user_id=bot_id)
    assert admin["status"] == "administrator"
    assert admin["can_post_messages"] is True
    # Bot API 10.3 requires can_send_welcome_messages, which the emulator once left out.
    assert admin["can_send_welcome_messages"] is True
    return [
        admin,
        api.form("getChatMember", chat_id=OTHER_CHANNEL_ID, user_id=bot_id),
        api.call("getChatMember", chat_id=-1001000000099, user_id=bot_id),
        api.call("getChatMember", chat_id=CHANNEL_ID, user_id=ANNA.user_id),
        api.call("getChatMember", chat_id=ANNA.user_id, user_id=ANNA.user_id),
        api.call("getChatMember", chat_id=ANNA.user_id, user_id=bot_id),
    ]


def set_webhook(api: Api) -> list[Any]:
    with WebhookReceiver() as receiver:
        first = api.form("setWebhook", url=receiver.url, secret_token="s3cret_token-1", max_connections=40,
                         allowed_updates=["message", "edited_message", "callback_query"], drop_pending_updates=True)
        same = api.form("setWebhook", url=receiver.url, secret_token="s3cret_token-1", max_connections=40)
        api.call("deleteWebhook")
    return [first, same]


def delete_webhook(api: Api) -> list[Any]:
    with WebhookReceiver() as receiver:
        api.call("setWebhook", url=receiver.url)
        deleted = api.call("deleteWebhook", drop_pending_updates=True)
    return [deleted, api.form("deleteWebhook")]


def get_webhook_info(api: Api) -> list[Any]:
    results = [api.call("getWebhookInfo")]
    with WebhookReceiver() as receiver:
        api.call("setWebhook", url=receiver.url, secret_token="s3cret", max_connections=12,
                 allowed_updates=["message", "callback_query"])
        results.append(api.call("getWebhookInfo"))
    api.call("setWebhook", url=f"http://127.0.0.1:{closed_port()}/webhook", max_connections=5)
    api.emulator.send_text(TOKEN, ANNA, "Roma")
    results.append(wait_for_webhook_error(api))
    api.call("deleteWebhook")
    return results


def wait_for_webhook_error(api: Api) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info = api.call("getWebhookInfo")
        if "last_error_date" in info:
            return info
        time.sleep(0.05)
    raise AssertionError(f"the emulator reported no delivery error within 10 s: {info}")


SCENARIOS: dict[str, Callable[[Api], list[Any]]] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "editMessageText": edit_message_text,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}


def test_every_served_method_has_a_scenario():
    missing = sorted(set(SERVED_METHODS) - set(SCENARIOS))
    assert not missing, f"the emulator serves {missing} without a fidelity scenario; add one to SCENARIOS"
    assert sorted(set(SCENARIOS) - set(SERVED_METHODS)) == []


def test_every_update_builder_is_checked():
    builders = {name for name, function in inspect.getmembers(updates, inspect.isfunction)
                if function.__module__ == updates.__name__ and not name.startswith("_")} - UPDATE_HELPERS
    assert builders == BUILDERS_USED, "add the new update builder to every_kind_of_update and BUILDERS_USED"


@pytest.mark.parametrize("method", SERVED_METHODS)
def test_results_parse_in_both_libraries(api, method):
    results = SCENARIOS[method](api)

    assert results, f"the {method} scenario made no call"
    for result in results:
        check_result(method, result)


def test_every_update_kind_parses_from_get_updates(api):
    queue_every_kind_of_update(api)
    api.call("getUpdates", allowed_updates=sorted(updates_types()))
    batch = api.call("getUpdates", timeout=0)

    assert {kind for update in batch for kind in update if kind != "update_id"} == updates_types()
    for update in batch:
        check_update(update)


def test_every_update_kind_parses_from_webhook(api):
    with WebhookReceiver() as receiver:
        api.call("setWebhook", url=receiver.url, secret_token="s3cret",
                 allowed_updates=sorted(updates_types()))
        queued = queue_every_kind_of_update(api)
        assert api.emulator.wait_delivered(TOKEN, 10)
        api.call("deleteWebhook")

    assert len(receiver.bodies) == queued
    assert receiver.secrets == {"s3cret"}
    for body in receiver.bodies:
        check_update(body)


def test_check_result_rejects_bad_json():
    message = {"message_id": 1, "date": 1_700_000_000, "chat": {"id": 5, "type": "private"}, "text": "x"}

    check_result("sendMessage", message)
    with pytest.raises(FidelityError, match="does not know the fields"):
        check_result("sendMessage", {**message, "txet": "x"})
    with pytest.raises(FidelityError, match="coerced"):
        check_result("sendMessage", {**message, "message_id": "1"})
    with pytest.raises(FidelityError, match="aiogram rejects"):
        check_result("sendMessage", {key: value for key, value in message.items() if key != "chat"})


def test_error_envelopes_raise_aiogram_errors(api):
    """Each error reaches aiogram's own response check, which picks the exception from code and parameters."""
    with Emulator(flood_limits=True) as limited:
        limited.add_bot(TOKEN, BOT_USERNAME)
        limited.send_text(TOKEN, ANNA, "/start")
        flooding = Api(limited)
        flooding.call("sendMessage", chat_id=ANNA.user_id, text="one")
        too_many = flooding.client.post(flooding.prefix + "sendMessage", json={"chat_id": ANNA.user_id, "text": "two"})
        flooding.client.close()
    with WebhookReceiver() as receiver:
        api.call("setWebhook", url=receiver.url)
        cases = [
            (api.client.post(api.prefix + "getUpdates"), aiogram_errors.TelegramConflictError, "GetUpdates"),
            (api.client.post(api.prefix + "sendMessage", json={"chat_id": ANNA.user_id, "text": " "}),
             aiogram_errors.TelegramBadRequest, "SendMessage"),
            (api.client.post(api.prefix + "answerCallbackQuery", json={"callback_query_id": "4"}),
             aiogram_errors.TelegramBadRequest, "AnswerCallbackQuery"),
            (api.client.post(api.prefix + "noSuchMethod"), aiogram_errors.TelegramNotFound, "GetMe"),
            (api.client.post(f"{api.emulator.base_url}42:{'x' * 35}/getMe"),
             aiogram_errors.TelegramUnauthorizedError, "GetMe"),
            (too_many, aiogram_errors.TelegramRetryAfter, "SendMessage"),
        ]
        api.call("deleteWebhook")

    session = AiohttpSession()
    bot = aiogram.Bot(TOKEN, session=session)
    for response, expected, method_name in cases:
        envelope = response.json()
        assert set(envelope) <= {"ok", "error_code", "description", "parameters"}, envelope
        method = AIOGRAM_METHODS[method_name[0].lower() + method_name[1:]].model_construct()
        with pytest.raises(expected) as raised:
            session.check_response(bot, method, response.status_code, response.text)
        assert envelope["description"] in raised.value.message
    assert raised.value.retry_after == too_many.json()["parameters"]["retry_after"] >= 1


def closed_port() -> int:
    """Return a loopback port on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebhookReceiver:
    """A webhook endpoint on 127.0.0.1 that keeps each update it receives and responds with 200."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.secrets: set[str] = set()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.secrets.add(self.headers.get("X-Telegram-Bot-Api-Secret-Token", ""))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
