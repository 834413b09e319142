"""Load only quizkit's server, several times in a row, as fast as it responds or at a fixed rate.

    .venv/bin/python bench/quizkit_only.py [--runs N] [--duration S] [--rate R] [--profile PATH.svg]

It runs the same server, workload and wrk settings as the throughput part of `quizkit bench`, but
skips the floors, the step test and the baseline. Two versions of the server can so be compared in
a few minutes. Each line shows the machine's load average before the run, because other
programs on a shared machine move the figures. `--profile` runs `py-spy record` (install it with
`pip install py-spy`) on the server during the first run and writes a flame graph (.svg) or
collapsed stacks (any other suffix).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from quizkit.benchmark.loadtest import Measurement, measure
from quizkit.benchmark.targets import BENCH_CHANNEL_ID, BENCH_BOT, BENCH_TOKEN, prepare_event, quizkit_server
from quizkit.benchmark.throughput import temporary_folder
from quizkit.benchmark.workload import write_workload
from quizkit.emulator import Emulator


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="number of runs (default 3)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run (default 10)")
    parser.add_argument("--rate", type=float, default=0,
                        help="updates per second that wrk aims for (default 0: as fast as the server responds)")
    parser.add_argument("--profile", type=Path, default=None, help="write a py-spy profile of the first run here: a flame graph for .svg, "
                        "collapsed stacks otherwise")
    args = parser.parse_args()

    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if args.profile is not None and not Path(py_spy).exists():
        parser.error("--profile needs py-spy: install it with 'pip install py-spy'")

    with temporary_folder() as name:
        folder = Path(name)
        db_path = folder / "quizkit.db"
        workload = write_workload(folder / "workload.tsv", prepare_event(db_path))
        with Emulator(open_private_chats=True) as emulator:
            emulator.add_bot(BENCH_TOKEN, BENCH_BOT)
            emulator.add_channel(BENCH_TOKEN, BENCH_CHANNEL_ID, "Quizkit benchmark")
            server, secret = quizkit_server(db_path, emulator.url, folder)
            with server:
                for run in range(1, args.runs + 1):
                    load = os.getloadavg()[0]
                    profiler = _start_profiler(py_spy, server.pid, args) if run == 1 else None
                    result = measure("quizkit", server.pid, server.url, workload.path, run_number=run,
                                     duration_s=args.duration, rate=args.rate, secret=secret, db_path=db_path)
                    if profiler is not None:
                        profiler.wait()
                    print(_line(run, load, result), flush=True)
    return 0


def _start_profiler(py_spy: str, pid: int, args: argparse.Namespace) -> subprocess.Popen | None:
    if args.profile is None:
        return None
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(round(args.duration)), "--rate", "200",
               "--output", str(args.profile)]
    if args.profile.suffix != ".svg":
        command += ["--format", "raw"]  # collapsed stacks, one line per stack with its sample count
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def _line(run: int, load: float, result: Measurement) -> str:
    answers = result.answers or {}
    return (f"run {run}: load {load:.2f}, {result.rate:.0f} updates/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms, errors {result.errors}, server CPU {result.server_cpu_percent:.0f}%, "
            f"wrk CPU {result.wrk_cpu_percent:.0f}%, answers acked/lost/dup "
            f"{answers.get('acknowledged')}/{answers.get('lost')}/{answers.get('duplicated')}")


if __name__ == "__main__":
    sys.exit(main())
