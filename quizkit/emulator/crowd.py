"""A simulated crowd that plays an event's participants against the Bot API emulator.

    crowd = Crowd(emulator, token, profile="classroom", seed=7, time_scale=0.05)
    crowd.register()                          # every team registers
    crowd.play_question(0, "IY1")             # in-time answers and noise for question 1
    crowd.play_late(0, "IY1")                 # the late answers, after the host closed it
    assert crowd.counters["answers_sent"] == crowd.expected[0]["answers"]

The crowd injects updates through `emulator.send_text` and `emulator.send_update`, which deliver
them to the bot as Telegram would. Each phase runs in the caller's thread: one scheduler sleeps
until the next batch of steps is due and sends it, so a second of a busy question costs one thread,
not one per participant. When sending falls behind the plan, the steps go out as fast as the
emulator takes them and `timings` records the lag.

Pacing at time_scale 1.0: registrations take `profile.registration_s` seconds, each question
`profile.question_s` and each late phase `profile.late_s`; for codeweek2016 that is 8 + 14 x 3.2 s,
about 53 s. Other scales stretch or compress every window alike.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from quizkit.emulator.plan import (
    COUNTER_NAMES,
    Action,
    CodeForm,
    CrowdPlan,
    PlannedTeam,
    QuestionPlan,
    Step,
    build_plan,
)
from quizkit.emulator.profiles import PROFILES, Profile, ProfileQuestion, scale_profile
from quizkit.emulator.updates import SimUser, edited_message, photo_message, sticker_message, text_message

__all__ = ["PROFILES", "Crowd", "PhaseTiming", "ProfileQuestion"]

logger = logging.getLogger("quizkit.emulator.crowd")


class UpdateSink(Protocol):
    """The part of `Emulator` that the crowd uses."""

    def send_text(self, token: str, user: SimUser, text: str) -> int: ...

    def send_update(self, token: str, payload: dict[str, Any]) -> int: ...

    def messages(self, chat_id: int) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class PhaseTiming:
    """Statistics of one played phase: updates sent, wall-clock duration and the worst lag behind the plan.

    `first_second` counts the updates sent in the first second of the phase, and `peak_per_s` is the
    highest count in any 100 ms slot of the phase, times ten.
    """

    phase: str
    updates: int
    window_s: float
    duration_s: float
    max_lag_s: float
    first_second: int
    peak_per_s: int


class Crowd:
    """The participants of one event profile, playing registrations, answers and noise on request.

    `profile` is a name from `PROFILES` or a `Profile`. `participants` scales the profile to that
    many participants. The same `seed` gives the same users, plan and texts. `time_scale` stretches
    (> 1) or compresses (< 1) every window.

    What the tests and the rehearsal check against:

    - `expected[i]`: planned numbers of question i: answers (late included), in_time, late, correct,
      correct_in_time, people_reached (head counts of all who answer) and people_reached_in_time;
    - `totals`: participants, active_participants, registrations, head_count_sum, questions,
      answers and late;
    - `counters`: what was sent so far, by kind (see `plan.COUNTER_NAMES`);
    - `timings`: one `PhaseTiming` per phase played.

    Not thread-safe: call one phase at a time, from one thread. Only `cancel()` may be called from
    another thread: it ends the running phase early and skips later ones until `resume()`.
    """

    def __init__(
        self,
        emulator: UpdateSink,
        token: str,
        profile: str | Profile = "codeweek2016",
        participants: int | None = None,
        seed: int = 2016,
        time_scale: float = 1.0,
    ) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be a positive number, got {time_scale!r}.")

        self.profile = _resolve_profile(profile, participants)
        self.seed = seed
        self.time_scale = time_scale
        self.plan: CrowdPlan = build_plan(self.profile, seed)
        self.users: list[SimUser] = list(self.plan.users)
        self.questions: list[ProfileQuestion] = list(self.profile.questions)
        self.teams: list[PlannedTeam] = list(self.plan.teams)
        self.expected: list[dict[str, int]] = [dict(question.expected) for question in self.plan.questions]
        self.totals: dict[str, int] = dict(self.plan.totals)
        self.counters: dict[str, int] = dict.fromkeys(COUNTER_NAMES, 0)
        self.timings: list[PhaseTiming] = []

        self._emulator = emulator
        self._token = token
        self._played: set[str] = set()
        # Messages each user sent, to work out the message_id of an answer that is edited later.
        self._messages_sent = [0] * len(self.users)
        self._answer_ids: dict[int, int] = {}
        self._edited_users: set[int] = set()
        self._cancelled = threading.Event()

    def register(self, duration_s: float | None = None) -> None:
        """Play every registration conversation, spread over `duration_s` (default: the profile's) times the scale."""
        window_s = self._window(duration_s, self.profile.registration_s)
        self._play("registration", self.plan.registration, window_s, code="")

    def play_question(self, index: int, code: str, duration_s: float | None = None) -> None:
        """Send the in-time answers and the noise of question `index` (0-based), whose code is `code`.

        Blocks until the window of `duration_s` (default: the profile's) times the scale has passed, so
        the host can close the question as soon as this returns.
        """
        question = self._question_plan(index)
        window_s = self._window(duration_s, self.profile.question_s)
        self._play(f"question {index + 1}", question.steps, window_s, code)

    def play_late(self, index: int, code: str) -> None:
        """Send the late answers of question `index`; call it after the host closed the question."""
        question = self._question_plan(index)
        window_s = self._window(None, self.profile.late_s)
        self._play(f"late {index + 1}", question.late_steps, window_s, code)

    def cancel(self) -> None:
        """End the phase playing now, leaving its remaining updates unsent; safe from any thread.

        A cancelled phase counts as played. Until `resume()`, every phase ends at once, unsent.
        """
        self._cancelled.set()

    def resume(self) -> None:
        """Let phases play again after `cancel()`."""
        self._cancelled.clear()

    def _question_plan(self, index: int) -> QuestionPlan:
        if not 0 <= index < len(self.plan.questions):
            raise IndexError(
                f"Question index {index} is out of range; profile {self.profile.name!r} has "
                f"{len(self.plan.questions)} questions, indexed from 0."
            )
        return self.plan.questions[index]

    def _window(self, duration_s: float | None, default_s: float) -> float:
        if duration_s is not None and duration_s < 0:
            raise ValueError(f"duration_s must be zero or positive, got {duration_s!r}.")
        return (default_s if duration_s is None else duration_s) * self.time_scale

    def _play(self, phase: str, steps: tuple[Step, ...], window_s: float, code: str) -> None:
        """Send `steps` at their planned times within `window_s`, then wait for the window to end."""
        if phase in self._played:
            raise RuntimeError(
                f"The crowd already played {phase}; playing it twice would send every answer again. "
                f"Create a new Crowd to replay the event."
            )
        self._played.add(phase)
        self._edited_users = {step.user for step in steps if step.action is Action.EDIT}

        started = time.perf_counter()
        max_lag_s = 0.0
        per_slot: dict[int, int] = {}
        position = 0
        while position < len(steps) and not self._cancelled.is_set():
            elapsed = time.perf_counter() - started
            due = steps[position].at * window_s
            if due > elapsed:
                self._cancelled.wait(due - elapsed)
                continue

            max_lag_s = max(max_lag_s, elapsed - due)
            batch_start = position
            while position < len(steps) and steps[position].at * window_s <= elapsed:
                self._send(steps[position], code)
                position += 1
            slot = int((time.perf_counter() - started) * 10)
            per_slot[slot] = per_slot.get(slot, 0) + position - batch_start

        remaining = window_s - (time.perf_counter() - started)
        if remaining > 0:
            self._cancelled.wait(remaining)

        duration_s = time.perf_counter() - started
        first_second = sum(count for slot, count in per_slot.items() if slot < 10)
        peak_per_s = 10 * max(per_slot.values(), default=0)
        timing = PhaseTiming(phase, len(steps), window_s, duration_s, max_lag_s, first_second, peak_per_s)
        self.timings.append(timing)
        logger.info(
            "Crowd played %s: %d updates in %.2f s (window %.2f s, peak %d updates/s, max lag %.3f s)",
            phase, timing.updates, timing.duration_s, window_s, peak_per_s, max_lag_s,
        )

    def _send(self, step: Step, code: str) -> None:
        user = self.users[step.user]
        action = step.action
        if action is Action.TEXT:
            self._emulator.send_text(self._token, user, step.text)
        elif action is Action.SELECT:
            self._emulator.send_text(self._token, user, _code_text(step.text, code))
        elif action is Action.ANSWER:
            self._send_answer(step, user)
        elif action is Action.UNKNOWN_CODE:
            self._emulator.send_text(self._token, user, _code_text(step.text, _unknown_code(code)))
        elif action is Action.STICKER:
            self._emulator.send_update(self._token, sticker_message(user, emoji=step.text))
        elif action is Action.PHOTO:
            self._emulator.send_update(self._token, photo_message(user, step.text or None))
        elif action is Action.EDIT:
            self._send_edit(step, user)

        if action is not Action.EDIT:
            self._messages_sent[step.user] += 1
        self.counters["updates_sent"] += 1
        for name in step.counters:
            self.counters[name] += 1

    def _send_answer(self, step: Step, user: SimUser) -> None:
        if step.user not in self._edited_users:
            self._emulator.send_text(self._token, user, step.text)
            return

        # The emulator numbers a chat's messages in one sequence for both sides and returns only the
        # update_id, so the next id is this user's messages plus the bot's messages in the chat, plus one.
        # NOTE: a bot message stored between this count and the send below takes the same id. Quizkit
        # never looks up a participant's message by id, so only the realism of the edit suffers.
        bot_messages = self._emulator.messages(user.user_id)
        highest_bot_id = max((message["message_id"] for message in bot_messages), default=0)
        message_id = max(self._messages_sent[step.user] + len(bot_messages), highest_bot_id) + 1
        self._answer_ids[step.user] = message_id
        self._emulator.send_update(self._token, text_message(user, step.text, message_id=message_id))

    def _send_edit(self, step: Step, user: SimUser) -> None:
        message_id = self._answer_ids[step.user]
        self._emulator.send_update(self._token, edited_message(user, message_id, step.text))


def _resolve_profile(profile: str | Profile, participants: int | None) -> Profile:
    if isinstance(profile, Profile):
        resolved = profile
    elif profile in PROFILES:
        resolved = PROFILES[profile]
    else:
        raise ValueError(f"Unknown crowd profile {profile!r}; choose one of: {', '.join(sorted(PROFILES))}.")

    if participants is None:
        return resolved
    return scale_profile(resolved, participants)


def _code_text(form: str, code: str) -> str:
    """Return what a participant types to select `code` in the given `CodeForm`."""
    if form == CodeForm.DEEP_LINK:
        return f"/start {code}"
    if form == CodeForm.LOWERCASE:
        return f"/start {code.lower()}"
    if form == CodeForm.BARE:
        return code
    return code.lower()


def _unknown_code(code: str) -> str:
    # Question numbers start at 1, so the code's letters followed by 0 never name a question.
    return code.rstrip("0123456789") + "0"
