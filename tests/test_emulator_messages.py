"""Bot API methods that send and change messages, driven by python-telegram-bot over HTTP."""

from __future__ import annotations

import time

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, RetryAfter
from telegram.request import HTTPXRequest

from quizkit.emulator import Emulator, SimUser
from quizkit.emulator.updates import callback_query
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", last_name="Liddell", username="alice", language_code="it")
BOB = SimUser(user_id=222000222, first_name="Bob")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _ptb_bot(emulator: Emulator) -> Bot:
    return Bot(TOKEN, base_url=emulator.base_url, request=HTTPXRequest(httpx_kwargs={"trust_env": False}))


@pytest.fixture
async def bot(emulator):
    emulator.send_text(TOKEN, ALICE, "/start")
    async with _ptb_bot(emulator) as ptb_bot:
        yield ptb_bot


def _last_error(emulator: Emulator, method: str) -> str:
    return emulator.calls(TOKEN, method)[-1]["description"]


async def test_get_me_returns_bot_user(bot):
    me = await bot.get_me()

    assert me.id == 123456789
    assert me.is_bot
    assert me.username == BOT_USERNAME
    assert me.first_name == "Quizkit"


async def test_send_message_html_becomes_entities(bot, emulator):
    message = await bot.send_message(ALICE.user_id, "<b>Rome</b> &amp; <i>Roma</i> &lt;3", parse_mode=ParseMode.HTML)

    assert message.text == "Rome & Roma <3"
    assert [(entity.type, entity.offset, entity.length) for entity in message.entities] == [
        ("bold", 0, 4),
        ("italic", 7, 4),
    ]
    assert message.from_user.id == 123456789
    assert message.chat.id == ALICE.user_id
    stored = emulator.messages(ALICE.user_id)
    assert stored[-1]["text"] == "Rome & Roma <3"


async def test_send_message_is_real_shaped(bot, emulator):
    before = int(time.time())
    await bot.send_message(ALICE.user_id, "hello")
    message = emulator.messages(ALICE.user_id)[-1]

    assert list(message) == ["message_id", "from", "chat", "date", "text"]
    assert isinstance(message["date"], int)
    assert before <= message["date"] <= int(time.time())
    assert message["from"] == {"id": 123456789, "is_bot": True, "first_name": "Quizkit", "username": BOT_USERNAME}
    assert message["chat"] == {
        "id": ALICE.user_id,
        "type": "private",
        "first_name": "Alice",
        "last_name": "Liddell",
        "username": "alice",
    }


async def test_send_message_ids_increase_per_chat(bot, emulator):
    emulator.send_text(TOKEN, BOB, "/start")
    first = await bot.send_message(ALICE.user_id, "one")
    second = await bot.send_message(ALICE.user_id, "two")
    other = await bot.send_message(BOB.user_id, "one")

    # Alice's /start was message 1 of her chat, so the bot's replies are 2 and 3.
    assert (first.message_id, second.message_id) == (2, 3)
    assert other.message_id == 2


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("2 < 3", 'Unsupported start tag "" at byte offset 2'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("é <b", "Unclosed start tag at byte offset 3"),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
    ids=["unclosed", "bare-less-than", "unknown-tag", "unmatched", "unexpected-end", "byte-offset", "quote", "span"],
)
async def test_send_message_bad_html_is_bad_request(bot, emulator, text, description):
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE.user_id, text, parse_mode=ParseMode.HTML)

    assert _last_error(emulator, "sendMessage") == f"Bad Request: can't parse entities: {description}"
    assert emulator.messages(ALICE.user_id) == []


async def test_send_message_without_parse_mode_keeps_tags(bot):
    message = await bot.send_message(ALICE.user_id, "2 < 3 <b>")

    assert message.text == "2 < 3 <b>"


def test_send_message_error_envelope_is_telegrams(emulator):
    emulator.send_text(TOKEN, ALICE, "/start")
    response = httpx.post(
        f"{emulator.base_url}{TOKEN}/sendMessage",
        data={"chat_id": str(ALICE.user_id), "text": "<b", "parse_mode": "HTML"},
        trust_env=False,
    )

    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse entities: Unclosed start tag at byte offset 0",
    }


async def test_send_message_text_limits(bot, emulator):
    longest = await bot.send_message(ALICE.user_id, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert len(longest.text) == 4096

    with pytest.raises(BadRequest):
        await bot.send_message(ALICE.user_id, "x" * 4097)
    assert _last_error(emulator, "sendMessage") == "Bad Request: message is too long"

    with pytest.raises(BadRequest):
        await bot.send_message(ALICE.user_id, "<b> </b>", parse_mode=ParseMode.HTML)
    assert _last_error(emulator, "sendMessage") == "Bad Request: message text is empty"


async def test_edit_message_text_too_long(bot, emulator):
    sent = await bot.send_message(ALICE.user_id, "short")

    with pytest.raises(BadRequest):
        await bot.edit_message_text("&amp;" * 4097, chat_id=ALICE.user_id, message_id=sent.message_id,
                                    parse_mode=ParseMode.HTML)

    assert _last_error(emulator, "editMessageText") == "Bad Request: message is too long"
    assert [version["text"] for version in emulator.message_versions(ALICE.user_id, sent.message_id)] == ["short"]


async def test_send_message_unknown_chat_is_bad_request(bot, emulator):
    with pytest.raises(BadRequest):
        await bot.send_message(987654321, "hello")

    assert _last_error(emulator, "sendMessage") == "Bad Request: chat not found"


async def test_send_message_channel_needs_admin(bot, emulator):
    await bot.send_message(CHANNEL_ID, "posted")
    emulator.add_channel(TOKEN, -1001000000099, "Read only", bot_is_admin=False)

    with pytest.raises(BadRequest):
        await bot.send_message(-1001000000099, "posted")

    assert _last_error(emulator, "sendMessage") == "Bad Request: need administrator rights in the channel chat"
    post = emulator.messages(CHANNEL_ID)[0]
    assert post["sender_chat"] == {"id": CHANNEL_ID, "title": "Quizkit tests", "type": "channel"}
    assert "from" not in post


async def test_send_message_keeps_inline_keyboard(bot, emulator):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Rome", callback_data="q1:rome")]])
    message = await bot.send_message(ALICE.user_id, "Capital?", reply_markup=keyboard)

    assert message.reply_markup == keyboard
    assert emulator.messages(ALICE.user_id)[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Rome", "callback_data": "q1:rome"}]]
    }


async def test_edit_message_text_changes_current_text(bot, emulator):
    sent = await bot.send_message(CHANNEL_ID, "Q1: 0 answers")
    edited = await bot.edit_message_text("Q1: <b>5</b> answers", CHANNEL_ID, sent.message_id, parse_mode=ParseMode.HTML)

    assert edited.text == "Q1: 5 answers"
    assert edited.edit_date is not None
    assert [message["text"] for message in emulator.messages(CHANNEL_ID)] == ["Q1: 5 answers"]
    versions = emulator.message_versions(CHANNEL_ID, sent.message_id)
    assert [version["text"] for version in versions] == ["Q1: 0 answers", "Q1: 5 answers"]
    assert "edit_date" not in versions[0]


async def test_edit_message_text_not_modified(bot, emulator):
    sent = await bot.send_message(CHANNEL_ID, "<b>Q1</b>", parse_mode=ParseMode.HTML)

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>Q1</b>", CHANNEL_ID, sent.message_id, parse_mode=ParseMode.HTML)

    assert _last_error(emulator, "editMessageText") == NOT_MODIFIED
    assert len(emulator.message_versions(CHANNEL_ID, sent.message_id)) == 1


async def test_edit_message_text_entities_count_as_change(bot):
    sent = await bot.send_message(CHANNEL_ID, "<b>Q1</b>", parse_mode=ParseMode.HTML)

    edited = await bot.edit_message_text("<i>Q1</i>", CHANNEL_ID, sent.message_id, parse_mode=ParseMode.HTML)

    assert edited.entities[0].type == "italic"


async def test_edit_message_text_unknown_message(bot, emulator):
    with pytest.raises(BadRequest):
        await bot.edit_message_text("x", CHANNEL_ID, 4242)

    assert _last_error(emulator, "editMessageText") == "Bad Request: message to edit not found"


async def test_delete_message_hides_it(bot, emulator):
    sent = await bot.send_message(ALICE.user_id, "oops")

    assert await bot.delete_message(ALICE.user_id, sent.message_id)
    assert emulator.messages(ALICE.user_id) == []
    with pytest.raises(BadRequest):
        await bot.delete_message(ALICE.user_id, sent.message_id)
    assert _last_error(emulator, "deleteMessage") == "Bad Request: message to delete not found"


async def test_send_photo_with_caption(bot, emulator):
    message = await bot.send_photo(CHANNEL_ID, b"\x89PNG fake image", caption="Scan <b>IY4</b>", parse_mode="HTML")

    assert message.caption == "Scan IY4"
    assert message.caption_entities[0].type == "bold"
    assert len(message.photo) == 2
    assert message.photo[-1].width == 800
    assert emulator.calls(TOKEN, "sendPhoto")[0]["params"]["photo"]["size"] == len(b"\x89PNG fake image")


async def test_send_photo_caption_too_long(bot, emulator):
    with pytest.raises(BadRequest):
        await bot.send_photo(CHANNEL_ID, "AgACAgQAAxkBAAI-existing", caption="x" * 1025)

    assert _last_error(emulator, "sendPhoto") == "Bad Request: message caption is too long"


async def test_answer_callback_query_once(bot, emulator):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(ALICE.user_id, "Pick", reply_markup=keyboard)
    payload = callback_query(ALICE, "a", message=emulator.messages(ALICE.user_id)[0], query_id="777")
    emulator.send_update(TOKEN, payload)
    updates = await bot.get_updates()

    assert updates[-1].callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query("777", text="Saved")
    with pytest.raises(BadRequest):
        await bot.answer_callback_query("777")
    assert _last_error(emulator, "answerCallbackQuery") == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_get_chat_private_and_channel(bot):
    private = await bot.get_chat(ALICE.user_id)
    channel = await bot.get_chat(CHANNEL_ID)

    assert private.type == "private"
    assert private.username == "alice"
    assert channel.type == "channel"
    assert channel.title == "Quizkit tests"


async def test_get_chat_member_reports_bot_admin(bot, emulator):
    emulator.add_channel(TOKEN, -1001000000099, "Read only", bot_is_admin=False)

    admin = await bot.get_chat_member(CHANNEL_ID, bot.id)
    left = await bot.get_chat_member(-1001000000099, bot.id)
    user = await bot.get_chat_member(ALICE.user_id, ALICE.user_id)

    assert admin.status == ChatMemberStatus.ADMINISTRATOR
    assert admin.can_post_messages
    assert left.status == ChatMemberStatus.LEFT
    assert user.status == ChatMemberStatus.MEMBER
    assert user.user.first_name == "Alice"


async def test_get_chat_member_unknown_user(bot, emulator):
    with pytest.raises(BadRequest):
        await bot.get_chat_member(CHANNEL_ID, 55555)

    assert _last_error(emulator, "getChatMember") == "Bad Request: user not found"


async def test_flood_limit_private_chat_gets_retry_after(monkeypatch):
    # python-telegram-bot 22 warns when RetryAfter.retry_after is an int; opt in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    with Emulator(flood_limits=True) as emulator:
        emulator.add_bot(TOKEN, BOT_USERNAME)
        emulator.send_text(TOKEN, ALICE, "/start")
        emulator.send_text(TOKEN, BOB, "/start")
        async with _ptb_bot(emulator) as bot:
            await bot.send_message(ALICE.user_id, "first")
            await bot.send_message(BOB.user_id, "other chat")
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(ALICE.user_id, "second")

        assert raised.value.retry_after.total_seconds() == 1
        failed = emulator.calls(TOKEN, "sendMessage")[-1]
        assert failed["description"] == "Too Many Requests: retry after 1"
        assert emulator.stats(TOKEN)["flood_rejections"] == 1


def test_flood_limit_whole_bot_is_thirty_per_second():
    with Emulator(flood_limits=True) as emulator:
        emulator.add_bot(TOKEN, BOT_USERNAME)
        users = [SimUser(1000 + number, f"User{number}") for number in range(31)]
        for user in users:
            emulator.send_text(TOKEN, user, "/start")
        with httpx.Client(trust_env=False) as client:
            statuses = [
                client.post(f"{emulator.base_url}{TOKEN}/sendMessage", data={"chat_id": user.user_id, "text": "hi"})
                for user in users
            ]

    assert [response.status_code for response in statuses[:30]] == [200] * 30
    assert statuses[30].status_code == 429
    assert statuses[30].json()["parameters"] == {"retry_after": 1}


def test_latency_delays_each_call():
    with Emulator(latency_s=0.2) as emulator:
        emulator.add_bot(TOKEN, BOT_USERNAME)
        started = time.monotonic()
        response = httpx.post(f"{emulator.base_url}{TOKEN}/getMe", trust_env=False)
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert 0.2 <= elapsed < 1.0


def test_send_message_unknown_chat_is_bad_request(emulator):
    response = httpx.post(f"{emulator.base_url}{TOKEN}/sendMessage", data={"chat_id": "333000333", "text": "hi"},
                          trust_env=False)

    assert response.status_code == 400
    assert response.json()["description"] == "Bad Request: chat not found"


def test_open_private_chats_accepts_unseen_user():
    with Emulator(open_private_chats=True) as emu:
        emu.add_bot(TOKEN, BOT_USERNAME)
        sent = httpx.post(f"{emu.base_url}{TOKEN}/sendMessage", data={"chat_id": "333000333", "text": "hi"},
                          trust_env=False)
        to_group = httpx.post(f"{emu.base_url}{TOKEN}/sendMessage", data={"chat_id": "-333000333", "text": "hi"},
                              trust_env=False)

        assert sent.status_code == 200
        assert sent.json()["result"]["chat"] == {"id": 333000333, "type": "private", "first_name": "User 333000333"}
        assert [message["text"] for message in emu.messages(333000333)] == ["hi"]
        assert to_group.json()["description"] == "Bad Request: chat not found"
