"""Event files: one event's settings and questions in TOML, for `quizkit serve`, `qr` and `doctor`.

    name = "codeweek"
    language = "it"                 # "it" or "en"
    channel = -1001234567890        # the channel's numeric id; optional
    bot_username = "quizkit_bot"    # optional; `quizkit qr` needs it before the first `serve`
    podium_size = 3                 # optional, 1 to 20
    scoring = false                 # optional; true ranks the leaderboard by speed-based points
    leaderboard = true              # optional; false posts no leaderboard and /stats shows none
    max_connections = 40            # optional, 1 to 100

    [[questions]]
    code = "IY1"                    # optional; generated when missing
    kind = "text"                   # "text" (default), "number" or "choice"
    text = "Capital of Italy?"
    answers = ["Roma", "Rome"]
    time_limit_s = 60               # optional, seconds

    [[questions]]
    kind = "number"
    text = "Six times seven?"
    answers = ["42"]
    tolerance = 0.5                 # number questions only

    [[questions]]
    kind = "choice"
    text = "Colour of the sky?"
    options = ["Red", "Blue", "Green"]
    answers = ["Blue"]

`load_event_file` reads and checks the whole file, and raises InvalidEventFile for the first
problem, naming the file, the key or question, and what to write instead. The bot token never
belongs in an event file, because such files get copied and shared; a `token` key is rejected.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quizkit._results import PODIUM_SIZE, PODIUM_SIZE_MAX
from quizkit.answers import normalise, validate_answers, validate_code
from quizkit.engine import MAX_QUESTION_CHARS
from quizkit.errors import InvalidEventFile, InvalidQuestion
from quizkit.limits import ACCEPTED_ANSWER_MAX_CHARS

__all__ = ["EventFile", "QuestionSpec", "load_event_file", "parse_event_file"]

LANGUAGES = ("it", "en")
QUESTION_KINDS = ("text", "number", "choice")
DEFAULT_PODIUM_SIZE = PODIUM_SIZE
MAX_PODIUM_SIZE = PODIUM_SIZE_MAX
# Telegram accepts 1 to 100 simultaneous webhook connections and uses 40 by default.
DEFAULT_MAX_CONNECTIONS = 40
MAX_CONNECTIONS = 100
# A day is longer than any question of a live event stays open.
MAX_TIME_LIMIT_S = 24 * 60 * 60
# Inline keyboards fit about this many buttons on a phone screen without scrolling.
MIN_OPTIONS = 2
MAX_OPTIONS = 10

_EVENT_KEYS = ("name", "language", "channel", "bot_username", "podium_size", "scoring", "leaderboard",
               "max_connections", "questions")
_QUESTION_KEYS = ("code", "kind", "text", "answers", "options", "time_limit_s", "tolerance")
_SECRET_KEYS = ("token", "bot_token")


@dataclass(frozen=True)
class QuestionSpec:
    """One question as the event file gives it; `number` is its position in the file, from 1."""

    number: int
    text: str
    kind: str = "text"
    code: str | None = None
    answers: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    time_limit_s: int | None = None
    tolerance: float | None = None

    def engine_answers(self) -> tuple[str, ...]:
        """Return the accepted answers as the engine matches them: "42 ± 0.5" for a number with tolerance."""
        if self.kind != "number" or not self.tolerance:
            return self.answers
        return tuple(f"{answer} ± {self.tolerance:g}" for answer in self.answers)


@dataclass(frozen=True)
class EventFile:
    """An event file's settings and questions."""

    path: Path
    name: str
    language: str
    questions: tuple[QuestionSpec, ...]
    channel_id: int | None = None
    bot_username: str | None = None
    podium_size: int = DEFAULT_PODIUM_SIZE
    scoring: bool = False
    leaderboard: bool = True
    max_connections: int = DEFAULT_MAX_CONNECTIONS


def load_event_file(path: str | Path) -> EventFile:
    """Read and check the event file at `path`; raise InvalidEventFile naming the problem and the fix."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidEventFile(f"Event file {str(path)!r} not found; check the path, or write one "
                               "as the README's section on going live shows.") from None
    except (IsADirectoryError, PermissionError) as error:
        raise InvalidEventFile(f"Event file {str(path)!r} cannot be read: {error.strerror}; "
                               "give the path of a readable .toml file.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidEventFile(f"{path}: line {line} is not valid UTF-8; save the file as UTF-8.") from None
    return parse_event_file(text, path)


def parse_event_file(text: str, path: str | Path = "<event file>") -> EventFile:
    """Check the TOML `text` of an event file; `path` only names the file in error messages."""
    path = Path(path)
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidEventFile(f"{path}: invalid TOML: {error}; fix the syntax there.") from None
    return _Checker(path).event(table)


class _Checker:
    """Checks one file's tables; every error names the file and where in it the problem is."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> InvalidEventFile:
        return InvalidEventFile(f"{self.path}: {where}: {problem}")

    def event(self, table: dict[str, Any]) -> EventFile:
        self.known_keys(table, _EVENT_KEYS, "top level")
        name = self.required_text(table, "name", "top level", 'name = "codeweek"')
        language = table.get("language")
        if language not in LANGUAGES:
            raise self.fail("key 'language'", f"{language!r} is not supported; write language = \"it\" "
                                              "or language = \"en\".")

        questions = table.get("questions")
        if not isinstance(questions, list) or not questions:
            raise self.fail("key 'questions'", "the event has no questions; add at least one [[questions]] "
                                               "table with text = \"...\".")
        specs = tuple(self.question(index + 1, item) for index, item in enumerate(questions))
        self.unique_codes(specs)

        return EventFile(
            path=self.path,
            name=name,
            language=language,
            questions=specs,
            channel_id=self.channel(table.get("channel")),
            bot_username=self.bot_username(table.get("bot_username")),
            podium_size=self.integer(table, "podium_size", "top level", DEFAULT_PODIUM_SIZE, 1, MAX_PODIUM_SIZE),
            scoring=self.boolean(table, "scoring", "top level", False),
            leaderboard=self.boolean(table, "leaderboard", "top level", True),
            max_connections=self.integer(table, "max_connections", "top level", DEFAULT_MAX_CONNECTIONS, 1,
                                         MAX_CONNECTIONS),
        )

    def known_keys(self, table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key in _SECRET_KEYS:
                raise self.fail(where, f"key {key!r} is not allowed: the bot token never goes in an event file, "
                                       "which gets copied and shared; delete the line and set the QUIZKIT_BOT_TOKEN "
                                       "environment variable or pass --token-file PATH instead.")
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.fail(where, f"key {key!r} is unknown; {hint}keys allowed here: "
                                       f"{', '.join(allowed)}.")

    def required_text(self, table: dict[str, Any], key: str, where: str, example: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"key {key!r} is missing or empty ({value!r}); write it as {example}.")
        return value.strip()

    def integer(self, table: dict[str, Any], key: str, where: str, default: int | None, low: int,
                high: int, example: int | None = None) -> int | None:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(where, f"{key} = {value!r} is invalid; write a whole number from {low} to {high}, "
                                   f"such as {key} = {example or default}.")
        return value

    def boolean(self, table: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(where, f"{key} = {value!r} is invalid; write {key} = true or {key} = false, "
                                   "without quotes.")
        return value

    def channel(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value >= 0:
            raise self.fail("key 'channel'", f"{value!r} is not a channel id; write the channel's numeric id, "
                                             "such as channel = -1001234567890 (bots such as @userinfobot "
                                             "show it when you forward them a post from the channel).")
        return value

    def bot_username(self, value: Any) -> str | None:
        if value is None:
            return None
        username = value.removeprefix("@") if isinstance(value, str) else ""
        if not (5 <= len(username) <= 32 and username.replace("_", "").isascii() and username.replace("_", "").isalnum()):
            raise self.fail("key 'bot_username'", f"{value!r} is not a Telegram username; write the bot's "
                                                  "username, 5 to 32 letters, digits and underscores, such as "
                                                  "bot_username = \"quizkit_bot\".")
        return username

    def question(self, number: int, table: Any) -> QuestionSpec:
        where = f"question {number}"
        if not isinstance(table, dict):
            raise self.fail(where, "is not a table; write each question as a [[questions]] table.")
        code = table.get("code")
        if code is not None:
            where = f"question {number} (code {code!r})"
        self.known_keys(table, _QUESTION_KEYS, where)

        kind = table.get("kind", "text")
        if kind not in QUESTION_KINDS:
            raise self.fail(where, f"kind = {kind!r} is not supported; write kind = \"text\", \"number\" "
                                   "or \"choice\".")
        text = self.required_text(table, "text", where, 'text = "Capital of Italy?"')
        if len(text) > MAX_QUESTION_CHARS:
            raise self.fail(where, f"the text has {len(text)} characters, more than the {MAX_QUESTION_CHARS} "
                                   "that fit in a channel post; shorten it.")

        options = self.options(table, kind, where)
        return QuestionSpec(
            number=number,
            text=text,
            kind=kind,
            code=self.code(code, where),
            answers=self.answers(table.get("answers", []), kind, options, where),
            options=options,
            time_limit_s=self.integer(table, "time_limit_s", where, None, 1, MAX_TIME_LIMIT_S, example=60),
            tolerance=self.tolerance(table, kind, where),
        )

    def code(self, code: Any, where: str) -> str | None:
        if code is None:
            return None
        try:
            return validate_code(code)
        except InvalidQuestion as error:
            raise self.fail(where, f"{error} Write it as code = \"IY1\", or delete the line to get a "
                                   "generated code.") from None

    def answers(self, answers: Any, kind: str, options: tuple[str, ...], where: str) -> tuple[str, ...]:
        if not isinstance(answers, list):
            raise self.fail(where, f"answers = {answers!r} is not a list; write answers = [\"Roma\", \"Rome\"], "
                                   "or answers = [] to give them when closing the question.")
        if kind != "choice":
            try:
                return validate_answers(answers, kind, where)
            except InvalidQuestion as error:
                raise self.fail(where, str(error)) from None

        for answer in answers:
            if not isinstance(answer, str) or len(answer.strip()) > ACCEPTED_ANSWER_MAX_CHARS:
                raise self.fail(where, f"answer {answer!r} is not text of at most {ACCEPTED_ANSWER_MAX_CHARS} "
                                       "characters; write one of the options.")
            if normalise(answer) not in {normalise(option) for option in options}:
                raise self.fail(where, f"answer {answer!r} is not one of the options {list(options)!r}; "
                                       "copy the correct option into answers.")
        return tuple(answer.strip() for answer in answers)

    def options(self, table: dict[str, Any], kind: str, where: str) -> tuple[str, ...]:
        options = table.get("options")
        if kind != "choice":
            if options is not None:
                raise self.fail(where, f"options are only for choice questions; delete the options line or "
                                       f"write kind = \"choice\" instead of {kind!r}.")
            return ()
        if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise self.fail(where, f"options = {options!r} is invalid; a choice question needs {MIN_OPTIONS} to "
                                   f"{MAX_OPTIONS} options, such as options = [\"Red\", \"Blue\", \"Green\"].")
        seen: set[str] = set()
        for option in options:
            if not isinstance(option, str) or not normalise(option) or len(option.strip()) > ACCEPTED_ANSWER_MAX_CHARS:
                raise self.fail(where, f"option {option!r} is invalid; write each option as text of 1 to "
                                       f"{ACCEPTED_ANSWER_MAX_CHARS} characters.")
            if normalise(option) in seen:
                raise self.fail(where, f"option {option!r} appears twice (ignoring case, accents and "
                                       "punctuation); make every option different.")
            seen.add(normalise(option))
        return tuple(option.strip() for option in options)

    def tolerance(self, table: dict[str, Any], kind: str, where: str) -> float | None:
        if "tolerance" not in table:
            return None
        value = table["tolerance"]
        if kind != "number":
            raise self.fail(where, f"tolerance is only for number questions; delete it or write "
                                   f"kind = \"number\" instead of {kind!r}.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise self.fail(where, f"tolerance = {value!r} is invalid; write a number of 0 or more, such as "
                                   "tolerance = 0.5.")
        for answer in table.get("answers", []):
            if isinstance(answer, str) and any(sign in answer for sign in ("±", "+-")):
                raise self.fail(where, f"answer {answer!r} has its own tolerance and tolerance = {value!r} is set "
                                       "too; keep one of them.")
        return float(value)

    def unique_codes(self, specs: tuple[QuestionSpec, ...]) -> None:
        first: dict[str, int] = {}
        for spec in specs:
            if spec.code is None:
                continue
            earlier = first.setdefault(spec.code.upper(), spec.number)
            if earlier != spec.number:
                raise self.fail(f"question {spec.number} (code {spec.code!r})",
                                f"the code is already used by question {earlier} (codes ignore case); "
                                "give each question its own code.")
