"""Records of a quiz: events, questions, participants, answers and results.

These dataclasses are the vocabulary shared by the engine, the store, the bot and the notebook. They
carry no behaviour beyond small derived properties, and nothing here imports python-telegram-bot.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from quizkit._text import display_text


class QuestionState(str, enum.Enum):
    """Lifecycle of a question: draft, then open, then closed."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class MessageKind(str, enum.Enum):
    """Kind of content an incoming update carries, as far as the quiz rules care."""

    TEXT = "text"
    STICKER = "sticker"
    PHOTO = "photo"
    EDITED = "edited"
    CALLBACK = "callback"
    OTHER = "other"


@dataclass(frozen=True)
class Event:
    """A named run of questions posting to one channel, with its settings.

    `podium_size` is how many correct answers the results post lists. With `scoring`, the bot shows
    speed scores and ranks the leaderboard by them; with `leaderboard` off, participants see no
    standings and the leaderboard cannot be posted.
    """

    id: int
    name: str
    language: str
    channel_id: int | None
    bot_username: str
    created_at: datetime
    podium_size: int = 3
    scoring: bool = False
    leaderboard: bool = True


@dataclass(frozen=True)
class Question:
    """One question of an event, with its accepted answers and lifecycle timestamps.

    `options` are the buttons of a choice question, empty for other kinds. A question with
    `time_limit_s` gets `deadline_at` when it opens, and the server closes it then.
    """

    id: int
    event_id: int
    number: int
    code: str
    kind: str
    text: str
    answers: tuple[str, ...]
    state: QuestionState
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    announcement_message_id: int | None = None
    options: tuple[str, ...] = ()
    time_limit_s: float | None = None
    deadline_at: datetime | None = None


@dataclass(frozen=True)
class Sender:
    """The Telegram user behind an update; only `user_id` and `first_name` are always present."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One update reduced to what the quiz rules need.

    `sent_at` is Telegram's message date; `received_at` is when our server received the update.
    `chat_type` is Telegram's chat.type: "private", "group", "supergroup" or "channel". The quiz
    runs only in private chats.

    A tap on an inline button has kind CALLBACK, `callback_query_id`, `callback_data` (None for a
    button without data) and `message_id`, the message that carries the keyboard (None when
    Telegram did not send it). A callback query has no date of its own, so its `sent_at` is
    `received_at`.
    """

    update_id: int
    chat_id: int
    sender: Sender
    kind: MessageKind
    text: str | None
    sent_at: datetime
    received_at: datetime
    chat_type: str = "private"
    callback_query_id: str | None = None
    callback_data: str | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class InlineButton:
    """A button of an inline keyboard that sends `data` (1 to 64 bytes) back in a callback query."""

    text: str
    data: str


@dataclass(frozen=True)
class Reply:
    """A message to send to the chat that sent the update; `text` is HTML.

    `keyboard` contains the rows of an inline keyboard shown under the message, empty for none.
    """

    chat_id: int
    text: str
    parse_mode: str = "HTML"
    keyboard: tuple[tuple[InlineButton, ...], ...] = ()


@dataclass(frozen=True)
class CallbackAnswer:
    """The answerCallbackQuery call for a tap: a notification, or an alert with `show_alert`.

    `text` is plain text of at most 200 characters, or None to only stop the client's progress
    indicator. `chat_id` is the chat of the tapped message, so transports keep a chat's calls in order.
    """

    chat_id: int
    callback_query_id: str
    text: str | None = None
    show_alert: bool = False


# What the engine returns for an update: messages to its chat, or the answer to a tap.
Outgoing = Reply | CallbackAnswer


@dataclass(frozen=True)
class Participant:
    """A Telegram user who talked to the bot; team leaders also have a team name and head count."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    team_name: str | None = None
    head_count: int = 1

    @property
    def display_name(self) -> str:
        """The team name, else the full name, else @username, else "#<user_id>", as shown in posts.

        Names lose their invisible characters, bidi controls included (see `quizkit._text`), so a
        name cannot reverse the rest of a post. Telegram always sends a first name, but it may be
        empty or invisible, and the fallbacks keep "None" or a blank name out of every post.
        """
        team_name = display_text(self.team_name or "")
        if team_name:
            return team_name
        full_name = display_text(" ".join(part for part in (self.first_name, self.last_name) if part))
        if full_name:
            return full_name
        if self.username:
            return f"@{self.username}"
        return f"#{self.user_id}"


@dataclass(frozen=True)
class Answer:
    """The first answer of a participant to a question; `correct`, `rank` and `score` are set on close.

    For a choice question, `raw_text` is the chosen option's text, whether it was tapped, typed or
    given by its number.
    """

    question_id: int
    user_id: int
    update_id: int
    raw_text: str
    normalised: str
    sent_at: datetime
    received_at: datetime
    late: bool = False
    correct: bool | None = None
    rank: int | None = None
    score: int | None = None


@dataclass(frozen=True)
class PodiumEntry:
    """One of the first correct answers of a closed question, with its speed score (0 to 1000)."""

    rank: int
    user_id: int
    display_name: str
    delay_s: float
    score: int = 0


@dataclass(frozen=True)
class QuestionResult:
    """Totals and podium of a question, as posted to the channel when it closes."""

    question: Question
    answers: int
    people_reached: int
    correct: int
    podium: tuple[PodiumEntry, ...] = field(default_factory=tuple)

    @property
    def percent_correct(self) -> float:
        """Return the share of correct answers in percent, 0.0 when nobody answered."""
        if self.answers == 0:
            return 0.0
        return 100.0 * self.correct / self.answers


@dataclass(frozen=True)
class LeaderboardRow:
    """One participant's standing: correct in-time answers, cumulative delay in seconds and total score."""

    position: int
    user_id: int
    display_name: str
    correct: int
    delay_s: float
    score: int = 0


@dataclass(frozen=True)
class OutboxItem:
    """A call waiting to be sent: `send` posts `text`, `edit` changes a message's text.

    An edit changes `target_message_id` in `chat_id` when it is set (a message in a private chat),
    and otherwise the question's announcement in the channel.
    """

    id: int
    event_id: int
    question_id: int | None
    action: str
    purpose: str
    chat_id: int
    text: str
    attempts: int = 0
    target_message_id: int | None = None
