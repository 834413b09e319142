"""getUpdates against the emulator: offsets, limits, long polling, the 409 conflicts and delivery stats."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot
from telegram.error import Conflict
from telegram.request import HTTPXRequest

from quizkit.emulator import Emulator, SimUser
from quizkit.emulator.updates import callback_query, channel_post, edited_message, sticker_message
from tests.conftest import CHANNEL_ID, TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="it")
BOB = SimUser(user_id=222000222, first_name="Bob", username="bob")
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
TERMINATED = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


def _ptb_bot(emulator: Emulator) -> Bot:
    # read_timeout leaves room for long polls; python-telegram-bot adds the poll timeout on top.
    request = HTTPXRequest(read_timeout=5, httpx_kwargs={"trust_env": False})
    return Bot(TOKEN, base_url=emulator.base_url, request=request, get_updates_request=request)


@pytest.fixture
async def bot(emulator):
    async with _ptb_bot(emulator) as ptb_bot:
        yield ptb_bot


def _ids(updates) -> list[int]:
    return [update.update_id for update in updates]


async def test_get_updates_returns_queued_in_order(bot, emulator):
    first = emulator.send_text(TOKEN, ALICE, "/start RM1")
    second = emulator.send_text(TOKEN, BOB, "Roma")

    updates = await bot.get_updates()

    assert second == first + 1
    assert _ids(updates) == [first, second]
    assert updates[0].message.text == "/start RM1"
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[1].message.from_user.username == "bob"


async def test_get_updates_offset_confirms_earlier(bot, emulator):
    ids = [emulator.send_text(TOKEN, ALICE, f"answer {number}") for number in range(3)]

    assert _ids(await bot.get_updates(offset=ids[1])) == ids[1:]
    assert _ids(await bot.get_updates()) == ids[1:]
    assert emulator.stats(TOKEN)["updates_delivered"] == 1
    assert not emulator.wait_delivered(TOKEN, 0.05)

    assert _ids(await bot.get_updates(offset=ids[2] + 1)) == []
    assert emulator.stats(TOKEN)["updates_delivered"] == 3
    assert emulator.wait_delivered(TOKEN, 0.05)


async def test_get_updates_limit(bot, emulator):
    ids = [emulator.send_text(TOKEN, ALICE, str(number)) for number in range(5)]

    assert _ids(await bot.get_updates(limit=2)) == ids[:2]


async def test_get_updates_negative_offset_keeps_last(bot, emulator):
    ids = [emulator.send_text(TOKEN, ALICE, str(number)) for number in range(4)]

    assert _ids(await bot.get_updates(offset=-1)) == ids[-1:]
    assert _ids(await bot.get_updates()) == ids[-1:]
    assert emulator.stats(TOKEN)["updates_dropped"] == 3


async def test_get_updates_long_poll_wakes_on_update(bot, emulator):
    async def send_later() -> int:
        await asyncio.sleep(0.2)
        return emulator.send_text(TOKEN, ALICE, "late")

    started = time.monotonic()
    updates, update_id = await asyncio.gather(bot.get_updates(timeout=5), send_later())

    assert _ids(updates) == [update_id]
    assert time.monotonic() - started < 2


async def test_get_updates_long_poll_times_out_empty(bot):
    started = time.monotonic()
    updates = await bot.get_updates(timeout=1)

    assert updates == ()
    assert 0.9 <= time.monotonic() - started < 3


async def test_get_updates_second_long_poll_terminates_first(emulator):
    async with _ptb_bot(emulator) as first_bot, _ptb_bot(emulator) as second_bot:
        first = asyncio.create_task(first_bot.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(second_bot.get_updates(timeout=1))

        with pytest.raises(Conflict):
            await first
        assert await second == ()

    failed = [call for call in emulator.calls(TOKEN, "getUpdates") if not call["ok"]]
    assert [(call["error_code"], call["description"]) for call in failed] == [(409, TERMINATED)]


async def test_get_updates_short_poll_leaves_long_poll_alone(bot, emulator):
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert await bot.get_updates(timeout=0) == ()

    update_id = emulator.send_text(TOKEN, ALICE, "hi")
    assert _ids(await waiting) == [update_id]


async def test_get_updates_conflicts_with_webhook(bot, emulator):
    await bot.set_webhook("http://127.0.0.1:9/hook")

    with pytest.raises(Conflict):
        await bot.get_updates()

    assert emulator.calls(TOKEN, "getUpdates")[-1]["description"] == WEBHOOK_ACTIVE
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_set_webhook_terminates_long_poll(bot, emulator):
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with _ptb_bot(emulator) as other:
        await other.set_webhook("http://127.0.0.1:9/hook")

    with pytest.raises(Conflict):
        await waiting
    assert emulator.calls(TOKEN, "getUpdates")[-1]["description"] == "Conflict: terminated by setWebhook request"


async def test_get_updates_allowed_updates_filters_types(bot, emulator):
    await bot.get_updates(allowed_updates=["message"])
    emulator.send_update(TOKEN, callback_query(ALICE, "a"))
    kept = emulator.send_text(TOKEN, ALICE, "kept")

    assert _ids(await bot.get_updates()) == [kept]
    assert emulator.stats(TOKEN)["updates_filtered"] == 1


async def test_get_updates_parses_every_builder(bot, emulator):
    emulator.send_update(TOKEN, sticker_message(ALICE))
    emulator.send_update(TOKEN, edited_message(ALICE, 1, "Rome"))
    emulator.send_update(TOKEN, channel_post(CHANNEL_ID, "Quizkit tests", "Question 1"))
    emulator.send_update(TOKEN, callback_query(BOB, "q1:rome"))

    sticker, edited, post, query = await bot.get_updates()

    assert sticker.message.sticker.emoji == "👍"
    assert sticker.message.message_id == 1
    assert edited.edited_message.text == "Rome"
    assert edited.edited_message.edit_date is not None
    assert post.channel_post.sender_chat.id == CHANNEL_ID
    assert query.callback_query.data == "q1:rome"


def test_send_update_rejects_update_id(emulator):
    with pytest.raises(ValueError, match="update_id"):
        emulator.send_update(TOKEN, {"update_id": 5, "message": {}})


def test_send_update_unknown_bot_raises(emulator):
    with pytest.raises(LookupError, match="add_bot"):
        emulator.send_text("999:nobody", ALICE, "hi")


def test_wait_delivered_times_out_when_unconfirmed(emulator):
    emulator.send_text(TOKEN, ALICE, "hi")
    started = time.monotonic()

    assert not emulator.wait_delivered(TOKEN, 0.3)
    assert time.monotonic() - started >= 0.3
    assert emulator.stats(TOKEN)["updates_queued"] == 1


async def test_get_updates_unconfirmed_counts_redelivery(bot, emulator):
    ids = [emulator.send_text(TOKEN, ALICE, f"answer {number}") for number in range(2)]

    first = await bot.get_updates()
    again = await bot.get_updates()
    await bot.get_updates(offset=ids[-1] + 1, timeout=0)

    assert _ids(first) == _ids(again) == ids
    assert emulator.stats(TOKEN)["redeliveries"] == 2
    assert emulator.stats(TOKEN)["pending_update_count"] == 0
