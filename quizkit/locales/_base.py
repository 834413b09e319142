"""The interface that every language implements, and the formatting the languages share.

Every text is Telegram HTML: names, answers and question texts go through `escape`, so "<" or "&"
in a team name cannot break the markup. Participant text (answers, names, unrecognised codes) goes
through `quote`, which also shortens it, so no reply exceeds Telegram's 4096-character limit.

The answers to button taps (the `tap_*` texts) are plain text, not HTML, because answerCallbackQuery
shows its text as is; `plain_notice` keeps them within its 200 characters.
"""

from __future__ import annotations

import abc
import html
from collections.abc import Sequence

from quizkit._text import shorten
from quizkit.model import LeaderboardRow, PodiumEntry, Question, QuestionResult
from quizkit.qr import deep_link

MEDALS = ("🥇", "🥈", "🥉")
# Leaderboard lines after the podium get a bouquet instead of a medal.
BOUQUET = "💐"

# Maximum number of characters of participant text that a reply quotes back: an unrecognised
# input (code, command, head count) by default, more for an answer, which participants want to check.
MAX_QUOTED_CHARS = 40
MAX_QUOTED_ANSWER_CHARS = 200
# Fits every team name and a Telegram user's full name: tdlib's setName allows a first name of
# 1-64 characters and a last name of 0-64.
MAX_QUOTED_NAME_CHARS = 129
# answerCallbackQuery shows 0 to 200 characters of text (Bot API reference).
MAX_NOTICE_CHARS = 200


def escape(text: str) -> str:
    """Escape &, < and > for Telegram's HTML parse mode.

    Quotes stay as they are because no text goes into an attribute, so "d'Italia" reads as typed.
    """
    return html.escape(text, quote=False)


def quote(text: str, max_chars: int = MAX_QUOTED_CHARS) -> str:
    """Prepare participant text for a reply: clean it, shorten it to `max_chars` characters, escape it.

    Cleaning removes invisible characters and bidi controls and collapses whitespace (see
    `quizkit._text.display_text`). Longer text keeps its first `max_chars - 1` characters, less a
    joiner left dangling by the cut, and ends with "…".
    """
    return escape(shorten(text, max_chars))


def plain_notice(text: str) -> str:
    """Return `text` cut to MAX_NOTICE_CHARS characters, ending with "…" when cut, for answerCallbackQuery."""
    if len(text) <= MAX_NOTICE_CHARS:
        return text
    return text[: MAX_NOTICE_CHARS - 1] + "…"


def plural(count: int, one: str, many: str) -> str:
    """Return the count with the singular or plural noun: "1 answer", "2 answers"."""
    return f"{count} {one if count == 1 else many}"


def medal(position: int) -> str:
    """Return 🥇, 🥈 or 🥉 for positions 1 to 3 and 💐 after them."""
    return MEDALS[position - 1] if 1 <= position <= len(MEDALS) else BOUQUET


def private_chat_link(bot_username: str, payload: str | None) -> str:
    """Return the t.me link to a private chat with the bot, with `/start PAYLOAD` when one is given."""
    if payload:
        return deep_link(bot_username, payload)
    return f"https://t.me/{bot_username}"


class Texts(abc.ABC):
    """Participant-facing and channel texts in one language.

    `yes_words` are normalised forms (see `quizkit.answers.normalise`) that confirm a registration.
    """

    language: str
    decimal_separator: str
    yes_words: frozenset[str]
    # The word before a question's number in headings: "Question 3".
    question_word: str
    thousands_separator: str
    # The unit after a speed score: "pts".
    points_word: str

    def decimal(self, value: float) -> str:
        """Format a number with one decimal digit and the language's decimal separator."""
        return f"{value:.1f}".replace(".", self.decimal_separator)

    def percent(self, value: float) -> str:
        """Format a share in percent, rounded to a whole number: "68%"."""
        return f"{value:.0f}%"

    def seconds(self, value: float) -> str:
        """Format a delay in seconds: "12.3 s" or "12,3 s"."""
        return f"{self.decimal(value)} s"

    def duration(self, seconds: float) -> str:
        """Format a time limit: "45 s", "2 min", "90 s", "7,5 s"."""
        if seconds >= 60 and seconds % 60 == 0:
            return f"{seconds / 60:.0f} min"
        if seconds == int(seconds):
            return f"{seconds:.0f} s"
        return self.seconds(seconds)

    def heading(self, question: Question) -> str:
        """Return the bold heading and the text of a question."""
        return f"<b>{self.question_word} {question.number}</b>\n{escape(question.text)}"

    def options_block(self, question: Question) -> str:
        """Return the numbered options of a choice question after a blank line, or "" for other kinds."""
        if not question.options:
            return ""
        return "\n\n" + "\n".join(f"{index}. {escape(option)}" for index, option in enumerate(question.options, 1))

    def option_label(self, index: int, option: str) -> str:
        """Return the label of the button for option `index` (from 0): "2. Roma"."""
        return f"{index + 1}. {option}"

    def podium_lines(self, podium: Sequence[PodiumEntry], scoring: bool = False) -> list[str]:
        lines = []
        for entry in podium:
            detail = self.seconds(entry.delay_s)
            if scoring:
                detail = f"{detail} · {self.points(entry.score)}"
            lines.append(f"{medal(entry.rank)} {quote(entry.display_name, MAX_QUOTED_NAME_CHARS)} ({detail})")
        return lines

    def leaderboard_lines(self, rows: Sequence[LeaderboardRow], scoring: bool = False) -> list[str]:
        lines = []
        for row in rows:
            figures = f"{self.correct_count(row.correct)}, {self.seconds(row.delay_s)}"
            if scoring:
                figures = f"{self.points(row.score)}, {figures}"
            lines.append(f"{medal(row.position)} {quote(row.display_name, MAX_QUOTED_NAME_CHARS)}: {figures}")
        return lines

    def points(self, score: int) -> str:
        """Format a speed score with the language's thousands separator: "1,000 pts", "1.000 punti"."""
        grouped = f"{score:,}".replace(",", self.thousands_separator)
        return f"{grouped} {self.points_word}"

    # Channel posts

    @abc.abstractmethod
    def announcement(self, question: Question, bot_username: str) -> str:
        """Return the channel post that opens a question: number, text, code and deep link."""

    @abc.abstractmethod
    def count_line(self, count: int) -> str:
        """Return the line that live count edits append to the announcement."""

    @abc.abstractmethod
    def announcement_closed(self, question: Question, answers: int) -> str:
        """Return the announcement as edited on close, with the correct answer instead of how to answer."""

    @abc.abstractmethod
    def time_limit_line(self, seconds: float) -> str:
        """Return the announcement's line with a question's time limit."""

    @abc.abstractmethod
    def results(self, result: QuestionResult, scoring: bool = False) -> str:
        """Return the channel post with a closed question's totals and podium, with scores when `scoring`."""

    @abc.abstractmethod
    def leaderboard_post(self, rows: Sequence[LeaderboardRow], scoring: bool = False) -> str:
        """Return the channel post with the final leaderboard, with total scores when `scoring`."""

    @abc.abstractmethod
    def correct_count(self, count: int) -> str:
        """Return the number of correct answers for a leaderboard line: "5 correct"."""

    # Replies to participants

    @abc.abstractmethod
    def help(self) -> str:
        """Return how to play, and the commands."""

    @abc.abstractmethod
    def unknown_command(self, command: str) -> str:
        """Reply to a command the bot does not have, followed by the help."""

    @abc.abstractmethod
    def question_selected(self, question: Question, seconds_left: float | None = None) -> str:
        """Reply after selecting an open question: its text, a request for the answer and the time left."""

    @abc.abstractmethod
    def closed_question_selected(self, question: Question) -> str:
        """Reply after selecting a closed question: the answer will be late and not ranked."""

    @abc.abstractmethod
    def question_not_open(self, code: str) -> str:
        """Reply after selecting a question that is still a draft."""

    @abc.abstractmethod
    def unknown_code(self, text: str) -> str:
        """Reply to a code, or a text tried as a code, that matches no question."""

    @abc.abstractmethod
    def answer_received(self, question: Question, raw_answer: str) -> str:
        """Reply to an in-time answer; it does not say whether the answer is right."""

    @abc.abstractmethod
    def already_answered(self, question: Question, first_answer: str) -> str:
        """Reply to a later answer, showing the first one, which is the one that counts."""

    @abc.abstractmethod
    def send_text(self, question: Question) -> str:
        """Reply to a sticker, photo or empty answer while a question is selected."""

    @abc.abstractmethod
    def late_answer(self, question: Question, correct: bool, result: QuestionResult) -> str:
        """Reply to an answer to a closed question: right or wrong, and the % correct in time."""

    @abc.abstractmethod
    def stats(self, rows: Sequence[LeaderboardRow], scoring: bool = False) -> str:
        """Reply to /stats: the top of the leaderboard, or that there are no results yet."""

    @abc.abstractmethod
    def leaderboard_off(self) -> str:
        """Reply to /stats when the host turned the leaderboard off."""

    # Choice questions

    @abc.abstractmethod
    def choose_option(self, question: Question) -> str:
        """Reply to a text that names none of a choice question's options; the keyboard comes again."""

    @abc.abstractmethod
    def tap_received(self, option: str) -> str:
        """Plain notice for a tap that stored an in-time answer."""

    @abc.abstractmethod
    def tap_already_answered(self, question: Question, first_answer: str) -> str:
        """Plain notice for a tap after the participant's first answer to the question."""

    @abc.abstractmethod
    def tap_late(self, question: Question, correct: bool) -> str:
        """Plain alert for a tap after the question closed: right or wrong, and the right option."""

    @abc.abstractmethod
    def tap_not_open(self) -> str:
        """Plain alert for a tap on a question that is not open yet."""

    @abc.abstractmethod
    def tap_outdated(self) -> str:
        """Plain alert for a tap on a button of a question this event does not have (an old message)."""

    @abc.abstractmethod
    def tap_invalid(self) -> str:
        """Plain alert for a tap whose button data the bot never sent (a forged or broken button)."""

    @abc.abstractmethod
    def reset_done(self) -> str:
        """Reply to /reset."""

    @abc.abstractmethod
    def edited_ignored(self) -> str:
        """Reply to an edited message, which the quiz does not read."""

    @abc.abstractmethod
    def forwarded_ignored(self) -> str:
        """Reply to a forwarded message, which never counts as an answer or a code."""

    @abc.abstractmethod
    def private_chat_only(self, bot_username: str, payload: str | None) -> str:
        """Reply to a command for the bot in a group: the quiz runs only in private chats, with a link to one.

        `payload` is the question code or "register" that the link passes to `/start`, or None.
        """

    # Registration

    @abc.abstractmethod
    def registration_confirm(self) -> str:
        """Reply to /register, which requests a yes-word to go on."""

    @abc.abstractmethod
    def registration_ask_team_name(self) -> str:
        """Request for the team name."""

    @abc.abstractmethod
    def registration_team_name_too_short(self) -> str:
        """Reply to a team name shorter than TEAM_NAME_MIN_CHARS characters."""

    @abc.abstractmethod
    def registration_team_name_too_long(self) -> str:
        """Reply to a team name longer than TEAM_NAME_MAX_CHARS characters."""

    @abc.abstractmethod
    def registration_team_name_too_many_code_points(self) -> str:
        """Reply to a team name within TEAM_NAME_MAX_CHARS characters but over TEAM_NAME_MAX_CODE_POINTS code points."""

    @abc.abstractmethod
    def registration_ask_head_count(self, team_name: str) -> str:
        """Request for the number of people in the team."""

    @abc.abstractmethod
    def registration_head_count_not_integer(self, text: str) -> str:
        """Reply to a head count that is not a whole number."""

    @abc.abstractmethod
    def registration_head_count_out_of_range(self, text: str) -> str:
        """Reply to a head count outside HEAD_COUNT_MIN to HEAD_COUNT_MAX."""

    @abc.abstractmethod
    def registration_done(self, team_name: str, head_count: int) -> str:
        """Reply once the team is registered."""

    @abc.abstractmethod
    def registration_cancelled(self) -> str:
        """Reply to anything but a yes-word at the confirmation step."""
