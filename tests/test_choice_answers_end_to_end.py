"""A choice question through the emulator and the server: buttons, taps, typed options, forged taps, late taps."""

from __future__ import annotations

import pytest

from quizkit.emulator import SimUser
from quizkit.emulator.updates import callback_query
from quizkit.engine import Engine
from quizkit.server import Server
from quizkit.store import Store
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN

ANNA = SimUser(user_id=300000001, first_name="Anna", language_code="en")
BRUNO = SimUser(user_id=300000002, first_name="Bruno", language_code="en")
CARLA = SimUser(user_id=300000003, first_name="Carla", language_code="it")
DARIO = SimUser(user_id=300000004, first_name="Dario", language_code="en")
ELENA = SimUser(user_id=300000005, first_name="Elena", language_code="en")
FRANCO = SimUser(user_id=300000006, first_name="Franco", language_code="en")
OPTIONS = ["Milano", "Roma", "Napoli"]
PROMPT = "Question 1\nLargest city of Italy?\n\nTap your answer below, or send its number."
CONFIRMED = (
    "Question 1\nLargest city of Italy?\n\nGot it! Your answer to question 1: {answer}\n"
    "The results will appear on the channel when the question closes."
)


def keyboard_message(emulator, user: SimUser) -> dict:
    """Return the last message in the user's chat that carries an inline keyboard."""
    with_keyboard = [message for message in emulator.messages(user.user_id) if "reply_markup" in message]
    return with_keyboard[-1]


def played(db_path, emulator, transport: str):
    """Play the question: taps, typed options, forged taps, a close and a late tap. Return what was seen."""
    store = Store(db_path)
    engine = Engine.create_event(store, name="cities", language="en", channel_id=CHANNEL_ID, bot_username=BOT_USERNAME)
    question = engine.add_question(
        text="Largest city of Italy?", kind="choice", options=OPTIONS, answers=["Roma"], code="CH1"
    )
    seen: dict = {"queries": {}, "updates": {}}

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, secret_token="s3cret",
                transport=transport) as server:
        server.call(engine.open_question, "CH1")
        for user in (ANNA, BRUNO, CARLA, DARIO, ELENA):
            emulator.send_text(TOKEN, user, "/start CH1")
        assert emulator.wait_delivered(TOKEN, 10)
        seen["prompt"] = keyboard_message(emulator, ANNA)

        def tap(user: SimUser, label: str, name: str) -> None:
            message = keyboard_message(emulator, user)
            seen["updates"][name], seen["queries"][name] = emulator.tap(TOKEN, user, message["message_id"], label)

        tap(ANNA, "2. Roma", "anna")
        tap(BRUNO, "1. Milano", "bruno")
        seen["updates"]["carla"] = emulator.send_text(TOKEN, CARLA, "2")
        emulator.send_text(TOKEN, DARIO, "Torino")
        assert emulator.wait_delivered(TOKEN, 10)
        tap(DARIO, "2. Roma", "dario")
        seen["updates"]["elena"] = emulator.send_text(TOKEN, ELENA, " roma ")

        # Anna taps again on the keyboard she saw first, and three forged taps arrive.
        for name, data in (
            ("anna_again", f"c:{engine.event.id}:{question.id}:0"),
            ("forged", "drop table"),
            ("old_event", f"c:{engine.event.id + 1}:{question.id}:1"),
            ("past_end", f"c:{engine.event.id}:{question.id}:5"),
        ):
            payload = callback_query(ANNA, data, message=seen["prompt"])
            seen["queries"][name] = payload["callback_query"]["id"]
            emulator.send_update(TOKEN, payload)
        assert emulator.wait_delivered(TOKEN, 10)
        assert server.drain_outbox(10)

        seen["result"] = server.call(engine.close_question, "CH1")
        emulator.send_text(TOKEN, FRANCO, "/start CH1")
        assert emulator.wait_delivered(TOKEN, 10)
        tap(FRANCO, "3. Napoli", "franco")
        assert emulator.wait_delivered(TOKEN, 10)
        assert server.drain_outbox(10)

        seen["answers"] = {answer.user_id: answer for answer in server.call(store.answers, question.id)}
    store.close()
    return seen


@pytest.fixture
def webhook_play(db_path, emulator):
    return played(db_path, emulator, "webhook")


def test_choice_prompt_carries_buttons(webhook_play):
    prompt = webhook_play["prompt"]

    assert prompt["text"] == PROMPT
    labels = [[button["text"] for button in row] for row in prompt["reply_markup"]["inline_keyboard"]]
    assert labels == [["1. Milano"], ["2. Roma"], ["3. Napoli"]]


def test_choice_answers_stored_as_options(webhook_play):
    answers = webhook_play["answers"]

    stored = {user.first_name: answers[user.user_id].raw_text for user in (ANNA, BRUNO, CARLA, DARIO, ELENA, FRANCO)}
    assert stored == {"Anna": "Roma", "Bruno": "Milano", "Carla": "Roma", "Dario": "Roma", "Elena": "Roma",
                      "Franco": "Napoli"}


def test_choice_ranked_by_update_id(webhook_play):
    answers, updates = webhook_play["answers"], webhook_play["updates"]

    ranks = {user.first_name: answers[user.user_id].rank for user in (ANNA, BRUNO, CARLA, DARIO, ELENA)}
    assert ranks == {"Anna": 1, "Bruno": None, "Carla": 2, "Dario": 3, "Elena": 4}
    assert answers[ANNA.user_id].update_id == updates["anna"]
    assert updates["anna"] < updates["carla"] < updates["dario"] < updates["elena"]
    assert [entry.display_name for entry in webhook_play["result"].podium] == ["Anna", "Carla", "Dario"]


def test_choice_late_tap_stored_late(webhook_play):
    late = webhook_play["answers"][FRANCO.user_id]

    assert (late.late, late.correct, late.rank, late.score) == (True, False, None, 0)


def test_choice_every_tap_answered_once(webhook_play, emulator):
    calls = emulator.calls(TOKEN, "answerCallbackQuery")

    answered = [call["params"]["callback_query_id"] for call in calls if call["ok"]]
    assert sorted(answered) == sorted(webhook_play["queries"].values())
    assert all(call["source"] == "webhook_response" for call in calls)


@pytest.mark.parametrize(
    ("name", "text", "alert"),
    [
        ("anna", "Got it! Your answer: Roma", False),
        ("bruno", "Got it! Your answer: Milano", False),
        ("dario", "Got it! Your answer: Roma", False),
        ("anna_again", "You have already answered question 1: Roma. Only the first answer counts.", False),
        ("forged", "This button is not valid. Send the question's code again to get new buttons.", True),
        ("old_event", "This button belongs to a question that is no longer in the quiz. Send the code shown on the channel.", True),
        ("past_end", "This button is not valid. Send the question's code again to get new buttons.", True),
        ("franco", "❌ Wrong: the answer is Roma. The question was already closed, so your answer doesn't count.", True),
    ],
)
def test_choice_tap_answers(webhook_play, emulator, name, text, alert):
    answer = emulator.callback_answer(TOKEN, webhook_play["queries"][name])

    assert answer == {"text": text, "show_alert": alert, "source": "webhook_response"}


def test_choice_tapped_message_edited(webhook_play, emulator):
    message_id = webhook_play["prompt"]["message_id"]

    versions = emulator.message_versions(ANNA.user_id, message_id)

    assert [version["text"] for version in versions] == [PROMPT, CONFIRMED.format(answer="Roma")]
    assert "reply_markup" not in versions[-1]


def test_choice_unknown_option_asks_again(emulator, webhook_play):
    first, second = emulator.messages(DARIO.user_id)

    # Dario tapped the keyboard of the second message, which the bot then edited.
    assert first["text"] == PROMPT
    versions = emulator.message_versions(DARIO.user_id, second["message_id"])
    assert [version["text"] for version in versions] == [
        "Tap one of the buttons of question 1, or send the number of your answer (1 to 3).",
        CONFIRMED.format(answer="Roma"),
    ]
    assert len(versions[0]["reply_markup"]["inline_keyboard"]) == 3


def test_choice_typed_number_confirmed(emulator, webhook_play):
    texts = [message["text"] for message in emulator.messages(CARLA.user_id)]

    assert texts[-1] == (
        "Ricevuta! La tua risposta alla domanda 1: Roma\n"
        "I risultati usciranno sul canale quando la domanda verrà chiusa."
    )


def test_choice_channel_posts(webhook_play, emulator):
    channel = [message["text"] for message in emulator.messages(CHANNEL_ID)]

    assert channel == [
        "Question 1\nLargest city of Italy?\n\n1. Milano\n2. Roma\n3. Napoli\n\n✅ Answer: Roma\nClosed with 5 answers.",
        "Question 1: results\n✅ Roma\nAnswers: 5 · People reached: 5 · Correct: 80%\n\n"
        "🥇 Anna (0.0 s)\n🥈 Carla (0.0 s)\n🥉 Dario (0.0 s)",
    ]


def test_choice_over_polling(db_path, emulator):
    seen = played(db_path, emulator, "polling")

    calls = emulator.calls(TOKEN, "answerCallbackQuery")
    assert sorted(call["params"]["callback_query_id"] for call in calls if call["ok"]) == sorted(seen["queries"].values())
    assert all(call["source"] == "http" for call in calls)
    assert emulator.callback_answer(TOKEN, seen["queries"]["anna"])["text"] == "Got it! Your answer: Roma"
    ranks = {user.first_name: seen["answers"][user.user_id].rank for user in (ANNA, BRUNO, CARLA, DARIO, ELENA)}
    assert ranks == {"Anna": 1, "Bruno": None, "Carla": 2, "Dario": 3, "Elena": 4}
