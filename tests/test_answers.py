"""Answer normalisation and matching, and question codes."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizkit._text import is_invisible
from quizkit.answers import (
    CODE_LETTERS,
    generate_code,
    is_correct,
    normalise,
    normalise_code_input,
    parse_number,
    validate_answers,
    validate_code,
)
from quizkit.errors import InvalidQuestion

SURROUNDING = "/,.!?;:'\" \t\n"
# Format (Cf) and control (Cc) characters, without the whitespace controls that separate words.
INVISIBLE = st.characters(categories=["Cf", "Cc"]).filter(lambda character: not character.isspace())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sì!", "si"),
        ("si", "si"),
        ("  Roma  ", "roma"),
        ('"Roma"', "roma"),
        ("«Roma»", "roma"),
        ("’Roma’", "roma"),
        ("/Roma;:", "roma"),
        ("PERCHÉ?", "perche"),
        ("perche'", "perche"),
        ("São  Paulo", "sao paulo"),
        ("New\tYork", "new york"),
        ("Straße", "strasse"),
        ("ﬁne", "fine"),
        ("d'Annunzio", "d'annunzio"),
        ("\u0664\u0662", "42"),
        ("\uff14\uff12", "42"),
        ("x\u00b2", "x2"),
        ("?!.", ""),
        ("", ""),
    ],
)
def test_normalise_examples(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Roma\u200b", "roma"),
        ("\u200fRoma", "roma"),
        ("Ro\u00adma", "roma"),
        ("\ufeffRome", "rome"),
        ("Rome\u2060", "rome"),
        ("\x07Rome\x1b", "rome"),
        ("\u202eamoR", "amor"),
        ("Ro\u3164ma", "roma"),
        ("New\u200b\nYork", "new york"),
        ("\u200b\u200b", ""),
        ("\u200b?!\u200d", ""),
    ],
)
def test_normalise_drops_invisible_characters(raw, expected):
    assert normalise(raw) == expected


@given(st.text(), st.lists(st.tuples(st.integers(min_value=0), INVISIBLE), max_size=5))
def test_normalise_ignores_inserted_invisible_characters(text, insertions):
    with_invisible = text
    for position, character in insertions:
        index = position % (len(with_invisible) + 1)
        with_invisible = with_invisible[:index] + character + with_invisible[index:]

    assert normalise(with_invisible) == normalise(text)


@given(st.text())
def test_normalise_idempotent(text):
    once = normalise(text)

    assert normalise(once) == once


@given(st.text(), st.text(alphabet=SURROUNDING), st.text(alphabet=SURROUNDING))
def test_normalise_ignores_surrounding_punctuation(text, before, after):
    assert normalise(before + text + after) == normalise(text)


@given(st.text())
def test_normalise_leaves_no_accents_or_trimmed_ends(text):
    result = normalise(text)

    assert not any(unicodedata.combining(ch) for ch in result)
    assert not any(is_invisible(ch) for ch in result)
    assert result == result.strip(SURROUNDING)


@given(st.text(alphabet="aeiouAEIOUàèéìòùÀÈÉÌÒÙ ", min_size=1))
def test_normalise_italian_accents_and_case(text):
    plain = text.translate(str.maketrans("àèéìòùÀÈÉÌÒÙ", "aeeiouAEEIOU")).lower()

    assert normalise(text) == normalise(plain)


def test_is_correct_text_matches_any_accepted():
    assert is_correct("rome!", ["Roma", "Rome"])
    assert is_correct("  ROMA ", ["Roma", "Rome"])


def test_is_correct_text_rejects_other_answers():
    assert not is_correct("Milano", ["Roma", "Rome"])
    assert not is_correct("Rom", ["Roma", "Rome"])


def test_is_correct_empty_answer_never_matches():
    assert not is_correct("?!", ["?"])
    assert not is_correct("\u200b\u200b", ["\u200b"])


@pytest.mark.parametrize("raw", ["Roma\u200b", "\u200fRoma", "Ro\u00adma", "\ufeffRome", "Rome\u2060", "\x07Rome\x1b"])
def test_is_correct_text_ignores_invisible_characters(raw):
    assert is_correct(raw, ["Roma", "Rome"])


@pytest.mark.parametrize(
    ("raw", "accepted", "expected"),
    [
        ("42", ["42"], True),
        ("42.0", ["42"], True),
        ("3,14", ["3.14"], True),
        ("3.1", ["3.14 ± 0.05"], True),
        ("3.2", ["3.14 ± 0.05"], False),
        ("3.2", ["3.14+-0.1"], True),
        ("forty-two", ["42"], False),
        ("-5", ["-5"], True),
        ("42!", ["42"], True),
        ("42\u200b", ["42"], True),
        ("\u200e4\u00ad2", ["42"], True),
        ("\u0664\u0662", ["42"], True),
        ("\uff14\uff12", ["42"], True),
        ("\u00b2", ["2"], False),
    ],
)
def test_is_correct_number_kind(raw, accepted, expected):
    assert is_correct(raw, accepted, kind="number") is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        ("0,5", 0.5),
        (".5", 0.5),
        ("7.", 7.0),
        ("1,000.5", None),
        ("x", None),
        ("12\u200b", 12.0),
        ("\x07-3,5", -3.5),
        ("\u200b", None),
    ],
)
def test_parse_number_examples(text, expected):
    assert parse_number(text) == expected


def test_validate_answers_wraps_single_string():
    assert validate_answers("Roma", "text", "question 1") == ("Roma",)


def test_validate_answers_strips_each_answer():
    assert validate_answers([" Roma ", "Rome"], "text", "question 1") == ("Roma", "Rome")


def test_validate_answers_rejects_empty_answer():
    with pytest.raises(InvalidQuestion) as raised:
        validate_answers(["Roma", "?!"], "text", "question 1")

    assert str(raised.value) == (
        "Accepted answer '?!' of question 1 is empty or not text; "
        "give each answer as a non-empty string, e.g. ['Roma', 'Rome']."
    )


def test_validate_answers_rejects_unknown_kind():
    with pytest.raises(InvalidQuestion) as raised:
        validate_answers(["Roma"], "poll", "question 1")

    assert str(raised.value) == "Question kind 'poll' is not supported for question 1; use one of: text, number, choice."


def test_validate_answers_rejects_non_number_for_number_kind():
    with pytest.raises(InvalidQuestion) as raised:
        validate_answers(["forty-two"], "number", "question 2")

    assert str(raised.value) == "Accepted answer 'forty-two' of question 2 is not a number; write it as '42' or '3.14 ± 0.01'."


@pytest.mark.parametrize("code", ["KX4", "quiz_1", "a-b", "Z" * 64, "7"])
def test_validate_code_accepts_payload_characters(code):
    assert validate_code(code) == code


@pytest.mark.parametrize("code", ["K X4", "KX4!", "città", "", "Z" * 65])
def test_validate_code_rejects_other_characters(code):
    with pytest.raises(InvalidQuestion) as raised:
        validate_code(code)

    assert str(raised.value) == (
        f"Question code {code!r} is invalid: a code is 1 to 64 characters from A-Z, a-z, 0-9, "
        "underscore and hyphen, because it travels as a Telegram deep-link payload."
    )


def test_validate_code_rejects_register():
    with pytest.raises(InvalidQuestion) as raised:
        validate_code("Register")

    assert str(raised.value) == (
        "Question code 'Register' is reserved because '/start Register' has another meaning; choose another code."
    )


def test_generate_code_two_letters_and_number():
    code = generate_code(4, [], random.Random(1))

    assert re.fullmatch(r"[A-Z]{2}4", code)
    assert code[0] in CODE_LETTERS
    assert code[1] in CODE_LETTERS


def test_generate_code_letters_have_no_look_alikes():
    for look_alike in "OQIL SBZG":
        assert look_alike not in CODE_LETTERS


def test_generate_code_avoids_taken_codes():
    codes_in_use = {f"{first}{second}1" for first in CODE_LETTERS for second in CODE_LETTERS} - {"KX1"}

    assert generate_code(1, {code.lower() for code in codes_in_use}, random.Random(3)) == "KX1"


def test_generate_code_raises_when_all_taken():
    codes_in_use = [f"{first}{second}1" for first in CODE_LETTERS for second in CODE_LETTERS]

    with pytest.raises(InvalidQuestion) as raised:
        generate_code(1, codes_in_use, random.Random(3))

    assert str(raised.value) == "No free code for question 1: every two-letter code is taken; give a custom code."


@settings(max_examples=50)
@given(st.integers(min_value=1, max_value=10**6))
def test_generate_code_is_valid_payload(number):
    code = generate_code(number, [])

    assert validate_code(code) == code


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("kx4", "KX4"), (" kx 4 ", "KX4"), ("#KX4.", "KX4"), ("«kx4»", "KX4"), ("KX4\u200b", "KX4"), ("K\u2060X4", "KX4")],
)
def test_normalise_code_input_examples(typed, expected):
    assert normalise_code_input(typed) == expected
