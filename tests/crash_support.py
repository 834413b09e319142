"""A crash harness: an event across processes whose server is killed with SIGKILL and started again.

`run_crash(folder, CrashPlan(seed=7))` starts `quizkit emulator` and `quizkit serve` as processes and
plays a scaled-down codeweek2016 crowd against the emulator from this process. It kills the server at
a seeded random moment of the burst, and optionally again while a `close` request is in flight,
restarting it each time on the same database. Once the emulator has redelivered everything, it
compares what the crowd sent with the database rows and the emulator's call log. The suite
(tests/test_crash.py) and the benchmark (bench/crash.py) use it.

Host actions go through the server's control endpoint, the one `quizkit host` uses.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quizkit.control import ControlClient, ControlError, control_file_path
from quizkit.emulator.crowd import Crowd
from quizkit.emulator.remote import RemoteEmulator
from quizkit.emulator.updates import SimUser
from quizkit.engine import Engine
from quizkit.rehearsal import REHEARSAL_BOT, REHEARSAL_CHANNEL_ID
from quizkit.server.polling import REPLY_CONCURRENCY
from quizkit.store import Store

TOKEN = "123456789:CRASHcrashCRASHcrashCRASHcrashCRASH"
EVENT = "crash"
SECRET = "crash-test-secret"
START_TIMEOUT_S = 30.0
DELIVERY_TIMEOUT_S = 60.0

# Direct connections only: a proxy from the environment must not carry loopback requests.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class CrashPlan:
    """One crash run: the crowd's size and pace, the transport and where the kills fall.

    `seed` fixes the crowd and both kill points. The burst is the registrations plus the in-time
    answers of the first `questions` questions of the profile, scaled by `time_scale`.
    """

    seed: int
    transport: str = "webhook"
    participants: int = 60
    questions: int = 3
    time_scale: float = 0.25
    kill_in_close: bool = True


@dataclass
class CrashReport:
    """What one run did and found; `problems` lists every broken guarantee and is empty on success."""

    seed: int
    transport: str
    kill_at_s: float = 0.0
    close_kill: str = "none"
    kills: int = 0
    updates_sent: int = 0
    updates_processed: int = 0
    redeliveries: int = 0
    answers_sent: int = 0
    answers_stored: int = 0
    answers_lost: int = 0
    answers_duplicated: int = 0
    replies: int = 0
    replies_missing: int = 0
    channel_posts: dict[str, int] = field(default_factory=dict)
    posts_interrupted: int = 0
    posts_repeated: int = 0
    duration_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Return one line with the seed, kill points and the counts behind the checks."""
        verdict = "ok" if self.ok else "FAILED: " + "; ".join(self.problems[:5])
        return (f"seed {self.seed} {self.transport}: kill at {self.kill_at_s:.2f} s of the burst, close kill "
                f"{self.close_kill}, {self.kills} kills; updates {self.updates_processed}/{self.updates_sent}, "
                f"redelivered {self.redeliveries}; answers {self.answers_stored}/{self.answers_sent}; replies "
                f"{self.replies} ({self.replies_missing} lost with a kill); channel posts {self.channel_posts}, "
                f"{self.posts_interrupted} interrupted, {self.posts_repeated} repeated; "
                f"{self.duration_s:.1f} s; {verdict}")


class _RecordingEmulator(RemoteEmulator):
    """A remote emulator client that keeps the update_id of every update the crowd sends."""

    def __init__(self, api_url: str) -> None:
        super().__init__(api_url)
        self.update_ids: list[int] = []

    def send_text(self, token: str, user: SimUser, text: str) -> int:
        update_id = super().send_text(token, user, text)
        self.update_ids.append(update_id)
        return update_id

    def send_update(self, token: str, payload: dict[str, Any]) -> int:
        update_id = super().send_update(token, payload)
        self.update_ids.append(update_id)
        return update_id


class _Processes:
    """The emulator and server processes of one run, each writing to its own log file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        env = {**os.environ, "QUIZKIT_BOT_TOKEN": TOKEN}
        with open(self.folder / f"{name}.log", "ab") as log:
            process = subprocess.Popen([sys.executable, "-m", "quizkit", *args], cwd=self.folder, env=env,
                                       stdout=log, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def output(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


class _Run:
    """The state of one crash run while it plays."""

    def __init__(self, folder: Path, plan: CrashPlan) -> None:
        self.folder = folder
        self.plan = plan
        self.random = random.Random(plan.seed)
        self.processes = _Processes(folder)
        self.db = folder / "crash.db"
        self.listen_port = free_port()
        self.api_url = ""
        self.server: subprocess.Popen | None = None
        self.server_starts = 0
        self.report = CrashReport(plan.seed, plan.transport)

    # Processes

    def start_emulator(self) -> None:
        port = free_port()
        self.processes.start("emulator", "emulator", "--port", str(port), "--token", TOKEN,
                             "--retry-delay", "0.05", "--max-retry-delay", "0.5")
        self.api_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _emulator_up(self.api_url), "the emulator to listen")

    def start_server(self) -> None:
        control_file = control_file_path(self.db)
        control_file.unlink(missing_ok=True)  # a killed server leaves its control file behind
        self.server_starts += 1
        name = f"serve-{self.server_starts}"
        self.server = self.processes.start(
            name, "serve", "--api-url", self.api_url, "--db", str(self.db), "--event", EVENT,
            "--listen", f"127.0.0.1:{self.listen_port}", "--secret", SECRET, "--transport", self.plan.transport,
        )
        server = self.server
        wait_until(lambda: control_file.exists() or server.poll() is not None, "the server's control file")
        if server.poll() is not None:
            raise RuntimeError(f"quizkit serve exited with {server.returncode}:\n{self.processes.output(name)}")

    def kill_and_restart(self) -> None:
        """SIGKILL the server, wait a random moment of up to 0.3 s, and start it on the same database."""
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(timeout=10)
        self.report.kills += 1
        time.sleep(self.random.uniform(0.0, 0.3))
        self.start_server()

    def control(self) -> ControlClient:
        return ControlClient.from_file(self.db)

    # Phases

    def create_event(self, crowd: Crowd) -> list[str]:
        store = Store(self.db)
        try:
            engine = Engine.create_event(store, name=EVENT, language="it", channel_id=REHEARSAL_CHANNEL_ID,
                                         bot_username=REHEARSAL_BOT)
            for question in crowd.questions[: self.plan.questions]:
                engine.add_question(text=question.text, answers=list(question.answers))
            return [question.code for question in engine.questions()]
        finally:
            store.close()

    def play_burst(self, crowd: Crowd, codes: list[str]) -> None:
        """Play the crowd in a thread and kill the server at a random moment of the burst."""
        profile = crowd.profile
        burst_s = (profile.registration_s + len(codes) * profile.question_s) * self.plan.time_scale
        self.report.kill_at_s = self.random.uniform(0.0, burst_s)
        failure: list[BaseException] = []

        def play() -> None:
            try:
                crowd.register()
                for index, code in enumerate(codes):
                    crowd.play_question(index, code)
            except BaseException as error:  # noqa: BLE001 - re-raised in the harness's thread
                failure.append(error)

        player = threading.Thread(target=play, name="crash-crowd", daemon=True)
        started = time.monotonic()
        player.start()
        time.sleep(max(0.0, self.report.kill_at_s - (time.monotonic() - started)))
        self.kill_and_restart()
        player.join(timeout=burst_s + 60.0)
        if failure:
            raise failure[0]

    def close_questions(self, codes: list[str]) -> None:
        """Close every question; with `kill_in_close`, kill the server while one close is in flight."""
        victim = self.random.randrange(len(codes)) if self.plan.kill_in_close else None
        for index, code in enumerate(codes):
            if index != victim:
                self.control().close(code)
                continue
            delay_s = self.random.uniform(0.0, 0.05)
            self.report.close_kill = f"{code} +{delay_s * 1000:.0f} ms"
            self.close_during_kill(code, delay_s)

    def close_during_kill(self, code: str, delay_s: float) -> None:
        client = self.control()
        closer = threading.Thread(target=_close_quietly, args=(client, code), daemon=True)
        closer.start()
        time.sleep(delay_s)
        self.kill_and_restart()
        closer.join(timeout=30)
        # The retry a host would make: closing a closed question returns its result and posts nothing.
        self.control().close(code)

    def wait_outbox_drained(self) -> None:
        wait_until(lambda: _query(self.db, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0] == 0,
                   "the outbox to drain")

    def stop_server(self) -> None:
        self.server.send_signal(signal.SIGTERM)
        self.server.wait(timeout=30)

    # Checks

    def check(self, crowd: Crowd, sent: _RecordingEmulator, codes: list[str]) -> None:
        self.check_answers(crowd, codes)
        self.check_updates(sent)
        self.check_replies(sent)
        self.check_channel(codes)

    def check_answers(self, crowd: Crowd, codes: list[str]) -> None:
        expected = Counter()
        for index in range(len(codes)):
            for step in crowd.plan.questions[index].steps:
                if "answers_sent" in step.counters:
                    expected[(index + 1, crowd.users[step.user].user_id)] += 1
        rows = _query(self.db, "SELECT q.number, a.user_id FROM answers a JOIN questions q ON q.id = a.question_id")
        stored = Counter((number, user_id) for number, user_id in rows)

        report = self.report
        report.answers_sent = sum(expected.values())
        report.answers_stored = len(rows)
        lost = sorted(set(expected) - set(stored))
        report.answers_lost = len(lost)
        report.answers_duplicated = sum(count - 1 for count in stored.values() if count > 1)
        if lost:
            report.problems.append(f"{len(lost)} answers lost, first (question, user): {lost[:3]}")
        if report.answers_duplicated:
            report.problems.append(f"{report.answers_duplicated} answers stored twice")
        unexpected = sorted(set(stored) - set(expected))
        if unexpected:
            report.problems.append(f"{len(unexpected)} answers stored that nobody sent: {unexpected[:3]}")
        doubled = [pair for pair, count in expected.items() if count > 1]
        if doubled:
            report.problems.append(f"the crowd plan sends {len(doubled)} first answers twice: {doubled[:3]}")

    def check_updates(self, sent: _RecordingEmulator) -> None:
        processed = {update_id for (update_id,) in _query(self.db, "SELECT update_id FROM processed_updates")}
        stats = _emulator_get(self.api_url, f"/_emulator/bot{TOKEN}/stats")
        report = self.report
        report.updates_sent = len(sent.update_ids)
        report.updates_processed = len(processed & set(sent.update_ids))
        report.redeliveries = stats["redeliveries"]
        unprocessed = sorted(set(sent.update_ids) - processed)
        if unprocessed:
            report.problems.append(f"{len(unprocessed)} updates never processed, first: {unprocessed[:3]}")
        if stats["pending_update_count"]:
            report.problems.append(f"{stats['pending_update_count']} updates still pending in the emulator")

    def check_replies(self, sent: _RecordingEmulator) -> None:
        calls = [call for call in _emulator_get(self.api_url, f"/_emulator/bot{TOKEN}/calls?method=sendMessage")
                 if call["ok"]]
        private = [call for call in calls if int(call["params"]["chat_id"]) > 0]
        per_chat = Counter(int(call["params"]["chat_id"]) for call in private)
        per_update = Counter(call["update_id"] for call in private if "update_id" in call)

        report = self.report
        report.replies = len(private)
        report.replies_missing = sum(sent.updates_per_chat.values()) - len(private)
        for chat, replies in per_chat.items():
            if replies > sent.updates_per_chat[chat]:
                report.problems.append(f"chat {chat} got {replies} replies to {sent.updates_per_chat[chat]} updates")
        # By webhook a reply lost with a kill is replayed when its update is redelivered, so every
        # update gets its one reply. Polling sends replies itself and clears each stored copy just
        # before its call, so the sends in flight at a kill are lost rather than repeated.
        if self.plan.transport == "webhook" and report.replies_missing:
            report.problems.append(f"{report.replies_missing} replies lost by webhook")
        if report.replies_missing > REPLY_CONCURRENCY * report.kills:
            report.problems.append(f"{report.replies_missing} replies lost with {report.kills} kills, more than "
                                   f"the {REPLY_CONCURRENCY} sends in flight per kill")
        doubled = [update_id for update_id, count in per_update.items() if count > 1]
        if doubled:
            report.problems.append(f"{len(doubled)} updates answered twice in webhook responses: {doubled[:3]}")

    def check_channel(self, codes: list[str]) -> None:
        calls = _emulator_get(self.api_url, f"/_emulator/bot{TOKEN}/calls?method=sendMessage")
        posted = Counter(call["params"]["text"] for call in calls
                         if call["ok"] and int(call["params"]["chat_id"]) == REHEARSAL_CHANNEL_ID)
        items = _query(self.db, "SELECT purpose, text, status, interrupted FROM outbox WHERE action = 'send'")

        report = self.report
        report.channel_posts = dict(Counter(purpose for purpose, _, _, _ in items))
        for purpose in ("announcement", "results"):
            if report.channel_posts.get(purpose, 0) != len(codes):
                report.problems.append(f"{report.channel_posts.get(purpose, 0)} {purpose} posts queued for "
                                       f"{len(codes)} questions")
        for purpose, text, status, interrupted in items:
            # A send that a kill interrupted may have gone out, and the Bot API cannot tell, so it
            # is sent again: one post plus at most one per interruption.
            if status != "sent" or not 1 <= posted[text] <= 1 + interrupted:
                report.problems.append(f"{purpose} post ({status}, {interrupted} sends interrupted) went out "
                                       f"{posted[text]} times: {text[:60]!r}")
            report.posts_interrupted += interrupted
            report.posts_repeated += max(posted[text] - 1, 0)
        extra = sum(posted.values()) - len(items) - report.posts_repeated
        if extra > 0:
            report.problems.append(f"{extra} channel posts beyond the outbox's items")
        closed = _query(self.db, "SELECT COUNT(*) FROM questions WHERE state = 'closed'")[0][0]
        if closed != len(codes):
            report.problems.append(f"{closed} of {len(codes)} questions closed")


def run_crash(folder: Path, plan: CrashPlan) -> CrashReport:
    """Play one crash run in `folder` (a fresh directory) and return its report; processes are stopped on return."""
    began = time.monotonic()
    run = _Run(folder, plan)
    sent: _RecordingEmulator | None = None
    try:
        run.start_emulator()
        sent = _RecordingEmulator(run.api_url)
        crowd = Crowd(sent, TOKEN, profile="codeweek2016", participants=plan.participants, seed=plan.seed,
                      time_scale=plan.time_scale)
        codes = run.create_event(crowd)
        run.start_server()
        for code in codes:
            run.control().open(code)

        run.play_burst(crowd, codes)
        if not sent.wait_delivered(TOKEN, DELIVERY_TIMEOUT_S):
            run.report.problems.append(f"updates still undelivered after {DELIVERY_TIMEOUT_S} s")
        run.close_questions(codes)
        run.wait_outbox_drained()
        time.sleep(0.3)  # time for a duplicate post to show; an estimate, ample on loopback
        run.stop_server()
        run.check(crowd, sent, codes)
    finally:
        if sent is not None:
            sent.close()
        run.processes.stop_all()
    run.report.duration_s = time.monotonic() - began
    return run.report


def _close_quietly(client: ControlClient, code: str) -> None:
    # The server may die before or after the close commits; the caller retries either way.
    try:
        client.close(code)
    except ControlError:
        pass


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll `condition` every 20 ms; raise TimeoutError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)


def _query(db: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def _emulator_get(api_url: str, path: str) -> Any:
    with _opener.open(api_url + path, timeout=30) as response:
        return json.loads(response.read())["result"]


def _emulator_up(api_url: str) -> bool:
    try:
        return _emulator_get(api_url, "/_emulator/health")["bots"] == 1
    except OSError:
        return False


@dataclass
class BlockedStorageReport:
    """What `run_kill_while_storage_blocked` saw: answers per (question, user), redeliveries and replies per chat."""

    answers: Counter
    redeliveries: int
    replies_per_chat: dict[int, int]
    users: list[int]


def run_kill_while_storage_blocked(folder: Path, transport: str, participants: int = 20) -> BlockedStorageReport:
    """Kill the server while it holds updates it received but cannot store, then restart it.

    Another connection holds SQLite's write lock while the participants send, so when the SIGKILL
    comes the server waits for the lock with updates it fetched (polling) or received (webhook) but
    has not stored: the kill falls between receiving and storing on purpose, not by chance.
    """
    run = _Run(folder, CrashPlan(seed=0, transport=transport))
    users = [SimUser(user_id=700000000 + number, first_name=f"B{number}", language_code="it")
             for number in range(participants)]
    remote: RemoteEmulator | None = None
    try:
        run.start_emulator()
        remote = RemoteEmulator(run.api_url)
        code = run.create_event(Crowd(remote, TOKEN, profile="codeweek2016", participants=10))[0]
        run.start_server()
        run.control().open(code)
        run.wait_outbox_drained()  # the announcement's send must not be the write that waits

        blocker = sqlite3.connect(run.db, isolation_level=None, timeout=10)
        blocker.execute("BEGIN IMMEDIATE")
        for user in users:
            remote.send_text(TOKEN, user, f"/start {code}")
            remote.send_text(TOKEN, user, "Scratch")
        time.sleep(1.5)  # the server now has the updates and waits for the lock (busy timeout 5 s)
        run.server.send_signal(signal.SIGKILL)
        run.server.wait(timeout=10)
        blocker.execute("ROLLBACK")
        blocker.close()

        run.start_server()
        if not remote.wait_delivered(TOKEN, DELIVERY_TIMEOUT_S):
            raise TimeoutError(f"updates still undelivered {DELIVERY_TIMEOUT_S} s after the restart")
        run.stop_server()
        rows = _query(run.db, "SELECT q.number, a.user_id FROM answers a JOIN questions q ON q.id = a.question_id")
        stats = _emulator_get(run.api_url, f"/_emulator/bot{TOKEN}/stats")
        replies = {user.user_id: len(_emulator_get(run.api_url, f"/_emulator/chats/{user.user_id}/messages"))
                   for user in users}
    finally:
        if remote is not None:
            remote.close()
        run.processes.stop_all()
    return BlockedStorageReport(Counter(rows), stats["redeliveries"], replies, [user.user_id for user in users])
