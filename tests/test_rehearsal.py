"""`quizkit rehearse` and the command line, run as a user runs them: in a separate process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SUMMARY_KEYS = {
    "questions_closed", "answers_sent", "answers_stored", "updates_sent", "updates_acked",
    "podium_posts", "leaderboard", "duration_s", "peak_updates_per_s",
}


def _quizkit(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quizkit", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def _rehearse(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    summary_path = tmp_path / "summary.json"
    run = _quizkit("rehearse", "--db", str(tmp_path / "rehearsal.db"), "--summary-json", str(summary_path),
                   "--no-progress", *args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    return run, json.loads(summary_path.read_text())


@pytest.mark.parametrize("transport", ["webhook", "polling"])
def test_rehearse_classroom_completes(tmp_path, transport):
    run, summary = _rehearse(tmp_path, "--profile", "classroom", "--time-scale", "0.05", "--transport", transport)

    assert SUMMARY_KEYS <= summary.keys()
    assert summary["questions_closed"] == 5
    assert summary["answers_stored"] == summary["answers_sent"]
    assert summary["answers_sent"] > 100
    assert summary["updates_acked"] == summary["updates_sent"]
    assert summary["podium_posts"] == 5
    assert len(summary["leaderboard"]) == 10
    assert "Leaderboard" in run.stdout


def test_rehearse_codeweek2016_reproduces_first_event(tmp_path):
    run, summary = _rehearse(tmp_path)

    assert summary["questions_closed"] == 14
    assert summary["answers_sent"] == 7004
    assert summary["answers_stored"] == 7004
    assert summary["updates_acked"] == summary["updates_sent"]
    assert summary["podium_posts"] == 14
    assert summary["leaderboard"][0]["position"] == 1
    assert "974 participants" in run.stdout


def test_rehearse_twice_adds_a_second_event(tmp_path):
    _rehearse(tmp_path, "--profile", "classroom", "--time-scale", "0.05")
    _, summary = _rehearse(tmp_path, "--profile", "classroom", "--time-scale", "0.05")

    assert summary["answers_stored"] == summary["answers_sent"]


def test_cli_help_lists_every_command(tmp_path):
    run = _quizkit("--help", cwd=tmp_path)

    assert run.returncode == 0
    for command in ("rehearse", "emulator"):
        assert command in run.stdout
        sub = _quizkit(command, "--help", cwd=tmp_path)
        assert sub.returncode == 0
        assert "usage: quizkit " + command in sub.stdout


def test_cli_rejects_invalid_time_scale(tmp_path):
    run = _quizkit("rehearse", "--time-scale", "-1", cwd=tmp_path)

    assert run.returncode == 2
    assert "expected a positive number up to 1000, got '-1'" in run.stderr


@pytest.mark.parametrize("args, message", [
    (["emulator", "--port", "99999"], "expected a TCP port from 1 to 65535, got '99999'"),
    (["rehearse", "--participants", "abc"], "expected a positive integer, got 'abc'"),
    (["rehearse", "--db", "."], "'.' is a folder; give the path of a database file in it"),
    (["rehearse", "--summary-json", "missing/summary.json"], "folder 'missing' does not exist; create it first"),
])
def test_cli_rejects_bad_paths_and_numbers(tmp_path, args, message):
    run = _quizkit(*args, cwd=tmp_path)

    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_cli_emulator_port_in_use_is_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        run = _quizkit("emulator", "--port", str(port), cwd=tmp_path)

    assert run.returncode == 1
    assert f"The emulator cannot listen on 127.0.0.1:{port}" in run.stderr
    assert "Traceback" not in run.stderr
