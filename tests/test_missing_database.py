"""A database path that names no file: the commands that only use an event report it and create nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TOKEN

NOT_FOUND = ("Database {path!r} not found, and no file was created. Check the path, or create the event's "
             "database with `quizkit serve --event EVENT.toml` (or `quizkit rehearse --db {path}` for a rehearsal).")


def _quizkit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quizkit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env={"QUIZKIT_BOT_TOKEN": TOKEN, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})


@pytest.mark.parametrize("command", [
    ["serve", "--event", "codeweek", "--api-url", "http://127.0.0.1:9", "--listen", "127.0.0.1:0"],
    ["host", "status"],
    ["host", "open", "1"],
    ["export", "--out", "exported"],
    ["qr", "--event", "codeweek", "--out", "codes"],
    ["qr", "--out", "codes"],
], ids=lambda command: " ".join(command[:2]))
def test_missing_database_reported_not_created(tmp_path, command):
    path = tmp_path / "mistyped.db"

    run = _quizkit(*command[:1], "--db", str(path), *command[1:], cwd=tmp_path)

    assert run.returncode == 1
    assert run.stderr == f"quizkit: {NOT_FOUND.format(path=str(path))}\n"
    assert sorted(item.name for item in tmp_path.iterdir()) == []
