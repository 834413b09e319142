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
    OTHER = "other"


@dataclass(frozen=True)
class Event:
    """A named run of questions posting to one channel."""

    id: int
    name: str
    language: str
    channel_id: int | None
    bot_username: str
    created_at: datetime


@dataclass(frozen=True)
class Question:
    """One question of an event, with its accepted answers and lifecycle timestamps."""

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
    """

    update_id: int
    chat_id: int
    sender: Sender
    kind: MessageKind
    text: str | None
    sent_at: datetime
    received_at: datetime
    chat_type: str = "private"


@dataclass(frozen=True)
class Reply:
    """A message to send to the chat that sent the update; `text` is HTML."""

    chat_id: int
    text: str
    parse_mode: str = "HTML"


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
    """The first answer of a participant to a question; `correct` and `rank` are set on close."""

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


@dataclass(frozen=True)
class PodiumEntry:
    """One of the first correct answers of a closed question."""

    rank: int
    user_id: int
    display_name: str
    delay_s: float


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
    """One participant's standing: correct in-time answers, then cumulative delay in seconds."""

    position: int
    user_id: int
    display_name: str
    correct: int
    delay_s: float


@dataclass(frozen=True)
class OutboxItem:
    """A channel call waiting to be sent: `send` posts `text`, `edit` edits the question's announcement."""

    id: int
    event_id: int
    question_id: int | None
    action: str
    purpose: str
    chat_id: int
    text: str
    attempts: int = 0
