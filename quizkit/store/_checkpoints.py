"""Write-ahead log checkpoints on a thread of their own, so that a busy writer does not wait for them.

In WAL mode SQLite appends each commit to the log and, once the log passes 1,000 pages, the
committing connection copies the log back into the database file and syncs both to disk: a
checkpoint. Under a burst that connection is the server's event loop, and the sync stopped it for
milliseconds every few commits (see BENCHMARKS.md, "Checkpoints off the event loop"). While
`BackgroundCheckpoints` runs, the writer leaves checkpoints alone and a thread with its own
connection runs a PASSIVE checkpoint every `interval_s`, which never blocks the writer or readers.
Nothing changes for durability: a commit is in the log before the server acknowledges it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from quizkit.store._database import BUSY_TIMEOUT_MS, Database

logger = logging.getLogger("quizkit.store")

# SQLite's default for wal_autocheckpoint, restored on the writer when the thread stops.
DEFAULT_AUTO_CHECKPOINT_PAGES = 1000


class BackgroundCheckpoints:
    """Checkpoint `database`'s log on a daemon thread from `start()` until `stop()`."""

    def __init__(self, database: Database, interval_s: float = 0.5) -> None:
        self._database = database
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        self.failures = 0

    def start(self) -> None:
        """Open the thread's connection, turn the writer's own checkpoints off and start the thread."""
        connection = sqlite3.connect(self._database.path, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        self._database.set_auto_checkpoint(0)
        self._thread = threading.Thread(target=self._run, args=(connection,), name="quizkit-checkpoints",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint, and give checkpoints back to the writer."""
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join()
        self._thread = None
        self._database.set_auto_checkpoint(DEFAULT_AUTO_CHECKPOINT_PAGES)

    def _run(self, connection: sqlite3.Connection) -> None:
        try:
            while not self._stopping.wait(self._interval_s):
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            busy, log_pages, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as error:
            # The next round tries again; meanwhile the log only grows.
            self.failures += 1
            logger.debug("Checkpoint of %s failed: %s", self._database.path, error)
            return
        self.checkpoints += 1
        if busy or copied < log_pages:
            logger.debug("Checkpoint of %s copied %d of %d log pages", self._database.path, copied, log_pages)
