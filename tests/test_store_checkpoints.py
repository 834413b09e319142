"""Log checkpoints on their own thread: the writer stops checkpointing, the thread does it instead."""

from __future__ import annotations

import sqlite3
import time

from quizkit.store import Store
from quizkit.store._checkpoints import DEFAULT_AUTO_CHECKPOINT_PAGES, BackgroundCheckpoints


def _auto_checkpoint(store: Store) -> int:
    return store._connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def _write_rows(store: Store, count: int) -> None:
    with store.transaction():
        store._connection.execute("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, data BLOB)")
        store._connection.executemany("INSERT INTO filler (data) VALUES (?)", [(b"x" * 4000,) for _ in range(count)])


def _copied_to_database_file(path, rows: int) -> bool:
    # Until a checkpoint copies them, the rows live only in the log (the -wal file).
    return path.stat().st_size >= rows * 4000


def test_writer_leaves_checkpoints_to_the_thread(db_path):
    store = Store(db_path)
    checkpoints = BackgroundCheckpoints(store, interval_s=0.05)
    checkpoints.start()
    try:
        assert _auto_checkpoint(store) == 0
        _write_rows(store, 1500)  # more than the 1,000 pages at which the writer would checkpoint
        deadline = time.monotonic() + 5
        while checkpoints.checkpoints < 2 and time.monotonic() < deadline:
            time.sleep(0.02)

        assert checkpoints.checkpoints >= 2
        assert checkpoints.failures == 0
        assert _copied_to_database_file(db_path, 1500)
    finally:
        checkpoints.stop()
    assert _auto_checkpoint(store) == DEFAULT_AUTO_CHECKPOINT_PAGES
    store.close()


def test_stop_checkpoints_what_was_written_last(db_path):
    store = Store(db_path)
    checkpoints = BackgroundCheckpoints(store, interval_s=60)
    checkpoints.start()
    _write_rows(store, 200)
    assert not _copied_to_database_file(db_path, 200)

    checkpoints.stop()

    assert checkpoints.checkpoints == 1
    assert _copied_to_database_file(db_path, 200)
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM filler").fetchone()[0] == 200
    store.close()


def test_server_writer_checkpoints_off_while_running(engine, emulator):
    from quizkit.server import Server
    from tests.conftest import TOKEN

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        assert server.call(_auto_checkpoint, engine.store) == 0
    assert _auto_checkpoint(engine.store) == DEFAULT_AUTO_CHECKPOINT_PAGES
