"""One measured wrk run against a server process, and a step test of increasing rates."""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from quizkit.benchmark.exactly_once import check_answers
from quizkit.benchmark.machine import busy_ticks
from quizkit.benchmark.process import sample
from quizkit.benchmark.wrk import run_wrk

CONNECTIONS = 40
P99_LIMIT_MS = 100.0
# A step holds its rate when wrk completed at least this share of the requests the rate asks for.
RATE_TOLERANCE = 0.95
# A server that acknowledges before handling holds a rate when its backlog empties this soon after the run.
MAX_DRAIN_S = 0.5
# Each run on one server gets its own block of update_ids and user ids.
_ID_BLOCK = 1_000_000_000


@dataclass(frozen=True)
class Measurement:
    """One run: the target and achieved rate, latency, errors, the server's and wrk's CPU, memory and answers.

    CPU shares are in percent of one core: the server's, wrk's, this process's (which runs the
    emulator) and the whole machine's, other users included. `answers` is the exactly-once check, None when the
    server stores nothing (the floor) or acknowledges before storing (the baseline). For a server
    that acknowledges first, `rate` counts handled updates, and `drain_s` is how long it went on
    handling after the generator stopped; its latencies are only the time to acknowledge.
    """

    label: str
    target_rate: float
    rate: float
    requests: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_percent: float
    wrk_cpu_percent: float
    harness_cpu_percent: float
    machine_cpu_percent: float
    peak_rss_mb: float
    answers: dict | None
    drain_s: float = 0.0

    @property
    def sustained(self) -> bool:
        """True when the server kept up: the rate held, p99 within the limit, no error, no lost answer."""
        held = self.target_rate == 0 or self.rate >= RATE_TOLERANCE * self.target_rate
        answers_ok = self.answers is None or self.answers["exactly_once"]
        drained = self.drain_s <= MAX_DRAIN_S
        return held and drained and self.p99_ms <= P99_LIMIT_MS and self.errors == 0 and answers_ok

    def as_dict(self) -> dict:
        return {**asdict(self), "sustained": self.sustained}


class _PeakMemory:
    """Sample a process's resident memory every 0.2 s in a thread; VmHWM alone would include earlier runs."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "_PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while True:
            try:
                self.peak_mb = max(self.peak_mb, sample(self._pid).rss_mb)
            except ProcessLookupError:
                return
            if self._done.wait(0.2):
                return


def measure(
    label: str,
    pid: int,
    url: str,
    workload: Path,
    *,
    run_number: int,
    duration_s: float,
    rate: float = 0,
    secret: str = "",
    db_path: Path | None = None,
    handled: Callable[[], int] | None = None,
) -> Measurement:
    """Load the server `pid` listening at `url` once and measure it.

    `run_number` picks this run's block of ids, so runs on one server never share an update_id.
    With `db_path`, the acknowledged answers of this run are checked against the database. With
    `handled`, a count of the updates the server handled so far, the run lasts until that count
    stops growing, and the rate is the handling rate.
    """
    first_id = run_number * _ID_BLOCK + 1
    before = sample(pid)
    machine_before = busy_ticks()
    harness_before = _own_cpu_s()
    handled_before = handled() if handled is not None else 0
    with _PeakMemory(pid) as memory:
        result = run_wrk(url, workload, duration_s=duration_s, connections=CONNECTIONS, rate=rate, secret=secret,
                         user_base=first_id, update_base=first_id)
        rate_done = result.rate
        drain_s = 0.0
        if handled is not None:
            drain_s = _wait_until_handled(handled)
            rate_done = (handled() - handled_before) / (result.duration_s + drain_s)
    after = sample(pid)
    harness_cpu_s = _own_cpu_s() - harness_before
    machine_busy, machine_total = (now - then for now, then in zip(busy_ticks(), machine_before))
    busy_s = result.duration_s + drain_s

    answers = None
    if db_path is not None:
        answers = check_answers(db_path, result.acked_answer_update_ids, range(first_id, first_id + _ID_BLOCK)).as_dict()
        if result.answers_unexpected:
            answers["answers_unexpected"] = result.answers_unexpected
    return Measurement(
        label=label,
        target_rate=rate,
        rate=round(rate_done, 1),
        requests=result.requests,
        errors=result.error_count,
        p50_ms=round(result.latency_ms["p50"], 2),
        p90_ms=round(result.latency_ms["p90"], 2),
        p99_ms=round(result.latency_ms["p99"], 2),
        max_ms=round(result.latency_ms["max"], 2),
        server_cpu_percent=round(100 * (after.cpu_s - before.cpu_s) / busy_s, 1),
        wrk_cpu_percent=round(100 * result.cpu_s / result.duration_s, 1),
        harness_cpu_percent=round(100 * harness_cpu_s / busy_s, 1),
        machine_cpu_percent=round(100 * (os.cpu_count() or 1) * machine_busy / max(machine_total, 1), 1),
        peak_rss_mb=round(max(memory.peak_mb, after.rss_mb), 1),
        answers=answers,
        drain_s=round(drain_s, 2),
    )


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _wait_until_handled(handled: Callable[[], int], quiet_s: float = 1.0, timeout_s: float = 300.0) -> float:
    """Wait until `handled()` stayed the same for `quiet_s`; return the seconds until its last change."""
    started = time.monotonic()
    last_count, last_change = handled(), started
    while time.monotonic() - last_change < quiet_s and time.monotonic() - started < timeout_s:
        time.sleep(0.05)
        count = handled()
        if count != last_count:
            last_count, last_change = count, time.monotonic()
    return last_change - started


def step_test(
    label: str,
    pid: int,
    url: str,
    workload: Path,
    rates: Sequence[float],
    *,
    first_run: int,
    duration_s: float,
    secret: str = "",
    db_path: Path | None = None,
    handled: Callable[[], int] | None = None,
    progress: Callable[[Measurement], None] | None = None,
) -> list[Measurement]:
    """Run `rates` in increasing order until one is not sustained; return every step run, the failed one last.

    A step that fails is run once more before the test stops, because other programs on a shared
    machine can spoil one step. Both runs are returned, and the rate counts as held if either held.
    """
    steps = []
    run_number = first_run
    for rate in sorted(rates):
        for _attempt in range(2):
            step = measure(f"{label} @ {rate:g}/s", pid, url, workload, run_number=run_number,
                           duration_s=duration_s, rate=rate, secret=secret, db_path=db_path, handled=handled)
            run_number += 1
            steps.append(step)
            if progress is not None:
                progress(step)
            if step.sustained:
                break
        if not step.sustained:
            break
    return steps


def highest_sustained(steps: Sequence[Measurement]) -> float:
    """Return the achieved rate of the fastest sustained step, 0 when none held."""
    return max((step.rate for step in steps if step.sustained), default=0.0)

