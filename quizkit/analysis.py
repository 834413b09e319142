"""An event's results as pandas DataFrames: statistics, plots and exports for the analyst.

    from quizkit import analysis

    results = analysis.load("quizkit-rehearsal.db")     # the only or the most recent event
    analysis.question_stats(results)
    analysis.leaderboard(results)
    analysis.plot_traffic(results)                      # a matplotlib Figure
    analysis.export(results, "out", format="xlsx", anonymise=True)

`load` opens the database read-only, so it can run while a server writes to it (WAL mode) and it
never migrates the schema. This module needs pandas; the plots import matplotlib when first called,
xlsx exports need openpyxl and parquet exports need pyarrow.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from quizkit.errors import EventNotFound, SchemaVersionError, StoreError
from quizkit.model import Participant
from quizkit.store import SCHEMA_VERSION, connect_reader, require_database

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "EXPORT_FORMATS",
    "LEADERBOARD_ORDERS",
    "Results",
    "anonymised",
    "delay_distribution",
    "export",
    "leaderboard",
    "load",
    "participation",
    "plot_delays",
    "plot_percent_correct",
    "plot_traffic",
    "question_stats",
    "wrong_answers",
]

EXPORT_FORMATS = ("csv", "xlsx", "parquet")

_STATES = ("draft", "open", "closed")
_TABLES = ("participants", "teams", "questions", "answers", "traffic")
_UTC = "datetime64[ns, UTC]"


@dataclass(frozen=True)
class Results:
    """One event's records as DataFrames, as `load` reads them.

    Times are timezone-aware UTC timestamps. `answers.delay_s` is the time in seconds from the
    question's opening to the answer's arrival at the server, never below zero, as the engine
    computes it for the podium and the leaderboard. `answers.score` is the speed score set on close
    (0 to 1000, missing before the close and in databases older than schema version 3).
    `podium_size`, `scoring` and `leaderboard` are the event's settings, with their defaults for
    such older databases.
    """

    event: str
    event_id: int
    language: str
    participants: pd.DataFrame
    teams: pd.DataFrame
    questions: pd.DataFrame
    answers: pd.DataFrame
    traffic: pd.DataFrame
    podium_size: int = 3
    scoring: bool = False
    leaderboard: bool = True

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the five tables by name, in the order `export` writes them."""
        return {name: getattr(self, name) for name in _TABLES}


# Loading


def _open_reader(path: str | Path) -> sqlite3.Connection:
    try:
        return connect_reader(path)
    except sqlite3.DatabaseError as error:
        raise _unreadable(path, error) from error


def _begin_read(connection: sqlite3.Connection, path: str | Path) -> int:
    """Begin one read transaction, so every table comes from the same committed state, and return the schema version."""
    try:
        connection.execute("BEGIN")
        return connection.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise _unreadable(path, error) from error


def _unreadable(path: str | Path, error: sqlite3.DatabaseError) -> StoreError:
    # SQLite's own messages ("file is not a database", "unable to open database file") name no file.
    return StoreError(
        f"Database {str(path)!r} cannot be read: {error}. Check that it is a file a quizkit Store wrote; a "
        f"reader also needs to write to its folder, where SQLite keeps the -shm file of a WAL database."
    )


def load(path: str | Path, event: str | None = None) -> Results:
    """Read one event of a quizkit database into DataFrames.

    With `event` None, the database's only event is read, or the most recently created one.
    Raises StoreError when the file is missing, unreadable or has no quizkit schema, EventNotFound for an unknown event name (the message
    names the events present) and SchemaVersionError for a database written by a newer quizkit.
    """
    require_database(path)

    connection = _open_reader(path)
    try:
        version = _begin_read(connection, path)
        if version == 0:
            raise StoreError(
                f"Database {str(path)!r} has no quizkit schema (user_version 0); pass a file that a quizkit "
                f"Store wrote, such as quizkit-rehearsal.db."
            )
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"Database {str(path)!r} has schema version {version}, but this quizkit supports up to "
                f"{SCHEMA_VERSION}; upgrade quizkit to read it."
            )
        row = _select_event(connection, str(path), event)
        event_id = row["id"]
        participants = _read_participants(connection, event_id)
        questions = _read_questions(connection, event_id)
        answers = _read_answers(connection, event_id, questions)
        traffic = _read_traffic(connection, event_id)
        connection.execute("COMMIT")
    finally:
        connection.close()

    return Results(
        event=row["name"],
        event_id=event_id,
        language=row["language"],
        participants=participants,
        teams=_teams(participants),
        questions=questions,
        answers=answers,
        traffic=traffic,
        **_settings(row),
    )


def _settings(event_row: sqlite3.Row) -> dict[str, object]:
    # A database older than schema version 3 has no settings columns, and a read-only connection
    # cannot add them, so the engine's defaults apply.
    if "podium_size" not in event_row.keys():
        return {}
    return {
        "podium_size": int(event_row["podium_size"]),
        "scoring": bool(event_row["scoring"]),
        "leaderboard": bool(event_row["leaderboard"]),
    }


def _has_column(connection: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row["name"] == column for row in connection.execute(f"PRAGMA table_info({table})"))


def _select_event(connection: sqlite3.Connection, path: str, name: str | None) -> sqlite3.Row:
    rows = connection.execute("SELECT * FROM events ORDER BY created_at, id").fetchall()
    if not rows:
        raise EventNotFound(f"Database {path!r} has no events yet; run an event or `quizkit rehearse` first.")
    if name is None:
        return rows[-1]

    for row in rows:
        if row["name"] == name:
            return row
    names = ", ".join(row["name"] for row in rows)
    raise EventNotFound(f"Event {name!r} not found in {path!r}; events: {names}.")


def _frame(connection: sqlite3.Connection, sql: str, parameters: Sequence[object]) -> pd.DataFrame:
    cursor = connection.execute(sql, parameters)
    columns = [description[0] for description in cursor.description]
    return pd.DataFrame([tuple(row) for row in cursor.fetchall()], columns=columns, dtype=object)


def _timestamps(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="ISO8601").astype(_UTC)


def _read_participants(connection: sqlite3.Connection, event_id: int) -> pd.DataFrame:
    frame = _frame(
        connection,
        "SELECT user_id, first_name, last_name, username, language_code, team_name, head_count, "
        "first_seen_at, last_seen_at FROM participants WHERE event_id = ? ORDER BY user_id",
        (event_id,),
    )
    return frame.astype(
        {
            "user_id": "Int64",
            "first_name": "string",
            "last_name": "string",
            "username": "string",
            "language_code": "category",
            "team_name": "string",
            "head_count": "Int64",
        }
    ).assign(first_seen_at=lambda f: _timestamps(f["first_seen_at"]), last_seen_at=lambda f: _timestamps(f["last_seen_at"]))


def _teams(participants: pd.DataFrame) -> pd.DataFrame:
    teams = participants.loc[participants["team_name"].notna(), ["team_name", "user_id", "head_count"]]
    return teams.rename(columns={"user_id": "leader_user_id"}).sort_values("team_name").reset_index(drop=True)


def _read_questions(connection: sqlite3.Connection, event_id: int) -> pd.DataFrame:
    extra = "options, time_limit_s" if _has_column(connection, "questions", "options") else "'[]' AS options, NULL AS time_limit_s"
    frame = _frame(
        connection,
        "SELECT id AS question_id, number, code, kind, text, answers AS accepted, state, created_at, opened_at, "
        f"closed_at, {extra} FROM questions WHERE event_id = ? ORDER BY number",
        (event_id,),
    )
    # Accepted answers and options are stored as JSON arrays, and " | " joins each into one readable cell.
    frame["accepted"] = [" | ".join(json.loads(text)) for text in frame["accepted"]]
    frame["options"] = [" | ".join(json.loads(text)) or None for text in frame["options"]]
    frame = frame.astype(
        {
            "question_id": "Int64",
            "number": "Int64",
            "code": "string",
            "kind": "category",
            "text": "string",
            "accepted": "string",
            "state": pd.CategoricalDtype(_STATES),
            "options": "string",
            "time_limit_s": "Float64",
        }
    )
    for column in ("created_at", "opened_at", "closed_at"):
        frame[column] = _timestamps(frame[column])
    return frame


def _read_answers(connection: sqlite3.Connection, event_id: int, questions: pd.DataFrame) -> pd.DataFrame:
    score = "a.score" if _has_column(connection, "answers", "score") else "NULL AS score"
    frame = _frame(
        connection,
        "SELECT q.number, q.code, a.user_id, a.update_id, a.raw_text, a.normalised, a.sent_at, a.received_at, "
        f"a.late, a.correct, a.rank, {score} FROM answers a JOIN questions q ON q.id = a.question_id "
        "WHERE a.event_id = ? ORDER BY q.number, a.update_id",
        (event_id,),
    )
    frame = frame.astype(
        {
            "number": "Int64",
            "code": "string",
            "user_id": "Int64",
            "update_id": "Int64",
            "raw_text": "string",
            "normalised": "string",
            "late": "boolean",
            "correct": "boolean",
            "rank": "Int64",
            "score": "Int64",
        }
    )
    frame["sent_at"] = _timestamps(frame["sent_at"])
    frame["received_at"] = _timestamps(frame["received_at"])

    opened_at = questions.set_index("number")["opened_at"].reindex(frame["number"]).set_axis(frame.index)
    delay = (frame["received_at"] - opened_at).dt.total_seconds()
    # The engine clamps negative delays (clock skew between engine and server) to zero, and so does this.
    frame.insert(frame.columns.get_loc("late"), "delay_s", delay.clip(lower=0.0).astype("float64"))
    return frame


def _read_traffic(connection: sqlite3.Connection, event_id: int) -> pd.DataFrame:
    table = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'traffic'").fetchone()
    if table is None:
        # A version-1 database has no traffic table, and a read-only connection cannot add it.
        frame = pd.DataFrame({"second": pd.Series([], dtype=object), "kind": [], "count": []}, dtype=object)
    else:
        frame = _frame(
            connection,
            "SELECT second, kind, count FROM traffic WHERE event_id = ? ORDER BY second, kind",
            (event_id,),
        )
    return pd.DataFrame(
        {
            "second": pd.to_datetime(frame["second"].astype("int64"), unit="s", utc=True).astype(_UTC),
            "kind": frame["kind"].astype("category"),
            "count": frame["count"].astype("int64"),
        }
    )


# Statistics


def _in_time(results: Results) -> pd.DataFrame:
    return results.answers.loc[~results.answers["late"]]


def question_stats(results: Results) -> pd.DataFrame:
    """Compute per-question totals and delays over the answers received in time.

    Columns: number, code, state, answers (in time, as the channel post counts them), late,
    people_reached (the head counts of those who answered in time), correct, percent_correct,
    median_delay_s, p90_delay_s (linear interpolation, pandas' default) and first_correct_delay_s.
    `correct` and `percent_correct` are missing until a question closes, and `percent_correct`
    also when a question got no answers in time.
    """
    answers = results.answers
    in_time = _in_time(results)
    head_counts = results.participants.set_index("user_id")["head_count"]
    in_time = in_time.assign(head_count=in_time["user_id"].map(head_counts).astype("Int64"))

    by_number = in_time.groupby("number")
    stats = results.questions[["number", "code", "state"]].set_index("number")
    stats["answers"] = by_number.size().reindex(stats.index, fill_value=0).astype("Int64")
    stats["late"] = answers.loc[answers["late"]].groupby("number").size().reindex(stats.index, fill_value=0).astype("Int64")
    stats["people_reached"] = by_number["head_count"].sum().reindex(stats.index, fill_value=0).astype("Int64")

    correct = by_number["correct"].sum().reindex(stats.index, fill_value=0).astype("Int64")
    closed = stats["state"] == "closed"
    stats["correct"] = correct.where(closed, pd.NA)
    percent = 100.0 * stats["correct"].astype("Float64") / stats["answers"].astype("Float64")
    stats["percent_correct"] = percent.where(stats["answers"] > 0, pd.NA)

    stats["median_delay_s"] = by_number["delay_s"].median().reindex(stats.index)
    stats["p90_delay_s"] = by_number["delay_s"].quantile(0.9).reindex(stats.index)
    first = in_time.loc[in_time["rank"] == 1].set_index("number")["delay_s"]
    stats["first_correct_delay_s"] = first.reindex(stats.index)
    return stats.reset_index()


LEADERBOARD_ORDERS = ("correct", "score")


def leaderboard(results: Results, by: str | None = None) -> pd.DataFrame:
    """Rank participants as the engine does: correct in-time answers (desc), cumulative delay (asc), user_id.

    With `by="score"`, the total speed score (desc) comes first. Without `by`, the event's `scoring`
    setting chooses, as it does for `Engine.leaderboard`. Only closed questions count, and only
    participants with at least one correct answer appear. Columns: position, user_id, display_name
    (team name, else full name, else @username), team_name, head_count, correct, delay_s, score
    (0 for answers stored before scores existed).
    """
    order = by if by is not None else ("score" if results.scoring else "correct")
    if order not in LEADERBOARD_ORDERS:
        raise ValueError(f"Leaderboard order {by!r} is not supported; use one of: {', '.join(LEADERBOARD_ORDERS)}.")

    closed = results.questions.loc[results.questions["state"] == "closed", "number"]
    answers = _in_time(results)
    counted = answers.loc[answers["number"].isin(closed) & answers["correct"].fillna(False)]
    counted = counted.assign(score=counted["score"].fillna(0))

    totals = counted.groupby("user_id").agg(
        correct=("delay_s", "size"), delay_s=("delay_s", "sum"), score=("score", "sum")
    ).reset_index()
    keys, ascending = ["correct", "delay_s", "user_id"], [False, True, True]
    if order == "score":
        keys, ascending = ["score", *keys], [False, *ascending]
    totals = totals.sort_values(keys, ascending=ascending, kind="stable")
    people = results.participants.set_index("user_id")

    board = pd.DataFrame(
        {
            "position": pd.array(range(1, len(totals) + 1), dtype="Int64"),
            "user_id": totals["user_id"].to_numpy(),
            "display_name": [_display_name(people.loc[user_id], user_id) for user_id in totals["user_id"]],
            "team_name": people["team_name"].reindex(totals["user_id"]).to_numpy(),
            "head_count": people["head_count"].reindex(totals["user_id"]).to_numpy(),
            "correct": totals["correct"].astype("Int64").to_numpy(),
            "delay_s": totals["delay_s"].astype("float64").to_numpy(),
            "score": totals["score"].astype("Int64").to_numpy(),
        }
    )
    return board.astype({"user_id": "Int64", "display_name": "string", "team_name": "string", "head_count": "Int64"})


def _display_name(person: pd.Series, user_id: int) -> str:
    def text(value: object) -> str | None:
        return None if pd.isna(value) else str(value)

    return Participant(
        user_id=int(user_id),
        first_name=text(person["first_name"]) or "",
        last_name=text(person["last_name"]),
        username=text(person["username"]),
        team_name=text(person["team_name"]),
    ).display_name


def delay_distribution(results: Results, edges: Sequence[float] | None = None) -> pd.DataFrame:
    """Count in-time answers per delay bin (rows) and question number (columns).

    A bin `(a, b]` contains delays above a and up to b seconds. The first bin also contains 0, and a
    last bin, `(edges[-1], inf)`, collects everything slower. Without `edges`, about ten bins of a
    round width (from 0.01 s to 60 s) cover the slowest in-time answer.
    Every bin and question appears, with 0 where empty.
    """
    answers = _in_time(results)
    if edges is None:
        edges = _round_edges(float(answers["delay_s"].max()) if len(answers) else 0.0)
    bins = [*edges, float("inf")]
    delay_bin = pd.cut(answers["delay_s"], bins=bins, include_lowest=True)

    table = pd.crosstab(delay_bin, answers["number"], dropna=False)
    numbers = results.questions["number"].tolist()
    table = table.reindex(index=delay_bin.cat.categories, columns=numbers, fill_value=0).astype("int64")
    table.index.name = "delay_s"
    table.columns.name = "number"
    return table


def _round_edges(slowest: float, bin_count: int = 10) -> list[float]:
    widths = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
    width = next((width for width in widths if width * bin_count >= slowest), widths[-1])
    count = max(1, math.ceil(round(slowest / width, 9)))
    return [round(width * index, 9) for index in range(count + 1)]


def wrong_answers(results: Results, top: int = 5) -> pd.DataFrame:
    """List the `top` most common normalised wrong answers of each question, received in time.

    Columns: number, code, normalised, count; ties in count are ordered by the normalised text.
    Questions that are not closed yet have no wrong answers, because correctness is set on close.
    """
    if top < 1:
        raise ValueError(f"Invalid top={top!r}; pass 1 or more answers per question.")
    answers = _in_time(results)
    wrong = answers.loc[answers["correct"].eq(False).fillna(False)]

    counts = wrong.groupby(["number", "code", "normalised"], observed=True).size().rename("count").reset_index()
    counts = counts.sort_values(["number", "count", "normalised"], ascending=[True, False, True], kind="stable")
    counts = counts.groupby("number", sort=False).head(top).reset_index(drop=True)
    return counts.astype({"count": "Int64"})


def participation(results: Results) -> pd.DataFrame:
    """Count participants by how many questions they answered (in time or late), from 0 to all of them.

    Participants with 0 talked to the bot but never answered. Columns: questions_answered, participants.
    """
    answered = results.answers.groupby("user_id").size()
    per_person = answered.reindex(results.participants["user_id"], fill_value=0)
    counts = per_person.value_counts().reindex(range(len(results.questions) + 1), fill_value=0)
    return pd.DataFrame(
        {
            "questions_answered": pd.array(counts.index, dtype="Int64"),
            "participants": pd.array(counts.to_numpy(), dtype="Int64"),
        }
    )


# Plots


def _figure(width: float = 10.0, height: float = 4.5) -> tuple[Figure, object]:
    # A Figure without pyplot keeps no global state, so library calls never pop up windows.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def plot_traffic(results: Results) -> Figure:
    """Plot updates per second over time, one line per kind, with the opening and closing of each question.

    When the event has no traffic counters (a schema version 1 database, or a server that did not
    record them), the chart shows the answers received per second instead, and its title says so.
    """
    figure, axes = _figure()
    if results.traffic.empty:
        # NOTE: this fallback counts stored answers only; other updates (commands, stickers) are missing.
        received = results.answers["received_at"].dt.floor("s")
        lines = results.answers.groupby(received).size().rename("answers").to_frame()
        axes.set_title(f"{results.event}: answers per second (no traffic counters stored)")
    else:
        lines = results.traffic.pivot_table(index="second", columns="kind", values="count", aggfunc="sum", observed=True)
        axes.set_title(f"{results.event}: updates per second")

    lines = lines.reindex(_every_second(results, lines.index), fill_value=0).fillna(0)
    for kind in lines.columns:
        axes.plot(lines.index, lines[kind].to_numpy(), drawstyle="steps-post", label=str(kind))

    for question in results.questions.itertuples():
        if not pd.isna(question.opened_at):
            axes.axvline(question.opened_at, color="tab:green", linestyle="--", linewidth=0.8)
            axes.annotate(question.code, (question.opened_at, 1.0), xycoords=("data", "axes fraction"),
                          rotation=90, va="top", ha="right", fontsize=7)
        if not pd.isna(question.closed_at):
            axes.axvline(question.closed_at, color="tab:red", linestyle=":", linewidth=0.8)

    axes.set_xlabel("time (UTC); green dashed: question opened, red dotted: closed")
    axes.set_ylabel("per second")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper right")
    return figure


def _every_second(results: Results, seconds: pd.Index) -> pd.DatetimeIndex:
    """Return each second from the first sample or opening to the last sample or closing, plus one.

    Seconds without samples become zeros in the chart, so a quiet second shows as a drop and a short
    event still spans at least two points.
    """
    moments = [*seconds, *results.questions["opened_at"].dropna(), *results.questions["closed_at"].dropna()]
    if not moments:
        return pd.DatetimeIndex([], tz="UTC")
    start = min(moments).floor("s")
    end = max(moments).ceil("s") + pd.Timedelta(seconds=1)
    return pd.date_range(start, end, freq="s")


def plot_delays(results: Results) -> Figure:
    """Plot the delays of in-time answers per question as box plots (whiskers at 1.5 IQR)."""
    figure, axes = _figure()
    answers = _in_time(results)
    numbers = [number for number in results.questions["number"] if (answers["number"] == number).any()]
    delays = [answers.loc[answers["number"] == number, "delay_s"].to_numpy() for number in numbers]

    if delays:
        axes.boxplot(delays, tick_labels=[str(number) for number in numbers], showfliers=True)
    axes.set_title(f"{results.event}: answer delay per question")
    axes.set_xlabel("question")
    axes.set_ylabel("seconds from opening to answer")
    return figure


def plot_percent_correct(results: Results) -> Figure:
    """Plot the share of correct in-time answers per closed question as bars."""
    figure, axes = _figure()
    stats = question_stats(results).dropna(subset=["percent_correct"])
    labels = [f"{number} {code}" for number, code in zip(stats["number"], stats["code"])]
    values = stats["percent_correct"].astype("float64").to_numpy()

    bars = axes.bar(labels, values, color="tab:blue")
    axes.bar_label(bars, fmt="%.0f%%", fontsize=8)
    axes.set_ylim(0, 105)
    axes.set_title(f"{results.event}: correct answers per question")
    axes.set_xlabel("question")
    axes.set_ylabel("% correct")
    axes.tick_params(axis="x", labelrotation=45)
    return figure


# Exports


def export(
    results: Results,
    out_dir: str | Path,
    format: str = "csv",
    anonymise: bool = False,
    key: bytes | None = None,
) -> dict[str, Path]:
    """Write the five tables (participants, teams, questions, answers, traffic) into `out_dir`.

    `format` "csv" and "parquet" write one file per table (`answers.csv`, ...); "xlsx" writes one
    workbook, `results.xlsx`, with one sheet per table. Excel has no time zones, so xlsx times are
    naive UTC. Returns the written path of each table. The folder is created when missing.

    With `anonymise`, Telegram user ids, first and last names, usernames and team names become
    pseudonyms made with HMAC-SHA256 under `key` (default: a random key for this call only). Equal
    inputs get equal pseudonyms within one export, so user ids still join answers to participants.
    What stays identifiable: team sizes, language codes, whether a name or username was missing,
    every timing and update_id, and the answer texts, which are whatever participants typed.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"Export format {format!r} is not supported; use one of: {', '.join(EXPORT_FORMATS)}.")
    if anonymise:
        results = anonymised(results, key if key is not None else secrets.token_bytes(32))

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tables = results.tables()

    if format == "xlsx":
        path = folder / "results.xlsx"
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, table in tables.items():
                _naive_utc(table).to_excel(writer, sheet_name=name, index=False)
        return {name: path for name in tables}

    paths = {}
    for name, table in tables.items():
        path = folder / f"{name}.{format}"
        if format == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_parquet(path, index=False, engine="pyarrow")
        paths[name] = path
    return paths


def _naive_utc(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for column in table.columns:
        if isinstance(table[column].dtype, pd.DatetimeTZDtype):
            table[column] = table[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return table


def anonymised(results: Results, key: bytes) -> Results:
    """Return a copy of `results` with user ids, personal names and team names replaced by pseudonyms.

    Each pseudonym is a prefix and 12 hex digits of HMAC-SHA256(key, field kind and value), so the same
    value maps to the same pseudonym under the same key. Missing values stay missing.
    """
    # NOTE: answer texts (raw_text, normalised) are kept as typed, so a participant who typed a name
    # or a phone number as an answer stays identifiable in the answers table.

    def pseudonyms(column: pd.Series, prefix: str) -> pd.Series:
        def one(value: object) -> object:
            if pd.isna(value):
                return pd.NA
            digest = hmac.new(key, f"{prefix}:{value}".encode(), hashlib.sha256).hexdigest()
            return f"{prefix}-{digest[:12]}"

        return column.map(one).astype("string")

    participants = results.participants.assign(
        user_id=lambda f: pseudonyms(f["user_id"], "user"),
        first_name=lambda f: pseudonyms(f["first_name"], "first"),
        last_name=lambda f: pseudonyms(f["last_name"], "last"),
        username=lambda f: pseudonyms(f["username"], "username"),
        team_name=lambda f: pseudonyms(f["team_name"], "team"),
    )
    teams = results.teams.assign(
        team_name=lambda f: pseudonyms(f["team_name"], "team"),
        leader_user_id=lambda f: pseudonyms(f["leader_user_id"], "user"),
    )
    answers = results.answers.assign(user_id=lambda f: pseudonyms(f["user_id"], "user"))
    return replace(results, participants=participants, teams=teams, answers=answers)
