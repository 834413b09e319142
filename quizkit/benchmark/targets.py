"""The servers a benchmark loads, each in its own process so that its CPU and memory can be read."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from quizkit.emulator.profiles import PROFILES
from quizkit.engine import Engine
from quizkit.errors import QuizkitError
from quizkit.store import Store

BENCH_TOKEN = "123456789:BENCHMARKbenchmarkBENCHMARKbenchmar"
BENCH_BOT = "quizkit_bench_bot"
BENCH_CHANNEL_ID = -1001000000002
BENCH_EVENT = "bench-codeweek2016"
START_TIMEOUT_S = 60.0


class TargetStartFailed(QuizkitError):
    """A server under test did not start listening in time."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ChildServer:
    """A server process started with `command`, ready once POST `url` gets any HTTP answer."""

    def __init__(self, name: str, command: list[str], port: int, log_path: Path,
                 environment: dict[str, str] | None = None) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}/webhook"
        self._command = command
        self._log_path = log_path
        self._environment = environment
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> "ChildServer":
        with self._log_path.open("ab") as log:
            self.process = subprocess.Popen(self._command, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, **(self._environment or {})})
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise TargetStartFailed(f"{self.name} exited with code {self.process.returncode} before listening; "
                                        f"see {self._log_path}")
            if _answers(self.url):
                return self
            time.sleep(0.1)
        self.stop()
        raise TargetStartFailed(f"{self.name} did not listen on {self.url} within {START_TIMEOUT_S:.0f} s; "
                                f"see {self._log_path}")

    def stop(self) -> None:
        """Stop the process with SIGTERM (SIGKILL after 30 s); a no-op when it is not running."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "ChildServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _answers(url: str) -> bool:
    request = urllib.request.Request(url, data=b"{}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def floor_server(stack: str, folder: Path) -> ChildServer:
    """Return the do-nothing endpoint of `stack` (see quizkit.benchmark.floor), not yet started."""
    port = free_port()
    command = [sys.executable, "-m", "quizkit.benchmark.floor", stack, str(port)]
    return ChildServer(f"floor {stack}", command, port, folder / f"floor-{stack}.log")


def prepare_event(db_path: Path, profile: str = "codeweek2016") -> list[str]:
    """Create the benchmark event in a new SQLite file with `profile`'s questions, all open; return their codes."""
    store = Store(db_path)
    try:
        engine = Engine.create_event(store, name=BENCH_EVENT, language="it", channel_id=BENCH_CHANNEL_ID,
                                     bot_username=BENCH_BOT)
        for question in PROFILES[profile].questions:
            engine.add_question(text=question.text, answers=list(question.answers))
        return [engine.open_question(question.number).code for question in engine.questions()]
    finally:
        store.close()


def quizkit_server(db_path: Path, api_url: str, folder: Path) -> tuple[ChildServer, str]:
    """Return `quizkit serve` for the benchmark event in `db_path`, not yet started, and its webhook secret.

    This is the production configuration: webhook, the SQLite file, every handler, replies in the
    webhook response, each update committed before its 200.
    """
    port = free_port()
    secret = secrets.token_urlsafe(32)
    command = [sys.executable, "-m", "quizkit", "serve", "--db", str(db_path), "--event", BENCH_EVENT,
               "--listen", f"127.0.0.1:{port}", "--secret", secret, "--api-url", api_url]
    server = ChildServer("quizkit serve", command, port, folder / "quizkit-serve.log",
                         environment={"QUIZKIT_BOT_TOKEN": BENCH_TOKEN})
    return server, secret


def baseline_server(codes: list[str], api_url: str, folder: Path, profile: str = "codeweek2016") -> tuple[ChildServer, str, Path]:
    """Return the plain python-telegram-bot bot (quizkit.benchmark.baseline), not yet started, its secret and its database."""
    questions = [{"code": code, "text": question.text, "answers": list(question.answers)}
                 for code, question in zip(codes, PROFILES[profile].questions)]
    questions_path = folder / "baseline-questions.json"
    questions_path.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    db_path = folder / "baseline.db"
    port = free_port()
    secret = secrets.token_urlsafe(32)
    command = [sys.executable, "-m", "quizkit.benchmark.baseline", str(questions_path), str(db_path), str(port),
               api_url, secret]
    server = ChildServer("baseline bot", command, port, folder / "baseline.log",
                         environment={"QUIZKIT_BOT_TOKEN": BENCH_TOKEN})
    return server, secret, db_path
