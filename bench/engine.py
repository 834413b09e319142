"""Measure the quiz rules and their SQL alone: CPU and SQL statements per update through `Engine.handle_many`.

    .venv/bin/python bench/engine.py [--group 8] [--rounds 3] [--runs 3]

No HTTP and no server: this process creates the benchmark event in a new SQLite file
(`quizkit.benchmark.targets.prepare_event`) and writes the codeweek2016 workload that wrk sends
(`quizkit.benchmark.workload.write_workload`). It turns the workload's templates into updates and
then into engine input, and hands them to `Engine.handle_many` in groups of `--group`. As in
load.lua, the participants play in turn, `--group` at a time, so a group contains one step of each
of `--group` participants, and a participant plays all of their steps in order. Each round plays
every participant of the workload again under new user ids.

Only the `handle_many` calls are timed, with `time.process_time` (CPU time of this process).
Statements are counted in a separate pass of one round with SQLite's trace callback, which
receives every statement that the connection runs, BEGIN and COMMIT included. Each pass uses a
new database file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from quizkit.benchmark.targets import BENCH_EVENT, prepare_event
from quizkit.benchmark.workload import write_workload
from quizkit.bot import to_incoming
from quizkit.engine import Engine
from quizkit.model import Incoming
from quizkit.store import Store

# The first user id and update_id; far from the placeholders' values in the workload templates.
USER_BASE = 100_000_000
# The `date` field of every update: a fixed Unix time, as the values do not matter to the rules.
UPDATE_DATE = 1_700_000_000


@dataclass(frozen=True)
class RunResult:
    updates: int
    cpu_s: float
    statements: Counter[str]
    answers_stored: int
    answers_sent: int
    traced_updates: int  # the updates whose statements `statements` counts

    @property
    def cpu_us_per_update(self) -> float:
        return self.cpu_s / self.updates * 1e6

    @property
    def statements_per_update(self) -> float:
        return self.statements.total() / self.traced_updates


def read_chains(workload_path: Path) -> list[list[str]]:
    """Return each participant's templates in sending order, as `write_workload` wrote them."""
    chains: dict[str, list[str]] = {}
    for line in workload_path.read_text(encoding="utf-8").splitlines():
        participant, _kind, template = line.split("\t", 2)
        chains.setdefault(participant, []).append(template)
    return list(chains.values())


def fill(template: str, user_id: int, update_id: int) -> dict:
    """Return the update that `template` describes for one user and update_id."""
    text = template.replace("\x01U", str(user_id)).replace("\x01I", str(update_id))
    return json.loads(text.replace("\x01D", str(UPDATE_DATE)))


def build_groups(chains: list[list[str]], group_size: int, rounds: int) -> list[list[Incoming]]:
    """Return the engine input in groups, `group_size` participants playing one step each in turn."""
    received_at = datetime.now(timezone.utc)
    groups: list[list[Incoming]] = []
    update_id = USER_BASE
    user_id = USER_BASE
    for _round in range(rounds):
        for first in range(0, len(chains), group_size):
            players = chains[first:first + group_size]
            user_ids = list(range(user_id, user_id + len(players)))
            user_id += len(players)
            for position in range(max(len(chain) for chain in players)):
                group = []
                for chain, player in zip(players, user_ids):
                    if position >= len(chain):
                        continue
                    update_id += 1
                    incoming = to_incoming(fill(chain[position], player, update_id), received_at)
                    if incoming is not None:
                        group.append(incoming)
                if group:
                    groups.append(group)
    return groups


def run_once(folder: Path, group_size: int, rounds: int) -> RunResult:
    """Play the workload into a new database and return what it cost.

    The timed pass runs without a trace callback, whose own cost would grow with the statement
    count. A second pass, one round on another new database, counts the statements.
    """
    timed = play(folder, group_size, rounds, trace=False)
    traced = play(folder, group_size, 1, trace=True)
    return RunResult(timed.updates, timed.cpu_s, traced.statements, timed.answers_stored, timed.answers_sent,
                     traced.updates)


def play(folder: Path, group_size: int, rounds: int, trace: bool) -> RunResult:
    """Play the workload into a new database; with `trace`, record every statement."""
    db_path = folder / f"engine-{time.monotonic_ns()}.db"
    codes = prepare_event(db_path)
    workload = write_workload(folder / "workload.tsv", codes)
    groups = build_groups(read_chains(workload.path), group_size, rounds)
    updates = sum(len(group) for group in groups)

    store = Store(db_path)
    try:
        engine = Engine.load(store, BENCH_EVENT)
        statements: list[str] = []
        if trace:
            store._connection.set_trace_callback(statements.append)
        started = time.process_time()
        for group in groups:
            for result in engine.handle_many(group):
                if isinstance(result, Exception):
                    raise result
        cpu_s = time.process_time() - started
        store._connection.set_trace_callback(None)
        answers = sum(engine.answer_count(question.number) for question in engine.questions())
    finally:
        store.close()
    kinds = Counter(statement_kind(statement) for statement in statements)
    return RunResult(updates, cpu_s, kinds, answers, workload.answers * rounds, updates)


def statement_kind(statement: str) -> str:
    """Return the statement's verb and table, e.g. "INSERT INTO answers", so that values do not split the counts."""
    words = statement.split()
    for index, word in enumerate(words):
        if word.upper() in ("FROM", "INTO", "UPDATE") and index + 1 < len(words):
            return f"{words[0].upper()} {words[index + 1]}"
    return " ".join(words[:2])


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", type=int, default=8, help="updates per handle_many call (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="times every participant plays per run (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a new database (default 3)")
    parser.add_argument("--statements", action="store_true",
                        help="after each run, list the statements per update by verb and table")
    args = parser.parse_args()
    if args.group < 1 or args.rounds < 1 or args.runs < 1:
        parser.error("--group, --rounds and --runs must be at least 1")

    print(machine(), flush=True)
    with tempfile.TemporaryDirectory(prefix="quizkit-engine-bench-") as name:
        for run in range(1, args.runs + 1):
            load = os.getloadavg()[0]
            result = run_once(Path(name), args.group, args.rounds)
            print(
                f"run {run}: {result.updates} updates in groups of {args.group}, "
                f"{result.cpu_us_per_update:.1f} µs CPU/update, "
                f"{result.statements_per_update:.2f} statements/update, "
                f"{result.answers_stored} of {result.answers_sent} answers stored, load average {load:.2f}",
                flush=True,
            )
            if args.statements:
                for kind, number in result.statements.most_common():
                    print(f"  {number / result.traced_updates:7.3f}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
