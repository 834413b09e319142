"""The SQLite schema, versioned with `PRAGMA user_version`.

`MIGRATIONS[i]` brings a database from version i to version i + 1. Append new migrations; never edit
one that has shipped, because databases written with it exist. Times are ISO 8601 text in UTC.
"""

from __future__ import annotations

import logging
import sqlite3

from quizkit.errors import SchemaVersionError

logger = logging.getLogger("quizkit.store")

_VERSION_1 = (
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        language TEXT NOT NULL,
        channel_id INTEGER,
        bot_username TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        code TEXT NOT NULL COLLATE NOCASE,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        answers TEXT NOT NULL,                      -- JSON array of accepted answers
        state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
        created_at TEXT NOT NULL,
        opened_at TEXT,
        closed_at TEXT,
        announcement_message_id INTEGER,
        live_count INTEGER NOT NULL DEFAULT 0,      -- answer count shown by the last queued count edit
        live_count_at TEXT,                         -- when that edit was queued
        UNIQUE (event_id, number),
        UNIQUE (event_id, code)
    )
    """,
    """
    CREATE TABLE participants (
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL,
        first_name TEXT NOT NULL,
        last_name TEXT,
        username TEXT,
        language_code TEXT,
        team_name TEXT,
        head_count INTEGER NOT NULL DEFAULT 1 CHECK (head_count BETWEEN 1 AND 499),
        selected_question_id INTEGER REFERENCES questions(id) ON DELETE SET NULL,
        registration_step TEXT CHECK (registration_step IN ('confirm', 'team_name', 'head_count')),
        pending_team_name TEXT,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        PRIMARY KEY (event_id, user_id)
    )
    """,
    """
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL,
        question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL,
        update_id INTEGER NOT NULL,
        raw_text TEXT NOT NULL,
        normalised TEXT NOT NULL,
        sent_at TEXT NOT NULL,                      -- Telegram's message date
        received_at TEXT NOT NULL,                  -- when our server received the update
        late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
        correct INTEGER CHECK (correct IN (0, 1)),  -- NULL until the question closes
        rank INTEGER,                               -- 1, 2, ... among correct in-time answers
        UNIQUE (question_id, user_id),
        FOREIGN KEY (event_id, user_id) REFERENCES participants(event_id, user_id) ON DELETE CASCADE
    )
    """,
    "CREATE INDEX answers_by_event_user ON answers(event_id, user_id)",
    """
    CREATE TABLE processed_updates (
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        update_id INTEGER NOT NULL,
        processed_at TEXT NOT NULL,
        PRIMARY KEY (event_id, update_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX processed_updates_by_time ON processed_updates(processed_at)",
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        question_id INTEGER REFERENCES questions(id) ON DELETE CASCADE,
        action TEXT NOT NULL CHECK (action IN ('send', 'edit')),
        purpose TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        message_id INTEGER,
        created_at TEXT NOT NULL,
        sent_at TEXT
    )
    """,
    "CREATE INDEX outbox_by_status ON outbox(event_id, status, id)",
)

# Updates received per second and kind ("update", "answer", ...), for the traffic chart after the event.
# `second` is Unix time in whole seconds (UTC), an integer so that counters sum with one UPSERT.
_VERSION_2 = (
    """
    CREATE TABLE traffic (
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        second INTEGER NOT NULL,
        kind TEXT NOT NULL,
        count INTEGER NOT NULL CHECK (count >= 0),
        PRIMARY KEY (event_id, second, kind)
    ) WITHOUT ROWID
    """,
)

# Question kinds beyond free text, time limits, speed scores and event settings.
# - events: how many correct answers the results post lists, and whether scores and the
#   leaderboard are shown to participants.
# - questions: the options of a choice question (JSON array, empty for other kinds), the time
#   limit in seconds and the moment it ends, stored at opening so a restarted server still
#   closes the question on time.
# - answers: the speed score, set on close like `correct` and `rank`.
# - outbox: the message that an edit in a private chat changes; channel edits leave it NULL
#   and change the question's announcement.
_VERSION_3 = (
    "ALTER TABLE events ADD COLUMN podium_size INTEGER NOT NULL DEFAULT 3 CHECK (podium_size BETWEEN 1 AND 20)",
    "ALTER TABLE events ADD COLUMN scoring INTEGER NOT NULL DEFAULT 0 CHECK (scoring IN (0, 1))",
    "ALTER TABLE events ADD COLUMN leaderboard INTEGER NOT NULL DEFAULT 1 CHECK (leaderboard IN (0, 1))",
    "ALTER TABLE questions ADD COLUMN options TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE questions ADD COLUMN time_limit_s REAL CHECK (time_limit_s > 0)",
    "ALTER TABLE questions ADD COLUMN deadline_at TEXT",
    "ALTER TABLE answers ADD COLUMN score INTEGER CHECK (score BETWEEN 0 AND 1000)",
    "ALTER TABLE outbox ADD COLUMN target_message_id INTEGER",
)

# Version 4: users who blocked the bot in their private chat (a my_chat_member update with status
# "kicked", or a 403 "bot was blocked by the user"). Nothing more is sent to them until they
# restart the bot. A separate table, because a user may block the bot before ever playing.
_VERSION_4 = (
    """
    CREATE TABLE blocked_users (
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL,
        blocked_at TEXT NOT NULL,
        PRIMARY KEY (event_id, user_id)
    )
    """,
)

# Microseconds since the Unix epoch of a stored time column (ISO 8601 in UTC, as to_text writes it:
# "2016-10-20T10:00:01.123456+00:00", without the fraction when it is zero), exact as integers.
_MICROSECONDS = (
    "(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 + "
    "CASE WHEN substr({column}, 20, 1) = '.' THEN CAST(substr({column}, 21, 6) AS INTEGER) ELSE 0 END)"
)

# Each in-time answer's delay from its question's opening, stored when the question closes, so the
# leaderboard is one aggregate query instead of a Python loop over every correct answer. The
# partial index covers that query and is written only at close, when answers become correct.
_VERSION_5 = (
    # Microseconds, never below zero; NULL until the question closes, and for late answers.
    "ALTER TABLE answers ADD COLUMN delay_us INTEGER",
    f"""
    UPDATE answers SET delay_us = MAX(0, COALESCE(
        {_MICROSECONDS.format(column="received_at")} - (
            SELECT {_MICROSECONDS.format(column="q.opened_at")} FROM questions q WHERE q.id = answers.question_id),
        0))
    WHERE late = 0 AND question_id IN (SELECT id FROM questions WHERE state = 'closed')
    """,
    "CREATE INDEX answers_scoring ON answers(event_id, user_id, question_id, delay_us, score) "
    "WHERE correct = 1 AND late = 0",
)

# Version 6, crash recovery.
# - outbox: `sending_since` is set, and committed, before the Bot API call and cleared when its
#   outcome is stored. A server that starts and finds it set cannot tell whether the call went
#   out, so it counts the item in `interrupted` and sends it again.
# - processed_updates: the replies to the update as JSON, sent again when the update is
#   redelivered because its first reply was lost with a crash. NULL when there were none, or once
#   polling cleared them just before sending.
_VERSION_6 = (
    "ALTER TABLE outbox ADD COLUMN sending_since TEXT",
    "ALTER TABLE outbox ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE processed_updates ADD COLUMN replies TEXT",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_VERSION_1, _VERSION_2, _VERSION_3, _VERSION_4, _VERSION_5, _VERSION_6)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: sqlite3.Connection, path: str) -> None:
    """Apply the missing migrations, each in its own transaction with its version bump.

    Raises SchemaVersionError when the database is newer than this code, because writing to it could
    break the newer schema.
    """
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"Database {path!r} has schema version {version}, but this quizkit supports up to "
            f"{SCHEMA_VERSION}; upgrade quizkit to open it."
        )

    for target in range(version + 1, SCHEMA_VERSION + 1):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[target - 1]:
                connection.execute(statement)
            # PRAGMA takes no parameters; `target` is an int from range(), never user input.
            connection.execute(f"PRAGMA user_version = {int(target)}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        logger.debug("migrated %s to schema version %d", path, target)
