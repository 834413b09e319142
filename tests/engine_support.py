"""Fixtures and helpers for the engine tests: a settable clock, a fresh store and a chat driver.

Test modules import the fixtures they use (`from tests.engine_support import chat, quiz, ...`).
Every store is a real SQLite file under pytest's tmp_path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from quizkit.engine import Engine
from quizkit.model import Incoming, MessageKind, Reply, Sender
from quizkit.store import Store

START = datetime(2024, 10, 14, 18, 0, tzinfo=timezone.utc)
CHANNEL_ID = -1001
GROUP_ID = -1002000000001
BOT_USERNAME = "quizkit_bot"

ANNA = Sender(user_id=101, first_name="Anna", last_name="Rossi", username="anna", language_code="en")
BRUNO = Sender(user_id=102, first_name="Bruno", language_code="en-GB")
CARLA = Sender(user_id=103, first_name="Carla", language_code="it")
DARIO = Sender(user_id=104, first_name="Dario", language_code="it-IT")
ELENA = Sender(user_id=105, first_name="Elena", language_code=None)


@dataclass
class FakeClock:
    """A clock for the engine that moves only when a test calls `advance`."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Chat:
    """Sends messages to an engine the way Telegram delivers them: rising update_ids, private chats
    unless a test uses `send_in_group`."""

    engine: Engine
    clock: FakeClock
    next_update_id: int = 1000
    sent: list[Incoming] = field(default_factory=list)

    def incoming(
        self,
        user: Sender,
        text: str | None,
        kind: MessageKind = MessageKind.TEXT,
        update_id: int | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> Incoming:
        if update_id is None:
            update_id = self.next_update_id
            self.next_update_id += 1
        return Incoming(
            update_id=update_id,
            chat_id=user.user_id if chat_id is None else chat_id,
            sender=user,
            kind=kind,
            text=text,
            sent_at=self.clock.now,
            received_at=self.clock.now,
            chat_type=chat_type,
        )

    def send(
        self,
        user: Sender,
        text: str | None,
        kind: MessageKind = MessageKind.TEXT,
        update_id: int | None = None,
    ) -> str:
        """Send one message and return the text of the single reply."""
        incoming = self.incoming(user, text, kind, update_id)
        self.sent.append(incoming)
        replies = self.engine.handle(incoming)
        assert len(replies) == 1, replies
        assert replies[0].chat_id == user.user_id
        assert replies[0].parse_mode == "HTML"
        return replies[0].text

    def send_in_group(
        self,
        user: Sender,
        text: str | None,
        kind: MessageKind = MessageKind.TEXT,
        chat_type: str = "supergroup",
    ) -> list[Reply]:
        """Send one message to the group GROUP_ID and return every reply, which may be none."""
        incoming = self.incoming(user, text, kind, chat_id=GROUP_ID, chat_type=chat_type)
        self.sent.append(incoming)
        replies = self.engine.handle(incoming)
        for reply in replies:
            assert reply.chat_id == GROUP_ID
            assert reply.parse_mode == "HTML"
        return replies

    def answer(self, user: Sender, code: str, text: str) -> str:
        """Select a question with its deep link, then send the answer; return the answer's reply."""
        self.send(user, f"/start {code}")
        return self.send(user, text)


def make_engine(store: Store, clock: FakeClock, language: str = "en", name: str = "codeweek") -> Engine:
    """Create an event with two draft questions: 1 (code KX1, Roma or Rome) and 2 (code HT2, 42)."""
    engine = Engine.create_event(
        store, name=name, language=language, channel_id=CHANNEL_ID, bot_username=BOT_USERNAME, clock=clock
    )
    engine.add_question(text="Capital of Italy?", answers=["Roma", "Rome"], code="KX1")
    engine.add_question(text="Six times seven?", answers=["42"], code="HT2")
    return engine


def outbox_rows(store: Store, event_id: int) -> list[tuple[str, str, str, str]]:
    """Return (action, purpose, status, text) of every outbox row of the event, oldest first."""
    return [
        (record.item.action, record.item.purpose, record.status, record.item.text)
        for record in store.outbox_records(event_id)
    ]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "quiz.db")
    yield opened
    opened.close()


@pytest.fixture
def quiz(store, clock) -> Engine:
    """An English event with questions 1 (KX1) and 2 (HT2), both drafts."""
    return make_engine(store, clock)


@pytest.fixture
def quiz_it(store, clock) -> Engine:
    """The same questions in an Italian event named "codeweek-it"."""
    return make_engine(store, clock, language="it", name="codeweek-it")


@pytest.fixture
def chat(quiz, clock) -> Chat:
    return Chat(quiz, clock)


@pytest.fixture
def chat_it(quiz_it, clock) -> Chat:
    return Chat(quiz_it, clock)


HELP_EN = (
    "<b>How to play</b>\n"
    "When a question appears on the channel, tap its link or send me its code (for example <b>KX4</b>), "
    "then send your answer in a message. Only your first answer counts, and the fastest correct answers win.\n\n"
    "/register – playing as a team? Register its name and how many you are\n"
    "/stats – the top 10 so far\n"
    "/reset – start over (your answers are kept)\n"
    "/help – this message"
)

HELP_IT = (
    "<b>Come si gioca</b>\n"
    "Quando sul canale compare una domanda, tocca il suo link o scrivimi il suo codice (per esempio <b>KX4</b>), "
    "poi mandami la risposta in un messaggio. Vale solo la prima risposta e vince chi risponde giusto più in fretta.\n\n"
    "/register – giocate in squadra? Registra il nome e quanti siete\n"
    "/stats – i primi 10 della classifica\n"
    "/reset – ricomincia da capo (le risposte già date restano)\n"
    "/help – questo messaggio"
)
