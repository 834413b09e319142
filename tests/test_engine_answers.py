"""Answers: the first one counts, codes typed as text, non-text messages, duplicates, late answers."""

from __future__ import annotations

import pytest

from quizkit.emulator._html import parse_html, utf16_length
from quizkit.model import MessageKind, Sender
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BOT_USERNAME,
    BRUNO,
    CARLA,
    HELP_EN,
    START,
    chat,
    clock,
    quiz,
    store,
)

FABIO = Sender(user_id=106, first_name="Fabio", language_code="en")
RECEIVED_KX1_ROMA = (
    "Got it! Your answer to question 1: <b>Roma</b>\n"
    "The results will appear on the channel when the question closes."
)
SELECTED_KX1 = "<b>Question 1</b>\nCapital of Italy?\n\nSend me your answer in a message."


def test_answer_first_one_counts(quiz, chat):
    quiz.open_question(1)

    first = chat.answer(ANNA, "KX1", "Roma")
    second = chat.send(ANNA, "Milano")

    assert first == RECEIVED_KX1_ROMA
    assert second == "You have already answered question 1: <b>Roma</b>\nOnly the first answer counts."
    assert quiz.store.answer(quiz.question(1).id, ANNA.user_id).raw_text == "Roma"
    assert quiz.answer_count(1) == 1


def test_answer_stores_update_and_times(quiz, chat, clock):
    quiz.open_question(1)
    chat.send(ANNA, "KX1")
    clock.advance(7)

    chat.send(ANNA, "  Sì, Roma! ", update_id=5000)

    stored = quiz.store.answer(quiz.question(1).id, ANNA.user_id)
    assert stored.update_id == 5000
    assert stored.raw_text == "  Sì, Roma! "
    assert stored.normalised == "si, roma"
    assert stored.sent_at == clock.now
    assert stored.received_at == clock.now
    assert stored.late is False
    assert stored.correct is None
    assert stored.rank is None


def test_answer_text_without_selection_tried_as_code(quiz, chat):
    quiz.open_question(1)

    assert chat.send(ANNA, "kx1") == SELECTED_KX1


def test_answer_text_without_selection_unknown_code(quiz, chat):
    quiz.open_question(1)

    reply = chat.send(ANNA, "Roma")

    assert reply == (
        "There is no question with the code <b>Roma</b>. "
        "Send the code shown on the channel (for example <b>KX4</b>) or tap the question's link. "
        "/help explains how to play."
    )
    assert quiz.answer_count(1) == 0


def test_answer_long_unknown_code_shortened(chat):
    reply = chat.send(ANNA, "a" * 100)

    assert reply.startswith(f"There is no question with the code <b>{'a' * 39}…</b>. ")


def test_answer_sticker_asks_for_text(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "KX1")

    reply = chat.send(ANNA, None, kind=MessageKind.STICKER)

    assert reply == "Please send your answer to question 1 as a text message."
    assert quiz.answer_count(1) == 0


def test_answer_photo_with_caption_asks_for_text(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "KX1")

    reply = chat.send(ANNA, "Roma", kind=MessageKind.PHOTO)

    assert reply == "Please send your answer to question 1 as a text message."
    assert quiz.answer_count(1) == 0


def test_answer_sticker_without_selection_shows_help(chat):
    assert chat.send(ANNA, None, kind=MessageKind.STICKER) == HELP_EN


def test_answer_sticker_after_answering_shows_help(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")

    assert chat.send(ANNA, None, kind=MessageKind.OTHER) == HELP_EN


def test_answer_edited_message_ignored(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Milano")

    reply = chat.send(ANNA, "Roma", kind=MessageKind.EDITED)

    assert reply == "I don't read edited messages. To answer, send a new message."
    assert quiz.store.answer(quiz.question(1).id, ANNA.user_id).raw_text == "Milano"


def test_answer_punctuation_only_asks_for_text(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "KX1")

    reply = chat.send(ANNA, "?!")

    assert reply == "Please send your answer to question 1 as a text message."
    assert quiz.answer_count(1) == 0
    assert chat.send(ANNA, "Roma") == RECEIVED_KX1_ROMA


def test_answer_punctuation_after_answering_repeats_first(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")

    reply = chat.send(ANNA, "?!")

    assert reply == "You have already answered question 1: <b>Roma</b>\nOnly the first answer counts."
    assert quiz.answer_count(1) == 1


def test_answer_other_code_after_answering_selects(quiz, chat):
    quiz.open_question(1)
    quiz.open_question(2)
    chat.answer(ANNA, "KX1", "Roma")

    reply = chat.send(ANNA, "ht2")

    assert reply == "<b>Question 2</b>\nSix times seven?\n\nSend me your answer in a message."


def test_answer_same_code_after_answering_repeats_first(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")

    reply = chat.send(ANNA, "KX1")

    assert reply == "You have already answered question 1: <b>Roma</b>\nOnly the first answer counts."


def test_answer_reselecting_answered_question_repeats_first(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    chat.send(ANNA, "/reset")

    reply = chat.send(ANNA, "/start KX1")

    assert reply == "You have already answered question 1: <b>Roma</b>\nOnly the first answer counts."


def test_answer_code_text_counts_as_answer_once_selected(quiz, chat):
    quiz.open_question(1)
    quiz.open_question(2)
    chat.send(ANNA, "KX1")

    reply = chat.send(ANNA, "HT2")

    assert reply == (
        "Got it! Your answer to question 1: <b>HT2</b>\n"
        "The results will appear on the channel when the question closes."
    )


def test_answer_html_is_escaped(quiz, chat):
    quiz.open_question(1)

    reply = chat.answer(ANNA, "KX1", "<i>Roma</i> & co")

    assert reply == (
        "Got it! Your answer to question 1: <b>&lt;i&gt;Roma&lt;/i&gt; &amp; co</b>\n"
        "The results will appear on the channel when the question closes."
    )


def test_answer_duplicate_update_ignored(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "KX1")
    incoming = chat.incoming(ANNA, "Roma", update_id=7000)

    first = quiz.handle(incoming)
    again = quiz.handle(incoming)

    assert [reply.text for reply in first] == [RECEIVED_KX1_ROMA]
    assert again == []
    assert quiz.answer_count(1) == 1


def test_answer_duplicate_update_changes_no_state(quiz, chat):
    quiz.open_question(1)
    incoming = chat.incoming(ANNA, "/start KX1", update_id=7000)
    quiz.handle(incoming)
    chat.send(ANNA, "/reset")

    assert quiz.handle(incoming) == []
    assert quiz.store.conversation(quiz.event.id, ANNA.user_id).selected_question_id is None


def test_answer_late_right_reply(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    chat.answer(BRUNO, "KX1", "Milano")
    quiz.close_question(1)
    chat.send(FABIO, "KX1")

    reply = chat.send(FABIO, "rome")

    assert reply == (
        "✅ Right! The answer is <b>Roma</b>.\n"
        "The question was already closed, so your answer doesn't count for the leaderboard. "
        "50% of the answers in time were correct."
    )


def test_answer_late_wrong_reply(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    chat.answer(BRUNO, "KX1", "Roma")
    chat.send(FABIO, "KX1")
    quiz.close_question(1)

    reply = chat.send(FABIO, "Torino")

    assert reply == (
        "❌ Wrong: the answer is <b>Roma</b>.\n"
        "The question was already closed, so your answer doesn't count for the leaderboard. "
        "100% of the answers in time were correct."
    )


def test_answer_late_nobody_in_time(quiz, chat):
    quiz.open_question(1)
    quiz.close_question(1)

    reply = chat.answer(FABIO, "KX1", "Roma")

    assert reply == (
        "✅ Right! The answer is <b>Roma</b>.\n"
        "The question was already closed, so your answer doesn't count for the leaderboard. "
        "Nobody answered in time."
    )


def test_answer_late_stored_unranked(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    quiz.close_question(1)

    chat.answer(FABIO, "KX1", "Roma")

    late = quiz.store.answer(quiz.question(1).id, FABIO.user_id)
    assert late.late is True
    assert late.correct is True
    assert late.rank is None
    assert quiz.result(1).answers == 1
    assert quiz.answer_count(1) == 2
    assert [row.user_id for row in quiz.leaderboard()] == [ANNA.user_id]


def test_answer_late_second_answer_repeats_first(quiz, chat):
    quiz.open_question(1)
    quiz.close_question(1)
    chat.answer(FABIO, "KX1", "Roma")

    reply = chat.send(FABIO, "Milano")

    assert reply == "You have already answered question 1: <b>Roma</b>\nOnly the first answer counts."


def test_answer_number_kind_with_tolerance(quiz, chat):
    quiz.add_question(text="Value of pi?", answers=["3.14 ± 0.01"], code="PI3", kind="number")
    quiz.open_question("PI3")
    chat.answer(ANNA, "PI3", "3,141")
    chat.answer(BRUNO, "PI3", "3.2")

    result = quiz.close_question("PI3")

    assert result.correct == 1
    assert result.podium[0].user_id == ANNA.user_id


@pytest.mark.parametrize("text", ["Roma\u200b", "\u200fRoma", "Ro\u00adma", "\ufeffRome", "Rome\u2060", "\x07Rome\x1b"])
def test_answer_invisible_characters_still_correct(quiz, chat, text):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", text)

    result = quiz.close_question(1)

    stored = quiz.store.answer(quiz.question(1).id, ANNA.user_id)
    assert stored.raw_text == text
    assert stored.normalised in {"roma", "rome"}
    assert stored.correct is True
    assert result.correct == 1


@pytest.mark.parametrize("kind", ["text", "number"])
def test_answer_digits_with_invisible_characters_correct(quiz, chat, kind):
    quiz.add_question(text="Six times seven?", answers=["42"], code="NM3", kind=kind)
    quiz.open_question("NM3")
    chat.answer(ANNA, "NM3", "42\u200b")
    chat.answer(BRUNO, "NM3", "\u0664\u0662")
    chat.answer(FABIO, "NM3", "\uff14\uff12")

    result = quiz.close_question("NM3")

    assert result.correct == 3


@pytest.mark.parametrize("text", ["\u200b\u200b", "\u200b?!\u2060", "\x07"])
def test_answer_invisible_only_asks_for_text(quiz, chat, text):
    quiz.open_question(1)
    chat.send(ANNA, "KX1")

    reply = chat.send(ANNA, text)

    assert reply == "Please send your answer to question 1 as a text message."
    assert quiz.answer_count(1) == 0
    assert chat.send(ANNA, "Roma") == RECEIVED_KX1_ROMA


def test_answer_invisible_only_without_selection_shows_help(quiz, chat):
    quiz.open_question(1)

    assert chat.send(ANNA, "\u200b\u200b") == HELP_EN


def test_answer_code_with_invisible_characters_selects(quiz, chat):
    quiz.open_question(1)

    assert chat.send(ANNA, "KX1\u200b") == SELECTED_KX1
    assert chat.send(BRUNO, "\u200e/start KX1\u2060") == SELECTED_KX1


def test_answer_long_answer_shortened_in_replies(quiz, chat):
    quiz.open_question(1)
    long_answer = "a" * 4096

    received = chat.answer(ANNA, "KX1", long_answer)
    again = chat.send(ANNA, "b" * 4096)

    assert received == (
        f"Got it! Your answer to question 1: <b>{'a' * 199}…</b>\n"
        "The results will appear on the channel when the question closes."
    )
    assert again == f"You have already answered question 1: <b>{'a' * 199}…</b>\nOnly the first answer counts."
    assert quiz.store.answer(quiz.question(1).id, ANNA.user_id).raw_text == long_answer


def test_answer_echo_drops_bidi_controls(quiz, chat):
    quiz.open_question(1)

    reply = chat.answer(ANNA, "KX1", "\u202eRoma\u2066 e Lazio")

    assert reply == (
        "Got it! Your answer to question 1: <b>Roma e Lazio</b>\n"
        "The results will appear on the channel when the question closes."
    )
    assert quiz.store.answer(quiz.question(1).id, ANNA.user_id).raw_text == "\u202eRoma\u2066 e Lazio"


def _visible_length(reply: str) -> int:
    """Return the reply's length as Telegram limits it: after HTML parsing, in UTF-16 code units."""
    plain, _ = parse_html(reply)
    return utf16_length(plain)


LONG_TEXTS = {
    "letters": "a" * 4096,
    "markup": "<&>" * 1365 + "&",
    "emoji": "😀" * 4096,
    "bidi": "\u202e" + "x" * 4095,
}


@pytest.mark.parametrize("long_text", LONG_TEXTS.values(), ids=LONG_TEXTS.keys())
@pytest.mark.parametrize("user", [ANNA, CARLA], ids=["en", "it"])
def test_answer_replies_fit_telegram_limit(quiz, chat, user, long_text):
    long_name = Sender(user_id=user.user_id + 1000, first_name=long_text, last_name=long_text, language_code="en")
    quiz.open_question(1)
    quiz.open_question(2)
    replies = [
        chat.send(user, long_text),
        chat.send(user, f"/start {long_text}"),
        chat.send(user, "/" + "x" * 4095),
        chat.send(user, long_text, kind=MessageKind.EDITED),
        chat.send(user, long_text, kind=MessageKind.PHOTO),
        chat.answer(user, "KX1", long_text),
        chat.send(user, long_text),
        chat.send(user, "/start KX1"),
        chat.answer(long_name, "KX1", "Roma"),
    ]
    quiz.close_question(1)
    quiz.close_question(2)
    replies += [
        chat.answer(user, "HT2", long_text),
        chat.send(user, long_text),
        chat.send(user, "/stats"),
        chat.send(user, "/register"),
        chat.send(user, long_text),
        chat.send(user, "/register"),
        chat.send(user, "yes"),
        chat.send(user, long_text),
        chat.send(user, "x" * 64),
        chat.send(user, long_text),
        chat.send(user, "9" * 4096),
        chat.send(user, "4"),
        *[reply.text for reply in chat.send_in_group(user, f"/start@{BOT_USERNAME} {long_text}")],
        *[reply.text for reply in chat.send_in_group(user, f"/stats@{BOT_USERNAME} {long_text}")],
    ]
    quiz.post_leaderboard()
    channel_posts = [item.text for item in quiz.outbox_pending(limit=100)]

    assert len(replies) == 23
    assert len(channel_posts) == 5
    for reply in replies + channel_posts:
        assert _visible_length(reply) <= 4096, reply[:200]


def test_answer_duplicate_update_replays_stored_reply(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "KX1")
    incoming = chat.incoming(ANNA, "Roma", update_id=7001)

    first = quiz.handle(incoming)
    replayed = quiz.handle(incoming, replay=True)
    quiz.forget_replies(7001)
    after_forget = quiz.handle(incoming, replay=True)

    assert replayed == first
    assert after_forget == []
    assert quiz.answer_count(1) == 1
