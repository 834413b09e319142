"""Webhook push from the emulator to a tiny receiver on 127.0.0.1, and the setWebhook family of methods."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Bot
from telegram.error import BadRequest
from telegram.request import HTTPXRequest

from quizkit.emulator import Emulator, SimUser
from tests.conftest import BOT_USERNAME, TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="it")
BOB = SimUser(user_id=222000222, first_name="Bob")
CAROL = SimUser(user_id=333000333, first_name="Carol", username="carol")

Respond = Callable[[dict[str, Any], int], Awaitable[Response]]


@dataclass
class Delivery:
    """One request the receiver got: which update, which attempt, when, and with which headers."""

    update_id: int
    chat_id: int
    attempt: int
    headers: dict[str, str]
    started: float
    finished: float


async def _ok(update: dict[str, Any], attempt: int) -> Response:
    return Response(status_code=200)


class Receiver:
    """A webhook endpoint in its own thread that records deliveries and responds with `respond`."""

    def __init__(self, respond: Respond = _ok) -> None:
        self.respond = respond
        self.deliveries: list[Delivery] = []
        self.attempts: Counter[int] = Counter()
        self.active = 0
        self.max_active = 0
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hook"

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._sock]))
        finally:
            loop.close()
            self._sock.close()

    def __enter__(self) -> Receiver:
        self._thread.start()
        while not self._server.started:
            time.sleep(0.005)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    async def _hook(self, request: Request) -> Response:
        update = await request.json()
        update_id = update["update_id"]
        self.attempts[update_id] += 1
        attempt = self.attempts[update_id]
        started = time.monotonic()
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            return await self.respond(update, attempt)
        finally:
            self.active -= 1
            chat_id = update["message"]["chat"]["id"] if "message" in update else 0
            headers = dict(request.headers)
            self.deliveries.append(Delivery(update_id, chat_id, attempt, headers, started, time.monotonic()))

    def of_chat(self, chat_id: int) -> list[Delivery]:
        return sorted((d for d in self.deliveries if d.chat_id == chat_id), key=lambda d: d.started)


def _ptb_bot(emulator: Emulator) -> Bot:
    return Bot(TOKEN, base_url=emulator.base_url, request=HTTPXRequest(httpx_kwargs={"trust_env": False}))


@pytest.fixture
def make_emulator():
    """Start an emulator with the test bot and the given delivery timing; stopped after the test."""
    started: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        emulator = Emulator(**{"retry_delay_s": 0.05, "webhook_timeout_s": 2.0, **options}).start()
        emulator.add_bot(TOKEN, BOT_USERNAME)
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


async def _set_webhook(emulator: Emulator, url: str, **options: Any) -> None:
    async with _ptb_bot(emulator) as bot:
        assert await bot.set_webhook(url, **options)


async def _wait_delivered(emulator: Emulator, timeout: float = 5.0) -> bool:
    return await asyncio.to_thread(emulator.wait_delivered, TOKEN, timeout)


async def test_webhook_delivers_with_secret_header(make_emulator):
    emulator = make_emulator()
    with Receiver() as receiver:
        await _set_webhook(emulator, receiver.url, secret_token="s3cret-Token_1")
        update_id = emulator.send_text(TOKEN, ALICE, "/start RM1")
        assert await _wait_delivered(emulator)

    (delivery,) = receiver.deliveries
    assert delivery.update_id == update_id
    assert delivery.headers["x-telegram-bot-api-secret-token"] == "s3cret-Token_1"
    assert delivery.headers["content-type"] == "application/json"
    assert emulator.stats(TOKEN)["updates_delivered"] == 1


async def test_webhook_without_secret_sends_no_header(make_emulator):
    emulator = make_emulator()
    with Receiver() as receiver:
        await _set_webhook(emulator, receiver.url)
        emulator.send_text(TOKEN, ALICE, "hi")
        assert await _wait_delivered(emulator)

    assert "x-telegram-bot-api-secret-token" not in receiver.deliveries[0].headers


async def test_webhook_respects_max_connections(make_emulator):
    async def slow(update: dict[str, Any], attempt: int) -> Response:
        await asyncio.sleep(0.15)
        return Response(status_code=200)

    emulator = make_emulator()
    users = [SimUser(5000 + number, f"User{number}") for number in range(10)]
    with Receiver(slow) as receiver:
        await _set_webhook(emulator, receiver.url, max_connections=3)
        for user in users:
            emulator.send_text(TOKEN, user, "hi")
        assert await _wait_delivered(emulator)

    assert len(receiver.deliveries) == 10
    assert receiver.max_active == 3


async def test_webhook_keeps_order_within_chat(make_emulator):
    async def uneven(update: dict[str, Any], attempt: int) -> Response:
        # Earlier updates take longer, so a dispatcher that ignored chat order would overtake them.
        await asyncio.sleep(0.12 - 0.01 * (update["update_id"] % 10))
        return Response(status_code=200)

    emulator = make_emulator()
    users = (ALICE, BOB, CAROL)
    with Receiver(uneven) as receiver:
        await _set_webhook(emulator, receiver.url)
        sent = {user.user_id: [emulator.send_text(TOKEN, user, str(number)) for number in range(4)] for user in users}
        assert await _wait_delivered(emulator)

    for user in users:
        chat = receiver.of_chat(user.user_id)
        assert [delivery.update_id for delivery in chat] == sent[user.user_id]
        for previous, following in zip(chat, chat[1:]):
            assert following.started >= previous.finished
    assert receiver.max_active == 3  # one in flight per chat, the three chats at once


async def test_webhook_redelivers_after_server_error(make_emulator):
    async def fail_first_of_alice(update: dict[str, Any], attempt: int) -> Response:
        if update["message"]["text"] == "first" and attempt == 1:
            return Response("boom", status_code=500)
        return Response(status_code=200)

    emulator = make_emulator(retry_delay_s=0.3)
    with Receiver(fail_first_of_alice) as receiver:
        await _set_webhook(emulator, receiver.url)
        first = emulator.send_text(TOKEN, ALICE, "first")
        second = emulator.send_text(TOKEN, ALICE, "second")
        other = emulator.send_text(TOKEN, BOB, "other chat")
        assert await _wait_delivered(emulator)
        async with _ptb_bot(emulator) as bot:
            info = await bot.get_webhook_info()

    alice = [(delivery.update_id, delivery.attempt) for delivery in receiver.of_chat(ALICE.user_id)]
    assert alice == [(first, 1), (first, 2), (second, 1)]
    bob = receiver.of_chat(BOB.user_id)[0]
    assert bob.update_id == other
    assert bob.started < receiver.of_chat(ALICE.user_id)[1].started  # a failing chat holds back only itself
    stats = emulator.stats(TOKEN)
    assert (stats["deliveries_failed"], stats["redeliveries"], stats["updates_delivered"]) == (1, 1, 3)
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert abs(info.last_error_date.timestamp() - time.time()) < 10
    assert info.pending_update_count == 0


async def test_webhook_redelivers_after_timeout(make_emulator):
    async def stall_first(update: dict[str, Any], attempt: int) -> Response:
        if attempt == 1:
            await asyncio.sleep(0.8)
        return Response(status_code=200)

    emulator = make_emulator(webhook_timeout_s=0.3)
    with Receiver(stall_first) as receiver:
        await _set_webhook(emulator, receiver.url)
        update_id = emulator.send_text(TOKEN, ALICE, "hi")
        assert await _wait_delivered(emulator)
        async with _ptb_bot(emulator) as bot:
            info = await bot.get_webhook_info()

    assert receiver.attempts[update_id] == 2
    assert emulator.stats(TOKEN)["redeliveries"] == 1
    assert info.last_error_message == "Read timeout expired"


async def test_webhook_records_connection_refused(make_emulator):
    emulator = make_emulator(retry_delay_s=5.0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    await _set_webhook(emulator, f"http://127.0.0.1:{closed_port}/hook")
    emulator.send_text(TOKEN, ALICE, "hi")

    async with _ptb_bot(emulator) as bot:
        for _ in range(100):
            info = await bot.get_webhook_info()
            if info.last_error_message:
                break
            await asyncio.sleep(0.02)

    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1


async def test_webhook_executes_method_in_response(make_emulator):
    async def reply(update: dict[str, Any], attempt: int) -> Response:
        chat_id = update["message"]["chat"]["id"]
        return JSONResponse(
            {"method": "sendMessage", "chat_id": chat_id, "text": "<b>Got</b> it", "parse_mode": "HTML"}
        )

    emulator = make_emulator()
    with Receiver(reply) as receiver:
        await _set_webhook(emulator, receiver.url)
        emulator.send_text(TOKEN, ALICE, "Roma")
        assert await _wait_delivered(emulator)

    (message,) = emulator.messages(ALICE.user_id)
    assert message["text"] == "Got it"
    assert message["entities"] == [{"offset": 0, "length": 3, "type": "bold"}]
    (call,) = emulator.calls(TOKEN, "sendMessage")
    assert call["source"] == "webhook_response"
    assert call["update_id"] == receiver.deliveries[0].update_id
    assert call["params"]["chat_id"] == ALICE.user_id
    assert len(receiver.deliveries) == 1


async def test_webhook_failed_response_method_is_not_retried(make_emulator):
    async def bad_reply(update: dict[str, Any], attempt: int) -> Response:
        chat_id = update["message"]["chat"]["id"]
        return JSONResponse({"method": "sendMessage", "chat_id": chat_id, "text": "1 < 2", "parse_mode": "HTML"})

    emulator = make_emulator()
    with Receiver(bad_reply) as receiver:
        await _set_webhook(emulator, receiver.url)
        update_id = emulator.send_text(TOKEN, ALICE, "hi")
        assert await _wait_delivered(emulator)

    (call,) = emulator.calls(TOKEN, "sendMessage")
    assert not call["ok"]
    assert call["description"] == "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2"
    assert receiver.attempts[update_id] == 1
    assert emulator.messages(ALICE.user_id) == []


async def test_set_webhook_and_get_webhook_info(make_emulator):
    emulator = make_emulator()
    async with _ptb_bot(emulator) as bot:
        assert await bot.set_webhook(
            "http://127.0.0.1:9/hook", max_connections=7, allowed_updates=["message", "callback_query"]
        )
        info = await bot.get_webhook_info()

    assert info.url == "http://127.0.0.1:9/hook"
    assert info.max_connections == 7
    assert info.allowed_updates == ("message", "callback_query")
    assert info.pending_update_count == 0
    assert not info.has_custom_certificate
    assert info.last_error_date is None


def test_set_webhook_descriptions_and_defaults(make_emulator):
    emulator = make_emulator()
    url = f"{emulator.base_url}{TOKEN}"
    with httpx.Client(trust_env=False) as client:
        first = client.post(f"{url}/setWebhook", data={"url": "http://localhost:9/hook"}).json()
        again = client.post(f"{url}/setWebhook", data={"url": "http://localhost:9/hook"}).json()
        info = client.post(f"{url}/getWebhookInfo").json()["result"]
        deleted = client.post(f"{url}/deleteWebhook").json()
        deleted_again = client.post(f"{url}/deleteWebhook").json()

    assert first == {"ok": True, "result": True, "description": "Webhook was set"}
    assert again["description"] == "Webhook is already set"
    assert info == {
        "url": "http://localhost:9/hook",
        "has_custom_certificate": False,
        "pending_update_count": 0,
        "max_connections": 40,
    }
    assert deleted["description"] == "Webhook was deleted"
    assert deleted_again["description"] == "Webhook is already deleted"


@pytest.mark.parametrize(
    ("max_connections", "expected"),
    [(0, 1), (1, 1), (100, 100), (500, 100)],
)
async def test_set_webhook_clamps_max_connections(make_emulator, max_connections, expected):
    emulator = make_emulator()
    async with _ptb_bot(emulator) as bot:
        await bot.set_webhook("http://127.0.0.1:9/hook", max_connections=max_connections)
        info = await bot.get_webhook_info()

    assert info.max_connections == expected


async def test_set_webhook_accepts_certificate(make_emulator):
    emulator = make_emulator()
    async with _ptb_bot(emulator) as bot:
        await bot.set_webhook("https://127.0.0.1:8443/hook", certificate=b"-----BEGIN CERTIFICATE-----\n")
        info = await bot.get_webhook_info()

    assert info.has_custom_certificate
    assert emulator.calls(TOKEN, "setWebhook")[0]["params"]["certificate"]["size"] == 28


@pytest.mark.parametrize(
    ("url", "description"),
    [
        (
            "https://example.com/hook",
            "Bad Request: bad webhook: the emulator delivers updates only to loopback addresses "
            "(127.0.0.0/8, ::1 or localhost), not to 'example.com'",
        ),
        (
            "http://10.0.0.5:8443/hook",
            "Bad Request: bad webhook: the emulator delivers updates only to loopback addresses "
            "(127.0.0.0/8, ::1 or localhost), not to '10.0.0.5'",
        ),
        ("ftp://127.0.0.1/hook", "Bad Request: invalid webhook URL specified"),
    ],
    ids=["public-host", "private-address", "scheme"],
)
async def test_set_webhook_rejects_non_loopback(make_emulator, url, description):
    emulator = make_emulator()
    async with _ptb_bot(emulator) as bot:
        with pytest.raises(BadRequest):
            await bot.set_webhook(url)

    assert emulator.calls(TOKEN, "setWebhook")[-1]["description"] == description


async def test_set_webhook_rejects_bad_secret(make_emulator):
    emulator = make_emulator()
    async with _ptb_bot(emulator) as bot:
        with pytest.raises(BadRequest):
            await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="no spaces allowed")

    assert emulator.calls(TOKEN, "setWebhook")[-1]["description"] == (
        "Bad Request: secret token contains unallowed characters"
    )


async def test_delete_webhook_drops_pending_updates(make_emulator):
    emulator = make_emulator(retry_delay_s=5.0)
    await _set_webhook(emulator, "http://127.0.0.1:9/hook")
    emulator.send_text(TOKEN, ALICE, "one")
    emulator.send_text(TOKEN, ALICE, "two")

    async with _ptb_bot(emulator) as bot:
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates() == ()

    assert emulator.stats(TOKEN)["updates_dropped"] == 2
    assert await _wait_delivered(emulator, 0.1)


async def test_webhook_switch_to_polling_keeps_pending(make_emulator):
    emulator = make_emulator(retry_delay_s=5.0)
    await _set_webhook(emulator, "http://127.0.0.1:9/hook")
    update_id = emulator.send_text(TOKEN, ALICE, "kept")

    async with _ptb_bot(emulator) as bot:
        await bot.delete_webhook()
        updates = await bot.get_updates()

    assert [update.update_id for update in updates] == [update_id]


async def test_webhook_latency_delays_each_delivery(make_emulator):
    emulator = make_emulator(webhook_latency_s=0.3)
    with Receiver() as receiver:
        await _set_webhook(emulator, receiver.url, max_connections=2)
        queued_at = time.monotonic()
        emulator.send_text(TOKEN, ALICE, "one")
        emulator.send_text(TOKEN, BOB, "two")
        assert await _wait_delivered(emulator)

    first_arrival = min(delivery.started for delivery in receiver.deliveries)
    last_arrival = max(delivery.started for delivery in receiver.deliveries)
    assert len(receiver.deliveries) == 2
    assert first_arrival - queued_at >= 0.3
    # Two connections: both deliveries wait out the latency at the same time, not one after the other.
    assert last_arrival - queued_at < 0.6
