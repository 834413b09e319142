"""Choice questions: the inline keyboard under a question, and the taps on its buttons.

Each button carries `c:<event id>:<question id>:<option index>` as its callback data, at most 44
bytes with SQLite's 19-digit ids, within Telegram's 1 to 64. `Tap` handles one callback query inside the engine's
transaction and always returns exactly one `CallbackAnswer`, so the participant's client stops
its progress indicator:

- data the bot never sends (forged, or a button of another kind) gets an alert;
- a question of another event, or one no longer in the database (an old message), gets an alert;
- a draft question gets an alert, because its buttons are never shown before it opens;
- a second tap gets a notice with the first answer, which is the one that counts;
- a tap on an open question stores the answer like a text answer (ranked by update_id) and gets a
  notice; a tap after the close or the deadline is stored as late and gets an alert with the right
  option. Both also edit the tapped message to show the answer without the keyboard.

The edit goes through the outbox, because the webhook response can carry one method only, and that
one is answerCallbackQuery.

A redelivered tap (Telegram lost our first response) changes nothing and gets the same
answerCallbackQuery again, from the replies stored with its update (see `Engine.handle`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from quizkit._results import compute_result, is_late
from quizkit.answers import is_correct, normalise
from quizkit.locales import Texts, texts_for
from quizkit.model import Answer, CallbackAnswer, Event, Incoming, InlineButton, Question, QuestionState
from quizkit.store import Store

_DATA = re.compile(r"c:(?P<event>\d{1,19}):(?P<question>\d{1,19}):(?P<index>\d{1,2})")


def choice_keyboard(event: Event, question: Question, texts: Texts) -> tuple[tuple[InlineButton, ...], ...]:
    """Return one row per option of a choice question, with the button data that `Tap` reads."""
    return tuple(
        (InlineButton(texts.option_label(index, option), f"c:{event.id}:{question.id}:{index}"),)
        for index, option in enumerate(question.options)
    )


@dataclass(frozen=True)
class TapOutcome:
    """The answer to a tap, and the new text of the tapped message when the tap stored an answer."""

    answer: CallbackAnswer
    confirmation: str | None = None


class Tap:
    """One tap on an inline button, handled inside the engine's transaction."""

    def __init__(self, store: Store, event: Event, incoming: Incoming, now: datetime) -> None:
        self.store = store
        self.event = event
        self.incoming = incoming
        self.now = now
        self.texts = texts_for(incoming.sender.language_code, event.language)

    def outcome(self) -> TapOutcome:
        """Apply the tap's effects to the store and return the callback answer and message edit."""
        match = _DATA.fullmatch(self.incoming.callback_data or "")
        if match is None or self.incoming.chat_type != "private":
            return self._alert(self.texts.tap_invalid())
        if int(match["event"]) != self.event.id:
            return self._alert(self.texts.tap_outdated())

        question = self._question(int(match["question"]))
        if question is None:
            return self._alert(self.texts.tap_outdated())
        index = int(match["index"])
        if question.kind != "choice" or index >= len(question.options):
            return self._alert(self.texts.tap_invalid())
        if question.state is QuestionState.DRAFT:
            return self._alert(self.texts.tap_not_open())

        self.store.upsert_participant(self.event.id, self.incoming.sender, self.now)
        existing = self.store.answer(question.id, self.incoming.sender.user_id)
        if existing is not None:
            return self._notice(self.texts.tap_already_answered(question, existing.raw_text))
        return self._record(question, question.options[index])

    def _question(self, question_id: int) -> Question | None:
        for question in self.store.questions(self.event.id):
            if question.id == question_id:
                return question
        return None

    def _record(self, question: Question, option: str) -> TapOutcome:
        late = is_late(question, self.incoming.received_at)
        correct = is_correct(option, question.answers, question.kind) if late else None
        self.store.insert_answer(
            self.event.id,
            Answer(
                question_id=question.id,
                user_id=self.incoming.sender.user_id,
                update_id=self.incoming.update_id,
                raw_text=option,
                normalised=normalise(option),
                sent_at=self.incoming.sent_at,
                received_at=self.incoming.received_at,
                late=late,
                correct=correct,
                score=0 if late else None,
            ),
        )

        heading = self.texts.heading(question)
        if late:
            result = compute_result(self.store, question, self.event.podium_size)
            confirmation = f"{heading}\n\n{self.texts.late_answer(question, bool(correct), result)}"
            return TapOutcome(self._answer(self.texts.tap_late(question, bool(correct)), alert=True), confirmation)
        confirmation = f"{heading}\n\n{self.texts.answer_received(question, option)}"
        return TapOutcome(self._answer(self.texts.tap_received(option), alert=False), confirmation)

    def _alert(self, text: str) -> TapOutcome:
        return TapOutcome(self._answer(text, alert=True))

    def _notice(self, text: str) -> TapOutcome:
        return TapOutcome(self._answer(text, alert=False))

    def _answer(self, text: str, alert: bool) -> CallbackAnswer:
        return CallbackAnswer(
            chat_id=self.incoming.chat_id,
            callback_query_id=self.incoming.callback_query_id or "",
            text=text,
            show_alert=alert,
        )
