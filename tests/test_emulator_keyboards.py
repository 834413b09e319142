"""Inline keyboards in the emulator: checks on sendMessage and editMessageText, taps, answerCallbackQuery."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.request import HTTPXRequest

from quizkit.emulator import Emulator, SimUser
from tests.conftest import TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="en")
KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("1. Milano", callback_data="c:1:1:0")], [InlineKeyboardButton("2. Roma", callback_data="c:1:1:1")]]
)


@pytest.fixture
async def bot(emulator):
    emulator.send_text(TOKEN, ALICE, "/start")
    request = HTTPXRequest(httpx_kwargs={"trust_env": False})
    async with Bot(TOKEN, base_url=emulator.base_url, request=request) as ptb_bot:
        yield ptb_bot


def _post(emulator: Emulator, method: str, body: dict) -> dict:
    with httpx.Client(trust_env=False) as client:
        return client.post(f"{emulator.base_url}{TOKEN}/{method}", json=body).json()


def _send_with(emulator: Emulator, keyboard: object) -> dict:
    return _post(emulator, "sendMessage", {"chat_id": ALICE.user_id, "text": "Pick", "reply_markup": keyboard})


async def test_keyboard_sent_and_stored(bot, emulator):
    sent = await bot.send_message(ALICE.user_id, "Pick one", reply_markup=KEYBOARD)

    stored = emulator.messages(ALICE.user_id)[-1]
    assert stored["message_id"] == sent.message_id
    assert stored["reply_markup"]["inline_keyboard"][1] == [{"text": "2. Roma", "callback_data": "c:1:1:1"}]
    assert sent.reply_markup == KEYBOARD


@pytest.mark.parametrize(
    ("keyboard", "description"),
    [
        ({"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"inline_keyboard": [[{"text": "A", "callback_data": "é" * 33}]]}, "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"inline_keyboard": [[{"text": "A"}]]},
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": [[{"text": "A", "callback_data": ""}]]},
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": [[{"callback_data": "a"}]]},
            'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String',
        ),
        (
            {"inline_keyboard": [[{"text": "A", "callback_data": 7}]]},
            'Bad Request: can\'t parse inline keyboard button: Field "callback_data" must be of type String',
        ),
        (
            {"inline_keyboard": [["A"]]},
            "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object",
        ),
        (
            {"inline_keyboard": [{"text": "A", "callback_data": "a"}]},
            "Bad Request: can't parse inline keyboard: inline_keyboard must be an Array of Arrays of buttons",
        ),
        (
            {"inline_keyboard": [[{"text": str(n), "callback_data": str(n)}] for n in range(101)]},
            "Bad Request: reply markup is too long",
        ),
    ],
    ids=["data-65-bytes", "data-66-utf8-bytes", "no-action", "empty-data", "no-text", "data-not-string",
         "button-not-object", "row-not-array", "101-buttons"],
)
def test_keyboard_rejected_like_telegram(emulator, keyboard, description):
    emulator.send_text(TOKEN, ALICE, "/start")

    response = _send_with(emulator, keyboard)

    assert response == {"ok": False, "error_code": 400, "description": description}
    assert emulator.messages(ALICE.user_id) == []


def test_keyboard_limits_accepted(emulator):
    emulator.send_text(TOKEN, ALICE, "/start")
    keyboard = {"inline_keyboard": [[{"text": str(n), "callback_data": "é" * 32}] for n in range(100)]}

    response = _send_with(emulator, keyboard)

    assert response["ok"] is True
    assert len(response["result"]["reply_markup"]["inline_keyboard"]) == 100


async def test_edit_checks_and_removes_keyboard(bot, emulator):
    sent = await bot.send_message(ALICE.user_id, "Pick one", reply_markup=KEYBOARD)
    bad = {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]}

    rejected = _post(
        emulator, "editMessageText",
        {"chat_id": ALICE.user_id, "message_id": sent.message_id, "text": "New", "reply_markup": bad},
    )
    await bot.edit_message_text("You picked Roma", chat_id=ALICE.user_id, message_id=sent.message_id)

    assert rejected["description"] == "Bad Request: BUTTON_DATA_INVALID"
    versions = emulator.message_versions(ALICE.user_id, sent.message_id)
    assert [version["text"] for version in versions] == ["Pick one", "You picked Roma"]
    assert "reply_markup" not in versions[-1]


async def test_tap_queues_callback_query_with_message(bot, emulator):
    sent = await bot.send_message(ALICE.user_id, "Pick one", reply_markup=KEYBOARD)

    by_label, query_id = emulator.tap(TOKEN, ALICE, sent.message_id, "2. Roma")
    by_data, _ = emulator.tap(TOKEN, ALICE, sent.message_id, "c:1:1:0")
    updates = await bot.get_updates(offset=0, timeout=0)

    taps = {update.update_id: update.callback_query for update in updates if update.callback_query}
    assert taps[by_label].id == query_id
    assert taps[by_label].data == "c:1:1:1"
    assert taps[by_label].from_user.id == ALICE.user_id
    assert taps[by_label].message.message_id == sent.message_id
    assert taps[by_label].message.reply_markup == KEYBOARD
    assert taps[by_data].data == "c:1:1:0"
    assert by_label < by_data


async def test_tap_needs_a_visible_button(bot, emulator):
    sent = await bot.send_message(ALICE.user_id, "Pick one", reply_markup=KEYBOARD)
    plain = await bot.send_message(ALICE.user_id, "No buttons")

    with pytest.raises(LookupError, match="no callback button with data or label '3. Napoli'"):
        emulator.tap(TOKEN, ALICE, sent.message_id, "3. Napoli")
    with pytest.raises(LookupError, match="no callback button"):
        emulator.tap(TOKEN, ALICE, plain.message_id, "c:1:1:0")
    with pytest.raises(LookupError, match="has no message 999"):
        emulator.tap(TOKEN, ALICE, 999, "c:1:1:0")


async def test_answer_callback_query_recorded_once(bot, emulator):
    sent = await bot.send_message(ALICE.user_id, "Pick one", reply_markup=KEYBOARD)
    _, query_id = emulator.tap(TOKEN, ALICE, sent.message_id, "2. Roma")

    unanswered = emulator.callback_answer(TOKEN, query_id)
    assert await bot.answer_callback_query(query_id, text="Already closed: Roma", show_alert=True)
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired or query id is invalid"):
        await bot.answer_callback_query(query_id, text="again")

    assert unanswered is None
    assert emulator.callback_answer(TOKEN, query_id) == {
        "text": "Already closed: Roma",
        "show_alert": True,
        "source": "http",
    }


async def test_answer_callback_query_text_limit(bot, emulator):
    sent = await bot.send_message(ALICE.user_id, "Pick one", reply_markup=KEYBOARD)
    _, query_id = emulator.tap(TOKEN, ALICE, sent.message_id, "2. Roma")

    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="x" * 200)

    assert emulator.callback_answer(TOKEN, query_id)["text"] == "x" * 200


async def test_answer_unknown_callback_query(bot):
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")
