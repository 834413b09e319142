"""Invisible characters in what participants type, and the clean form of text shown in posts.

Telegram clients let people type characters that take no space on screen, and three kinds count
as invisible here. Format characters (Unicode category Cf) include U+200B ZERO WIDTH SPACE, U+00AD
SOFT HYPHEN, U+FEFF and the bidi controls U+202A-U+202E and U+2066-U+2069. Control characters (Cc)
include U+0007, but tab, newline and the other whitespace controls are not invisible, because they
separate words. The Hangul filler letters and U+2800 BRAILLE PATTERN BLANK render as blank space.

Left in, invisible characters make "Roma" followed by U+200B differ from "Roma" and let a name of
three U+200B pass a length check. A bidi override in a name reverses the rest of the line it is
shown in.
"""

from __future__ import annotations

import unicodedata

import regex

__all__ = ["display_text", "has_invisible", "is_invisible", "perceived_length", "remove_invisible", "visible_length"]

# Characters that render as blank space but are neither whitespace nor format characters, so a Cf
# filter alone lets them make a name look empty: the Hangul fillers (letters, category Lo) and
# U+2800 BRAILLE PATTERN BLANK (a symbol, So).
# NOTE: fonts draw a few more characters blank, such as U+1D159 MUSICAL SYMBOL NULL NOTEHEAD; those
# still count as visible.
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

ZERO_WIDTH_JOINERS = frozenset("\u200c\u200d")
# U+1F3F4 WAVING BLACK FLAG followed by tag characters U+E0020-U+E007F spells a subdivision flag.
TAG_CHARACTERS = range(0xE0020, 0xE0080)

# A str.translate table that deletes "!" to "~", the printable ASCII characters other than space.
# None of them is invisible or whitespace, so the functions below look only at what is left, which
# for most typed text is a few spaces.
_WITHOUT_PRINTABLE_ASCII = dict.fromkeys(range(0x21, 0x7F))

# An extended grapheme cluster (Unicode UAX #29), what a reader sees as one character: a family emoji
# of seven code points, a flag of two, a letter with its combining accents. The standard library's
# `re` has no \X, the `regex` module implements it.
_GRAPHEME_CLUSTER = regex.compile(r"\X")


def is_invisible(character: str) -> bool:
    """Return whether one character is a format or control character, or one that renders blank.

    Whitespace controls such as tab and newline are not invisible, because they separate words.
    """
    if " " <= character <= "~":
        return False
    category = unicodedata.category(character)
    if category == "Cc":
        return not character.isspace()
    return category == "Cf" or character in BLANK_CHARACTERS


def has_invisible(text: str) -> bool:
    """Return whether `text` contains an invisible character."""
    return any(map(is_invisible, text.translate(_WITHOUT_PRINTABLE_ASCII)))


def remove_invisible(text: str) -> str:
    """Return `text` without its invisible characters."""
    if not has_invisible(text):
        return text
    return "".join(character for character in text if not is_invisible(character))


def visible_length(text: str) -> int:
    """Return the number of characters in `text` that are neither invisible nor whitespace."""
    rest = text.translate(_WITHOUT_PRINTABLE_ASCII)
    hidden = sum(1 for character in rest if character.isspace() or is_invisible(character))
    return len(text) - hidden


def perceived_length(text: str) -> int:
    """Return the number of user-perceived characters (extended grapheme clusters) in `text`.

    A cluster counts when one of its code points is neither invisible, whitespace nor a combining
    mark, so a family emoji counts 1, and a right-to-left mark, a space or an accent with no letter
    under it counts 0. A lone surrogate counts as one character.
    """
    return sum(1 for cluster in _GRAPHEME_CLUSTER.findall(text) if _has_base(cluster))


def _has_base(cluster: str) -> bool:
    # A combining mark at the start of the text or after a space forms a cluster of its own, which
    # shows as a floating accent (or a dotted circle) with nothing under it.
    return any(not (character.isspace() or is_invisible(character) or unicodedata.category(character)[0] == "M")
               for character in cluster)


def display_text(text: str) -> str:
    """Return `text` as shown in a post: invisible characters removed, whitespace runs made one space, trimmed.

    Two kinds of format character stay, because visible text needs them. A zero-width joiner or
    non-joiner between two visible characters builds emoji sequences (woman, U+200D, laptop) and
    shapes Persian and Indic words. Tag characters right after U+1F3F4 WAVING BLACK FLAG or another
    tag spell subdivision flags such as Scotland's. Every bidi control goes, balanced or not, so a
    name cannot reverse the text after it.
    """
    words = " ".join(text.split())
    if not has_invisible(words):
        return words
    shown: list[str] = []
    for index, character in enumerate(words):
        if _keeps_format_character(words, index, shown) or not is_invisible(character):
            shown.append(character)
    return " ".join("".join(shown).split())


def shorten(text: str, max_chars: int) -> str:
    """Return `text` cleaned as `display_text` does and cut to `max_chars` characters, "…" included.

    Longer text keeps its first `max_chars - 1` characters, less a joiner left dangling by the cut.
    """
    cleaned = display_text(text)
    if len(cleaned) > max_chars:
        cleaned = display_text(cleaned[: max_chars - 1]) + "…"
    return cleaned


def _keeps_format_character(text: str, index: int, shown: list[str]) -> bool:
    character = text[index]
    previous = shown[-1] if shown else ""
    if character in ZERO_WIDTH_JOINERS:
        following = text[index + 1] if index + 1 < len(text) else ""
        return _is_visible(previous) and _is_visible(following)
    if ord(character) in TAG_CHARACTERS:
        return previous == "\U0001f3f4" or (previous != "" and ord(previous) in TAG_CHARACTERS)
    return False


def _is_visible(character: str) -> bool:
    return character != "" and not character.isspace() and not is_invisible(character)
