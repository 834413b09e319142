"""The SQLite store: pragmas, schema versions, transactions, concurrent readers, reopening."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quizkit.errors import EventExists, SchemaVersionError, StoreError
from quizkit.model import Answer, Sender
from quizkit.store import SCHEMA_VERSION, Conversation, Store, connect_reader
from quizkit.store._database import to_text
from tests.conftest import MISSING_DATABASE

START = datetime(2024, 10, 14, 18, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "quiz.db")
    yield opened
    opened.close()


def _event(store: Store, name: str = "codeweek") -> int:
    return store.insert_event(name, "en", -1001, "quizkit_bot", START).id


def test_store_uses_wal_and_pragmas(store):
    connection = sqlite3.connect(store.path)

    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._one("PRAGMA synchronous")[0] == 1  # NORMAL
    assert store._one("PRAGMA foreign_keys")[0] == 1
    assert store._one("PRAGMA busy_timeout")[0] == 5000
    connection.close()


def test_store_sets_schema_version(store):
    assert store._one("PRAGMA user_version")[0] == SCHEMA_VERSION


def test_store_rejects_newer_schema(tmp_path):
    path = tmp_path / "future.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()

    with pytest.raises(SchemaVersionError) as raised:
        Store(path)

    assert str(raised.value) == (
        f"Database {str(path)!r} has schema version {SCHEMA_VERSION + 1}, but this quizkit supports up to "
        f"{SCHEMA_VERSION}; upgrade quizkit to open it."
    )


def test_store_reopen_keeps_data(tmp_path):
    path = tmp_path / "quiz.db"
    first = Store(path)
    event_id = _event(first)
    first.close()

    second = Store(path)

    assert second.event("codeweek").id == event_id
    assert second._one("PRAGMA user_version")[0] == SCHEMA_VERSION
    second.close()


def test_store_duplicate_event_raises(store):
    _event(store)

    with pytest.raises(EventExists) as raised:
        _event(store)

    assert str(raised.value) == (
        f"Event 'codeweek' already exists in {store.path!r}; resume it with "
        "Engine.load(store, name='codeweek') or choose another name."
    )


def test_store_transaction_rolls_back_on_error(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            _event(store, "rolled-back")
            raise RuntimeError("boom")

    assert store.event("rolled-back") is None


def test_store_nested_transaction_joins_outer(store):
    with store.transaction():
        with store.transaction():
            _event(store, "inner")
        assert store._connection.in_transaction

    assert store.event("inner") is not None


def test_store_parameters_keep_quotes_verbatim(store):
    name = "Robert'); DROP TABLE events;--"

    _event(store, name)

    assert store.event(name).name == name
    assert store.event_names() == [name]


def test_store_foreign_keys_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        store.insert_question(999, 1, "KX1", "text", "Capital?", ("Roma",), START)


def test_store_insert_answer_once_per_question(store):
    event_id = _event(store)
    question = store.insert_question(event_id, 1, "KX1", "text", "Capital?", ("Roma",), START)
    store.upsert_participant(event_id, Sender(7, "Anna"), START)
    first = Answer(question.id, 7, 10, "Roma", "roma", START, START)
    second = Answer(question.id, 7, 11, "Milano", "milano", START, START)

    assert store.insert_answer(event_id, first) is True
    assert store.insert_answer(event_id, second) is False
    assert store.answer(question.id, 7) == first


def test_store_upsert_participant_returns_conversation(store):
    event_id = _event(store)
    question = store.insert_question(event_id, 1, "KX1", "text", "Capital?", ("Roma",), START)
    stored = Conversation(question.id, "head_count", "Lupi")

    new = store.upsert_participant(event_id, Sender(7, "Anna"), START)
    store.set_conversation(event_id, 7, stored)
    again = store.upsert_participant(event_id, Sender(7, "Anna", "Rossi", "anna"), START)

    assert new == Conversation()
    assert again == stored
    assert store.participant(event_id, 7).last_name == "Rossi"
    assert store.participant(event_id, 7).username == "anna"


def test_store_mark_update_processed_once(store):
    event_id = _event(store)

    assert store.mark_update_processed(event_id, 500, START) is True
    assert store.mark_update_processed(event_id, 500, START) is False


def test_store_close_is_idempotent(tmp_path):
    opened = Store(tmp_path / "quiz.db")

    opened.close()
    opened.close()

    with pytest.raises(StoreError) as raised:
        opened.event("codeweek")
    assert str(raised.value) == f"Store {opened.path!r} is closed; open it again with Store(path)."


def test_store_reader_sees_committed_data_during_write(store):
    _event(store, "committed")
    reader = store.reader()

    with store.transaction():
        _event(store, "uncommitted")
        names = [row["name"] for row in reader.execute("SELECT name FROM events ORDER BY id")]

    assert names == ["committed"]
    assert [row["name"] for row in reader.execute("SELECT name FROM events ORDER BY id")] == ["committed", "uncommitted"]
    reader.close()


def test_store_reader_thread_not_blocked(store):
    _event(store, "committed")
    seen: list[object] = []

    def read() -> None:
        connection = connect_reader(store.path)
        try:
            seen.append(connection.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        except sqlite3.Error as error:
            seen.append(error)
        finally:
            connection.close()

    with store.transaction():
        _event(store, "uncommitted")
        thread = threading.Thread(target=read)
        thread.start()
        thread.join(timeout=2)
        alive = thread.is_alive()

    assert alive is False
    assert seen == [1]


def test_store_reader_process_not_blocked(store):
    _event(store, "committed")
    script = (
        "import sys; from quizkit.store import connect_reader; "
        "print(connect_reader(sys.argv[1]).execute('SELECT COUNT(*) FROM events').fetchone()[0])"
    )

    with store.transaction():
        _event(store, "uncommitted")
        completed = subprocess.run(
            [sys.executable, "-c", script, store.path],
            capture_output=True,
            text=True,
            timeout=20,
            cwd=Path(__file__).resolve().parents[1],
        )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "1"


def test_store_reader_cannot_write(store):
    reader = store.reader()

    with pytest.raises(sqlite3.OperationalError):
        reader.execute("DELETE FROM events")
    reader.close()


def test_store_add_traffic_sums_counts(store):
    event_id = _event(store)

    store.add_traffic(event_id, [(1_700_000_000, "update", 3), (1_700_000_000, "answer", 2)])
    store.add_traffic(event_id, [(1_700_000_000, "update", 4), (1_700_000_001, "update", 1)])

    assert store.traffic(event_id) == [
        (1_700_000_000, "answer", 2),
        (1_700_000_000, "update", 7),
        (1_700_000_001, "update", 1),
    ]


def test_store_traffic_kept_per_event(store):
    first = _event(store, "first")
    second = _event(store, "second")

    store.add_traffic(first, [(1_700_000_000, "update", 5)])
    store.add_traffic(second, [(1_700_000_000, "update", 2)])

    assert store.traffic(first) == [(1_700_000_000, "update", 5)]
    assert store.traffic(second) == [(1_700_000_000, "update", 2)]


def test_engine_record_traffic_commits(tmp_path):
    from quizkit.engine import Engine

    path = tmp_path / "quiz.db"
    writer = Store(path)
    engine = Engine.create_event(writer, name="codeweek", language="en", channel_id=None, bot_username="quizkit_bot")

    engine.record_traffic([(1_700_000_000, "update", 3)])
    engine.record_traffic(iter([(1_700_000_000, "update", 2)]))

    reader = connect_reader(path)
    rows = reader.execute("SELECT event_id, second, kind, count FROM traffic").fetchall()
    assert [tuple(row) for row in rows] == [(engine.event.id, 1_700_000_000, "update", 5)]
    reader.close()
    writer.close()


def test_store_upgrades_version_1_in_place(tmp_path):
    from quizkit.store._schema import MIGRATIONS

    path = tmp_path / "v1.db"
    connection = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        connection.execute(statement)
    connection.execute(
        "INSERT INTO events (name, language, channel_id, bot_username, created_at) "
        "VALUES ('codeweek', 'it', -1001, 'quizkit_bot', '2016-10-14T18:00:00+00:00')"
    )
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()

    upgraded = Store(path)
    event_id = upgraded.event("codeweek").id
    upgraded.add_traffic(event_id, [(1_476_468_000, "update", 9)])

    assert upgraded._one("PRAGMA user_version")[0] == SCHEMA_VERSION
    assert SCHEMA_VERSION == 6
    assert upgraded.event_names() == ["codeweek"]
    assert upgraded.traffic(event_id) == [(1_476_468_000, "update", 9)]
    upgraded.close()


def test_store_upgrade_backfills_answer_delays(tmp_path):
    from quizkit.store._schema import MIGRATIONS

    path = tmp_path / "v2.db"
    connection = sqlite3.connect(path)
    for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
        connection.execute(statement)
    connection.execute("PRAGMA user_version = 2")
    connection.execute(
        "INSERT INTO events (id, name, language, channel_id, bot_username, created_at) "
        "VALUES (1, 'codeweek', 'it', -1001, 'quizkit_bot', '2016-10-14T18:00:00+00:00')"
    )
    connection.execute(
        "INSERT INTO questions (id, event_id, number, code, kind, text, answers, state, created_at, opened_at) "
        "VALUES (7, 1, 1, 'IY1', 'text', 'Capitale?', '[\"Roma\"]', 'closed', '2016-10-14T18:00:00+00:00', "
        "'2016-10-14T18:00:00.250000+00:00')"
    )
    answers = [  # user_id, received_at, late, correct
        (1, "2016-10-14T18:00:01.750001+00:00", 0, 1),
        (2, "2016-10-14T18:00:03+00:00", 0, 1),
        (3, "2016-10-14T17:59:59+00:00", 0, 1),  # the server's clock ran behind: the delay is 0
        (4, "2016-10-14T18:05:00+00:00", 1, None),
    ]
    for user_id, received_at, late, correct in answers:
        connection.execute(
            "INSERT INTO participants (event_id, user_id, first_name, first_seen_at, last_seen_at) "
            "VALUES (1, ?, ?, ?, ?)", (user_id, f"User {user_id}", received_at, received_at))
        connection.execute(
            "INSERT INTO answers (event_id, question_id, user_id, update_id, raw_text, normalised, sent_at, "
            "received_at, late, correct) VALUES (1, 7, ?, ?, 'roma', 'roma', ?, ?, ?, ?)",
            (user_id, 100 + user_id, received_at, received_at, late, correct))
    connection.commit()
    connection.close()

    upgraded = Store(path)
    delays = [tuple(row) for row in upgraded._all("SELECT user_id, delay_us FROM answers ORDER BY user_id")]
    totals = [(participant.user_id, correct, delay_us)
              for participant, correct, delay_us, _ in upgraded.leaderboard_totals(1)]
    upgraded.close()

    assert delays == [(1, 1_500_001), (2, 2_750_000), (3, 0), (4, None)]
    assert totals == [(3, 1, 0), (1, 1, 1_500_001), (2, 1, 2_750_000)]

def _version_2_database(path) -> None:
    """Write a schema-2 database with an event, a closed question, an answer and a sent announcement."""
    from quizkit.store._schema import MIGRATIONS

    connection = sqlite3.connect(path)
    for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
        connection.execute(statement)
    connection.executescript(
        """
        INSERT INTO events (id, name, language, channel_id, bot_username, created_at)
        VALUES (1, 'codeweek', 'it', -1001, 'quizkit_bot', '2016-10-14T18:00:00+00:00');
        INSERT INTO questions (id, event_id, number, code, kind, text, answers, state, created_at, opened_at,
                               closed_at, announcement_message_id)
        VALUES (1, 1, 1, 'KX1', 'text', 'Capitale?', '["Roma"]', 'closed', '2016-10-14T18:00:00+00:00',
                '2016-10-14T18:01:00+00:00', '2016-10-14T18:02:00+00:00', 7);
        INSERT INTO participants (event_id, user_id, first_name, first_seen_at, last_seen_at)
        VALUES (1, 42, 'Anna', '2016-10-14T18:01:00+00:00', '2016-10-14T18:01:00+00:00');
        INSERT INTO answers (event_id, question_id, user_id, update_id, raw_text, normalised, sent_at, received_at,
                             late, correct, rank)
        VALUES (1, 1, 42, 1000, 'Roma', 'roma', '2016-10-14T18:01:05+00:00', '2016-10-14T18:01:05+00:00', 0, 1, 1);
        INSERT INTO outbox (event_id, question_id, action, purpose, chat_id, text, status, created_at)
        VALUES (1, 1, 'edit', 'answer_reveal', -1001, 'Risposta: Roma', 'pending', '2016-10-14T18:02:00+00:00');
        PRAGMA user_version = 2;
        """
    )
    connection.commit()
    connection.close()


def test_store_upgrades_version_2_in_place(tmp_path):
    path = tmp_path / "v2.db"
    _version_2_database(path)

    upgraded = Store(path)
    event = upgraded.event("codeweek")
    question = upgraded.questions(event.id)[0]
    answer = upgraded.answer(question.id, 42)
    pending = upgraded.outbox_ready(event.id, 10)

    assert upgraded._one("PRAGMA user_version")[0] == SCHEMA_VERSION
    assert (event.podium_size, event.scoring, event.leaderboard) == (3, False, True)
    assert (question.options, question.time_limit_s, question.deadline_at) == ((), None, None)
    assert (question.answers, question.announcement_message_id) == (("Roma",), 7)
    assert (answer.raw_text, answer.correct, answer.rank, answer.score) == ("Roma", True, 1, None)
    assert [(item.purpose, item.target_message_id) for item in pending] == [("answer_reveal", None)]
    upgraded.close()


def test_store_version_2_event_plays_on(tmp_path):
    from quizkit.engine import Engine

    path = tmp_path / "v2.db"
    _version_2_database(path)

    store = Store(path)
    engine = Engine.load(store, "codeweek")
    engine.update_settings(podium_size=5, scoring=True)
    choice = engine.add_question(text="Città?", kind="choice", options=["Milano", "Roma"], answers=["Roma"],
                                 time_limit_s=30)

    reopened = Store(path)
    assert Engine.load(reopened, "codeweek").event.podium_size == 5
    assert reopened.question_by_id(choice.id).options == ("Milano", "Roma")
    assert reopened.question_by_id(choice.id).time_limit_s == 30.0
    assert [row.correct for row in engine.leaderboard()] == [1]
    reopened.close()
    store.close()


def test_store_full_disk_error_survives_rollback(tmp_path):
    # SQLite rolls back by itself on SQLITE_FULL; the error must still say the disk is full.
    from quizkit.engine import Engine

    store = Store(tmp_path / "full.db")
    event_id = Engine.create_event(store, name="full", language="en", channel_id=None,
                                   bot_username="quizkit_bot").event.id
    pages = store._one("PRAGMA page_count")[0]
    store._execute(f"PRAGMA max_page_count = {pages}")

    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        with store.transaction():
            store.add_traffic(event_id, [(second, "update", 1) for second in range(5000)])

    assert not store._connection.in_transaction
    store.close()


def _add_question(store: Store, event_id: int, number: int, code: str) -> int:
    return store.insert_question(event_id, number, code, "text", f"Question {number}?", ("Roma",), START).id


def test_store_questions_follow_own_writes(store):
    event_id = _event(store)
    first = _add_question(store, event_id, 1, "RM1")
    assert [question.code for question in store.questions(event_id)] == ["RM1"]

    _add_question(store, event_id, 2, "KX2")
    store.set_question_opened(first, START)
    store.set_announcement_message_id(first, 77)

    questions = store.questions(event_id)
    assert [question.code for question in questions] == ["RM1", "KX2"]
    assert questions[0].state.value == "open"
    assert questions[0].announcement_message_id == 77
    assert store.event_question(event_id, first) == questions[0]


def test_store_questions_follow_other_connection(store):
    event_id = _event(store)
    question_id = _add_question(store, event_id, 1, "RM1")
    assert store.questions(event_id)[0].state.value == "draft"

    other = Store(store.path)
    other.set_question_opened(question_id, START)
    other.close()

    assert store.questions(event_id)[0].state.value == "open"
    assert store.event_question(event_id, question_id).state.value == "open"


def test_store_questions_forget_rolled_back_write(store):
    event_id = _event(store)
    _add_question(store, event_id, 1, "RM1")

    with pytest.raises(RuntimeError):
        with store.transaction():
            _add_question(store, event_id, 2, "KX2")
            assert len(store.questions(event_id)) == 2
            raise RuntimeError("roll back")

    assert [question.code for question in store.questions(event_id)] == ["RM1"]
    assert store.event_question(event_id, 999) is None


def test_store_data_version_once_per_transaction(store):
    event_id = _event(store)
    _add_question(store, event_id, 1, "RM1")
    statements: list[str] = []
    store._connection.set_trace_callback(statements.append)

    with store.transaction():
        store.questions(event_id)
        store.questions(event_id)
        store.event_question(event_id, 1)
    store.questions(event_id)
    store.questions(event_id)

    assert statements.count("PRAGMA data_version") == 3


def test_store_next_transaction_sees_other_connection(store):
    event_id = _event(store)
    question_id = _add_question(store, event_id, 1, "RM1")
    with store.transaction():
        assert store.questions(event_id)[0].state.value == "draft"

    other = Store(store.path)
    other.set_question_opened(question_id, START)
    other.close()

    with store.transaction():
        assert store.questions(event_id)[0].state.value == "open"
        assert store.event_question(event_id, question_id).state.value == "open"


def test_store_rollback_rereads_data_version(store):
    event_id = _event(store)
    question_id = _add_question(store, event_id, 1, "RM1")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.questions(event_id)
            raise RuntimeError("roll back")

    other = Store(store.path)
    other.set_question_opened(question_id, START)
    other.close()

    with store.transaction():
        assert store.questions(event_id)[0].state.value == "open"


def test_to_text_converts_to_utc_every_call():
    rome = timezone(timedelta(hours=2))
    local = datetime(2024, 10, 14, 20, 0, 0, 500, tzinfo=rome)

    assert to_text(START) == "2024-10-14T18:00:00+00:00"
    assert to_text(START) == "2024-10-14T18:00:00+00:00"
    assert to_text(local) == "2024-10-14T18:00:00.000500+00:00"
    assert to_text(local) == "2024-10-14T18:00:00.000500+00:00"
    assert to_text(START + timedelta(seconds=1)) == "2024-10-14T18:00:01+00:00"
    assert to_text(None) is None


def test_to_text_rejects_naive_datetime():
    to_text(START)

    with pytest.raises(ValueError, match="has no time zone"):
        to_text(START.replace(tzinfo=None))


def test_store_event_question_by_code(store):
    event_id = _event(store)
    first = _add_question(store, event_id, 1, "RM1")
    lower = _add_question(store, event_id, 2, "kx2")
    assert store.event_question_by_code(event_id, "KX2").id == lower

    later = _add_question(store, event_id, 3, "HT3")

    assert store.event_question_by_code(event_id, "HT3").id == later
    assert store.event_question_by_code(event_id, "RM1").id == first
    assert store.event_question_by_code(event_id, "kx2") is None
    assert store.event_question_by_code(event_id, "ZZ9") is None
    assert store.event_question_by_code(_event(store, "other"), "RM1") is None


def test_store_without_create_rejects_missing_file(tmp_path):
    path = tmp_path / "mistyped.db"

    with pytest.raises(StoreError) as raised:
        Store(path, create=False)

    assert str(raised.value) == MISSING_DATABASE.format(path=str(path))
    assert not path.exists()


def test_store_without_create_opens_existing_file(tmp_path):
    path = tmp_path / "quiz.db"
    Store(path).close()

    store = Store(path, create=False)
    try:
        assert store.event_names() == []
    finally:
        store.close()
