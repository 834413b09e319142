"""SQLite storage for quizkit: `Store(path)` opens or creates a database in WAL mode.

`Store(path, create=False)` and `require_database(path)` reject a path that names no file, for the
commands that need an existing event.

The schema is versioned with `PRAGMA user_version` and migrated when a Store opens the file, so
reopening a database resumes every event: open questions, registrations, each participant's
conversation state, answers and the pending outbox.
"""

from quizkit.store._database import BUSY_TIMEOUT_MS, connect_reader, require_database
from quizkit.store._schema import SCHEMA_VERSION
from quizkit.store._store import AnswerResult, Conversation, EventSettings, OutboxRecord, Store

__all__ = [
    "BUSY_TIMEOUT_MS",
    "SCHEMA_VERSION",
    "AnswerResult",
    "Conversation",
    "EventSettings",
    "OutboxRecord",
    "Store",
    "connect_reader",
    "require_database",
]
