"""quizkit.analysis over a small event built here through the Engine, with exact expected numbers.

The event "quiz" (clock starts at START, times below in seconds from it):

    Q1 KX1 "Roma"    opens 0, closes 20:  ANNA 2 ok (rank 1), BRUNO 5 "Milano", CARLA 7 ok (rank 2),
                                          DARIO 12 "milano"; ELENA 25 "Torino" (late)
    Q2 HT2 "42"      opens 30, closes 50: BRUNO 31 ok (rank 1), ANNA 34 "41", CARLA 40 ok (rank 2)
    Q3 JP3 "Jupiter" opens 60, stays open: ANNA 63 "Jupiter", DARIO 66 "Saturn"

ANNA leads the team "Aquile Reali" of 4 people, and FABIO only sends /help. Ids and names are long
and distinctive, so the anonymisation tests can search the exported files for them."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pandas as pd
import pytest

from quizkit import analysis
from quizkit.engine import Engine
from quizkit.errors import EventNotFound, StoreError
from quizkit.model import Sender
from quizkit.store import Store
from tests.conftest import MISSING_DATABASE
from tests.engine_support import START, Chat, FakeClock

ANNA = Sender(user_id=730145821, first_name="Annabella", last_name="Rossini", username="annabella_r", language_code="en")
BRUNO = Sender(user_id=730145822, first_name="Brunhilde", language_code="en-GB")
CARLA = Sender(user_id=730145823, first_name="Carlotta", username="carlotta_q", language_code="it")
DARIO = Sender(user_id=730145824, first_name="Dariusz", last_name="Kowalczyk", language_code="it-IT")
ELENA = Sender(user_id=730145825, first_name="Eleonora", language_code=None)
FABIO = Sender(user_id=730145826, first_name="Fabrizio", language_code="it")
PEOPLE = (ANNA, BRUNO, CARLA, DARIO, ELENA, FABIO)
TEAM = "Aquile Reali"
SECOND_0 = int(START.timestamp())


def _at(clock: FakeClock, seconds: float) -> None:
    clock.now = START + timedelta(seconds=seconds)


@pytest.fixture
def db(tmp_path):
    """Path of a database with the event described in the module docstring."""
    path = tmp_path / "quiz.db"
    clock = FakeClock()
    store = Store(path)
    engine = Engine.create_event(store, name="quiz", language="en", channel_id=-1001, bot_username="quizkit_bot", clock=clock)
    engine.add_question(text="Capital of Italy?", answers=["Roma", "Rome"], code="KX1")
    engine.add_question(text="Six times seven?", answers=["42"], code="HT2", kind="number")
    engine.add_question(text="Largest planet?", answers=["Jupiter"], code="JP3")
    chat = Chat(engine, clock)

    chat.send(FABIO, "/help")
    engine.open_question("KX1")
    for seconds, person, text in [(2, ANNA, "Roma"), (5, BRUNO, "Milano"), (7, CARLA, "rome!"), (12, DARIO, "milano")]:
        _at(clock, seconds)
        chat.answer(person, "KX1", text)
    _at(clock, 20)
    engine.close_question("KX1")
    _at(clock, 25)
    chat.answer(ELENA, "KX1", "Torino")
    store.set_team(engine.event.id, ANNA.user_id, TEAM, 4)

    _at(clock, 30)
    engine.open_question("HT2")
    for seconds, person, text in [(31, BRUNO, "42"), (34, ANNA, "41"), (40, CARLA, "42")]:
        _at(clock, seconds)
        chat.answer(person, "HT2", text)
    _at(clock, 50)
    engine.close_question("HT2")

    _at(clock, 60)
    engine.open_question("JP3")
    for seconds, person, text in [(63, ANNA, "Jupiter"), (66, DARIO, "Saturn")]:
        _at(clock, seconds)
        chat.answer(person, "JP3", text)

    engine.record_traffic([(SECOND_0, "update", 3), (SECOND_0, "answer", 1), (SECOND_0 + 2, "update", 2)])
    engine.record_traffic([(SECOND_0, "update", 1)])
    store.close()
    return path


@pytest.fixture
def results(db):
    return analysis.load(db)


# Loading


def test_load_picks_only_event(results):
    assert results.event == "quiz"
    assert results.language == "en"


def test_load_participants_columns_and_dtypes(results):
    participants = results.participants

    assert participants["user_id"].tolist() == [person.user_id for person in PEOPLE]
    assert participants["first_name"].tolist() == [person.first_name for person in PEOPLE]
    assert participants["last_name"].isna().tolist() == [False, True, True, False, True, True]
    assert participants["team_name"].tolist()[0] == TEAM
    assert participants["head_count"].tolist() == [4, 1, 1, 1, 1, 1]
    assert str(participants["user_id"].dtype) == "Int64"
    assert str(participants["first_seen_at"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(participants["language_code"].dtype, pd.CategoricalDtype)
    assert participants.loc[participants["user_id"] == FABIO.user_id, "first_seen_at"].item() == pd.Timestamp(START)


def test_load_teams(results):
    assert results.teams.to_dict("records") == [{"team_name": TEAM, "leader_user_id": ANNA.user_id, "head_count": 4}]


def test_load_questions(results):
    questions = results.questions

    assert questions["code"].tolist() == ["KX1", "HT2", "JP3"]
    assert questions["state"].tolist() == ["closed", "closed", "open"]
    assert questions["accepted"].tolist() == ["Roma | Rome", "42", "Jupiter"]
    assert questions["kind"].tolist() == ["text", "number", "text"]
    assert questions["opened_at"].tolist() == [pd.Timestamp(START) + pd.Timedelta(seconds=s) for s in (0, 30, 60)]
    assert questions["closed_at"].iloc[1] == pd.Timestamp(START) + pd.Timedelta(seconds=50)
    assert questions["closed_at"].isna().tolist() == [False, False, True]
    assert list(questions["state"].dtype.categories) == ["draft", "open", "closed"]


def test_load_answers(results):
    answers = results.answers

    assert answers["number"].tolist() == [1, 1, 1, 1, 1, 2, 2, 2, 3, 3]
    assert answers["delay_s"].tolist() == [2.0, 5.0, 7.0, 12.0, 25.0, 1.0, 4.0, 10.0, 3.0, 6.0]
    assert answers["late"].tolist() == [False] * 4 + [True] + [False] * 5
    assert answers["correct"].tolist()[:8] == [True, False, True, False, False, True, False, True]
    assert answers["correct"].isna().tolist()[8:] == [True, True]
    assert answers["rank"].tolist()[:8] == [1, pd.NA, 2, pd.NA, pd.NA, 1, pd.NA, 2]
    assert answers["normalised"].tolist()[2] == "rome"
    assert answers["raw_text"].tolist()[2] == "rome!"
    assert str(answers["correct"].dtype) == "boolean"
    assert str(answers["rank"].dtype) == "Int64"
    assert str(answers["received_at"].dtype) == "datetime64[ns, UTC]"


def test_load_traffic(results):
    traffic = results.traffic

    assert traffic["second"].tolist() == [pd.Timestamp(START)] * 2 + [pd.Timestamp(START) + pd.Timedelta(seconds=2)]
    assert traffic["kind"].tolist() == ["answer", "update", "update"]
    assert traffic["count"].tolist() == [1, 4, 2]
    assert str(traffic["second"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(traffic["kind"].dtype, pd.CategoricalDtype)


def test_load_picks_most_recent_event(db):
    store = Store(db)
    clock = FakeClock(START + timedelta(days=1))
    Engine.create_event(store, name="later", language="it", channel_id=None, bot_username="quizkit_bot", clock=clock)
    store.close()

    assert analysis.load(db).event == "later"
    assert analysis.load(db, event="quiz").event == "quiz"
    assert len(analysis.load(db, event="quiz").answers) == 10


def test_load_unknown_event_names_present(db):
    with pytest.raises(EventNotFound) as raised:
        analysis.load(db, event="nope")

    assert str(raised.value) == f"Event 'nope' not found in {str(db)!r}; events: quiz."


def test_load_missing_file_raises(tmp_path):
    path = tmp_path / "missing.db"

    with pytest.raises(StoreError) as raised:
        analysis.load(path)

    assert str(raised.value) == MISSING_DATABASE.format(path=str(path))
    assert not path.exists()


def test_load_non_quizkit_file_raises(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()

    with pytest.raises(StoreError) as raised:
        analysis.load(path)

    assert str(raised.value).startswith(f"Database {str(path)!r} has no quizkit schema (user_version 0)")


def test_analysis_import_skips_matplotlib_and_telegram():
    code = "import sys, quizkit.analysis; print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'telegram'}))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    assert run.stdout.strip() == "[]"


def test_load_works_during_write_transaction(db):
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO traffic (event_id, second, kind, count) VALUES (1, 0, 'update', 99)")

    started = time.monotonic()
    loaded = analysis.load(db)
    elapsed = time.monotonic() - started

    writer.execute("ROLLBACK")
    writer.close()
    assert elapsed < 2.0
    assert loaded.traffic["count"].tolist() == [1, 4, 2]


def test_load_version_1_database_has_empty_traffic(tmp_path):
    from quizkit.store._schema import MIGRATIONS

    path = tmp_path / "v1.db"
    connection = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        connection.execute(statement)
    connection.execute(
        "INSERT INTO events (name, language, channel_id, bot_username, created_at) "
        "VALUES ('old', 'it', NULL, 'quizkit_bot', '2016-10-14T18:00:00+00:00')"
    )
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()

    loaded = analysis.load(path)

    assert loaded.event == "old"
    assert loaded.traffic.empty
    assert str(loaded.traffic["second"].dtype) == "datetime64[ns, UTC]"
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1


# Statistics


def test_question_stats_exact(results):
    stats = analysis.question_stats(results).set_index("code")

    assert stats["number"].tolist() == [1, 2, 3]
    assert stats["answers"].tolist() == [4, 3, 2]
    assert stats["late"].tolist() == [1, 0, 0]
    assert stats["people_reached"].tolist() == [7, 6, 5]
    assert stats.loc["KX1", "correct"] == 2
    assert stats.loc["HT2", "correct"] == 2
    assert stats.loc["JP3", "correct"] is pd.NA
    assert stats.loc["KX1", "percent_correct"] == 50.0
    assert stats.loc["HT2", "percent_correct"] == pytest.approx(200.0 / 3.0)
    assert stats.loc["JP3", "percent_correct"] is pd.NA
    assert stats["median_delay_s"].tolist() == [6.0, 4.0, 4.5]
    assert stats["p90_delay_s"].tolist() == pytest.approx([10.5, 8.8, 5.7])
    assert stats["first_correct_delay_s"].tolist()[:2] == [2.0, 1.0]
    assert math.isnan(stats.loc["JP3", "first_correct_delay_s"])


def test_question_stats_match_engine_results(db, results):
    store = Store(db)
    engine = Engine.load(store, "quiz")
    stats = analysis.question_stats(results).set_index("code")

    for code in ("KX1", "HT2"):
        result = engine.result(code)
        assert stats.loc[code, "answers"] == result.answers
        assert stats.loc[code, "people_reached"] == result.people_reached
        assert stats.loc[code, "correct"] == result.correct
        assert stats.loc[code, "percent_correct"] == pytest.approx(result.percent_correct)
        assert stats.loc[code, "first_correct_delay_s"] == result.podium[0].delay_s
    store.close()


def test_leaderboard_exact(results):
    board = analysis.leaderboard(results)

    assert board["position"].tolist() == [1, 2, 3]
    assert board["user_id"].tolist() == [CARLA.user_id, BRUNO.user_id, ANNA.user_id]
    assert board["display_name"].tolist() == ["Carlotta", "Brunhilde", TEAM]
    assert board["correct"].tolist() == [2, 1, 1]
    assert board["delay_s"].tolist() == [17.0, 1.0, 2.0]
    assert board["head_count"].tolist() == [1, 1, 4]


def test_leaderboard_matches_engine(db, results):
    store = Store(db)
    expected = [
        (row.position, row.user_id, row.display_name, row.correct, row.delay_s)
        for row in Engine.load(store, "quiz").leaderboard()
    ]
    store.close()

    board = analysis.leaderboard(results)
    actual = list(board[["position", "user_id", "display_name", "correct", "delay_s"]].itertuples(index=False, name=None))
    assert actual == expected


def test_delay_distribution_round_edges(results):
    table = analysis.delay_distribution(results)

    # The slowest in-time answer took 12 s, so 2-second bins up to 12 s, then (12, inf).
    assert [interval.right for interval in table.index] == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, math.inf]
    assert table.columns.tolist() == [1, 2, 3]
    assert table[1].tolist() == [1, 0, 1, 1, 0, 1, 0]
    assert table[2].tolist() == [1, 1, 0, 0, 1, 0, 0]
    assert table[3].tolist() == [0, 1, 1, 0, 0, 0, 0]


def test_delay_distribution_custom_edges(results):
    table = analysis.delay_distribution(results, edges=(0.0, 5.0, 10.0))

    assert table.to_numpy().tolist() == [[2, 2, 1], [1, 1, 1], [1, 0, 0]]


def test_delay_distribution_sub_second_delays(results):
    from dataclasses import replace

    fast = replace(results, answers=results.answers.assign(delay_s=results.answers["delay_s"] / 100))
    table = analysis.delay_distribution(fast)

    assert [interval.right for interval in table.index] == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1, 0.12, math.inf])
    assert table.to_numpy().sum() == 9


def test_wrong_answers_exact(results):
    wrong = analysis.wrong_answers(results)

    assert wrong.to_dict("records") == [
        {"number": 1, "code": "KX1", "normalised": "milano", "count": 2},
        {"number": 2, "code": "HT2", "normalised": "41", "count": 1},
    ]


def test_wrong_answers_top_limits_each_question(results):
    assert len(analysis.wrong_answers(results, top=1)) == 2

    with pytest.raises(ValueError):
        analysis.wrong_answers(results, top=0)


def test_participation_exact(results):
    table = analysis.participation(results)

    assert table["questions_answered"].tolist() == [0, 1, 2, 3]
    assert table["participants"].tolist() == [1, 1, 3, 1]


# Plots


def test_plots_return_figures(results):
    from matplotlib.figure import Figure

    traffic = analysis.plot_traffic(results)
    delays = analysis.plot_delays(results)
    percent = analysis.plot_percent_correct(results)

    assert isinstance(traffic, Figure)
    assert isinstance(delays, Figure)
    assert isinstance(percent, Figure)
    assert traffic.axes[0].get_title() == "quiz: updates per second"
    assert sorted(line.get_label() for line in traffic.axes[0].get_lines() if not line.get_label().startswith("_")) == ["answer", "update"]
    # Five vertical markers: three openings and two closings.
    assert len([line for line in traffic.axes[0].get_lines() if line.get_label().startswith("_")]) == 5
    assert [patch.get_height() for patch in percent.axes[0].patches] == pytest.approx([50.0, 200.0 / 3.0])


def test_plot_traffic_falls_back_to_answers(tmp_path, results):
    from dataclasses import replace

    figure = analysis.plot_traffic(replace(results, traffic=results.traffic.iloc[0:0]))

    assert figure.axes[0].get_title() == "quiz: answers per second (no traffic counters stored)"
    answers = [line for line in figure.axes[0].get_lines() if line.get_label() == "answers"][0]
    assert sum(answers.get_ydata()) == 10


# Exports


def _restore(read: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Convert a table read back from a file to the dtypes of the table that was written."""
    restored = {}
    for column in expected.columns:
        if isinstance(expected[column].dtype, pd.DatetimeTZDtype):
            values = pd.to_datetime(read[column], format="ISO8601")
            restored[column] = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
        else:
            restored[column] = read[column].astype(expected[column].dtype)
    return pd.DataFrame(restored).astype(expected.dtypes.to_dict())


def test_export_csv_round_trip(tmp_path, results):
    paths = analysis.export(results, tmp_path / "csv", format="csv")

    assert sorted(path.name for path in paths.values()) == sorted(f"{name}.csv" for name in results.tables())
    for name, table in results.tables().items():
        read = pd.read_csv(paths[name])
        pd.testing.assert_frame_equal(_restore(read, table), table, check_categorical=False)


def test_export_xlsx_round_trip(tmp_path, results):
    paths = analysis.export(results, tmp_path / "xlsx", format="xlsx")

    sheets = pd.read_excel(paths["answers"], sheet_name=None, engine="openpyxl")
    assert list(sheets) == list(results.tables())
    for name, table in results.tables().items():
        pd.testing.assert_frame_equal(_restore(sheets[name], table), table, check_categorical=False)


def test_export_parquet_round_trip(tmp_path, results):
    paths = analysis.export(results, tmp_path / "parquet", format="parquet")

    for name, table in results.tables().items():
        read = pd.read_parquet(paths[name], engine="pyarrow")
        pd.testing.assert_frame_equal(read, table)


def test_export_rejects_unknown_format(tmp_path, results):
    with pytest.raises(ValueError) as raised:
        analysis.export(results, tmp_path, format="json")

    assert str(raised.value) == "Export format 'json' is not supported; use one of: csv, xlsx, parquet."


def _personal_values() -> list[str]:
    values = [TEAM]
    for person in PEOPLE:
        values += [str(person.user_id), person.first_name]
        values += [value for value in (person.last_name, person.username) if value]
    return values


@pytest.mark.parametrize("format", ["csv", "xlsx", "parquet"])
def test_export_anonymised_hides_ids_and_names(tmp_path, results, format):
    paths = analysis.export(results, tmp_path / format, format=format, anonymise=True)

    for path in set(paths.values()):
        if format == "csv":
            text = path.read_text()
        elif format == "xlsx":
            text = "\n".join(sheet.to_csv() for sheet in pd.read_excel(path, sheet_name=None, engine="openpyxl").values())
        else:
            text = pd.read_parquet(path, engine="pyarrow").to_csv()
        for value in _personal_values():
            assert value not in text, (path.name, value)


def test_export_anonymised_keeps_joins_and_counts(tmp_path, results):
    paths = analysis.export(results, tmp_path, format="parquet", anonymise=True, key=b"k" * 32)
    participants = pd.read_parquet(paths["participants"])
    answers = pd.read_parquet(paths["answers"])
    teams = pd.read_parquet(paths["teams"])

    assert participants["user_id"].str.fullmatch(r"user-[0-9a-f]{12}").all()
    assert participants["user_id"].is_unique
    assert set(answers["user_id"]) <= set(participants["user_id"])
    assert teams["leader_user_id"].tolist() == participants["user_id"].tolist()[:1]
    assert teams["team_name"].tolist() == participants["team_name"].tolist()[:1]
    assert participants["last_name"].isna().tolist() == [False, True, True, False, True, True]
    assert answers.groupby("user_id").size().sort_values().tolist() == [1, 2, 2, 2, 3]
    assert participants["head_count"].tolist() == [4, 1, 1, 1, 1, 1]


def test_export_anonymised_same_key_same_pseudonyms(tmp_path, results):
    first = analysis.export(results, tmp_path / "a", format="csv", anonymise=True, key=b"same key")
    second = analysis.export(results, tmp_path / "b", format="csv", anonymise=True, key=b"same key")
    third = analysis.export(results, tmp_path / "c", format="csv", anonymise=True)

    assert first["participants"].read_text() == second["participants"].read_text()
    assert first["participants"].read_text() != third["participants"].read_text()


# Command line


def test_cli_export_writes_files(tmp_path, db, capsys):
    from quizkit.cli import main

    out = tmp_path / "out"
    code = main(["export", "--db", str(db), "--format", "csv", "--out", str(out), "--anonymise"])

    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    assert printed == [str(out / f"{name}.csv") for name in ("participants", "teams", "questions", "answers", "traffic")]
    assert str(ANNA.user_id) not in (out / "answers.csv").read_text()
    assert len(pd.read_csv(out / "answers.csv")) == 10


def test_cli_export_xlsx_one_workbook(tmp_path, db, capsys):
    from quizkit.cli import main

    code = main(["export", "--db", str(db), "--format", "xlsx", "--out", str(tmp_path), "--event", "quiz"])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / "results.xlsx")]


def test_cli_export_unknown_event_fails(tmp_path, db, capsys):
    from quizkit.cli import main

    code = main(["export", "--db", str(db), "--out", str(tmp_path), "--event", "nope"])

    assert code == 1
    assert capsys.readouterr().err == f"quizkit: Event 'nope' not found in {str(db)!r}; events: quiz.\n"


def test_cli_export_out_is_file_fails(tmp_path, db, capsys):
    from quizkit.cli import main

    target = tmp_path / "taken"
    target.write_text("")
    code = main(["export", "--db", str(db), "--out", str(target)])

    assert code == 1
    assert "is a file" in capsys.readouterr().err
