"""Team registration: confirmation, team name, head count, and each invalid input."""

from __future__ import annotations

import pytest

from quizkit.model import MessageKind
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    CARLA,
    HELP_EN,
    chat,
    clock,
    quiz,
    store,
)

CONFIRM_EN = (
    "Do you want to register a team? I'll ask for its name and how many people play with you.\n"
    "Reply <b>yes</b> to continue; any other reply cancels."
)
ASK_TEAM_NAME_EN = "What is your team's name? (at least 3 characters)"
ASK_HEAD_COUNT_OWLS = "How many people are in team <b>The Owls</b>, you included? Send a number from 1 to 499."


def _register_until_head_count(chat, user=ANNA, team_name="The Owls"):
    chat.send(user, "/register")
    chat.send(user, "yes")
    chat.send(user, team_name)


def test_registration_full_conversation_english(quiz, chat):
    replies = [chat.send(ANNA, text) for text in ["/register", "yes", "The Owls", "4"]]

    assert replies == [
        CONFIRM_EN,
        ASK_TEAM_NAME_EN,
        ASK_HEAD_COUNT_OWLS,
        "Done! Team <b>The Owls</b> is registered with 4 people. "
        "Your answers will appear under this name; send /register again to change it.",
    ]
    participant = quiz.store.participant(quiz.event.id, ANNA.user_id)
    assert participant.team_name == "The Owls"
    assert participant.head_count == 4


def test_registration_full_conversation_italian(quiz, chat):
    replies = [chat.send(CARLA, text) for text in ["/register", "Sì!", "I Gufi", "1"]]

    assert replies == [
        "Vuoi registrare una squadra? Ti chiederò il nome e quante persone giocano con te.\n"
        "Rispondi <b>sì</b> per continuare; qualsiasi altra risposta annulla.",
        "Come si chiama la squadra? (almeno 3 caratteri)",
        "Quante persone ci sono nella squadra <b>I Gufi</b>, contando anche te? Scrivi un numero da 1 a 499.",
        "Fatto! La squadra <b>I Gufi</b> è registrata con 1 persona. "
        "Le tue risposte compariranno con questo nome; per cambiarlo, scrivi di nuovo /register.",
    ]


@pytest.mark.parametrize("word", ["yes", "Yes!", "y", "ok", "OK", "sure", "sì", "si", "Sì", "certo", "Certo!"])
def test_registration_yes_words_continue(chat, word):
    chat.send(ANNA, "/register")

    assert chat.send(ANNA, word) == ASK_TEAM_NAME_EN


@pytest.mark.parametrize("word", ["sì", "si", "ok", "certo", "yes"])
def test_registration_yes_words_italian_participant(chat, word):
    chat.send(CARLA, "/register")

    assert chat.send(CARLA, word) == "Come si chiama la squadra? (almeno 3 caratteri)"


@pytest.mark.parametrize("word", ["no", "maybe", "yes please", "nope"])
def test_registration_other_reply_cancels(quiz, chat, word):
    chat.send(ANNA, "/register")

    reply = chat.send(ANNA, word)

    assert reply == "Registration cancelled. Send /register to start again."
    assert quiz.store.conversation(quiz.event.id, ANNA.user_id).registration_step is None


def test_registration_team_name_too_short(quiz, chat):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    reply = chat.send(ANNA, " ab ")

    assert reply == "The team name must be at least 3 characters long. Send a longer name:"
    assert chat.send(ANNA, "The Owls") == ASK_HEAD_COUNT_OWLS


def test_registration_team_name_too_long(chat):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    reply = chat.send(ANNA, "x" * 65)

    assert reply == "The team name can be at most 64 characters long. Send a shorter name:"


def test_registration_team_name_invisible_only_asks_again(quiz, chat):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    reply = chat.send(ANNA, "\u200b\u200b\u200b")

    assert reply == ASK_TEAM_NAME_EN
    conversation = quiz.store.conversation(quiz.event.id, ANNA.user_id)
    assert conversation.registration_step == "team_name"
    assert conversation.pending_team_name is None


@pytest.mark.parametrize("text", ["\u2800\u2800\u2800\u2800", "\u3164\u2800\u3164"], ids=["braille", "mixed"])
def test_registration_team_name_of_blank_characters_asks_again(quiz, chat, text):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    reply = chat.send(ANNA, text)

    assert reply == ASK_TEAM_NAME_EN
    assert quiz.store.conversation(quiz.event.id, ANNA.user_id).pending_team_name is None
    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name is None


# An accent after a space has no letter under it and shows as a floating accent or a dotted circle,
# so the last three count no more than the invisible characters of the first four.
@pytest.mark.parametrize("text", ["ab\u200b\u200b\u200b", "\u202ea\u2066\u2069b", "a\u3164\u3164\u3164b", "a\u200d\u200db",
                                  "\u0301 \u0301 \u0301", "\u034f \u034f \u034f", "a \u0301\u0301 \u20dd"])
def test_registration_team_name_counts_visible_characters(quiz, chat, text):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    reply = chat.send(ANNA, text)

    assert reply == "The team name must be at least 3 characters long. Send a longer name:"
    assert quiz.store.conversation(quiz.event.id, ANNA.user_id).pending_team_name is None


def test_registration_team_name_stored_clean(quiz, chat):
    _register_until_head_count(chat, team_name="\u202eThe\u200b Owls\u2066\x07")

    reply = chat.send(ANNA, "3")

    assert reply == (
        "Done! Team <b>The Owls</b> is registered with 3 people. "
        "Your answers will appear under this name; send /register again to change it."
    )
    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name == "The Owls"


def test_registration_team_name_keeps_emoji_joiners(quiz, chat):
    coders = "\U0001f469\u200d\U0001f4bb Coders \U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    _register_until_head_count(chat, team_name=coders)

    chat.send(ANNA, "3")

    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name == coders


def test_registration_team_name_spaces_collapsed(quiz, chat):
    _register_until_head_count(chat, team_name="  The    Owls ")

    chat.send(ANNA, "3")

    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name == "The Owls"


@pytest.mark.parametrize(
    "text", ["five", "2.5", "4 people", "\u00b2", "1e3", "0x10", "3.0", "12 persone", "seven", "1_000", "+"]
)
def test_registration_head_count_not_integer(quiz, chat, text):
    _register_until_head_count(chat)

    reply = chat.send(ANNA, text)

    assert reply == (
        f"<b>{text}</b> is not a whole number. Send how many people are in the team, in digits, from 1 to 499."
    )
    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name is None


@pytest.mark.parametrize("text", ["0", "500", "-3", "-5", "99999999999", "\u0665\u0660\u0660", "-0"])
def test_registration_head_count_out_of_range(quiz, chat, text):
    _register_until_head_count(chat)

    reply = chat.send(ANNA, text)

    assert reply == f"A team has from 1 to 499 people, and you sent {text}. Send a number from 1 to 499."
    assert quiz.store.conversation(quiz.event.id, ANNA.user_id).registration_step == "head_count"


@pytest.mark.parametrize(("text", "head_count"), [("1", 1), ("499", 499), (" 12 ", 12), ("+7", 7), ("007", 7)])
def test_registration_head_count_limits_accepted(quiz, chat, text, head_count):
    _register_until_head_count(chat)

    chat.send(ANNA, text)

    assert quiz.store.participant(quiz.event.id, ANNA.user_id).head_count == head_count


@pytest.mark.parametrize(
    ("text", "head_count"),
    [("\u0663", 3), ("\uff11\uff12", 12), ("\u0661\u0662", 12), ("\u096a", 4), ("4\u200b", 4), ("0" * 4000 + "9", 9)],
)
def test_registration_head_count_unicode_digits(quiz, chat, text, head_count):
    _register_until_head_count(chat)

    reply = chat.send(ANNA, text)

    assert reply.startswith(f"Done! Team <b>The Owls</b> is registered with {head_count} people.")
    assert quiz.store.participant(quiz.event.id, ANNA.user_id).head_count == head_count


@pytest.mark.parametrize("digits", [4301, 5000])
def test_registration_head_count_too_many_digits(quiz, chat, digits):
    _register_until_head_count(chat)

    reply = chat.send(ANNA, "9" * digits)

    assert reply == f"A team has from 1 to 499 people, and you sent {'9' * 39}…. Send a number from 1 to 499."
    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name is None
    assert quiz.store.conversation(quiz.event.id, ANNA.user_id).registration_step == "head_count"


def test_registration_one_person_singular(chat):
    _register_until_head_count(chat)

    reply = chat.send(ANNA, "1")

    assert reply == (
        "Done! Team <b>The Owls</b> is registered with 1 person. "
        "Your answers will appear under this name; send /register again to change it."
    )


def test_registration_team_name_escaped(chat):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    reply = chat.send(ANNA, "<Owls> & co")

    assert reply == (
        "How many people are in team <b>&lt;Owls&gt; &amp; co</b>, you included? Send a number from 1 to 499."
    )


def test_registration_help_keeps_step(chat):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    assert chat.send(ANNA, "/help") == HELP_EN
    assert chat.send(ANNA, "The Owls") == ASK_HEAD_COUNT_OWLS


def test_registration_sticker_repeats_prompt(chat):
    _register_until_head_count(chat)

    assert chat.send(ANNA, None, kind=MessageKind.STICKER) == ASK_HEAD_COUNT_OWLS


def test_registration_reset_cancels(quiz, chat):
    _register_until_head_count(chat)

    chat.send(ANNA, "/reset")

    assert quiz.store.conversation(quiz.event.id, ANNA.user_id).registration_step is None
    assert chat.send(ANNA, "4").startswith("There is no question with the code <b>4</b>.")


def test_registration_start_code_cancels(quiz, chat):
    quiz.open_question(1)
    _register_until_head_count(chat)

    chat.send(ANNA, "/start KX1")
    reply = chat.send(ANNA, "Roma")

    assert reply.startswith("Got it! Your answer to question 1: <b>Roma</b>")
    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name is None


def test_registration_again_changes_team(quiz, chat):
    _register_until_head_count(chat)
    chat.send(ANNA, "4")

    _register_until_head_count(chat, team_name="The Larks")
    chat.send(ANNA, "6")

    participant = quiz.store.participant(quiz.event.id, ANNA.user_id)
    assert participant.team_name == "The Larks"
    assert participant.head_count == 6


def test_registration_team_name_in_podium_and_reach(quiz, chat):
    _register_until_head_count(chat)
    chat.send(ANNA, "4")
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    chat.answer(BRUNO, "KX1", "Roma")

    result = quiz.close_question(1)

    assert [entry.display_name for entry in result.podium] == ["The Owls", "Bruno"]
    assert result.people_reached == 5


def test_registration_keeps_selected_question(quiz, chat):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")
    _register_until_head_count(chat)
    chat.send(ANNA, "4")

    reply = chat.send(ANNA, "Roma")

    assert reply.startswith("Got it! Your answer to question 1: <b>Roma</b>")


@pytest.mark.parametrize("steps", [["/register"], ["/register", "yes"], ["/register", "yes", "The Owls"]],
                         ids=["at-confirm", "at-team-name", "at-head-count"])
def test_question_code_during_registration_selects_the_question(quiz, chat, steps):
    quiz.open_question(1)
    for text in steps:
        chat.send(ANNA, text)

    selected = chat.send(ANNA, "kx1")
    answered = chat.send(ANNA, "Roma")

    assert selected.startswith("<b>Question 1</b>")
    assert "Send me your answer in a message." in selected
    assert "Roma" in answered
    assert quiz.store.answer(quiz.question(1).id, ANNA.user_id).raw_text == "Roma"
    participant = quiz.store.participant(quiz.event.id, ANNA.user_id)
    assert participant.team_name is None


def test_draft_question_code_during_registration_is_a_team_name(quiz, chat):
    _register_until_head_count(chat, team_name="KX1")

    participant_step = quiz.store.conversation(quiz.event.id, ANNA.user_id)

    assert participant_step.pending_team_name == "KX1"


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one emoji of 7 code points
ITALY = "\U0001f1ee\U0001f1f9"  # a flag: two regional indicators
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
TOO_COMPLEX_EN = ("The team name is too long to store: some emoji and accented letters are made of several "
                  "symbols and count more. Send a shorter name:")


@pytest.mark.parametrize("team_name", [
    FAMILY * 10,  # 10 characters, 70 code points
    "e\u0301" * 64,  # 64 characters, each a letter and a combining accent
    ITALY * 64,
    "\u05e9\u05dc\u05d5\u05dd team",  # Hebrew, right to left, without bidi controls
    SCOTLAND * 3,
    "Caf\u00e9 \U0001f469\U0001f3fd\u200d\U0001f4bb",  # a skin-tone modifier inside a ZWJ sequence
])
def test_registration_team_name_counts_perceived_characters(quiz, chat, team_name):
    _register_until_head_count(chat, team_name=team_name)

    reply = chat.send(ANNA, "3")

    assert reply.startswith("Done! Team <b>")
    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name == team_name


@pytest.mark.parametrize("team_name", [FAMILY, FAMILY * 2, ITALY + ITALY, "e\u0301\u0301\u0301" * 2])
def test_registration_team_name_short_in_perceived_characters(quiz, chat, team_name):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    reply = chat.send(ANNA, team_name)

    assert reply == "The team name must be at least 3 characters long. Send a longer name:"


@pytest.mark.parametrize(("team_name", "reply"), [
    ("x" * 65, "The team name can be at most 64 characters long. Send a shorter name:"),
    (ITALY * 65, "The team name can be at most 64 characters long. Send a shorter name:"),
    (FAMILY * 19, TOO_COMPLEX_EN),  # 19 characters, 133 code points
    ("ab" + "c" + "\u0301" * 500, TOO_COMPLEX_EN),  # three characters, the last of 501 code points
    ("\U0001f3f4" + "\U000e0067" * 300 + "abc", TOO_COMPLEX_EN),
])
def test_registration_team_name_too_long_rejected(quiz, chat, team_name, reply):
    chat.send(ANNA, "/register")
    chat.send(ANNA, "yes")

    assert chat.send(ANNA, team_name) == reply
    assert quiz.store.conversation(quiz.event.id, ANNA.user_id).pending_team_name is None


def test_registration_team_name_too_complex_italian(chat):
    chat.send(CARLA, "/register")
    chat.send(CARLA, "sì")

    reply = chat.send(CARLA, FAMILY * 19)

    assert reply == ("Il nome della squadra è troppo lungo da salvare: alcune emoji e lettere accentate sono fatte "
                     "di più simboli e contano di più. Mandamene uno più corto:")


def test_registration_team_name_with_replacement_character(quiz, chat):
    # The webhook replaces a lone surrogate with U+FFFD before the engine gets the text (quizkit._json).
    _register_until_head_count(chat, team_name="Gufi \ufffd\u200f")

    chat.send(ANNA, "2")

    assert quiz.store.participant(quiz.event.id, ANNA.user_id).team_name == "Gufi \ufffd"
