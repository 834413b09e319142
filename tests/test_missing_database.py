"""A database path that names no file: the commands that only use an event report it and create nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from quizkit import analysis
from quizkit.engine import Engine
from quizkit.errors import StoreError
from quizkit.store import Store
from tests.conftest import MISSING_DATABASE, TOKEN



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
    assert run.stderr == f"quizkit: {MISSING_DATABASE.format(path=str(path))}\n"
    assert sorted(item.name for item in tmp_path.iterdir()) == []


NOT_SQLITE = b"not a database, just notes\n" * 100


@pytest.mark.parametrize("command", [
    ["serve", "--event", "codeweek", "--api-url", "http://127.0.0.1:9", "--listen", "127.0.0.1:0"],
    ["export", "--out", "exported"],
    ["qr", "--out", "codes"],
], ids=lambda command: " ".join(command[:2]))
def test_database_not_sqlite_named_and_kept(tmp_path, command):
    path = tmp_path / "notes.db"
    path.write_bytes(NOT_SQLITE)

    run = _quizkit(*command[:1], "--db", str(path), *command[1:], cwd=tmp_path)

    assert run.returncode == 1
    assert run.stderr.startswith(f"quizkit: Database {str(path)!r} "), run.stderr
    assert "file is not a database" in run.stderr
    assert path.read_bytes() == NOT_SQLITE
    assert sorted(item.name for item in tmp_path.iterdir()) == ["notes.db"]


@pytest.mark.parametrize("command", [
    ["host", "status"],
    ["export", "--out", "exported"],
    ["qr", "--out", "codes"],
], ids=lambda command: " ".join(command[:2]))
def test_database_folder_reported(tmp_path, command):
    folder = tmp_path / "events"
    folder.mkdir()

    run = _quizkit(*command[:1], "--db", str(folder), *command[1:], cwd=tmp_path)

    assert run.returncode == 1
    assert run.stderr == (f"quizkit: Database path {str(folder)!r} is a folder; give the path of a database "
                          f"file in it.\n")
    assert list(folder.iterdir()) == []
    assert sorted(item.name for item in tmp_path.iterdir()) == ["events"]


def test_analysis_load_not_sqlite_names_path(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(NOT_SQLITE)

    with pytest.raises(StoreError, match=f"^Database {re.escape(repr(str(path)))} cannot be read: file is not"):
        analysis.load(path)

    assert path.read_bytes() == NOT_SQLITE


def test_store_not_sqlite_names_path(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(NOT_SQLITE)

    with pytest.raises(StoreError, match=f"^Database {re.escape(repr(str(path)))} cannot be opened: file is not"):
        Store(path, create=False)

    assert path.read_bytes() == NOT_SQLITE


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder with a quizkit database, both made immutable (chattr +i), so even root cannot write to them."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    store = Store(folder / "quiz.db")
    Engine.create_event(store, name="codeweek", language="en", channel_id=-1001, bot_username="quiz_bot")
    store.close()
    paths = [folder / "quiz.db", folder]
    flagged = []
    try:
        for path in paths:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
                pytest.skip("chattr +i is not available here (it needs root and a file system that supports it)")
            flagged.append(path)
        yield folder
    finally:
        for path in reversed(flagged):
            subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("command", [
    ["serve", "--event", "codeweek", "--api-url", "http://127.0.0.1:9", "--listen", "127.0.0.1:0"],
    ["export", "--out", "exported"],
], ids=lambda command: " ".join(command[:2]))
def test_database_read_only_named(read_only_folder, tmp_path, command):
    path = read_only_folder / "quiz.db"

    run = _quizkit(*command[:1], "--db", str(path), *command[1:], cwd=tmp_path)

    assert run.returncode == 1
    assert run.stderr.startswith(f"quizkit: Database {str(path)!r} "), run.stderr
    assert "unable to open database file" in run.stderr
    assert "write to it and to its folder" in run.stderr or "write to its folder" in run.stderr



def test_serve_unknown_event_names_the_command(tmp_path):
    path = tmp_path / "quiz.db"
    with Store(path) as store:
        Engine.create_event(store, name="codeweek", language="en", channel_id=-1001000000001,
                            bot_username="quizkit_test_bot")

    run = _quizkit("serve", "--db", str(path), "--event", "codewek", "--api-url", "http://127.0.0.1:9",
                   "--listen", "127.0.0.1:0", cwd=tmp_path)

    assert run.returncode == 1
    assert run.stderr == (
        f"quizkit: Event 'codewek' not found in {str(path)!r}; events: codeweek. Give the name of one of them, or "
        f"create the event from an event file with `quizkit serve --event EVENT.toml --db {path}`.\n"
    )
