"""A rehearsal: emulator, server, simulated crowd and a scripted host run a whole event locally."""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from quizkit.console import console_texts
from quizkit.emulator import Emulator
from quizkit.emulator.crowd import Crowd
from quizkit.engine import Engine
from quizkit.model import LeaderboardRow, QuestionResult
from quizkit.server import Server
from quizkit.store import OutboxRecord, Store

# The emulator accepts any token of Telegram's shape; this one only ever reaches 127.0.0.1.
REHEARSAL_TOKEN = "123456789:REHEARSALrehearsalREHEARSALrehears"
REHEARSAL_BOT = "quizkit_rehearsal_bot"
REHEARSAL_CHANNEL_ID = -1001000000001
DELIVERY_TIMEOUT_S = 120.0
TEXTS = console_texts()


@dataclass
class RehearsalOptions:
    """Settings of `quizkit rehearse`; the defaults reproduce the first real event in about a minute."""

    profile: str = "codeweek2016"
    participants: int | None = None
    time_scale: float = 1.0
    transport: str = "webhook"
    db_path: Path = Path("quizkit-rehearsal.db")
    seed: int = 2016
    language: str = "it"
    summary_json: Path | None = None
    progress: bool = True


@dataclass
class RehearsalSummary:
    """Figures of a finished rehearsal: what the crowd sent, the database stored and the channel shows."""

    event: str
    questions_closed: int
    answers_sent: int
    answers_stored: int
    updates_sent: int
    updates_acked: int
    podium_posts: int
    channel_messages: int
    duration_s: float
    peak_updates_per_s: int
    results: list[dict] = field(default_factory=list)
    leaderboard: list[dict] = field(default_factory=list)


def rehearse(options: RehearsalOptions, out: TextIO = sys.stdout) -> RehearsalSummary:
    """Run a whole event against the local emulator and return its summary."""
    began = time.monotonic()
    event_name = rehearsal_event_name(options.profile)
    store = Store(options.db_path)
    try:
        with rehearsal_emulator() as emulator:
            crowd = Crowd(emulator, REHEARSAL_TOKEN, profile=options.profile,
                          participants=options.participants, seed=options.seed, time_scale=options.time_scale)
            engine = create_rehearsal_event(store, event_name, crowd, options.language)

            server = Server(engine, REHEARSAL_TOKEN, api_url=emulator.base_url,
                            transport=options.transport, rate_limit=False)
            with server:
                print(TEXTS.started.format(event=event_name, participants=len(crowd.users),
                                           questions=len(crowd.questions), transport=options.transport,
                                           db=options.db_path), file=out)
                results = _play_event(server, engine, crowd, emulator, options, out)
                server.call(engine.post_leaderboard)
                _wait(emulator.wait_delivered(REHEARSAL_TOKEN, DELIVERY_TIMEOUT_S), "updates to be delivered")
                _wait(server.drain_outbox(DELIVERY_TIMEOUT_S), "channel posts to go out")
                leaderboard = server.call(engine.leaderboard, 10)
                answers_stored = sum(server.call(engine.answer_count, q.number) for q in engine.questions())
                peak = server.traffic.peak
                podium_posts = _count_podium_posts(emulator, server.call(engine.store.outbox_records, engine.event.id))
                channel_messages = len(emulator.messages(REHEARSAL_CHANNEL_ID))
            stats = emulator.stats(REHEARSAL_TOKEN)
    finally:
        store.close()

    summary = RehearsalSummary(
        event=event_name,
        questions_closed=len(results),
        answers_sent=crowd.counters["answers_sent"],
        answers_stored=answers_stored,
        updates_sent=crowd.counters["updates_sent"],
        updates_acked=stats["updates_delivered"],
        podium_posts=podium_posts,
        channel_messages=channel_messages,
        duration_s=round(time.monotonic() - began, 1),
        peak_updates_per_s=peak,
        results=[_result_record(result) for result in results],
        leaderboard=[asdict(row) for row in leaderboard],
    )
    _print_summary(summary, results, leaderboard, out)
    if options.summary_json is not None:
        options.summary_json.write_text(json.dumps(asdict(summary), indent=2, ensure_ascii=False) + "\n")
    return summary


def rehearsal_event_name(profile: str) -> str:
    """Return a new event name for a rehearsal of `profile`, such as "rehearsal-classroom-20261204-221500-3f2a"."""
    # The random suffix keeps two rehearsals started in the same second on one database apart.
    return f"rehearsal-{profile}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def rehearsal_emulator() -> Emulator:
    """Start an emulator that knows the rehearsal's bot and channel; stop it when done."""
    emulator = Emulator().start()
    emulator.add_bot(REHEARSAL_TOKEN, REHEARSAL_BOT)
    emulator.add_channel(REHEARSAL_TOKEN, REHEARSAL_CHANNEL_ID, "Quizkit rehearsal")
    return emulator


def create_rehearsal_event(store: Store, name: str, crowd: Crowd, language: str) -> Engine:
    """Create event `name` with the crowd profile's questions and accepted answers, posting to the rehearsal channel."""
    engine = Engine.create_event(store, name=name, language=language,
                                 channel_id=REHEARSAL_CHANNEL_ID, bot_username=REHEARSAL_BOT)
    for question in crowd.questions:
        engine.add_question(text=question.text, answers=list(question.answers))
    return engine


def _play_event(server, engine, crowd, emulator, options, out) -> list[QuestionResult]:
    crowd.register()
    _wait(emulator.wait_delivered(REHEARSAL_TOKEN, DELIVERY_TIMEOUT_S), "registrations to be delivered")

    results = []
    for index, question in enumerate(engine.questions()):
        planned = crowd.expected[index]["answers"]
        server.call(engine.open_question, question.number)
        with _Progress(server, engine, question, planned, enabled=options.progress):
            crowd.play_question(index, question.code)
            _wait(emulator.wait_delivered(REHEARSAL_TOKEN, DELIVERY_TIMEOUT_S), "answers to be delivered")
            results.append(server.call(engine.close_question, question.number))
            crowd.play_late(index, question.code)
            _wait(emulator.wait_delivered(REHEARSAL_TOKEN, DELIVERY_TIMEOUT_S), "late answers to be delivered")
    return results


class _Progress:
    """A progress bar of one question's stored answers, refreshed from a helper thread."""

    def __init__(self, server: Server, engine: Engine, question, planned: int, enabled: bool) -> None:
        self._server = server
        self._engine = engine
        self._number = question.number
        self._bar = tqdm(total=planned, desc=f"{TEXTS.table_header[0]}{question.number:>2} {question.code}", unit=TEXTS.answers_unit,
                         disable=None if enabled else True, leave=True, dynamic_ncols=True,
                         bar_format="{desc} |{bar:30}| {n_fmt}/{total_fmt}{unit} {elapsed}")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._refresh, daemon=True)

    def __enter__(self) -> "_Progress":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()
        self._update()
        self._bar.close()

    def _refresh(self) -> None:
        while not self._done.wait(0.2):
            self._update()

    def _update(self) -> None:
        count = self._server.call(self._engine.answer_count, self._number)
        self._bar.update(count - self._bar.n)


def _count_podium_posts(emulator: Emulator, records: list[OutboxRecord]) -> int:
    # A podium post counts once the outbox recorded it as sent and the channel really shows it.
    in_channel = {message["message_id"] for message in emulator.messages(REHEARSAL_CHANNEL_ID)}
    return sum(
        1 for record in records
        if record.item.purpose == "results" and record.status == "sent" and record.message_id in in_channel
    )


def _wait(done: bool, what: str) -> None:
    if not done:
        raise TimeoutError(f"Timed out after {DELIVERY_TIMEOUT_S:.0f} s waiting for {what}.")


def _result_record(result: QuestionResult) -> dict:
    return {
        "number": result.question.number,
        "code": result.question.code,
        "answers": result.answers,
        "people_reached": result.people_reached,
        "correct": result.correct,
        "percent_correct": round(result.percent_correct, 1),
        "podium": [entry.display_name for entry in result.podium],
    }


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_summary(summary: RehearsalSummary, results: list[QuestionResult],
                   leaderboard: list[LeaderboardRow], out: TextIO) -> None:
    print(file=out)
    number, code, answers, people, correct, podium = TEXTS.table_header
    print(f"{number:>3} {code:<6} {answers:>8} {people:>7} {correct:>7}  {podium}", file=out)
    for result in results:
        medals = ", ".join(f"{medal} {entry.display_name}" for medal, entry in zip("🥇🥈🥉", result.podium))
        print(f"{result.question.number:>3} {result.question.code:<6} {result.answers:>8} "
              f"{result.people_reached:>7} {result.percent_correct:>6.1f}%  {medals}", file=out)

    print(file=out)
    print(TEXTS.leaderboard, file=out)
    for row in leaderboard:
        print(f"{row.position:>3}. {_fit(row.display_name, 36):<36} {row.correct:>2} {TEXTS.correct} "
              f"{row.delay_s:>8.1f} s", file=out)

    print(file=out)
    print(TEXTS.closing.format(answers_sent=summary.answers_sent, answers_stored=summary.answers_stored,
                               updates_sent=summary.updates_sent, updates_acked=summary.updates_acked,
                               podium_posts=summary.podium_posts, peak=summary.peak_updates_per_s,
                               duration=summary.duration_s), file=out)
