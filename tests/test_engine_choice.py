"""Choice questions in the engine: options, keyboards, typed options and taps on buttons."""

from __future__ import annotations

from dataclasses import replace

import pytest

from quizkit.errors import InvalidQuestion
from quizkit.model import CallbackAnswer, InlineButton, MessageKind, Reply
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    CARLA,
    DARIO,
    Chat,
    chat,
    clock,
    outbox_rows,
    quiz,
    store,
)

OPTIONS = ["Milano", "Roma", "Napoli"]
SELECTED = "<b>Question 3</b>\nLargest city of Italy?\n\nTap your answer below, or send its number."
CHOOSE = "Tap one of the buttons of question 3, or send the number of your answer (1 to 3)."


@pytest.fixture
def choice(quiz):
    """Question 3 (code CH3): a choice of Milano, Roma and Napoli, where Roma is right."""
    return quiz.add_question(text="Largest city of Italy?", kind="choice", options=OPTIONS, answers=["Roma"], code="CH3")


def tap(chat: Chat, user, data: str | None, message_id: int | None = 77, chat_type: str = "private") -> CallbackAnswer:
    """Send a tap on a button with `data` under message `message_id` and return the one answer."""
    incoming = replace(
        chat.incoming(user, None, MessageKind.CALLBACK, chat_type=chat_type),
        callback_query_id=f"q{chat.next_update_id}",
        callback_data=data,
        message_id=message_id,
    )
    replies = chat.engine.handle(incoming)
    assert len(replies) == 1, replies
    assert isinstance(replies[0], CallbackAnswer)
    assert replies[0].callback_query_id == incoming.callback_query_id
    return replies[0]


def data(quiz, question, index: int) -> str:
    return f"c:{quiz.event.id}:{question.id}:{index}"


# Adding choice questions


def test_choice_stores_options_and_answer_text(quiz):
    question = quiz.add_question(text="Largest city?", kind="choice", options=[" Milano ", "Roma"], answers=["2"])

    assert question.options == ("Milano", "Roma")
    assert question.answers == ("Roma",)
    assert quiz.question(question.number).options == ("Milano", "Roma")


@pytest.mark.parametrize(
    ("options", "answers", "message"),
    [
        (None, ["Roma"], "question 3 has 0 options; a choice question needs 2 to 10, e.g. options=['Milano', 'Roma', 'Napoli']."),
        (["Roma"], ["Roma"], "question 3 has 1 options; a choice question needs 2 to 10, e.g. options=['Milano', 'Roma', 'Napoli']."),
        ([str(n) for n in range(11)], ["1"], "question 3 has 11 options; a choice question needs 2 to 10, e.g. options=['Milano', 'Roma', 'Napoli']."),
        (["Roma", "roma!"], ["Roma"], "Options 'Roma' and 'roma!' of question 3 read the same once case, accents and punctuation are ignored, so participants could not tell them apart; make them differ."),
        (["Roma", " "], ["Roma"], "Option ' ' of question 3 is empty or not text; give each option as a non-empty string."),
        (["Roma", "x" * 65], ["Roma"], "Option 'xxxxxxxxxxxxxxxxxxxx'... of question 3 has 65 characters, more than the 64 that fit on a button; shorten it."),
        (["Milano", "Roma"], ["Torino"], "Accepted answer 'Torino' of question 3 is none of its options ('Milano', 'Roma'); give the text or the number (from 1) of the right option."),
        (["Milano", "Roma"], ["3"], "Accepted answer '3' of question 3 is none of its options ('Milano', 'Roma'); give the text or the number (from 1) of the right option."),
    ],
    ids=["none", "one", "eleven", "duplicates", "blank", "too-long", "answer-not-option", "number-out-of-range"],
)
def test_choice_rejects_bad_options(quiz, options, answers, message):
    with pytest.raises(InvalidQuestion) as raised:
        quiz.add_question(text="Largest city?", kind="choice", options=options, answers=answers)

    assert str(raised.value) == message
    assert len(quiz.questions()) == 2


def test_choice_options_rejected_for_text(quiz):
    with pytest.raises(InvalidQuestion) as raised:
        quiz.add_question(text="Capital?", options=["Roma", "Milano"], answers=["Roma"])

    assert str(raised.value) == (
        "question 3 is of kind 'text', which takes no options; pass kind='choice' to show them as buttons, "
        "or leave options out."
    )


def test_choice_close_checks_answers_against_options(quiz, choice):
    quiz.open_question("CH3")

    with pytest.raises(InvalidQuestion):
        quiz.close_question("CH3", answers=["Torino"])
    result = quiz.close_question("CH3", answers=["3"])

    assert result.question.answers == ("Napoli",)


# Selecting a choice question


def test_choice_selection_reply_has_keyboard(quiz, choice, chat):
    quiz.open_question("CH3")

    replies = quiz.handle(chat.incoming(ANNA, "/start CH3"))

    assert replies == [
        Reply(
            chat_id=ANNA.user_id,
            text=SELECTED,
            keyboard=(
                (InlineButton("1. Milano", data(quiz, choice, 0)),),
                (InlineButton("2. Roma", data(quiz, choice, 1)),),
                (InlineButton("3. Napoli", data(quiz, choice, 2)),),
            ),
        )
    ]


def test_choice_announcement_lists_options(quiz, choice, store):
    quiz.open_question("CH3")

    announcement = outbox_rows(store, quiz.event.id)[-1][3]

    assert announcement.startswith("<b>Question 3</b>\nLargest city of Italy?\n\n1. Milano\n2. Roma\n3. Napoli\n\nTo answer, open ")


def test_choice_text_question_reply_has_no_keyboard(quiz, chat):
    quiz.open_question(1)

    replies = quiz.handle(chat.incoming(ANNA, "/start KX1"))

    assert replies[0].keyboard == ()


# Typed answers


@pytest.mark.parametrize("typed", ["2", "roma", " ROMA! ", "2."])
def test_choice_typed_option_stored_as_text(quiz, choice, chat, typed):
    quiz.open_question("CH3")

    reply = chat.answer(ANNA, "CH3", typed)

    assert reply == (
        "Got it! Your answer to question 3: <b>Roma</b>\nThe results will appear on the channel when the question closes."
    )
    stored = quiz.store.answer(choice.id, ANNA.user_id)
    assert stored.raw_text == "Roma"
    assert stored.normalised == "roma"


@pytest.mark.parametrize("typed", ["Torino", "4", "0", "1 2"])
def test_choice_unknown_option_asks_again(quiz, choice, chat, typed):
    quiz.open_question("CH3")
    chat.send(ANNA, "/start CH3")

    replies = quiz.handle(chat.incoming(ANNA, typed))

    assert [reply.text for reply in replies] == [CHOOSE]
    assert len(replies[0].keyboard) == 3
    assert quiz.store.answer(choice.id, ANNA.user_id) is None


@pytest.mark.parametrize("typed", ["Torino", "1"])
def test_choice_typed_after_answering_repeats_first(quiz, choice, chat, typed):
    quiz.open_question("CH3")
    chat.answer(ANNA, "CH3", "2")

    replies = quiz.handle(chat.incoming(ANNA, typed))

    assert [reply.text for reply in replies] == [
        "You have already answered question 3: <b>Roma</b>\nOnly the first answer counts."
    ]
    assert replies[0].keyboard == ()
    assert quiz.store.answer(choice.id, ANNA.user_id).raw_text == "Roma"


def test_choice_sticker_asks_for_option(quiz, choice, chat):
    quiz.open_question("CH3")
    chat.send(ANNA, "/start CH3")

    replies = quiz.handle(chat.incoming(ANNA, None, MessageKind.STICKER))

    assert replies[0].text == CHOOSE
    assert len(replies[0].keyboard) == 3


# Taps


def test_tap_stores_answer_and_queues_edit(quiz, choice, chat, store):
    quiz.open_question("CH3")

    answer = tap(chat, ANNA, data(quiz, choice, 1), message_id=77)

    assert answer.text == "Got it! Your answer: Roma"
    assert answer.show_alert is False
    stored = store.answer(choice.id, ANNA.user_id)
    assert (stored.raw_text, stored.normalised, stored.late) == ("Roma", "roma", False)
    edit = store.outbox_records(quiz.event.id)[-1].item
    assert (edit.action, edit.purpose, edit.chat_id, edit.target_message_id) == ("edit", "tap_confirmation", ANNA.user_id, 77)
    assert edit.text == (
        "<b>Question 3</b>\nLargest city of Italy?\n\nGot it! Your answer to question 3: <b>Roma</b>\n"
        "The results will appear on the channel when the question closes."
    )
    assert quiz.outbox_target(edit) == 77


def test_tap_second_one_shows_first(quiz, choice, chat, store):
    quiz.open_question("CH3")
    tap(chat, ANNA, data(quiz, choice, 1))
    queued = len(store.outbox_records(quiz.event.id))

    answer = tap(chat, ANNA, data(quiz, choice, 0))

    assert answer.text == "You have already answered question 3: Roma. Only the first answer counts."
    assert answer.show_alert is False
    assert store.answer(choice.id, ANNA.user_id).raw_text == "Roma"
    assert len(store.outbox_records(quiz.event.id)) == queued


def test_tap_after_typed_answer_shows_it(quiz, choice, chat):
    quiz.open_question("CH3")
    chat.answer(ANNA, "CH3", "napoli")

    answer = tap(chat, ANNA, data(quiz, choice, 1))

    assert answer.text == "You have already answered question 3: Napoli. Only the first answer counts."


def test_tap_without_message_queues_no_edit(quiz, choice, chat, store):
    quiz.open_question("CH3")
    queued = len(store.outbox_records(quiz.event.id))

    tap(chat, ANNA, data(quiz, choice, 1), message_id=None)

    assert store.answer(choice.id, ANNA.user_id).raw_text == "Roma"
    assert len(store.outbox_records(quiz.event.id)) == queued


INVALID = "This button is not valid. Send the question's code again to get new buttons."
OUTDATED = "This button belongs to a question that is no longer in the quiz. Send the code shown on the channel."


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        (None, INVALID),
        ("", INVALID),
        ("hello", INVALID),
        ("c:1:2", INVALID),
        ("c:x:1:0", INVALID),
        ("c:999:1:0", OUTDATED),
        ("c:{event}:999:0", OUTDATED),
        ("c:{event}:{question}:3", INVALID),
        ("c:{event}:{question}:99", INVALID),
        ("c:{event}:{text_question}:0", INVALID),
        ("c:{event}:{question}:1 ", INVALID),
        ("c:{event}:{question}:" + "9" * 70, INVALID),
    ],
    ids=[
        "none", "empty", "word", "short", "not-a-number", "other-event", "unknown-question", "index-past-end",
        "index-far", "text-question", "trailing-space", "huge-index",
    ],
)
def test_tap_forged_data_gets_alert(quiz, choice, chat, store, button, expected):
    quiz.open_question("CH3")
    quiz.open_question(1)
    if button is not None:
        button = button.format(event=quiz.event.id, question=choice.id, text_question=quiz.question(1).id)

    answer = tap(chat, ANNA, button)

    assert answer.text == expected
    assert answer.show_alert is True
    assert store.answer(choice.id, ANNA.user_id) is None


def test_tap_on_draft_gets_alert(quiz, choice, chat, store):
    answer = tap(chat, ANNA, data(quiz, choice, 1))

    assert answer.text == "This question is not open yet: wait until it appears on the channel."
    assert answer.show_alert is True
    assert store.answer(choice.id, ANNA.user_id) is None


def test_tap_in_group_gets_alert(quiz, choice, chat, store):
    quiz.open_question("CH3")

    answer = tap(chat, ANNA, data(quiz, choice, 1), chat_type="supergroup")

    assert answer.text == INVALID
    assert store.answer(choice.id, ANNA.user_id) is None


def test_tap_after_close_gets_right_option(quiz, choice, chat, store):
    quiz.open_question("CH3")
    quiz.close_question("CH3")

    wrong = tap(chat, ANNA, data(quiz, choice, 0))
    right = tap(chat, BRUNO, data(quiz, choice, 1))

    assert wrong.text == "❌ Wrong: the answer is Roma. The question was already closed, so your answer doesn't count."
    assert right.text == "✅ Right! The answer is Roma. The question was already closed, so your answer doesn't count."
    assert wrong.show_alert is True
    stored = store.answer(choice.id, ANNA.user_id)
    assert (stored.late, stored.correct, stored.rank, stored.score) == (True, False, None, 0)
    edit = store.outbox_records(quiz.event.id)[-1].item
    assert edit.text.startswith("<b>Question 3</b>\nLargest city of Italy?\n\n✅ Right! The answer is <b>Roma</b>.")


def test_tap_italian_participant_gets_italian(quiz, choice, chat):
    quiz.open_question("CH3")

    answer = tap(chat, CARLA, data(quiz, choice, 2))

    assert answer.text == "Ricevuta! La tua risposta: Napoli"


def test_tap_duplicate_update_answers_nothing(quiz, choice, chat):
    quiz.open_question("CH3")
    incoming = replace(
        chat.incoming(ANNA, None, MessageKind.CALLBACK), callback_query_id="q1", callback_data=data(quiz, choice, 1)
    )

    first = quiz.handle(incoming)
    second = quiz.handle(incoming)

    assert len(first) == 1
    assert second == []


def test_taps_and_text_ranked_by_update_id(quiz, choice, chat):
    quiz.open_question("CH3")
    chat.send(BRUNO, "/start CH3")
    tap(chat, ANNA, data(quiz, choice, 1))
    chat.send(BRUNO, "2")
    tap(chat, CARLA, data(quiz, choice, 0))
    tap(chat, DARIO, data(quiz, choice, 1))

    result = quiz.close_question("CH3")

    assert [entry.display_name for entry in result.podium] == ["Anna Rossi", "Bruno", "Dario"]
    assert (result.answers, result.correct) == (4, 3)


def test_tap_redelivered_gets_its_answer_again(quiz, choice, chat, store):
    # Telegram redelivers an update only when our response was lost, and then the client's
    # progress indicator still waits for an answerCallbackQuery.
    quiz.open_question("CH3")
    incoming = replace(
        chat.incoming(ANNA, None, MessageKind.CALLBACK),
        callback_query_id="q-redelivered",
        callback_data=data(quiz, choice, 1),
        message_id=77,
    )
    first = quiz.handle_many([incoming])[0]
    queued = len(store.outbox_records(quiz.event.id))

    again = quiz.handle_many([incoming])[0]

    assert again == first
    assert [type(reply) for reply in again] == [CallbackAnswer]
    assert again[0].callback_query_id == "q-redelivered"
    assert store.answer(choice.id, ANNA.user_id).raw_text == "Roma"
    assert len(store.outbox_records(quiz.event.id)) == queued
