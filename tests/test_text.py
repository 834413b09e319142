"""The fast paths of quizkit._text give what the per-character definitions give, for any text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizkit._text import (
    BLANK_CHARACTERS,
    display_text,
    has_invisible,
    is_invisible,
    perceived_length,
    remove_invisible,
    visible_length,
)

# Printable ASCII mixed with the characters the definitions single out: controls, whitespace,
# format characters, blank letters, joiners, tags and the flag they follow.
SPECIAL = "\x00\x07\t\n\r\x0b\x0c\x1c\x1f\x7f\x85\xa0\xad\u200b\u200c\u200d\u202e\u2066\ufeff\u3164\u115f\U0001f3f4\U000e0067\U000e007f"
TEXTS = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SPECIAL), st.sampled_from("Roma 42!~ ")))


def _reference_is_invisible(character: str) -> bool:
    category = unicodedata.category(character)
    if category == "Cc":
        return not character.isspace()
    return category == "Cf" or character in BLANK_CHARACTERS


def test_is_invisible_matches_categories_for_every_ascii():
    for code in range(0x80):
        assert is_invisible(chr(code)) == _reference_is_invisible(chr(code)), hex(code)


@given(TEXTS)
def test_text_functions_match_definitions(text):
    invisible = [character for character in text if _reference_is_invisible(character)]

    assert [character for character in text if is_invisible(character)] == invisible
    assert has_invisible(text) == bool(invisible)
    assert remove_invisible(text) == "".join(c for c in text if not _reference_is_invisible(c))
    assert visible_length(text) == sum(1 for c in text if not _reference_is_invisible(c) and not c.isspace())


@given(TEXTS)
def test_display_text_fast_path_keeps_result(text):
    words = " ".join(text.split())

    if not any(_reference_is_invisible(character) for character in words):
        assert display_text(text) == words


def test_display_text_examples():
    assert display_text("  Roma \t e\n  Milano ") == "Roma e Milano"
    assert display_text("Ro\u200bma") == "Roma"
    assert display_text("\u202eamoR") == "amoR"
    assert display_text("\U0001f469\u200d\U0001f4bb") == "\U0001f469\u200d\U0001f4bb"


@pytest.mark.parametrize(("text", "expected"), [
    ("Roma", 4),
    ("\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466" * 10, 10),
    ("e\u0301x", 2),
    ("\U0001f1ee\U0001f1f9\U0001f1ee", 2),  # a flag and a lone regional indicator
    ("a\ud800b", 3),  # a lone surrogate counts as one character
    ("\u200fab\u200b", 2),  # an RTL mark and a zero-width space are not seen
    ("a b", 2),
    ("\u0301 \u0301", 0),  # accents with no letter under them
    ("1\ufe0f\u20e3", 1),  # a keycap: a digit, a variation selector and an enclosing mark
    ("\u2800\u2800", 0),
    ("", 0),
])
def test_perceived_length(text, expected):
    assert perceived_length(text) == expected
