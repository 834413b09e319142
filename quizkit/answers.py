"""Answer normalisation and matching, choice options, and question codes.

`normalise` turns what a participant typed into the form that is compared: "  Sì! " and "si" both
become "si", and so does "si" with a zero-width space after it. `is_correct` matches a raw answer
against a question's accepted answers, and `match_option` finds the option of a choice question that
a typed answer names. A question code is two letters and the question number
("KX4"). Codes travel as Telegram deep-link payloads, so they use only the characters that a payload
allows.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence

from quizkit._text import is_invisible, remove_invisible
from quizkit.errors import InvalidQuestion
from quizkit.limits import ACCEPTED_ANSWER_MAX_CHARS, OPTION_MAX_CHARS, OPTIONS_MAX, OPTIONS_MIN

__all__ = [
    "CODE_LETTERS",
    "KINDS",
    "RESERVED_CODES",
    "generate_code",
    "is_correct",
    "match_option",
    "normalise",
    "normalise_code_input",
    "parse_number",
    "validate_answers",
    "validate_code",
    "validate_options",
]

# Question kinds that the engine can match: free text, a number with a tolerance, one of the options.
KINDS = ("text", "number", "choice")

# Characters trimmed around an answer, with the typographic quotes that phone keyboards insert.
_SURROUNDING = "/,.!?;:'\"‘’‚‛“”„«»`´ "

# Letters for generated codes, without look-alikes: B/8, G/6, I/L/1, O/Q/0, S/5, Z/2.
CODE_LETTERS = "ACDEFHJKMNPRTUVWXY"

# A Telegram deep-link payload (`/start PAYLOAD`) allows 1 to 64 of these characters.
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Deep-link payloads with another meaning, so no question may use them as its code.
RESERVED_CODES = frozenset({"register"})

_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_TOLERANCE = re.compile(r"(?P<value>[^±]+?)\s*(?:±|\+-|\+/-)\s*(?P<tolerance>.+)")


def normalise(text: str) -> str:
    """Return `text` in the form used to compare answers.

    Case-folds, strips accents (NFKD, then drops combining marks), drops invisible characters (format
    and control characters such as U+200B, U+00AD, U+202E and U+0007, but not tab or newline),
    writes Unicode decimal digits as ASCII ("٤٢" as "42"), collapses runs of whitespace to one space
    and trims whitespace and /,.!?;:'" (typographic quotes included) around the text. An answer that
    is empty after this is no answer.
    """
    # NFKD runs before and after case-folding, because it maps some characters without a case
    # mapping to letters that have one ("𝑨" to "A"), and case-folding can compose others.
    folded = unicodedata.normalize("NFKD", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    visible = "".join(_ascii_digit(ch) for ch in decomposed if not unicodedata.combining(ch) and not is_invisible(ch))
    collapsed = " ".join(visible.split())
    return collapsed.strip(_SURROUNDING)


def _ascii_digit(character: str) -> str:
    return str(unicodedata.decimal(character)) if character.isdecimal() else character


def parse_number(text: str) -> float | None:
    """Return the number written in `text`, or None when it is not one number.

    Accepts a comma or a dot as the decimal separator ("3,14", "3.14") and no thousands separators,
    because "1,000" would be ambiguous between Italian and English readers. Digits may be any Unicode
    decimal digits ("٤٢", "４２"), and invisible characters are ignored.
    """
    candidate = remove_invisible(text).strip().strip("!?;:'\"«» ")
    if candidate.endswith(".") and _NUMBER.fullmatch(candidate[:-1]):
        candidate = candidate[:-1]

    if not _NUMBER.fullmatch(candidate):
        return None
    return float(candidate.replace(",", "."))


def _accepted_number(accepted: str) -> tuple[float, float] | None:
    """Split an accepted numeric answer such as "3.14 ± 0.01" into value and tolerance."""
    match = _TOLERANCE.fullmatch(accepted.strip())
    if match is None:
        value = parse_number(accepted)
        return None if value is None else (value, 0.0)

    value = parse_number(match["value"])
    tolerance = parse_number(match["tolerance"])
    if value is None or tolerance is None:
        return None
    return value, abs(tolerance)


def is_correct(raw: str, accepted: Sequence[str], kind: str = "text") -> bool:
    """Return whether the raw answer matches one of the accepted answers.

    For kind "text" the normalised forms must be equal. For kind "number" the answer must be a number
    within the tolerance of an accepted value, written "42" (exact) or "3.14 ± 0.01" (also "+-").
    """
    return answer_matcher(accepted, kind)(raw)


def answer_matcher(accepted: Sequence[str], kind: str = "text") -> Callable[[str], bool]:
    """Return `is_correct` for these accepted answers as a function of the raw answer.

    The accepted answers are normalised or parsed once, which matters when a question closes with
    thousands of answers.
    """
    if kind == "number":
        expected = list(filter(None, map(_accepted_number, accepted)))
        return lambda raw: _number_matches(raw, expected)

    normalised = {normalise(item) for item in accepted} - {""}
    return lambda raw: normalise(raw) in normalised


def _number_matches(raw: str, expected: list[tuple[float, float]]) -> bool:
    value = parse_number(raw)
    if value is None:
        return False
    return any(math.isclose(value, centre, abs_tol=tolerance + 1e-9) for centre, tolerance in expected)


def match_option(text: str, options: Sequence[str]) -> int | None:
    """Return the index of the option that `text` names, or None.

    The option's text (normalised) matches first, then its number counted from 1, so with the
    options "3", "1" and "2" the text "1" names the second option.
    """
    answer = normalise(text)
    if not answer:
        return None
    for index, option in enumerate(options):
        if normalise(option) == answer:
            return index
    # The length check keeps int() away from huge digit strings.
    if answer.isdecimal() and len(answer) <= 3 and 1 <= int(answer) <= len(options):
        return int(answer) - 1
    return None


def validate_options(options: Sequence[str] | None, kind: str, question_label: str) -> tuple[str, ...]:
    """Return the options of a choice question as a tuple, stripped, or raise InvalidQuestion.

    A choice question needs OPTIONS_MIN to OPTIONS_MAX distinct options; other kinds take none.
    """
    items = () if options is None else ((options,) if isinstance(options, str) else tuple(options))
    if kind != "choice":
        if items:
            raise InvalidQuestion(
                f"{question_label} is of kind {kind!r}, which takes no options; pass kind='choice' "
                f"to show them as buttons, or leave options out."
            )
        return ()

    if not OPTIONS_MIN <= len(items) <= OPTIONS_MAX:
        raise InvalidQuestion(
            f"{question_label} has {len(items)} options; a choice question needs {OPTIONS_MIN} to {OPTIONS_MAX}, "
            f"e.g. options=['Milano', 'Roma', 'Napoli']."
        )
    seen: dict[str, str] = {}
    cleaned = []
    for item in items:
        if not isinstance(item, str) or normalise(item) == "":
            raise InvalidQuestion(
                f"Option {item!r} of {question_label} is empty or not text; give each option as a non-empty string."
            )
        if len(item.strip()) > OPTION_MAX_CHARS:
            raise InvalidQuestion(
                f"Option {item.strip()[:20]!r}... of {question_label} has {len(item.strip())} characters, more than "
                f"the {OPTION_MAX_CHARS} that fit on a button; shorten it."
            )
        key = normalise(item)
        if key in seen:
            raise InvalidQuestion(
                f"Options {seen[key]!r} and {item!r} of {question_label} read the same once case, accents and "
                f"punctuation are ignored, so participants could not tell them apart; make them differ."
            )
        seen[key] = item
        cleaned.append(item.strip())
    return tuple(cleaned)


def validate_answers(
    answers: Sequence[str], kind: str, question_label: str, options: Sequence[str] = ()
) -> tuple[str, ...]:
    """Return the accepted answers as a tuple, stripped, or raise InvalidQuestion.

    A single string counts as one answer, so `answers="Roma"` means ["Roma"], not its letters. For a
    choice question each accepted answer must be one of `options` (by text or number), and is
    returned as that option's text.
    """
    if kind not in KINDS:
        raise InvalidQuestion(
            f"Question kind {kind!r} is not supported for {question_label}; use one of: {', '.join(KINDS)}."
        )

    items = (answers,) if isinstance(answers, str) else tuple(answers)
    cleaned = []
    for item in items:
        if not isinstance(item, str) or normalise(item) == "":
            raise InvalidQuestion(
                f"Accepted answer {item!r} of {question_label} is empty or not text; "
                f"give each answer as a non-empty string, e.g. ['Roma', 'Rome']."
            )
        if len(item.strip()) > ACCEPTED_ANSWER_MAX_CHARS:
            raise InvalidQuestion(
                f"Accepted answer of {question_label} has {len(item.strip())} characters, more than the "
                f"{ACCEPTED_ANSWER_MAX_CHARS} that fit in the channel posts that show it; shorten it."
            )
        if kind == "number" and _accepted_number(item) is None:
            raise InvalidQuestion(
                f"Accepted answer {item!r} of {question_label} is not a number; "
                f"write it as '42' or '3.14 ± 0.01'."
            )
        if kind == "choice":
            cleaned.append(_accepted_option(item, options, question_label))
            continue
        cleaned.append(item.strip())
    return tuple(cleaned)


def _accepted_option(item: str, options: Sequence[str], question_label: str) -> str:
    index = match_option(item, options)
    if index is None:
        listed = ", ".join(repr(option) for option in options)
        raise InvalidQuestion(
            f"Accepted answer {item!r} of {question_label} is none of its options ({listed}); "
            f"give the text or the number (from 1) of the right option."
        )
    return options[index]


def validate_code(code: str) -> str:
    """Return the custom question code stripped of whitespace, or raise InvalidQuestion."""
    stripped = code.strip() if isinstance(code, str) else code
    if not isinstance(stripped, str) or not _PAYLOAD.fullmatch(stripped):
        raise InvalidQuestion(
            f"Question code {code!r} is invalid: a code is 1 to 64 characters from A-Z, a-z, 0-9, "
            f"underscore and hyphen, because it travels as a Telegram deep-link payload."
        )
    if stripped.casefold() in RESERVED_CODES:
        raise InvalidQuestion(
            f"Question code {code!r} is reserved because '/start {stripped}' has another meaning; "
            f"choose another code."
        )
    return stripped


def generate_code(number: int, codes_in_use: Collection[str], rng: random.Random | None = None) -> str:
    """Return a new code of two random letters and the question number, e.g. "KX4".

    The new code differs from every code in `codes_in_use`, ignoring case as code look-ups do.
    """
    chooser = rng or random.SystemRandom()
    in_use = {item.upper() for item in codes_in_use}
    for _ in range(1000):
        code = f"{chooser.choice(CODE_LETTERS)}{chooser.choice(CODE_LETTERS)}{number}"
        if code not in in_use:
            return code
    raise InvalidQuestion(
        f"No free code for question {number}: every two-letter code is taken; give a custom code."
    )


def normalise_code_input(text: str) -> str:
    """Return a typed code in the form used for look-ups: no spaces or punctuation around, upper case.

    "kx 4" and "#KX4." both become "KX4", and so does "KX4" with a zero-width space after it.
    """
    joined = "".join(remove_invisible(text).split())
    trimmed = re.sub(r"^[^A-Za-z0-9_-]+|[^A-Za-z0-9_-]+$", "", joined)
    return trimmed.upper()
