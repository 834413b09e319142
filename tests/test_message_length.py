"""Every message kind the bot sends stays within Telegram's 4096 characters with the longest inputs.

Lengths are measured as the emulator and Telegram measure them: after HTML parsing, in code points.
The inputs are the longest quizkit accepts: question texts of 3500 characters, ten options of 64,
accepted answers of 200, names of 64 + 64 characters full of HTML special characters, and a
podium of 20.
"""

from __future__ import annotations

import pytest

from quizkit.emulator._html import parse_html
from quizkit.engine import MAX_QUESTION_CHARS, Engine
from quizkit.errors import InvalidQuestion
from quizkit.limits import ACCEPTED_ANSWER_MAX_CHARS, OPTION_MAX_CHARS, OPTIONS_MAX
from quizkit.model import MessageKind, Sender
from tests.engine_support import BOT_USERNAME, CHANNEL_ID, Chat, clock, store  # noqa: F401 - fixtures

TELEGRAM_MAX_CHARS = 4096
QUESTION_TEXT = ("<&> " * 875)[:3500]
NAME_PART = "&<" * 32  # 64 characters, escaped to 4 or 5 each


def _length(text: str) -> int:
    plain, _ = parse_html(text)
    return len(plain)


def _player(index: int, language: str = "en") -> Sender:
    return Sender(user_id=7000 + index, first_name=NAME_PART, last_name=NAME_PART, language_code=language)


@pytest.fixture(params=["en", "it"])
def event(request, store, clock) -> Engine:
    return Engine.create_event(
        store, name=f"long-{request.param}", language=request.param, channel_id=CHANNEL_ID,
        bot_username=BOT_USERNAME, clock=clock, podium_size=20, scoring=True,
    )


def _all_outgoing(engine: Engine) -> list[str]:
    return [record.item.text for record in engine.store.outbox_records(engine.event.id)]


def test_results_post_with_podium_of_20_fits(event, clock):
    chat = Chat(event, clock)
    answer = "&" * ACCEPTED_ANSWER_MAX_CHARS
    event.add_question(text=QUESTION_TEXT, answers=[answer], code="LG1")
    event.open_question(1)
    for index in range(25):
        clock.advance(1)
        chat.answer(_player(index), "LG1", answer)

    result = event.close_question(1)

    assert len(result.podium) == 20
    for text in _all_outgoing(event):
        assert _length(text) <= TELEGRAM_MAX_CHARS, text[:200]


def test_leaderboard_of_500_long_names_fits(event, clock):
    chat = Chat(event, clock)
    event.add_question(text=QUESTION_TEXT, answers=["Roma"], code="LG1")
    event.open_question(1)
    for index in range(500):
        chat.answer(_player(index), "LG1", "Roma")
    event.close_question(1)

    event.post_leaderboard()
    stats = chat.send(_player(0), "/stats")

    assert _length(stats) <= TELEGRAM_MAX_CHARS
    for text in _all_outgoing(event):
        assert _length(text) <= TELEGRAM_MAX_CHARS, text[:200]


@pytest.mark.parametrize("language", ["en", "it"])
def test_choice_question_messages_fit(event, clock, language):
    chat = Chat(event, clock)
    options = [f"{index}" + "<" * (OPTION_MAX_CHARS - 1) for index in range(OPTIONS_MAX)]
    options_chars = sum(len(f"\n{index}. {option}") for index, option in enumerate(options, 1))
    text = QUESTION_TEXT[: MAX_QUESTION_CHARS - options_chars]
    event.add_question(text=text, kind="choice", options=options, answers=[options[0]], code="LG1",
                       time_limit_s=600)
    event.open_question(1)
    player, late_player = _player(1, language), _player(2, language)

    replies = [
        chat.send(player, "/start LG1"),
        chat.send(player, "&" * 4096),
        chat.send(player, None, kind=MessageKind.STICKER),
        chat.send(player, "1"),
        chat.send(player, "/start LG1"),
    ]
    clock.advance(6)
    event.refresh_live_counts()
    event.close_question(1)
    replies += [chat.send(late_player, "/start LG1"), chat.send(late_player, "2")]

    for text in replies + _all_outgoing(event):
        assert _length(text) <= TELEGRAM_MAX_CHARS, text[:200]


def test_choice_question_too_long_with_options_rejected(event):
    options = ["x" * OPTION_MAX_CHARS, "y" * OPTION_MAX_CHARS]

    with pytest.raises(InvalidQuestion) as raised:
        event.add_question(text=QUESTION_TEXT, kind="choice", options=options, answers=[options[0]])

    assert str(raised.value) == (
        "Question text and options have 3635 characters together, more than the 3500 that fit in a "
        "channel post; shorten the text by 135 characters."
    )
    assert event.questions() == []
