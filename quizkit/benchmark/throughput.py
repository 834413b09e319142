"""The throughput benchmark: the floor, quizkit's server and the baseline bot under one wrk workload.

Every server runs in its own process on 127.0.0.1 and gets the same codeweek2016-shaped load from
wrk at 40 connections: first as fast as it responds, then a step test at increasing fixed rates
until a step misses its rate, passes 100 ms at p99, has an error or loses an answer.
"""

from __future__ import annotations

import importlib.util
import sys

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from quizkit.benchmark.floor import STACK_PACKAGES, STACKS
from quizkit.benchmark.loadtest import Measurement, highest_sustained, measure, step_test
from quizkit.benchmark.targets import (
    BENCH_BOT,
    BENCH_CHANNEL_ID,
    BENCH_TOKEN,
    baseline_server,
    floor_server,
    prepare_event,
    quizkit_server,
)
from quizkit.benchmark.workload import Workload, write_workload
from quizkit.benchmark.wrk import wrk_path
from quizkit.emulator import Emulator

QUIZKIT_RATES = (500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000)
BASELINE_RATES = (100, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000)
# After the first step that fails, this many more steps halve the gap to the last one that held.
REFINEMENTS = 2

Report = Callable[[Measurement], None]


@dataclass(frozen=True)
class ThroughputOptions:
    """How long each run lasts, which rates the step tests try and which floors run."""

    duration_s: float = 10.0
    quizkit_rates: Sequence[float] = QUIZKIT_RATES
    baseline_rates: Sequence[float] = BASELINE_RATES
    floor_stacks: Sequence[str] = STACKS
    refinements: int = REFINEMENTS


def available_stacks(stacks: Sequence[str]) -> list[str]:
    """Return the floor stacks whose server package is installed; say on stderr which are skipped and why."""
    available = []
    for stack in stacks:
        package = STACK_PACKAGES.get(stack)
        if package is not None and importlib.util.find_spec(package) is None:
            print(f"quizkit bench: floor {stack} skipped, because {package} is not installed; "
                  f"pip install 'quizkit[bench]' adds it.", file=sys.stderr, flush=True)
            continue
        available.append(stack)
    return available


@dataclass
class ThroughputResults:
    """Every run of the throughput part, grouped by server."""

    floor: list[Measurement]
    quizkit_max: Measurement
    quizkit_steps: list[Measurement]
    baseline_max: Measurement
    baseline_steps: list[Measurement]


def run_throughput(options: ThroughputOptions, folder: Path, report: Report) -> ThroughputResults:
    """Run the floors, quizkit and the baseline one after the other; call `report` after every run."""
    wrk_path()  # raises WrkMissing before any server starts
    db_path = folder / "quizkit.db"
    codes = prepare_event(db_path)
    workload = write_workload(folder / "workload.tsv", codes)

    floor = [_floor_run(stack, workload, options, folder, report) for stack in available_stacks(options.floor_stacks)]
    with Emulator(open_private_chats=True) as emulator:
        emulator.add_bot(BENCH_TOKEN, BENCH_BOT)
        emulator.add_channel(BENCH_TOKEN, BENCH_CHANNEL_ID, "Quizkit benchmark")
        server, secret = quizkit_server(db_path, emulator.url, folder)
        with server:
            quizkit_max, quizkit_steps = _max_and_steps(
                "quizkit", server.pid, server.url, workload, options.quizkit_rates, options, report,
                secret=secret, db_path=db_path)

        server, secret, _ = baseline_server(codes, emulator.url, folder)

        def handled() -> int:
            return emulator.stats(BENCH_TOKEN)["api_calls"]

        with server:
            baseline_max, baseline_steps = _max_and_steps(
                "baseline", server.pid, server.url, workload, options.baseline_rates, options, report,
                secret=secret, handled=handled)
    return ThroughputResults(floor, quizkit_max, quizkit_steps, baseline_max, baseline_steps)


def _floor_run(stack: str, workload: Workload, options: ThroughputOptions, folder: Path, report: Report) -> Measurement:
    with floor_server(stack, folder) as server:
        result = measure(f"floor {stack}", server.pid, server.url, workload.path, run_number=1,
                         duration_s=options.duration_s)
    report(result)
    return result


def _max_and_steps(label: str, pid: int, url: str, workload: Workload, rates: Sequence[float],
                   options: ThroughputOptions, report: Report, **target) -> tuple[Measurement, list[Measurement]]:
    fastest = measure(f"{label} as fast as it responds", pid, url, workload.path, run_number=1,
                      duration_s=options.duration_s, **target)
    report(fastest)
    steps = step_test(label, pid, url, workload.path, rates, first_run=2, duration_s=options.duration_s,
                      progress=report, **target)
    steps += _refine(label, pid, url, workload, steps, options, report, **target)
    return fastest, steps


def _refine(label: str, pid: int, url: str, workload: Workload, steps: list[Measurement],
            options: ThroughputOptions, report: Report, **target) -> list[Measurement]:
    # Halve the gap between the fastest step that held and the slowest one that failed.
    extra: list[Measurement] = []
    for refinement in range(options.refinements):
        done = steps + extra
        sustained_rates = [step.target_rate for step in done if step.sustained]
        if not sustained_rates:
            return extra
        low = max(sustained_rates)
        above = [step.target_rate for step in done if not step.sustained and step.target_rate > low]
        if not above or min(above) - low < 100:
            return extra
        high = min(above)
        rate = round((low + high) / 2, -1)
        step = measure(f"{label} @ {rate:g}/s", pid, url, workload.path, run_number=1000 + refinement,
                       duration_s=options.duration_s, rate=rate, **target)
        report(step)
        extra.append(step)
    return extra


def summarise_throughput(results: ThroughputResults) -> dict:
    """Return the headline figures of the throughput part, named as in the --json output."""
    floor_best = max(results.floor, key=lambda run: run.rate)
    quizkit_sustained = highest_sustained(results.quizkit_steps)
    baseline_sustained = highest_sustained(results.baseline_steps)
    quizkit_runs = [results.quizkit_max, *results.quizkit_steps]
    at_1500 = _at_rate(results.quizkit_steps, 1500)
    at_5000 = _at_rate(results.quizkit_steps, 5000)
    return {
        "floor_updates_per_s": floor_best.rate,
        "floor_stack": floor_best.label.removeprefix("floor "),
        "quizkit_unthrottled_updates_per_s": results.quizkit_max.rate,
        "max_sustained_updates_per_s": quizkit_sustained,
        "share_of_floor": round(quizkit_sustained / floor_best.rate, 3) if floor_best.rate else None,
        "at_1500": _point(at_1500),
        "at_5000": _point(at_5000),
        "p99_ms_at_5000": at_5000.p99_ms if at_5000 else None,
        "lost_answers": sum(run.answers["lost"] for run in quizkit_runs if run.answers),
        "duplicated_answers": sum(run.answers["duplicated"] for run in quizkit_runs if run.answers),
        "acknowledged_answers": sum(run.answers["acknowledged"] for run in quizkit_runs if run.answers),
        "peak_rss_mb": max(run.peak_rss_mb for run in quizkit_runs),
        "generator": _generator_cost(results.quizkit_max),
        "baseline_unthrottled_updates_per_s": results.baseline_max.rate,
        "baseline_max_sustained_updates_per_s": baseline_sustained,
        "quizkit_over_baseline": round(quizkit_sustained / baseline_sustained, 2) if baseline_sustained else None,
    }


def _generator_cost(run: Measurement) -> dict:
    # CPU microseconds per request of wrk and of the server, from the same run.
    def per_request(cpu_percent: float) -> float:
        return round(cpu_percent / 100 / run.rate * 1e6, 1) if run.rate else 0.0

    total = run.wrk_cpu_percent + run.server_cpu_percent
    return {"wrk_cpu_us_per_request": per_request(run.wrk_cpu_percent),
            "server_cpu_us_per_request": per_request(run.server_cpu_percent),
            "wrk_share_of_cpu": round(run.wrk_cpu_percent / total, 3) if total else None}


def _at_rate(steps: Sequence[Measurement], rate: float) -> Measurement | None:
    # The step run at `rate` (the sustained attempt when it was run twice); when it was never
    # reached, the fastest sustained step below it.
    at_rate = [step for step in steps if step.target_rate == rate]
    if at_rate:
        return max(at_rate, key=lambda step: step.sustained)
    below = [step for step in steps if step.sustained and step.target_rate < rate]
    return max(below, key=lambda step: step.target_rate) if below else None


def _point(step: Measurement | None) -> dict | None:
    if step is None:
        return None
    return {"target_rate": step.target_rate, "rate": step.rate, "p50_ms": step.p50_ms, "p99_ms": step.p99_ms,
            "server_cpu_percent": step.server_cpu_percent, "peak_rss_mb": step.peak_rss_mb,
            "sustained": step.sustained}


def temporary_folder() -> tempfile.TemporaryDirectory:
    """Return a folder for the run's databases, workload and server logs."""
    return tempfile.TemporaryDirectory(prefix="quizkit-bench-")
