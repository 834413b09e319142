"""`quizkit qr --event FILE` and `quizkit serve --event FILE`: the event is created from the file once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import zxingcpp
from PIL import Image

from quizkit.control import control_file_path
from quizkit.rehearsal import REHEARSAL_BOT, REHEARSAL_CHANNEL_ID
from tests.test_processes import TOKEN, _emulator_request, _free_port, _start_emulator, _wait_until, processes  # noqa: F401

EVENT_FILE = textwrap.dedent(f"""\
    name = "live-from-file"
    language = "en"
    channel = {REHEARSAL_CHANNEL_ID}
    max_connections = 12

    [[questions]]
    code = "ROME1"
    text = "Capital of Italy?"
    answers = ["Rome", "Roma"]

    [[questions]]
    kind = "number"
    text = "Six times seven?"
    answers = ["42"]
    tolerance = 0.5
""")


def _run(*args: str, cwd: Path, token: str | None = TOKEN) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "QUIZKIT_BOT_TOKEN"}
    if token is not None:
        env["QUIZKIT_BOT_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "quizkit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def _event_file(tmp_path: Path, text: str = EVENT_FILE) -> Path:
    path = tmp_path / "live.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_qr_event_file_creates_event_and_images(tmp_path):
    path = _event_file(tmp_path, f'bot_username = "{REHEARSAL_BOT}"\n' + EVENT_FILE)

    first = _run("qr", "--event", str(path), "--out", str(tmp_path / "qr"), cwd=tmp_path, token=None)
    second = _run("qr", "--event", str(path), "--out", str(tmp_path / "qr2"), cwd=tmp_path, token=None)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "live.db").exists()
    pngs = sorted(item.name for item in (tmp_path / "qr").glob("*.png"))
    assert pngs == sorted(item.name for item in (tmp_path / "qr2").glob("*.png"))
    assert "ROME1.png" in pngs
    assert len(pngs) == 2
    decoded = [result.text for result in zxingcpp.read_barcodes(Image.open(tmp_path / "qr" / "ROME1.png"))]
    assert decoded == [f"https://t.me/{REHEARSAL_BOT}?start=ROME1"]


def test_qr_event_file_without_username_explains(tmp_path):
    path = _event_file(tmp_path)

    run = _run("qr", "--event", str(path), "--out", str(tmp_path / "qr"), cwd=tmp_path)

    assert run.returncode == 1
    assert "the QR codes need the bot's username; write bot_username" in run.stderr
    assert "Traceback" not in run.stderr


def test_qr_invalid_event_file_names_key(tmp_path):
    path = _event_file(tmp_path, EVENT_FILE.replace("max_connections = 12", "max_conections = 12"))

    run = _run("qr", "--event", str(path), "--out", str(tmp_path / "qr"), cwd=tmp_path)

    assert run.returncode == 1
    assert f"quizkit: {path}: top level: key 'max_conections' is unknown; did you mean 'max_connections'?" in run.stderr
    assert not (tmp_path / "live.db").exists()


def test_serve_event_name_without_db_explains(tmp_path):
    run = _run("serve", "--event", "codeweek", cwd=tmp_path)

    assert run.returncode == 1
    assert "--event 'codeweek' is an event name, so --db is required" in run.stderr


def test_serve_event_file_creates_event(processes, tmp_path):  # noqa: F811 - the fixture
    path = _event_file(tmp_path)
    api_url = _start_emulator(processes)
    db = tmp_path / "live.db"
    serve = processes.start("serve", "serve", "--api-url", api_url, "--event", str(path),
                            "--listen", f"127.0.0.1:{_free_port()}")
    _wait_until(lambda: control_file_path(db).exists() or serve.poll() is not None, "the control file")
    status = _run("host", "--db", str(db), "--json", "status", cwd=tmp_path)
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=30)
    output = processes.output("serve")
    calls = _emulator_request(f"{api_url}/_emulator/bot{TOKEN}/calls?method=setWebhook")

    assert serve.returncode == 0, output
    assert status.returncode == 0, status.stderr
    questions = json.loads(status.stdout)["questions"]
    assert [question["code"] for question in questions][0] == "ROME1"
    assert len(questions) == 2
    assert json.loads(status.stdout)["event"] == "live-from-file"
    assert calls[-1]["params"]["max_connections"] == 12
    # The output names the event as the database and `quizkit host` do, not the file it came from.
    assert "Serving event 'live-from-file' for bot" in output
    assert "live.toml'" not in output


def test_serve_event_file_other_bot_rejected(processes, tmp_path):  # noqa: F811 - the fixture
    path = _event_file(tmp_path, 'bot_username = "someone_else_bot"\n' + EVENT_FILE)
    api_url = _start_emulator(processes)

    run = _run("serve", "--api-url", api_url, "--event", str(path), "--listen", f"127.0.0.1:{_free_port()}",
               cwd=tmp_path)

    assert run.returncode == 1
    assert (f"bot_username is 'someone_else_bot', but the token belongs to @quizkit_rehearsal_bot; write "
            "bot_username = 'quizkit_rehearsal_bot'") in run.stderr
