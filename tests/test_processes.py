"""An event run across processes: `quizkit emulator`, `quizkit serve`, `quizkit host` and `quizkit crowd`.

The serve process is killed with SIGKILL in the middle of the answers and started again on the same
database, while the emulator and the crowd go on; the database and the emulator's logs then show
what survived.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from quizkit.control import ControlClient, ControlError, control_file_path
from quizkit.emulator.profiles import PROFILES
from quizkit.engine import Engine
from quizkit.rehearsal import REHEARSAL_BOT, REHEARSAL_CHANNEL_ID
from quizkit.store import Store

TOKEN = "123456789:PROCESSESprocessesPROCESSESprocess"
MASKED_TOKEN = "123456789:***"
EVENT = "live"
START_TIMEOUT_S = 20.0

# Direct connections only: a proxy from the environment must not carry loopback requests.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(condition, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(0.02)


def _emulator_request(url: str, method: str = "GET", timeout_s: float = 10.0):
    request = urllib.request.Request(url, data=b"{}" if method == "POST" else None, method=method)
    with _opener.open(request, timeout=timeout_s) as response:
        return json.loads(response.read())["result"]


def _emulator_up(url: str) -> bool:
    try:
        return _emulator_request(f"{url}/_emulator/health")["bots"] == 1
    except OSError:
        return False


def _quizkit(*args: str, cwd: Path, locale: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QUIZKIT_BOT_TOKEN": TOKEN}
    if locale is not None:
        env = {key: value for key, value in env.items() if key not in ("LC_ALL", "LC_MESSAGES")}
        env["LANG"] = locale
    return subprocess.run([sys.executable, "-m", "quizkit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


class Processes:
    """The subprocesses of one test, each writing stdout and stderr to its own log file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, *args: str, token_in_env: bool = True) -> subprocess.Popen:
        env = dict(os.environ)
        if token_in_env:
            env["QUIZKIT_BOT_TOKEN"] = TOKEN
        log = open(self.folder / f"{name}.log", "ab")
        try:
            process = subprocess.Popen([sys.executable, "-m", "quizkit", *args], cwd=self.folder, env=env,
                                       stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        self.started.append(process)
        return process

    def output(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            # A test that failed before reading a process's pipes leaves them open, and their
            # ResourceWarning at garbage collection would fail whichever test runs then.
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.kill_all()


@pytest.fixture
def event_db(tmp_path) -> tuple[Path, list[str]]:
    """A database with event 'live': the classroom profile's five questions, none opened yet."""
    path = tmp_path / "quiz.db"
    store = Store(path)
    try:
        engine = Engine.create_event(store, name=EVENT, language="en", channel_id=REHEARSAL_CHANNEL_ID,
                                     bot_username=REHEARSAL_BOT)
        for question in PROFILES["classroom"].questions:
            engine.add_question(text=question.text, answers=list(question.answers))
        codes = [question.code for question in engine.questions()]
    finally:
        store.close()
    return path, codes


def _start_emulator(processes: Processes) -> str:
    port = _free_port()
    processes.start("emulator", "emulator", "--port", str(port), "--token", TOKEN)
    url = f"http://127.0.0.1:{port}"
    _wait_until(lambda: _emulator_up(url), "the emulator to listen")
    return url


def _launch_serve(processes: Processes, name: str, db: Path, api_url: str, listen_port: int,
                  *extra: str, token_in_env: bool = True) -> subprocess.Popen:
    """Start `quizkit serve` and return it once it wrote its control file or exited."""
    control_file = control_file_path(db)
    control_file.unlink(missing_ok=True)
    serve = processes.start(name, "serve", "--api-url", api_url, "--db", str(db), "--event", EVENT,
                            "--listen", f"127.0.0.1:{listen_port}", *extra, token_in_env=token_in_env)
    _wait_until(lambda: control_file.exists() or serve.poll() is not None, "the control file")
    return serve


def _start_serve(processes: Processes, name: str, db: Path, api_url: str, listen_port: int,
                 *extra: str, token_in_env: bool = True) -> subprocess.Popen:
    serve = _launch_serve(processes, name, db, api_url, listen_port, *extra, token_in_env=token_in_env)
    assert serve.poll() is None, processes.output(name)
    return serve


def _count_answers(db: Path) -> int:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    finally:
        connection.close()


def _restart_serve(processes: Processes, db: Path, api_url: str, listen_port: int) -> None:
    """Start `quizkit serve` again after a kill, once more if that start fails, as a supervisor would."""
    # NOTE: in two full-suite runs out of three on a clean clone, the restart's setWebhook got no
    # answer from the emulator within 10 s and serve exited with "Server failed to start at
    # setWebhook". The emulator logged nothing after the burst's refused deliveries. It never
    # happened in 31 runs of this test alone, and the cause is not known. A second start is what
    # systemd's Restart= would do, and the answers checked below are the same either way.
    first = _launch_serve(processes, "serve-2", db, api_url, listen_port)
    if first.poll() is None:
        return
    assert "Server failed to start" in processes.output("serve-2"), processes.output("serve-2")
    _start_serve(processes, "serve-3", db, api_url, listen_port)


def test_serve_killed_mid_burst_keeps_every_answer_once(processes, event_db, tmp_path):
    db, codes = event_db
    api_url = _start_emulator(processes)
    listen_port = _free_port()
    serve = _start_serve(processes, "serve-1", db, api_url, listen_port)
    for number in range(1, len(codes) + 1):
        opened = _quizkit("host", "--db", str(db), "open", str(number), cwd=tmp_path)
        assert opened.returncode == 0, opened.stderr

    crowd = subprocess.Popen(
        [sys.executable, "-m", "quizkit", "crowd", "--api-url", api_url, "--profile", "classroom",
         "--time-scale", "0.05", "--codes", ",".join(codes)],
        cwd=tmp_path, env={**os.environ, "QUIZKIT_BOT_TOKEN": TOKEN},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    processes.started.append(crowd)
    # Question 1 has 25 answers, so 30 stored answers put the kill inside question 2's burst.
    _wait_until(lambda: _count_answers(db) >= 30, "30 stored answers")
    serve.send_signal(signal.SIGKILL)
    serve.wait(timeout=10)
    stored_at_kill = _count_answers(db)

    _restart_serve(processes, db, api_url, listen_port)
    crowd_out, crowd_err = crowd.communicate(timeout=60)
    assert crowd.returncode == 0, crowd_err
    sent = json.loads(crowd_out)
    assert _emulator_request(f"{api_url}/_emulator/bot{TOKEN}/wait_delivered?timeout=30", "POST", timeout_s=40)

    for number in range(1, len(codes) + 1):
        answers = ["--answer", "Rome", "--answer", "Roma"] if number == 1 else []
        closed = _quizkit("host", "--db", str(db), "close", str(number), *answers, cwd=tmp_path)
        assert closed.returncode == 0, closed.stderr
    channel_url = f"{api_url}/_emulator/chats/{REHEARSAL_CHANNEL_ID}/messages"
    _wait_until(lambda: len(_emulator_request(channel_url)) >= 2 * len(codes), "the channel posts")
    time.sleep(0.5)  # time for a duplicate post to show; 0.5 s is an estimate, ample on loopback

    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        answer_rows = connection.execute("SELECT update_id FROM answers").fetchall()
        results_posts = connection.execute(
            "SELECT message_id FROM outbox WHERE purpose = 'results' AND status = 'sent'").fetchall()
    finally:
        connection.close()
    channel = _emulator_request(channel_url)
    stats = _emulator_request(f"{api_url}/_emulator/bot{TOKEN}/stats")
    channel_ids = [message["message_id"] for message in channel]

    assert 30 <= stored_at_kill < sent["counters"]["answers_sent"]
    assert stats["redeliveries"] > 0
    assert stats["updates_delivered"] == sent["counters"]["updates_sent"]
    assert len(answer_rows) == sent["counters"]["answers_sent"]
    assert len({update_id for (update_id,) in answer_rows}) == len(answer_rows)
    # An update committed just before the kill is redelivered, and its stored reply replaces the
    # one lost with the webhook response, so every update gets exactly one reply.
    for chat, updates in sent["updates_per_chat"].items():
        replies = _emulator_request(f"{api_url}/_emulator/chats/{chat}/messages")
        assert len(replies) == updates, f"chat {chat}: {len(replies)} replies to {updates} updates"
    assert len(results_posts) == len(codes)
    assert sorted(channel_ids) == sorted(set(channel_ids))
    assert all(message_id in channel_ids for (message_id,) in results_posts)
    assert len(channel) == 2 * len(codes)


def test_serve_output_never_shows_token(processes, event_db, tmp_path):
    db, _ = event_db
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    api_url = _start_emulator(processes)
    serve = _start_serve(processes, "serve", db, api_url, _free_port(), "--token-file", str(token_file),
                         token_in_env=False)
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=30)
    output = processes.output("serve")

    assert serve.returncode == 0, output
    assert TOKEN not in output
    assert TOKEN.split(":", 1)[1] not in output
    assert MASKED_TOKEN in output
    assert "Server started" in output
    assert "Server stopped" in output
    assert not control_file_path(db).exists()


def test_serve_verbose_output_never_shows_token(processes, event_db):
    db, _ = event_db
    api_url = _start_emulator(processes)
    serve = processes.start("serve", "-v", "serve", "--api-url", api_url, "--db", str(db), "--event", EVENT,
                            "--listen", f"127.0.0.1:{_free_port()}", "--transport", "polling")
    _wait_until(lambda: control_file_path(db).exists(), "the control file")
    time.sleep(0.5)  # a few getUpdates calls, each with the token in its URL
    serve.send_signal(signal.SIGINT)
    serve.wait(timeout=30)
    output = processes.output("serve")

    assert serve.returncode == 0, output
    assert TOKEN.split(":", 1)[1] not in output
    assert "Server stopped" in output


def test_serve_rejected_token_stays_hidden(processes, event_db, tmp_path):
    db, _ = event_db
    api_url = _start_emulator(processes)
    other_token = "987654321:OTHERtokenOTHERtokenOTHERtokenOTHER"

    run = subprocess.run([sys.executable, "-m", "quizkit", "serve", "--db", str(db), "--event", EVENT,
                          "--api-url", api_url, "--listen", f"127.0.0.1:{_free_port()}"],
                         cwd=tmp_path, env={**os.environ, "QUIZKIT_BOT_TOKEN": other_token},
                         capture_output=True, text=True, timeout=60)

    assert run.returncode == 1
    assert other_token.split(":", 1)[1] not in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_serve_missing_event_names_events(event_db, tmp_path):
    db, _ = event_db

    run = _quizkit("serve", "--db", str(db), "--event", "other", "--api-url", "http://127.0.0.1:9",
                   "--listen", f"127.0.0.1:{_free_port()}", cwd=tmp_path)

    assert run.returncode == 1
    assert "Event 'other' not found" in run.stderr
    assert "events: live" in run.stderr
    assert "Traceback" not in run.stderr


def test_control_file_private_and_token_required(processes, event_db, tmp_path):
    db, codes = event_db
    api_url = _start_emulator(processes)
    _start_serve(processes, "serve", db, api_url, _free_port())
    control_file = control_file_path(db)
    record = json.loads(control_file.read_text())

    assert stat.S_IMODE(control_file.stat().st_mode) == 0o600
    assert record["url"].startswith("http://127.0.0.1:")
    with pytest.raises(ControlError, match="Missing or wrong control token"):
        ControlClient(record["url"], "wrong-token").status()
    request = urllib.request.Request(record["url"] + "/status")
    with pytest.raises(urllib.error.HTTPError) as missing:
        _opener.open(request, timeout=10)
    missing.value.close()
    assert missing.value.code == 403


def test_host_unknown_question_exits_with_engine_message(processes, event_db, tmp_path):
    db, codes = event_db
    api_url = _start_emulator(processes)
    _start_serve(processes, "serve", db, api_url, _free_port())

    run = _quizkit("host", "--db", str(db), "open", "9", cwd=tmp_path)
    status = _quizkit("host", "--db", str(db), "--json", "status", cwd=tmp_path)

    assert run.returncode == 1
    assert "Question number 9 not found in event 'live'" in run.stderr
    assert status.returncode == 0, status.stderr
    assert [question["code"] for question in json.loads(status.stdout)["questions"]] == codes


def test_host_rejects_control_url_off_loopback(tmp_path):
    db = tmp_path / "quiz.db"
    Store(db).close()
    control_file_path(db).write_text(json.dumps({"url": "http://192.0.2.1:80", "token": "t"}))

    run = _quizkit("host", "--db", str(db), "status", cwd=tmp_path)

    assert run.returncode == 1
    assert "is not an http URL on 127.0.0.1 or localhost" in run.stderr


def test_crowd_rejects_api_url_off_loopback(tmp_path):
    run = _quizkit("crowd", "--api-url", "http://192.0.2.1:8081", "--profile", "classroom", "--codes", "AB1",
                   cwd=tmp_path)

    assert run.returncode == 1
    assert "is not an http URL on 127.0.0.1 or localhost" in run.stderr


def test_crowd_rejects_too_many_codes(processes, tmp_path):
    api_url = _start_emulator(processes)

    run = _quizkit("crowd", "--api-url", api_url, "--profile", "classroom", "--codes", "A1,B2,C3,D4,E5,F6",
                   cwd=tmp_path)

    assert run.returncode == 1
    assert "Got 6 question codes; profile 'classroom' has 5 questions" in run.stderr


@pytest.mark.parametrize("command", ["serve", "host", "crowd"])
def test_process_command_help(command, tmp_path):
    run = _quizkit(command, "--help", cwd=tmp_path)

    assert run.returncode == 0
    assert f"usage: quizkit {command}" in run.stdout


def test_control_file_replaced_whole(tmp_path):
    from quizkit.control import _write_private

    path = tmp_path / "quiz.db.control"
    path.write_text("old and longer content")
    path.chmod(0o644)

    _write_private(path, '{"url": "http://127.0.0.1:1", "token": "t"}\n')

    assert json.loads(path.read_text()) == {"url": "http://127.0.0.1:1", "token": "t"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [entry.name for entry in tmp_path.iterdir()] == ["quiz.db.control"]



# What `quizkit host` prints under each locale, as regular expressions over its whole output (the
# status's first three lines).
HOST_OUTPUT = {
    "C.UTF-8": {
        "open": r"Opened question 1 \({code}\)\.",
        "close": r"Closed question 1 \({code}\): 1 answers, 1 correct \(100\.0%\), 1 people reached; podium: 1\. Lucia\.",
        "status": r"Event 'live': webhook, \d+ updates, \d+ channel posts, 0 errors\.\n"
                  r"  1 {code:<6} closed      1 answers\n"
                  r"  2 {code2:<6} draft       0 answers",
        "leaderboard": r"  1\. Lucia {{32}} 1 correct +\d+\.\d s",
        "empty": r"The leaderboard is empty: no closed question has a correct answer yet\.",
    },
    "it_IT.UTF-8": {
        "open": r"Aperta la domanda 1 \({code}\)\.",
        "close": r"Chiusa la domanda 1 \({code}\): risposte 1, esatte 1 \(100\.0%\), persone raggiunte 1; "
                 r"podio: 1\. Lucia\.",
        "status": r"Evento 'live': webhook; update \d+, post sul canale \d+, errori 0\.\n"
                  r"  1 {code:<6} chiusa          1 risposte\n"
                  r"  2 {code2:<6} da lanciare     0 risposte",
        "leaderboard": r"  1\. Lucia {{32}} 1 esatte +\d+\.\d s",
        "empty": r"La classifica è vuota: nessuna domanda chiusa ha ancora una risposta esatta\.",
    },
}


def _serve_for_host(processes: Processes, event_db: tuple[Path, list[str]], folder: Path,
                    locale: str) -> tuple[list[str], str, Callable[..., subprocess.CompletedProcess]]:
    """Start the emulator and `quizkit serve` on the event; return its codes, the emulator's URL and a `quizkit host` runner."""
    db, codes = event_db
    api_url = _start_emulator(processes)
    _start_serve(processes, "serve", db, api_url, _free_port())

    def host(*args: str) -> subprocess.CompletedProcess:
        return _quizkit("host", "--db", str(db), *args, cwd=folder, locale=locale)

    return codes, api_url, host


@pytest.mark.parametrize("locale", ["C.UTF-8", "it_IT.UTF-8"])
def test_host_output_follows_locale(processes, event_db, tmp_path, locale):
    from quizkit.emulator import SimUser
    from quizkit.emulator.remote import RemoteEmulator

    codes, api_url, host = _serve_for_host(processes, event_db, tmp_path, locale)

    runs = {"empty": host("leaderboard"), "open": host("open", "1")}
    emulator = RemoteEmulator(api_url)
    pupil = SimUser(user_id=515151, first_name="Lucia", language_code="it")
    try:
        emulator.send_text(TOKEN, pupil, f"/start {codes[0]}")
        emulator.send_text(TOKEN, pupil, "Roma")
        assert emulator.wait_delivered(TOKEN, 30)
    finally:
        emulator.close()
    runs.update(close=host("close", "1"), status=host("status"), leaderboard=host("leaderboard"))

    for action, run in runs.items():
        assert run.returncode == 0, f"{action}: {run.stderr}"
        pattern = HOST_OUTPUT[locale][action].format(code=codes[0], code2=codes[1])
        compared = "\n".join(run.stdout.splitlines()[:3]) + "\n" if action == "status" else run.stdout
        assert re.fullmatch(pattern + r"\n", compared), f"{action}: {run.stdout!r}"


# What `quizkit host` prints to stderr when an action fails, under each locale.
HOST_ERRORS = {
    "C.UTF-8": {
        "unknown": "quizkit: Question number 9 not found in event 'live'; questions: {listed}",
        "reopen": "quizkit: Question 1 ({code}) is already closed and cannot be reopened; add a new question instead.",
        "draft": "quizkit: Question 2 ({code2}) is a draft, so it cannot be closed; open it first with "
                 "engine.open_question('{code2}').",
    },
    "it_IT.UTF-8": {
        "unknown": "quizkit: La domanda 9 non esiste in questo evento; `quizkit host status` elenca le domande.",
        "reopen": "quizkit: La domanda 1 è già chiusa e non si può riaprire; aggiungi una nuova domanda.",
        "draft": "quizkit: La domanda 2 non si può chiudere così: una domanda da lanciare va prima aperta, e una "
                 "domanda già chiusa si chiude di nuovo solo senza risposte, per rileggerne i risultati. "
                 "`quizkit host status` mostra lo stato di ogni domanda.",
    },
}


@pytest.mark.parametrize("locale", ["C.UTF-8", "it_IT.UTF-8"])
def test_host_errors_follow_locale(processes, event_db, tmp_path, locale):
    codes, _, host = _serve_for_host(processes, event_db, tmp_path, locale)

    assert host("open", "1").returncode == 0
    assert host("close", "1", "--answer", "Roma").returncode == 0
    runs = {"unknown": host("open", "9"), "reopen": host("open", "1"), "draft": host("close", "2")}

    for case, run in runs.items():
        assert run.returncode == 1, f"{case}: {run.stdout}"
        listed = ", ".join(f"{number} ({code})" for number, code in enumerate(codes, start=1))
        expected = HOST_ERRORS[locale][case].format(code=codes[0], code2=codes[1], listed=listed)
        assert run.stderr.strip().splitlines()[-1] == expected, case


def test_host_without_server_says_so_in_italian(event_db, tmp_path):
    db, _ = event_db

    run = _quizkit("host", "--db", str(db), "status", cwd=tmp_path, locale="it_IT.UTF-8")

    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"quizkit: Il file di controllo '{db}.control' non esiste: nessun `quizkit serve` è in funzione per "
        f"questo database. Avvialo prima con `quizkit serve --db {db} ...`."
    )


def test_host_missing_database_in_italian(tmp_path):
    path = tmp_path / "mistyped.db"

    run = _quizkit("host", "--db", str(path), "status", cwd=tmp_path, locale="it_IT.UTF-8")

    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"quizkit: Il database '{path}' non esiste, e nessun file è stato creato. Controlla il percorso, o crea il "
        f"database dell'evento con `quizkit serve --event EVENTO.toml` (o `quizkit rehearse --db {path}` per una "
        "prova)."
    )
    assert not path.exists()


def test_host_database_folder_in_italian(tmp_path):
    run = _quizkit("host", "--db", str(tmp_path), "status", cwd=tmp_path, locale="it_IT.UTF-8")

    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"quizkit: Il percorso del database '{tmp_path}' è una cartella; indica il percorso di un file di database "
        "al suo interno."
    )
