"""The participant's side of the quiz: commands, codes, answers and team registration.

`Turn` handles one incoming message inside the engine's transaction and returns the reply text. The
participant's place in the conversation (selected question, registration step) lives in the store,
so it survives a restart.

Precedence for a text message: a command first, then a pending registration step, then an answer
to the selected question, and otherwise the text is tried as a question code. A text of only
invisible characters counts as no text. A reply about a choice question carries its keyboard
(`Turn.keyboard`), and a typed answer to it must name one of its options.

The quiz runs only in private chats: `group_chat_reply` handles messages from groups and channels.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import replace
from datetime import datetime

from quizkit._results import compute_leaderboard, compute_result, is_late
from quizkit._taps import choice_keyboard
from quizkit._text import display_text, perceived_length, remove_invisible, visible_length
from quizkit.answers import is_correct, match_option, normalise, normalise_code_input
from quizkit.limits import (
    HEAD_COUNT_MAX,
    HEAD_COUNT_MIN,
    LEADERBOARD_TOP,
    TEAM_NAME_MAX_CHARS,
    TEAM_NAME_MAX_CODE_POINTS,
    TEAM_NAME_MIN_CHARS,
)
from quizkit.locales import LANGUAGES, texts_for
from quizkit.model import Answer, Event, Incoming, InlineButton, MessageKind, Question, QuestionState
from quizkit.store import Conversation, Store

# "/name", "/name@bot" and "/name argument"; Telegram commands use Latin letters, digits and "_".
_COMMAND = re.compile(r"/(?P<name>[A-Za-z0-9_]+)(?:@(?P<bot>[A-Za-z0-9_]+))?(?:\s+(?P<argument>.*))?", re.DOTALL)
# A whole number in any Unicode decimal digits ("12", "١٢", "１２"), as str.isdecimal accepts; not "²".
_INTEGER = re.compile(r"(?P<sign>[+-]?)(?P<digits>\d+)")

# Yes-words of every language confirm, so a participant whose phone is set to English can still
# answer "sì" to an Italian bot.
YES_WORDS = frozenset().union(*(texts.yes_words for texts in LANGUAGES.values()))

# The deep-link payload that starts a registration: https://t.me/<bot>?start=register
REGISTER_PAYLOAD = "register"

# Commands that a bare "/name" in a group may mean for this bot; other bare commands are for other bots.
BOT_COMMANDS = frozenset({"start", "help", "register", "stats", "reset"})

STEP_CONFIRM = "confirm"
STEP_TEAM_NAME = "team_name"
STEP_HEAD_COUNT = "head_count"


def parse_command(text: str, bot_username: str) -> tuple[str, str] | None:
    """Split "/start@bot KX4" into ("start", "KX4"); return None when the text is not a command.

    A command addressed to another bot keeps its "@name", so it is reported as unknown. Invisible
    characters are ignored, so a right-to-left mark before "/start" keeps it a command.
    """
    match = _COMMAND.fullmatch(remove_invisible(text).strip())
    if match is None:
        return None
    name = match["name"].lower()
    if match["bot"] and match["bot"].lower() != bot_username.lower():
        name = f"{name}@{match['bot']}"
    return name, (match["argument"] or "").strip()


def find_question_by_code(store: Store, event: Event, typed: str) -> Question | None:
    """Return the event's question whose code matches the typed text, ignoring case and spacing."""
    key = normalise_code_input(typed)
    if not key:
        return None
    return store.event_question_by_code(event.id, key)


class Turn:
    """One incoming message from one participant, handled inside the engine's transaction."""

    def __init__(
        self, store: Store, event: Event, incoming: Incoming, now: datetime, state: Conversation | None = None
    ) -> None:
        """Prepare the turn. `state` is the sender's stored conversation, read from the store when None."""
        self.store = store
        self.event = event
        self.incoming = incoming
        self.now = now
        self.user_id = incoming.sender.user_id
        self.texts = texts_for(incoming.sender.language_code, event.language)
        self.state = store.conversation(event.id, self.user_id) if state is None else state
        # The inline keyboard to show under the reply, set by the steps that ask for a choice.
        self.keyboard: tuple[tuple[InlineButton, ...], ...] = ()

    def reply(self) -> str:
        """Apply the message's effects to the store and return the reply text."""
        initial_state = self.state
        text = self._dispatch()
        if self.state != initial_state:
            self.store.set_conversation(self.event.id, self.user_id, self.state)
        return text

    def _dispatch(self) -> str:
        if self.incoming.kind is MessageKind.EDITED:
            return self.texts.edited_ignored()
        if self.incoming.kind is MessageKind.FORWARDED:
            # Someone else's text, such as a friend's answer, must not count as this participant's.
            return self.texts.forwarded_ignored()

        text = (self.incoming.text or "").strip()
        if self.incoming.kind is not MessageKind.TEXT or visible_length(text) == 0:
            return self._not_text()

        command = parse_command(text, self.event.bot_username)
        if command is not None:
            return self._command(*command)
        if self.state.registration_step is not None:
            return self._registration_step(text)
        if self.state.selected_question_id is not None:
            return self._answer_or_code(text)
        return self._select(text)

    # Commands

    def _command(self, name: str, argument: str) -> str:
        if name == "start":
            if not argument:
                return self.texts.help()
            if argument.lower() == REGISTER_PAYLOAD:
                return self._start_registration()
            return self._select(argument)
        if name == "help":
            return self.texts.help()
        if name == "register":
            return self._start_registration()
        if name == "reset":
            self.state = Conversation()
            return self.texts.reset_done()
        if name == "stats":
            if not self.event.leaderboard:
                return self.texts.leaderboard_off()
            rows = compute_leaderboard(self.store, self.event.id, LEADERBOARD_TOP, by_score=self.event.scoring)
            return self.texts.stats(rows, self.event.scoring)
        return self.texts.unknown_command(f"/{name}")

    # Questions and answers

    def _select(self, typed_code: str) -> str:
        question = find_question_by_code(self.store, self.event, typed_code)
        if question is None:
            return self.texts.unknown_code(typed_code)
        return self._select_question(question)

    def _select_question(self, question: Question) -> str:
        if question.state is QuestionState.DRAFT:
            return self.texts.question_not_open(question.code)

        # Selecting a question ends a registration in progress: the question is what the
        # participant came for, and /register starts the registration again.
        self.state = Conversation(selected_question_id=question.id)

        existing = self.store.answer(question.id, self.user_id)
        if existing is not None:
            return self.texts.already_answered(question, existing.raw_text.strip())
        self._offer_options(question)
        if is_late(question, self.now):
            return self.texts.closed_question_selected(question)
        return self.texts.question_selected(question, self._seconds_left(question))

    def _offer_options(self, question: Question) -> None:
        if question.kind == "choice":
            self.keyboard = choice_keyboard(self.event, question, self.texts)

    def _seconds_left(self, question: Question) -> float | None:
        if question.deadline_at is None:
            return None
        return max(1, math.ceil((question.deadline_at - self.now).total_seconds()))

    def _answer_or_code(self, text: str) -> str:
        question = self._selected_question()
        # Most texts sent here are first answers, so the INSERT comes first: it changes nothing when
        # the participant already answered, and only then is their first answer read.
        answer = self._new_answer(question, text)
        if answer is not None and self.store.insert_answer(self.event.id, answer):
            return self._answer_stored(question, answer, text)

        existing = self.store.answer(question.id, self.user_id)
        if existing is None:
            return self._not_an_answer(question, text)

        # After the first answer, a text that is another question's code moves on to that question.
        other = find_question_by_code(self.store, self.event, text)
        if other is not None and other.id != question.id:
            return self._select_question(other)
        return self.texts.already_answered(question, existing.raw_text.strip())

    def _new_answer(self, question: Question, text: str) -> Answer | None:
        """Return the answer that `text` gives to `question`, or None when it is no valid answer."""
        normalised = normalise(text)
        if not normalised:
            return None
        raw_text = self.incoming.text or text
        if question.kind == "choice":
            index = match_option(text, question.options)
            if index is None:
                return None
            raw_text = text = question.options[index]
            normalised = normalise(text)

        # NOTE: after a close, lateness follows the question's state when the update is handled, so an
        # answer that reached the server just before the close but was handled after it is late. A
        # deadline is compared with received_at instead.
        late = is_late(question, self.incoming.received_at)
        correct = is_correct(text, question.answers, question.kind) if late else None
        return Answer(
            question_id=question.id,
            user_id=self.user_id,
            update_id=self.incoming.update_id,
            raw_text=raw_text,
            normalised=normalised,
            sent_at=self.incoming.sent_at,
            received_at=self.incoming.received_at,
            late=late,
            correct=correct,
            score=0 if late else None,
        )

    def _answer_stored(self, question: Question, answer: Answer, text: str) -> str:
        if answer.late:
            result = compute_result(self.store, question, self.event.podium_size)
            return self.texts.late_answer(question, bool(answer.correct), result)
        # A choice answer shows the option it chose, a typed answer the text as typed.
        return self.texts.answer_received(question, answer.raw_text if question.kind == "choice" else text)

    def _not_an_answer(self, question: Question, text: str) -> str:
        """Return the reply to a text that is empty once normalised, or that names no option of a choice question."""
        if question.kind == "choice" and normalise(text):
            self._offer_options(question)
            return self.texts.choose_option(question)
        return self.texts.send_text(question)

    def _selected_question(self) -> Question:
        question_id = self.state.selected_question_id
        cached = self.store.event_question(self.event.id, question_id)
        return cached if cached is not None else self.store.question_by_id(question_id)

    def _not_text(self) -> str:
        if self.state.registration_step is not None:
            return self._registration_prompt()
        if self.state.selected_question_id is not None:
            question = self._selected_question()
            if self.store.answer(question.id, self.user_id) is None:
                if question.kind == "choice":
                    self._offer_options(question)
                    return self.texts.choose_option(question)
                return self.texts.send_text(question)
        return self.texts.help()

    # Registration

    def _start_registration(self) -> str:
        self.state = replace(self.state, registration_step=STEP_CONFIRM, pending_team_name=None)
        return self.texts.registration_confirm()

    def _registration_prompt(self) -> str:
        step = self.state.registration_step
        if step == STEP_TEAM_NAME:
            return self.texts.registration_ask_team_name()
        if step == STEP_HEAD_COUNT:
            return self.texts.registration_ask_head_count(self.state.pending_team_name or "")
        return self.texts.registration_confirm()

    def _registration_step(self, text: str) -> str:
        # A question's code in the middle of a registration is a participant who scanned or typed the
        # code on screen: the question wins, as with /start CODE, and /register starts over.
        question = find_question_by_code(self.store, self.event, text)
        if question is not None and question.state is not QuestionState.DRAFT:
            return self._select_question(question)

        step = self.state.registration_step
        if step == STEP_CONFIRM:
            return self._confirm_registration(text)
        if step == STEP_TEAM_NAME:
            return self._accept_team_name(text)
        return self._accept_head_count(text)

    def _confirm_registration(self, text: str) -> str:
        if normalise(text) in YES_WORDS:
            self.state = replace(self.state, registration_step=STEP_TEAM_NAME)
            return self.texts.registration_ask_team_name()

        self.state = replace(self.state, registration_step=None, pending_team_name=None)
        return self.texts.registration_cancelled()

    def _accept_team_name(self, text: str) -> str:
        team_name = display_text(text)
        length = perceived_length(team_name)
        if length < TEAM_NAME_MIN_CHARS:
            return self.texts.registration_team_name_too_short()
        if length > TEAM_NAME_MAX_CHARS:
            return self.texts.registration_team_name_too_long()
        if len(team_name) > TEAM_NAME_MAX_CODE_POINTS:
            return self.texts.registration_team_name_too_many_code_points()

        self.state = replace(self.state, registration_step=STEP_HEAD_COUNT, pending_team_name=team_name)
        return self.texts.registration_ask_head_count(team_name)

    def _accept_head_count(self, text: str) -> str:
        match = _INTEGER.fullmatch(remove_invisible(text).strip())
        if match is None:
            return self.texts.registration_head_count_not_integer(text)

        # The length check drops leading zeros and runs before int(), which raises ValueError above
        # sys.get_int_max_str_digits() digits (4300 by default since Python 3.11).
        digits = "".join(str(unicodedata.decimal(digit)) for digit in match["digits"]).lstrip("0") or "0"
        if len(digits) > len(str(HEAD_COUNT_MAX)):
            return self.texts.registration_head_count_out_of_range(text)
        head_count = int(match["sign"] + digits)
        if not HEAD_COUNT_MIN <= head_count <= HEAD_COUNT_MAX:
            return self.texts.registration_head_count_out_of_range(text)

        team_name = self.state.pending_team_name
        if not team_name:
            self.state = replace(self.state, registration_step=STEP_TEAM_NAME)
            return self.texts.registration_ask_team_name()

        self.store.set_team(self.event.id, self.user_id, team_name, head_count)
        self.state = replace(self.state, registration_step=None, pending_team_name=None)
        return self.texts.registration_done(team_name, head_count)


def group_chat_reply(store: Store, event: Event, incoming: Incoming) -> str | None:
    """Return the reply to a message from a group, supergroup or channel, or None for no reply.

    The quiz runs only in private chats. A command for this bot gets a link to a private chat with
    it, passing on the question code or the registration. A command is for this bot when it is
    addressed to it ("/help@quizkit_bot") or bare and one of BOT_COMMANDS ("/start KX4"). Plain
    text, stickers, edits and other bots' commands get no reply, because they are the group's own
    conversation. Nothing is stored.
    """
    if incoming.kind is not MessageKind.TEXT or incoming.text is None:
        return None
    match = _COMMAND.fullmatch(remove_invisible(incoming.text).strip())
    if match is None:
        return None

    name = match["name"].lower()
    addressee = match["bot"]
    if addressee is not None and addressee.lower() != event.bot_username.lower():
        return None
    if addressee is None and name not in BOT_COMMANDS:
        return None

    payload = _private_chat_payload(store, event, name, (match["argument"] or "").strip())
    texts = texts_for(incoming.sender.language_code, event.language)
    return texts.private_chat_only(event.bot_username, payload)


def _private_chat_payload(store: Store, event: Event, command: str, argument: str) -> str | None:
    if command == "register" or (command == "start" and argument.lower() == REGISTER_PAYLOAD):
        return REGISTER_PAYLOAD
    if command != "start" or not argument:
        return None
    question = find_question_by_code(store, event, argument)
    return None if question is None else question.code
