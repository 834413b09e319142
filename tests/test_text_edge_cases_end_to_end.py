"""Awkward names and answers through the emulator: every HTML message parses and shows the text as typed.

The emulator parses each HTML text as Telegram does and rejects what Telegram would reject, so a
call that failed there is a message a participant never got.
"""

from __future__ import annotations

import re

import pytest

from quizkit.emulator import SimUser
from quizkit.server import Server
from tests.conftest import CHANNEL_ID, TOKEN

MARKUP = SimUser(user_id=201, first_name="<b>Tom & Jerry</b>", language_code="en")
ARABIC = SimUser(user_id=202, first_name="سارة", language_code="ar")
EMOJI = SimUser(user_id=203, first_name="🦉🦉", last_name="&amp;", language_code="it")
INVISIBLE_WITH_USERNAME = SimUser(user_id=204, first_name="\u200b", username="ghost", language_code="en")
INVISIBLE = SimUser(user_id=205, first_name="\u200b\u202e", language_code="en")
BRACKETS = SimUser(user_id=206, first_name="a<b", last_name="c>d & e", language_code="en")
PLAYERS = [MARKUP, ARABIC, EMOJI, INVISIBLE_WITH_USERNAME, INVISIBLE, BRACKETS]
ANSWERS = {
    MARKUP.user_id: "<i>Rome</i> & co",
    ARABIC.user_id: "\u200fروما",
    EMOJI.user_id: "🏛️🏛️",
    INVISIBLE_WITH_USERNAME.user_id: "Rome\u200b",
    INVISIBLE.user_id: "\x07Rome\x1b",
    BRACKETS.user_id: "Roma",
}


@pytest.fixture
def played(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, 1)
        for player in PLAYERS:
            emulator.send_text(TOKEN, player, "/start RM1")
            emulator.send_text(TOKEN, player, ANSWERS[player.user_id])
        assert emulator.wait_delivered(TOKEN, 15)
        server.call(engine.close_question, 1)
        server.call(engine.post_leaderboard)
        for player in PLAYERS:
            emulator.send_text(TOKEN, player, "/stats")
        assert emulator.wait_delivered(TOKEN, 15)
        assert server.drain_outbox(15)
        yield server


def _texts(emulator, chat_id: int) -> list[str]:
    """Return the chat's message texts with each delay in seconds written as "N s", since timing varies."""
    return [re.sub(r"\d+\.\d s", "N s", message["text"]) for message in emulator.messages(chat_id)]


def test_edge_texts_every_call_accepted(played, emulator):
    failed = [call for call in emulator.calls(TOKEN) if not call["ok"]]

    assert failed == []
    assert len(emulator.calls(TOKEN, "sendMessage")) == 3 + 3 * len(PLAYERS)  # announcement, results, leaderboard


def test_edge_texts_answers_echoed_as_typed(played, emulator):
    assert _texts(emulator, MARKUP.user_id)[1] == (
        "Got it! Your answer to question 1: <i>Rome</i> & co\n"
        "The results will appear on the channel when the question closes."
    )
    assert _texts(emulator, EMOJI.user_id)[1] == (
        "Ricevuta! La tua risposta alla domanda 1: 🏛️🏛️\n"
        "I risultati usciranno sul canale quando la domanda verrà chiusa."
    )
    assert _texts(emulator, INVISIBLE.user_id)[1].startswith("Got it! Your answer to question 1: Rome\n")


def test_edge_texts_stored_raw(played, engine):
    question_id = engine.question(1).id

    for player in PLAYERS:
        stored = played.call(engine.store.answer, question_id, player.user_id)
        assert stored.raw_text == ANSWERS[player.user_id]
    assert played.call(engine.store.participant, engine.event.id, MARKUP.user_id).first_name == MARKUP.first_name


def test_edge_texts_names_never_none(played, emulator):
    results, leaderboard = _texts(emulator, CHANNEL_ID)[1:]

    assert results == (
        "Question 1: results\n"
        "✅ Rome\n"
        "Answers: 6 · People reached: 6 · Correct: 50%\n"
        "\n"
        "🥇 @ghost (N s)\n"
        "🥈 #205 (N s)\n"
        "🥉 a<b c>d & e (N s)"
    )
    assert leaderboard == (
        "🏆 Final leaderboard\n"
        "\n"
        "🥇 @ghost: 1 correct, N s\n"
        "🥈 #205: 1 correct, N s\n"
        "🥉 a<b c>d & e: 1 correct, N s"
    )
    stats = _texts(emulator, MARKUP.user_id)[-1]
    assert stats == (
        "Leaderboard: top 10\n\n🥇 @ghost: 1 correct, N s\n🥈 #205: 1 correct, N s\n"
        "🥉 a<b c>d & e: 1 correct, N s"
    )
    for player in PLAYERS:
        for text in _texts(emulator, player.user_id):
            assert "None" not in text


def test_edge_texts_longest_answer_cut_in_reply(engine, emulator):
    longest = "<" * 4096
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, 1)
        emulator.send_text(TOKEN, MARKUP, "/start RM1")
        emulator.send_text(TOKEN, MARKUP, longest)
        assert emulator.wait_delivered(TOKEN, 15)
        stored = server.call(engine.store.answer, engine.question(1).id, MARKUP.user_id)

    assert stored.raw_text == longest
    assert _texts(emulator, MARKUP.user_id)[1] == (
        f"Got it! Your answer to question 1: {'<' * 199}…\n"
        "The results will appear on the channel when the question closes."
    )
    assert [call for call in emulator.calls(TOKEN) if not call["ok"]] == []
