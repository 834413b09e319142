"""The timed plan of a simulated crowd: which participant sends which update, and when.

`build_plan(profile, seed)` turns a profile into users, teams and, per phase, a list of steps sorted
by time. A step's time is a fraction of its phase's window (0 <= at < 1), so the same plan plays at
any speed. Question codes are known only when the host opens a question, so selection steps store
the form the participant types ("/start IY4", "/start iy4", "IY4") and the crowd fills in the code.

The plan keeps the counted answers exact whatever noise it adds:

- each participant's counted answer is the first text after their `/start CODE`;
- `/help` and unknown codes come before the selection, stickers and photos between the selection
  and the answer, repeats and edits after the answer;
- a bare code is typed only by a participant who has never selected a question, because a text sent
  while a question is selected is an answer to that question.
"""

from __future__ import annotations

import enum
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from quizkit.answers import is_correct, normalise
from quizkit.emulator.people import fit_head_counts, make_team_names, make_users
from quizkit.emulator.profiles import NoiseRates, Profile, ProfileQuestion
from quizkit.emulator.updates import SimUser

__all__ = ["COUNTER_NAMES", "Action", "CodeForm", "CrowdPlan", "PlannedTeam", "QuestionPlan", "Step", "build_plan"]

# Steps of one participant never end later than this fraction of the window, so a question's
# in-time answers all arrive before the host closes it at the end of the window.
_LAST_STEP_AT = 0.985
_STICKER_EMOJI = ("👍", "😂", "🤔", "❤️", "🙈", "🎉")
_SHORT_TEAM_NAMES = ("3A", "A", "5B", "ok", "Q")
_INVALID_HEAD_COUNTS = ("tanti", "0", "500")
_CANCEL_WORDS = ("no", "No", "annulla", "no grazie")
_YES_WORDS = {
    "it": ("sì", "si", "Sì", "Si", "ok", "Ok", "certo", "Sì!"),
    "en": ("yes", "Yes", "ok", "sure", "y"),
}
# Participants whose language the bot does not speak get the event's language, Italian or English,
# and "ok" is a yes-word in both.
_YES_WORDS_ANY_LANGUAGE = ("ok", "Ok", "OK")


class Action(str, enum.Enum):
    """Kind of update a step sends. `Step.text` contains the text, the selection form or the sticker emoji."""

    TEXT = "text"
    ANSWER = "answer"
    SELECT = "select"
    UNKNOWN_CODE = "unknown_code"
    STICKER = "sticker"
    PHOTO = "photo"
    EDIT = "edit"


class CodeForm(str, enum.Enum):
    """Form in which a participant sends a question code: through the deep link, or typed by hand."""

    DEEP_LINK = "deep_link"
    LOWERCASE = "lowercase"
    BARE = "bare"
    BARE_LOWERCASE = "bare_lowercase"


@dataclass(frozen=True, slots=True)
class Step:
    """One update that user `user` (an index into the plan's users) sends at fraction `at` of the window.

    `counters` names the crowd counters that the step increments besides `updates_sent`.
    """

    at: float
    user: int
    action: Action
    text: str = ""
    counters: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedTeam:
    """A team that a participant registers: its name and head count."""

    user_id: int
    name: str
    head_count: int


@dataclass(frozen=True)
class QuestionPlan:
    """The steps of one question: in-time answers with their noise, and late answers after it closes."""

    steps: tuple[Step, ...]
    late_steps: tuple[Step, ...]
    expected: dict[str, int]


@dataclass(frozen=True)
class CrowdPlan:
    """Users, teams and the steps of every phase, all derived from one profile and one seed."""

    users: tuple[SimUser, ...]
    head_counts: tuple[int, ...]
    teams: tuple[PlannedTeam, ...]
    registration: tuple[Step, ...]
    questions: tuple[QuestionPlan, ...]
    totals: dict[str, int]


def build_plan(profile: Profile, seed: int) -> CrowdPlan:
    """Return the whole plan of `profile`; the same profile and seed always give an equal plan."""
    participants = profile.participants
    users = make_users(_stream(seed, "users"), participants)

    team_rng = _stream(seed, "teams")
    team_members = sorted(team_rng.sample(range(participants), profile.teams))
    individuals = participants - profile.teams
    team_head_counts = fit_head_counts(team_rng, profile.teams, profile.head_count_sum - individuals)
    team_names = make_team_names(team_rng, profile.teams)

    head_counts = [1] * participants
    for member, head_count in zip(team_members, team_head_counts):
        head_counts[member] = head_count
    teams = tuple(
        PlannedTeam(users[member].user_id, name, head_count)
        for member, name, head_count in zip(team_members, team_names, team_head_counts)
    )

    registration = _plan_registration(
        _stream(seed, "registration"), profile.noise, users, team_members, team_names, head_counts
    )
    answerers = _assign_answerers(_stream(seed, "answerers"), profile)

    have_selected: set[int] = set()
    questions = []
    for index, (in_time, late) in enumerate(answerers):
        question_rng = _stream(seed, f"question/{index}")
        questions.append(
            _plan_question(question_rng, profile, index, in_time, late, head_counts, have_selected)
        )

    active = {step.user for step in registration}
    for question in questions:
        active.update(step.user for step in question.steps + question.late_steps)
    totals = {
        "participants": participants,
        "active_participants": len(active),
        "registrations": profile.teams,
        "head_count_sum": sum(head_counts),
        "questions": len(profile.questions),
        "answers": sum(question.expected["answers"] for question in questions),
        "late": sum(question.expected["late"] for question in questions),
    }
    return CrowdPlan(tuple(users), tuple(head_counts), teams, registration, tuple(questions), totals)


def _stream(seed: int, label: str) -> random.Random:
    # One generator per part of the plan, so that changing one part's draws leaves the others alone.
    # String seeds are hashed with SHA-512, so they give the same stream in every process.
    return random.Random(f"{seed}/{label}")


def _plan_registration(
    rng: random.Random,
    noise: NoiseRates,
    users: list[SimUser],
    team_members: list[int],
    team_names: list[str],
    head_counts: list[int],
) -> tuple[Step, ...]:
    """Plan every team's registration conversation, plus help requests and cancelled registrations.

    A few participants make a mistake first (a team name of one or two characters, a head count of
    "tanti", "0" or "500") and then send the valid value, so the registered head counts stay exact.
    """
    steps: list[Step] = []
    for member, name in zip(team_members, team_names):
        command = "/start register" if rng.random() < noise.start_register else "/register"
        chain = [(Action.TEXT, command, ())]
        chain.append((Action.TEXT, _yes_word(rng, users[member].language_code), ()))
        if rng.random() < noise.short_team_name:
            chain.append((Action.TEXT, rng.choice(_SHORT_TEAM_NAMES), _MISTAKE))
        chain.append((Action.TEXT, name, ()))
        if rng.random() < noise.invalid_head_count:
            chain.append((Action.TEXT, rng.choice(_INVALID_HEAD_COUNTS), _MISTAKE))
        chain.append((Action.TEXT, str(head_counts[member]), ("registrations",)))
        steps.extend(_place_chain(rng, member, rng.uniform(0.0, 0.75), chain))

    members = set(team_members)
    for user in range(len(users)):
        if user in members:
            continue
        roll = rng.random()
        if roll < 0.10:
            chain = [(Action.TEXT, "/start", _HELP)]
        elif roll < 0.13:
            chain = [(Action.TEXT, "/help", _HELP)]
        elif roll < 0.15:
            chain = [(Action.TEXT, "/register", _NOISE), (Action.TEXT, rng.choice(_CANCEL_WORDS), _CANCELLED)]
        else:
            continue
        steps.extend(_place_chain(rng, user, rng.uniform(0.0, 0.9), chain))
    return _sorted(steps)


def _yes_word(rng: random.Random, language_code: str | None) -> str:
    language = (language_code or "")[:2]
    return rng.choice(_YES_WORDS.get(language, _YES_WORDS_ANY_LANGUAGE))


def _assign_answerers(rng: random.Random, profile: Profile) -> list[tuple[list[int], list[int]]]:
    """Choose who answers each question in time and who late, weighted by each participant's engagement.

    Every participant answers at least once when the profile has enough answers for that.
    """
    participants = profile.participants
    engagement = [0.15 + rng.random() ** 0.5 for _ in range(participants)]
    everyone = range(participants)

    answerers = []
    for answers, late in zip(profile.answers, profile.late):
        in_time = _weighted_sample(rng, everyone, engagement, answers - late)
        chosen = set(in_time)
        others = [user for user in everyone if user not in chosen]
        late_users = _weighted_sample(rng, others, engagement, late)
        answerers.append((in_time, late_users))

    _cover_everyone(rng, answerers, participants)
    return answerers


def _weighted_sample(rng: random.Random, population: Sequence[int], weights: list[float], count: int) -> list[int]:
    # Weighted sampling without replacement (Efraimidis and Spirakis, 2006): keep the `count`
    # largest keys u ** (1 / weight).
    keyed = [(rng.random() ** (1.0 / weights[user]), user) for user in population]
    keyed.sort(reverse=True)
    return [user for _, user in keyed[:count]]


def _cover_everyone(rng: random.Random, answerers: list[tuple[list[int], list[int]]], participants: int) -> None:
    """Swap participants without answers into in-time answers of participants who have several."""
    counts = [0] * participants
    for in_time, late in answerers:
        for user in (*in_time, *late):
            counts[user] += 1

    for user in range(participants):
        if counts[user]:
            continue
        for _ in range(100):
            in_time, late = answerers[rng.randrange(len(answerers))]
            replaceable = [position for position, other in enumerate(in_time) if counts[other] > 1]
            if not replaceable:
                continue
            position = rng.choice(replaceable)
            counts[in_time[position]] -= 1
            in_time[position] = user
            counts[user] += 1
            break


def _plan_question(
    rng: random.Random,
    profile: Profile,
    index: int,
    in_time: list[int],
    late: list[int],
    head_counts: list[int],
    have_selected: set[int],
) -> QuestionPlan:
    """Plan one question: in-time answers with noise over the window, then the late answers."""
    question = profile.questions[index]
    noise = profile.noise
    answering = [*in_time, *late]
    correct_count = round(profile.correct_shares[index] * len(answering))
    correct_users = set(rng.sample(answering, correct_count))

    steps: list[Step] = []
    for user in in_time:
        text = _answer_text(rng, question, user in correct_users)
        chain = _answer_chain(rng, question, noise, text, first_selection=user not in have_selected)
        steps.extend(_place_chain(rng, user, _draw_delay(rng), chain))
    have_selected.update(in_time)

    late_steps: list[Step] = []
    for user in late:
        text = _answer_text(rng, question, user in correct_users)
        form = CodeForm.LOWERCASE if rng.random() < noise.lowercase_code else CodeForm.DEEP_LINK
        chain = [(Action.SELECT, form.value, _SELECTION), (Action.ANSWER, text, _LATE_ANSWER)]
        late_steps.extend(_place_chain(rng, user, rng.uniform(0.0, 0.6), chain, gap=(0.05, 0.2)))
    have_selected.update(late)

    expected = {
        "answers": len(answering),
        "in_time": len(in_time),
        "late": len(late),
        "correct": len(correct_users),
        "correct_in_time": len(correct_users.intersection(in_time)),
        "people_reached": sum(head_counts[user] for user in answering),
        "people_reached_in_time": sum(head_counts[user] for user in in_time),
    }
    return QuestionPlan(_sorted(steps), _sorted(late_steps), expected)


def _answer_chain(
    rng: random.Random, question: ProfileQuestion, noise: NoiseRates, text: str, *, first_selection: bool
) -> list[tuple[Action, str, tuple[str, ...]]]:
    """Return one participant's updates for a question, in order, with the counted answer among them."""
    chain: list[tuple[Action, str, tuple[str, ...]]] = []
    if rng.random() < noise.help:
        chain.append((Action.TEXT, "/help", _HELP))
    if rng.random() < noise.unknown_code:
        form = CodeForm.BARE_LOWERCASE if first_selection and rng.random() < 0.5 else CodeForm.DEEP_LINK
        chain.append((Action.UNKNOWN_CODE, form.value, _UNKNOWN_CODE))

    chain.append((Action.SELECT, _code_form(rng, noise, first_selection).value, _SELECTION))
    roll = rng.random()
    if roll < noise.sticker:
        chain.append((Action.STICKER, rng.choice(_STICKER_EMOJI), _STICKER))
    elif roll < noise.sticker + noise.photo:
        chain.append((Action.PHOTO, rng.choice(("", "", "la risposta è qui")), _PHOTO))

    chain.append((Action.ANSWER, text, _ANSWER))
    if rng.random() < noise.edit:
        chain.append((Action.EDIT, _answer_text(rng, question, correct=True), _EDIT))
    if rng.random() < noise.repeat:
        repeat = text if rng.random() < 0.5 else _answer_text(rng, question, correct=rng.random() < 0.5)
        chain.append((Action.TEXT, repeat, _REPEAT))
    return chain


def _code_form(rng: random.Random, noise: NoiseRates, first_selection: bool) -> CodeForm:
    roll = rng.random()
    if first_selection and roll < noise.bare_code:
        return CodeForm.BARE if rng.random() < 0.6 else CodeForm.BARE_LOWERCASE
    if roll < noise.bare_code + noise.lowercase_code:
        return CodeForm.LOWERCASE
    return CodeForm.DEEP_LINK


def _draw_delay(rng: random.Random) -> float:
    """Return when a participant selects the question, as a fraction of the window.

    Most select within the first few percent (median 4%), the rest spread over the window.
    """
    if rng.random() < 0.85:
        return min(0.9, rng.lognormvariate(math.log(0.04), 0.8))
    return rng.uniform(0.12, 0.9)


def _gap(rng: random.Random, low: float = 0.01, high: float = 0.03) -> float:
    return rng.uniform(low, high)


def _place_chain(
    rng: random.Random,
    user: int,
    start: float,
    chain: list[tuple[Action, str, tuple[str, ...]]],
    *,
    gap: tuple[float, float] = (0.01, 0.03),
) -> list[Step]:
    """Return the chain's steps, one gap apart from `start`, moved earlier when they would end too late."""
    offsets = [0.0]
    for _ in chain[1:]:
        offsets.append(offsets[-1] + _gap(rng, *gap))
    start = max(0.0, min(start, _LAST_STEP_AT - offsets[-1]))
    return [Step(start + offset, user, action, text, counters) for offset, (action, text, counters) in zip(offsets, chain)]


def _sorted(steps: list[Step]) -> tuple[Step, ...]:
    # sort() is stable, so a participant's steps at the same time keep their chain order.
    steps.sort(key=lambda step: step.at)
    return tuple(steps)


def _answer_text(rng: random.Random, question: ProfileQuestion, correct: bool) -> str:
    """Return a typed answer: an accepted or wrong answer with realistic case, accents and punctuation."""
    for _ in range(20):
        if correct:
            base = question.answers[0] if rng.random() < 0.6 else rng.choice(question.answers)
        elif rng.random() < 0.15:
            base = _typo(rng, question.answers[0])
        else:
            base = rng.choice(question.wrong_answers)

        text = _vary(rng, base)
        if normalise(text) and is_correct(text, question.answers) == correct:
            return text
    raise ValueError(
        f"Cannot draw a {'correct' if correct else 'wrong'} answer for {question.text!r}; "
        f"check that its accepted and wrong answers differ after normalisation."
    )


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    position = rng.randrange(1, len(text) - 1)
    return text[:position] + text[position + 1:]


def _vary(rng: random.Random, text: str) -> str:
    """Return `text` as people type it: changed case, dropped accents, trailing punctuation, spaces."""
    roll = rng.random()
    if roll < 0.45:
        text = text.lower()
    elif roll < 0.60:
        text = text[:1].upper() + text[1:]
    elif roll < 0.70:
        text = text.upper()

    if not text.isascii():
        roll = rng.random()
        if roll < 0.40:
            text = _strip_accents(text)
        elif roll < 0.55 and not text[-1].isascii():
            # Italian keyboards without accented keys: "unità" becomes "unita'".
            text = _strip_accents(text) + "'"

    if rng.random() < 0.10:
        text += rng.choice(("!", ".", "?", "!!", "..."))
    if rng.random() < 0.05:
        text = f" {text} "
    return text


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


_NOISE = ("noise_sent",)
_HELP = ("noise_sent", "help")
_CANCELLED = ("noise_sent", "cancelled_registrations")
_MISTAKE = ("noise_sent", "registration_mistakes")
_UNKNOWN_CODE = ("noise_sent", "unknown_codes")
_STICKER = ("noise_sent", "stickers")
_PHOTO = ("noise_sent", "photos")
_EDIT = ("noise_sent", "edits")
_REPEAT = ("noise_sent", "repeats")
_SELECTION = ("selections_sent",)
_ANSWER = ("answers_sent",)
_LATE_ANSWER = ("answers_sent", "late_sent")

# Every counter a step can increment, plus updates_sent, which every step increments.
COUNTER_NAMES = (
    "updates_sent", "selections_sent", "answers_sent", "late_sent", "registrations", "noise_sent", "help",
    "cancelled_registrations", "registration_mistakes", "unknown_codes", "stickers", "photos", "edits", "repeats",
)
