"""Injected Bot API failures, as python-telegram-bot sees them, and the control endpoints that inject them."""

from __future__ import annotations

import time

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from quizkit.emulator import SimUser
from tests.conftest import CHANNEL_ID, TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="it")
BOB = SimUser(user_id=222000222, first_name="Bob")


@pytest.fixture
async def bot(emulator):
    emulator.send_text(TOKEN, ALICE, "/start")
    emulator.send_text(TOKEN, BOB, "/start")
    request = HTTPXRequest(httpx_kwargs={"trust_env": False}, read_timeout=1.0)
    async with Bot(TOKEN, base_url=emulator.base_url, request=request) as ptb_bot:
        yield ptb_bot


@pytest.mark.parametrize("kind, error, text", [
    ("flood", RetryAfter, "Flood control exceeded. Retry in 0:00:07"),
    ("server_error", NetworkError, "Internal Server Error"),
    ("blocked", Forbidden, "Forbidden: bot was blocked by the user"),
    ("chat_not_found", BadRequest, "Chat not found"),
    ("no_rights", BadRequest, "Need administrator rights in the channel chat"),
])
async def test_fault_raises_telegram_error(bot, emulator, kind, error, text):
    emulator.inject_fault(TOKEN, kind, method="sendMessage", chat_id=ALICE.user_id, retry_after=7)

    with pytest.raises(error) as raised:
        await bot.send_message(ALICE.user_id, "hi")
    sent = await bot.send_message(ALICE.user_id, "again")

    assert raised.value.message == text
    assert sent.text == "again"
    assert emulator.faults(TOKEN) == []


async def test_fault_only_matching_chat_and_method(bot, emulator):
    emulator.inject_fault(TOKEN, "server_error", method="sendMessage", chat_id=ALICE.user_id, count=None, status=502)

    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(ALICE.user_id, "hi")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(ALICE.user_id, "hi")
    to_bob = await bot.send_message(BOB.user_id, "hi Bob")
    me = await bot.get_me()

    assert to_bob.text == "hi Bob"
    assert me.username
    assert emulator.clear_faults(TOKEN) == 1
    assert (await bot.send_message(ALICE.user_id, "at last")).text == "at last"


async def test_fault_timeout_not_executed(bot, emulator):
    emulator.inject_fault(TOKEN, "timeout", method="sendMessage", delay_s=2.0)

    began = time.monotonic()
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE.user_id, "hi")

    assert time.monotonic() - began < 1.9
    time.sleep(1.5)
    assert [message["text"] for message in emulator.messages(ALICE.user_id)] == []


async def test_fault_disconnect_drops_connection(bot, emulator, caplog):
    emulator.inject_fault(TOKEN, "disconnect", method="sendMessage")

    with pytest.raises(NetworkError) as raised:
        await bot.send_message(ALICE.user_id, "hi")
    sent = await bot.send_message(ALICE.user_id, "again")

    assert not isinstance(raised.value, (BadRequest, TimedOut))
    assert sent.text == "again"
    assert [record.getMessage() for record in caplog.records if record.levelname == "ERROR"] == []


async def test_fault_not_modified_on_edit(bot, emulator):
    sent = await bot.send_message(CHANNEL_ID, "post")
    emulator.inject_fault(TOKEN, "not_modified", method="editMessageText")

    with pytest.raises(BadRequest, match="^Message is not modified"):
        await bot.edit_message_text("changed", chat_id=CHANNEL_ID, message_id=sent.message_id)


async def test_block_bot_rejects_messages_and_queues_update(bot, emulator):
    update_id = emulator.block_bot(TOKEN, ALICE)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE.user_id, "hi")
    updates = await bot.get_updates(offset=update_id)
    emulator.unblock_bot(TOKEN, ALICE)
    sent = await bot.send_message(ALICE.user_id, "welcome back")

    assert updates[0].my_chat_member.new_chat_member.status == "kicked"
    assert updates[0].my_chat_member.from_user.id == ALICE.user_id
    assert sent.text == "welcome back"


def test_fault_control_endpoints(emulator):
    base = f"{emulator.url}/_emulator/bot{TOKEN}"
    with httpx.Client(trust_env=False) as client:
        added = client.post(f"{base}/faults", json={"kind": "flood", "method": "sendMessage", "retry_after": 3})
        listed = client.get(f"{base}/faults").json()
        invalid = client.post(f"{base}/faults", json={"kind": "meteor"})
        cleared = client.delete(f"{base}/faults").json()
        blocked = client.post(f"{base}/block", json={"user": {"user_id": ALICE.user_id, "first_name": "Alice"}})

    assert added.json() == {"ok": True, "result": True}
    assert listed["result"] == [{"kind": "flood", "method": "sendMessage", "chat_id": None, "count": 1,
                                 "retry_after": 3, "delay_s": 5.0, "status": 500}]
    assert invalid.status_code == 400
    assert "Unknown fault kind 'meteor'" in invalid.json()["description"]
    assert cleared["result"] == 1
    assert isinstance(blocked.json()["result"], int)
