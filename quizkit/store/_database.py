"""One SQLite connection in WAL mode, shared by threads under a lock, with explicit transactions."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from quizkit.errors import StoreError
from quizkit.store._schema import migrate

logger = logging.getLogger("quizkit.store")

# How long a statement waits for another connection's lock before SQLite raises "database is locked".
BUSY_TIMEOUT_MS = 5000


# The last datetime that to_text formatted, with its text. One update stores the same `now` in
# several columns. A single tuple keeps the pair consistent when threads call to_text at once.
_last_formatted: tuple[datetime | None, str] = (None, "")


def to_text(moment: datetime | None) -> str | None:
    """Return an aware datetime as ISO 8601 text in UTC, the form stored in every time column."""
    global _last_formatted
    if moment is None:
        return None
    last_moment, last_text = _last_formatted
    if moment is last_moment:
        return last_text
    if moment.tzinfo is None:
        raise ValueError(f"Datetime {moment!r} has no time zone; pass an aware UTC datetime.")
    utc = moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)
    text = utc.isoformat()
    _last_formatted = (moment, text)
    return text


def to_datetime(text: str | None) -> datetime | None:
    """Parse a stored time column back into an aware UTC datetime."""
    if text is None:
        return None
    return datetime.fromisoformat(text)


def require_database(path: str | Path) -> None:
    """Raise StoreError, naming `path` and how to create a database, when no file exists there or it is a folder.

    Commands that only use an event call it first, so a mistyped path never becomes a new, empty
    database that hides the mistake.
    """
    if Path(path).is_file():
        return
    if Path(path).is_dir():
        raise StoreError(f"Database path {str(path)!r} is a folder; give the path of a database file in it.")
    raise StoreError(
        f"Database {str(path)!r} not found, and no file was created. Check the path, or create the event's "
        f"database with `quizkit serve --event EVENT.toml` (or `quizkit rehearse --db {path}` for a rehearsal)."
    )


def _open_failed(path: str, error: sqlite3.DatabaseError) -> StoreError:
    # SQLite's own messages ("file is not a database", "unable to open database file") name no file.
    return StoreError(
        f"Database {path!r} cannot be opened: {error}. Check that it is a file a quizkit Store wrote, and that "
        f"you may write to it and to its folder, where SQLite keeps its -wal and -shm files."
    )


def connect_reader(path: str | Path) -> sqlite3.Connection:
    """Open a read-only connection to a quizkit database, for another thread or process.

    In WAL mode a reader sees the last committed state while a write transaction is open, so it gets
    no "database is locked" error. The connection returns `sqlite3.Row` rows; close it when done.
    """
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


class Database:
    """A SQLite connection that several threads share: every statement runs under one re-entrant lock.

    `transaction()` groups statements into one write transaction. Statements outside it commit one by
    one (autocommit).
    """

    def __init__(self, path: str | Path, create: bool = True) -> None:
        if not create and path != ":memory:":
            require_database(path)
        self.path = str(path)
        self._lock = threading.RLock()
        self._depth = 0
        self._closed = False
        self._data_version: int | None = None
        # True once `_changed_elsewhere` has read data_version in the open write transaction.
        self._data_version_read = False

        try:
            self._connection = sqlite3.connect(
                self.path,
                check_same_thread=False,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        except sqlite3.DatabaseError as error:
            raise _open_failed(self.path, error) from error
        self._connection.row_factory = sqlite3.Row
        try:
            self._configure()
            migrate(self._connection, self.path)
        except sqlite3.DatabaseError as error:
            self._connection.close()
            raise _open_failed(self.path, error) from error

    def _configure(self) -> None:
        mode = self._connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and self.path != ":memory:":
            self._connection.close()
            raise StoreError(
                f"Database {self.path!r} cannot use WAL mode (SQLite reported {mode!r}); "
                f"put it on a local file system."
            )
        # NORMAL in WAL mode is durable against application crashes. A power loss can roll back the
        # last transactions, but it never corrupts the database.
        self._connection.execute("PRAGMA synchronous = NORMAL")
        self._connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._connection.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one write transaction: commit when it ends, roll back if it raises.

        A nested block joins the outer transaction. `BEGIN IMMEDIATE` takes the write lock at the
        start, so a writer in another process waits up to BUSY_TIMEOUT_MS for it instead of failing
        halfway through when it upgrades a read lock.
        """
        with self._lock:
            self._check_open()
            if self._depth == 0:
                self._connection.execute("BEGIN IMMEDIATE")
                self._data_version_read = False
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._data_version_read = False
                    self._rollback()
                    self._forget_cached()
                raise
            self._depth -= 1
            if self._depth == 0:
                self._data_version_read = False
                self._connection.execute("COMMIT")

    @property
    def transaction_depth(self) -> int:
        """The number of `transaction()` blocks open: 0 outside any, 1 in the outermost.

        Read it inside a `transaction()` block, where the lock keeps other threads out.
        """
        return self._depth

    def _rollback(self) -> None:
        # SQLite rolls back by itself after some errors, such as SQLITE_FULL ("database or disk is
        # full"); a ROLLBACK then fails and would replace the error that explains the failure.
        if not self._connection.in_transaction:
            return
        try:
            self._connection.execute("ROLLBACK")
        except sqlite3.Error:
            logger.warning("Rolling back %s failed", self.path, exc_info=True)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Run the block inside the current transaction so that, if it raises, only its own statements roll back.

        Raises StoreError outside `transaction()`.
        """
        with self._lock:
            self._check_open()
            if self._depth == 0:
                raise StoreError("A savepoint needs an open transaction; use it inside store.transaction().")
            self._connection.execute("SAVEPOINT quizkit_step")
            try:
                yield
            except BaseException:
                self._rollback_to_savepoint()
                self._forget_cached()
                raise
            self._connection.execute("RELEASE quizkit_step")

    def _rollback_to_savepoint(self) -> None:
        # After SQLITE_FULL and similar errors SQLite has already rolled back the whole transaction,
        # savepoint included, so ROLLBACK TO would fail and hide the error that explains why.
        if not self._connection.in_transaction:
            return
        try:
            self._connection.execute("ROLLBACK TO quizkit_step")
            self._connection.execute("RELEASE quizkit_step")
        except sqlite3.Error:
            logger.warning("Rolling back to a savepoint of %s failed", self.path, exc_info=True)

    def _forget_cached(self) -> None:
        """Drop whatever a subclass caches from the database; called after each rollback."""

    def _changed_elsewhere(self) -> bool:
        """Return True when another connection committed a change since the last call.

        SQLite's `PRAGMA data_version` changes only with commits of other connections, to this
        file, so the writes of this Store never count. Inside `transaction()` only the first call
        reads it, and later calls return False: BEGIN IMMEDIATE holds the write lock until the
        transaction ends, so no other connection can commit in between.
        """
        with self._lock:
            if self._depth > 0 and self._data_version_read:
                return False
            version = self._execute("PRAGMA data_version").fetchone()[0]
            changed = version != self._data_version
            self._data_version = version
            self._data_version_read = self._depth > 0
            return changed

    def set_auto_checkpoint(self, pages: int) -> None:
        """Checkpoint the log on commit once it passes `pages` pages; 0 leaves checkpoints to another connection."""
        with self._lock:
            self._check_open()
            self._connection.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")

    def reader(self) -> sqlite3.Connection:
        """Open a read-only connection to this database; see `connect_reader`."""
        return connect_reader(self.path)

    def close(self) -> None:
        """Close the connection; calling it again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"Store {self.path!r} is closed; open it again with Store(path).")

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            self._check_open()
            return self._connection.execute(sql, parameters)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            self._check_open()
            self._connection.executemany(sql, rows)

    def _one(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._execute(sql, parameters).fetchone()

    def _all(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._execute(sql, parameters).fetchall()
