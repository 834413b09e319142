"""Deep links: the announcement's t.me link and `/start CODE`, `/start`, `/start register`."""

from __future__ import annotations

from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    HELP_EN,
    chat,
    clock,
    outbox_rows,
    quiz,
    store,
)

SELECTED_KX1 = "<b>Question 1</b>\nCapital of Italy?\n\nSend me your answer in a message."


def test_open_question_queues_announcement_with_deep_link(quiz, store):
    quiz.open_question("KX1")

    assert outbox_rows(store, quiz.event.id) == [
        (
            "send",
            "announcement",
            "pending",
            "<b>Question 1</b>\nCapital of Italy?\n\n"
            "To answer, open https://t.me/quizkit_bot?start=KX1 or send the code <b>KX1</b> to @quizkit_bot.",
        )
    ]


def test_start_code_selects_question(quiz, chat):
    quiz.open_question(1)

    assert chat.send(ANNA, "/start KX1") == SELECTED_KX1


def test_start_code_ignores_case(quiz, chat):
    quiz.open_question(1)

    assert chat.send(ANNA, "/start kx1") == SELECTED_KX1


def test_start_with_bot_username_selects_question(quiz, chat):
    quiz.open_question(1)

    assert chat.send(ANNA, "/start@quizkit_bot KX1") == SELECTED_KX1


def test_start_code_then_text_is_answer(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")

    reply = chat.send(ANNA, "Roma")

    assert reply == (
        "Got it! Your answer to question 1: <b>Roma</b>\n"
        "The results will appear on the channel when the question closes."
    )


def test_start_alone_shows_help(chat):
    assert chat.send(ANNA, "/start") == HELP_EN


def test_start_register_starts_registration(chat):
    reply = chat.send(ANNA, "/start register")

    assert reply == (
        "Do you want to register a team? I'll ask for its name and how many people play with you.\n"
        "Reply <b>yes</b> to continue; any other reply cancels."
    )


def test_start_unknown_code_explains(quiz, chat):
    quiz.open_question(1)

    reply = chat.send(ANNA, "/start IY9")

    assert reply == (
        "There is no question with the code <b>IY9</b>. "
        "Send the code shown on the channel (for example <b>KX4</b>) or tap the question's link. "
        "/help explains how to play."
    )


def test_start_draft_question_not_open(chat):
    reply = chat.send(ANNA, "/start HT2")

    assert reply == "Question <b>HT2</b> is not open yet: wait until it appears on the channel."


def test_start_draft_question_selects_nothing(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "/start HT2")

    reply = chat.send(ANNA, "KX1")

    assert reply == SELECTED_KX1


def test_start_closed_question_warns_late(quiz, chat):
    quiz.open_question(1)
    quiz.close_question(1)

    reply = chat.send(ANNA, "/start KX1")

    assert reply == (
        "<b>Question 1</b>\nCapital of Italy?\n\n"
        "This question is closed: you can still answer to find out whether you were right, "
        "but your answer won't count for the leaderboard."
    )


def test_start_switches_between_open_questions(quiz, chat):
    quiz.open_question(1)
    quiz.open_question(2)
    chat.send(ANNA, "/start KX1")

    chat.send(ANNA, "/start HT2")
    chat.send(ANNA, "42")

    assert quiz.store.answer(quiz.question(2).id, ANNA.user_id).raw_text == "42"
    assert quiz.store.answer(quiz.question(1).id, ANNA.user_id) is None


def test_start_code_quoted_back_is_escaped(chat):
    reply = chat.send(ANNA, "/start <b>&")

    assert reply.startswith("There is no question with the code <b>&lt;b&gt;&amp;</b>. ")
