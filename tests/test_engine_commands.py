"""Commands: /help, /reset, /stats, unknown commands, commands addressed to another bot, groups."""

from __future__ import annotations

import pytest

from quizkit.model import MessageKind, Sender
from quizkit.store import Conversation
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    CARLA,
    HELP_EN,
    HELP_IT,
    chat,
    clock,
    outbox_rows,
    quiz,
    store,
)

PRIVATE_CHAT_ONLY_EN = "The quiz is played only in a private chat with me. Open {link} and we'll continue there."
PRIVATE_CHAT_ONLY_IT = "Il quiz si gioca solo in chat privata con me. Apri {link} e continuiamo lì."


def _players(count: int) -> list[Sender]:
    return [Sender(user_id=200 + index, first_name=f"Player{index}", language_code="en") for index in range(1, count + 1)]


def test_help_command_english(chat):
    assert chat.send(ANNA, "/help") == HELP_EN


def test_help_command_italian(chat):
    assert chat.send(CARLA, "/help") == HELP_IT


def test_help_command_with_bot_username(chat):
    assert chat.send(ANNA, "/help@QuizKit_Bot") == HELP_EN


def test_help_command_for_other_bot_unknown(chat):
    assert chat.send(ANNA, "/help@other_bot") == f"I don't know the command /help@other_bot.\n\n{HELP_EN}"


def test_unknown_command_shows_help(chat):
    assert chat.send(ANNA, "/score") == f"I don't know the command /score.\n\n{HELP_EN}"


def test_unknown_command_is_not_an_answer(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")

    chat.send(ANNA, "/roma")

    assert quiz.answer_count(1) == 0


def test_reset_command_reply(chat):
    assert chat.send(ANNA, "/reset") == (
        "Done: I've cleared the selected question and any registration in progress. Your answers are kept."
    )


def test_reset_command_clears_selection(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")

    chat.send(ANNA, "/reset")
    reply = chat.send(ANNA, "Roma")

    assert reply.startswith("There is no question with the code <b>Roma</b>.")
    assert quiz.answer_count(1) == 0


def test_reset_command_keeps_answers(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")

    chat.send(ANNA, "/reset")

    assert quiz.store.answer(quiz.question(1).id, ANNA.user_id).raw_text == "Roma"


def test_stats_command_no_results(quiz, chat):
    quiz.open_question(1)
    chat.answer(BRUNO, "KX1", "Roma")

    reply = chat.send(ANNA, "/stats")

    assert reply == "No results yet: the leaderboard fills up when the first question closes."


def test_stats_command_medals_then_bouquet(quiz, chat, clock):
    players = _players(5)
    quiz.open_question(1)
    for player in players:
        clock.advance(1.5)
        chat.answer(player, "KX1", "Roma")
    quiz.close_question(1)

    reply = chat.send(ANNA, "/stats")

    assert reply == (
        "<b>Leaderboard: top 10</b>\n\n"
        "🥇 Player1: 1 correct, 1.5 s\n"
        "🥈 Player2: 1 correct, 3.0 s\n"
        "🥉 Player3: 1 correct, 4.5 s\n"
        "💐 Player4: 1 correct, 6.0 s\n"
        "💐 Player5: 1 correct, 7.5 s"
    )


def test_stats_command_italian_decimal_comma(quiz, chat, clock):
    quiz.open_question(1)
    clock.advance(2.3)
    chat.answer(CARLA, "KX1", "Roma")
    quiz.close_question(1)

    reply = chat.send(CARLA, "/stats")

    assert reply == "<b>Classifica: i primi 10</b>\n\n🥇 Carla: 1 risposta esatta, 2,3 s"


def test_stats_command_top_ten_only(quiz, chat, clock):
    quiz.open_question(1)
    for player in _players(12):
        clock.advance(1)
        chat.answer(player, "KX1", "Roma")
    quiz.close_question(1)

    lines = chat.send(ANNA, "/stats").split("\n")

    assert len(lines) == 12
    assert lines[2].startswith("🥇 Player1:")
    assert lines[-1] == "💐 Player10: 1 correct, 10.0 s"


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ciao a tutti", MessageKind.TEXT),
        ("KX1", MessageKind.TEXT),
        ("Roma", MessageKind.TEXT),
        (None, MessageKind.STICKER),
        ("/start KX1", MessageKind.EDITED),
        ("/start KX1", MessageKind.PHOTO),
        ("/help@other_bot", MessageKind.TEXT),
        ("/start@other_bot KX1", MessageKind.TEXT),
        ("/score", MessageKind.TEXT),
    ],
)
def test_group_message_gets_no_reply(quiz, chat, chat_type, text, kind):
    quiz.open_question(1)

    assert chat.send_in_group(ANNA, text, kind=kind, chat_type=chat_type) == []
    assert quiz.store.participant(quiz.event.id, ANNA.user_id) is None


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("/start@quizkit_bot KX1", "https://t.me/quizkit_bot?start=KX1"),
        ("/start@QuizKit_Bot kx1", "https://t.me/quizkit_bot?start=KX1"),
        ("/start KX1", "https://t.me/quizkit_bot?start=KX1"),
        ("/start ciao a tutti", "https://t.me/quizkit_bot"),
        ("/start", "https://t.me/quizkit_bot"),
        ("/help@quizkit_bot", "https://t.me/quizkit_bot"),
        ("/help", "https://t.me/quizkit_bot"),
        ("/stats", "https://t.me/quizkit_bot"),
        ("/reset@quizkit_bot", "https://t.me/quizkit_bot"),
        ("/score@quizkit_bot", "https://t.me/quizkit_bot"),
        ("/register", "https://t.me/quizkit_bot?start=register"),
        ("/start@quizkit_bot register", "https://t.me/quizkit_bot?start=register"),
    ],
)
def test_group_command_links_private_chat(quiz, chat, text, link):
    quiz.open_question(1)

    replies = chat.send_in_group(ANNA, text)

    assert [reply.text for reply in replies] == [PRIVATE_CHAT_ONLY_EN.format(link=link)]


def test_group_command_reply_italian(quiz, chat):
    quiz.open_question(1)

    replies = chat.send_in_group(CARLA, "/start@quizkit_bot KX1", chat_type="group")

    assert [reply.text for reply in replies] == [
        "Il quiz si gioca solo in chat privata con me. Apri https://t.me/quizkit_bot?start=KX1 e continuiamo lì."
    ]
    assert replies[0].text == PRIVATE_CHAT_ONLY_IT.format(link="https://t.me/quizkit_bot?start=KX1")


def test_group_messages_store_only_update_ids(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")
    outbox_before = outbox_rows(quiz.store, quiz.event.id)

    for text in ["Roma", "/start@quizkit_bot HT2", "/register", "/reset"]:
        chat.send_in_group(ANNA, text)
    chat.send_in_group(BRUNO, "/start KX1")
    chat.send_in_group(BRUNO, "Roma")

    assert quiz.answer_count(1) == 0
    assert quiz.store.conversation(quiz.event.id, ANNA.user_id) == Conversation(selected_question_id=quiz.question(1).id)
    assert quiz.store.participant(quiz.event.id, BRUNO.user_id) is None
    assert [participant.user_id for participant in quiz.store.participants(quiz.event.id)] == [ANNA.user_id]
    assert outbox_rows(quiz.store, quiz.event.id) == outbox_before
    for incoming in chat.sent:
        assert quiz.handle(incoming) == []
