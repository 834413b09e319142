"""The load generator's workload: codeweek2016-shaped updates, one chain of steps per participant.

`write_workload` turns the crowd plan of a profile into a tab-separated file that `load.lua` reads
in every wrk thread. Each line is one update of one participant, in the order that participant
sends them: registration first, then for each question the selection (`/start CODE`, a typed code),
the answer and the noise around it (help, unknown codes, stickers, photos, edits, repeats).

The update JSON is real Bot API JSON, built by the emulator's update builders. Three values change
per request and are left as placeholders, written as byte 0x01 followed by a letter:
`U` the user id (also the private chat id), `I` the update_id and `D` the date. Message ids are
fixed per step, so an edit refers to the message id of the answer it edits.

Late answers of the plan are left out, because every question stays open during a benchmark.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quizkit.emulator.crowd import _code_text, _unknown_code
from quizkit.emulator.plan import Action, CrowdPlan, Step, build_plan
from quizkit.emulator.profiles import PROFILES
from quizkit.emulator.updates import SimUser, edited_message, photo_message, sticker_message, text_message

# Values that cannot occur in a plan's updates, replaced by placeholders after json.dumps.
_USER_ID = 987_654_321_987
_UPDATE_ID = 987_654_321_986
_DATE = 987_654_321_985
_PLACEHOLDERS = {str(_USER_ID): "\x01U", str(_UPDATE_ID): "\x01I", str(_DATE): "\x01D"}

# What the server's reply to a stored first answer starts with, per event language (see the locales).
ANSWER_RECEIVED_MARKERS = ("Got it! Your answer", "Ricevuta! La tua risposta")


@dataclass(frozen=True)
class Workload:
    """A written workload file and what it contains."""

    path: Path
    participants: int
    steps: int
    answers: int


def write_workload(path: Path, codes: list[str], profile: str = "codeweek2016", seed: int = 2016) -> Workload:
    """Write the steps of `profile`'s plan to `path`, with the event's question `codes` filled in.

    Line format: `participant<TAB>kind<TAB>template`, where kind is `a` for a counted answer and `o`
    for anything else. The file is sorted by participant and, within one, in sending order.
    """
    plan = build_plan(PROFILES[profile], seed)
    if len(codes) != len(plan.questions):
        raise ValueError(
            f"Profile {profile!r} has {len(plan.questions)} questions but {len(codes)} codes were given; "
            "create the event with the profile's questions first."
        )

    chains = _chains(plan, codes)
    lines = []
    answers = 0
    for participant in sorted(chains):
        user = _placeholder_user(plan.users[participant])
        answer_message_id = 0
        for position, (step, code) in enumerate(chains[participant]):
            message_id = 2 * position + 1
            if step.action is Action.ANSWER:
                answer_message_id = message_id
                answers += 1
            payload = _payload(step, code, user, message_id, answer_message_id)
            kind = "a" if step.action is Action.ANSWER else "o"
            lines.append(f"{participant}\t{kind}\t{_template(payload)}")

    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Workload(path, len(chains), len(lines), answers)


def _chains(plan: CrowdPlan, codes: list[str]) -> dict[int, list[tuple[Step, str]]]:
    # Registration comes first and the questions follow in order, as in the event itself.
    chains: dict[int, list[tuple[Step, str]]] = defaultdict(list)
    for step in plan.registration:
        chains[step.user].append((step, ""))
    for question, code in zip(plan.questions, codes):
        for step in question.steps:
            chains[step.user].append((step, code))
    return chains


def _placeholder_user(user: SimUser) -> SimUser:
    return SimUser(_USER_ID, user.first_name, user.last_name, user.username, user.language_code)


def _payload(step: Step, code: str, user: SimUser, message_id: int, answer_message_id: int) -> dict[str, Any]:
    action = step.action
    if action is Action.SELECT:
        payload = text_message(user, _code_text(step.text, code), message_id=message_id, date=_DATE)
    elif action is Action.UNKNOWN_CODE:
        payload = text_message(user, _code_text(step.text, _unknown_code(code)), message_id=message_id, date=_DATE)
    elif action is Action.STICKER:
        payload = sticker_message(user, emoji=step.text, message_id=message_id, date=_DATE)
    elif action is Action.PHOTO:
        payload = photo_message(user, step.text or None, message_id=message_id, date=_DATE)
    elif action is Action.EDIT:
        payload = edited_message(user, answer_message_id, step.text, date=_DATE, edit_date=_DATE)
    else:
        payload = text_message(user, step.text, message_id=message_id, date=_DATE)
    return {"update_id": _UPDATE_ID, **payload}


def _template(payload: dict[str, Any]) -> str:
    # json.dumps escapes tabs and newlines inside strings, so a template is always one line.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    for value, placeholder in _PLACEHOLDERS.items():
        text = text.replace(value, placeholder)
    return text
