"""Measure the host panel's cost while the server takes a crowd: cell latency and refresh CPU.

Usage: .venv/bin/python bench/panel.py [--time-scale 1.0] [--questions 14] [--json PATH]

Two processes, as on event day: this one plays Telegram (the Bot API emulator and the codeweek2016
crowd), and a real Jupyter kernel runs what host.ipynb runs (the quizkit server on a webhook, a
SQLite file, and the panel refreshing every second). The host's Launch and Close run as cells.
While each question's answers arrive, this process sends a trivial cell (`1 + 1`) to the kernel
every 100 ms and times it from the execute request to the reply.

With `--soak-refreshes N`, the panel then refreshes N more times in a row (3,600 stand for an hour
of refreshes), redrawing the chart each time. The kernel's Python heap (tracemalloc) and resident
memory are read before and after. Resident memory also holds the widget messages that ZeroMQ queues
for a front end, and this benchmark reads none of them, so the heap is the figure for leaks.

Reported: the trivial cell's latency (median, 99th percentile, worst) over all probes and over the
probes sent during seconds when the server received at least 1,000 updates; the panel's refresh
CPU (thread time spent in `Panel.refresh`) as a share of one core; the server's peak rate; and
the answers stored against those sent.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from jupyter_client.manager import start_new_kernel

from quizkit.emulator.crowd import Crowd
from quizkit.rehearsal import (
    REHEARSAL_TOKEN,
    create_rehearsal_event,
    rehearsal_emulator,
    rehearsal_event_name,
)
from quizkit.store import Store

BUSY_RATE = 1_000
PROBE_PERIOD_S = 0.1
CELL_TIMEOUT_S = 300

KERNEL_SETUP = """
import json, time
from quizkit import Engine, Host, Store
from quizkit.notebook import Panel
store = Store({db!r})
engine = Engine.load(store, {event!r})
host = Host(engine, {token!r}, api_url={api_url!r}, rate_limit=False).start()
panel = Panel(host, language="en", refresh_s=1.0)
started_wall, started_cpu = time.monotonic(), panel.refresh_cpu_s
"""

KERNEL_SOAK = """
def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
import gc, tracemalloc, matplotlib.pyplot as plt
def soak(count):
    for _ in range(count):
        panel._chart_second = 0  # render the chart on every refresh, as each new second does
        panel.refresh()
soak(100)
gc.collect()
tracemalloc.start()
rss_before, traced_before = rss_kib(), tracemalloc.get_traced_memory()[0]
soak({refreshes})
gc.collect()
traced_after = tracemalloc.get_traced_memory()[0]
tracemalloc.stop()
with open(OUT_PATH, "w") as out:
    json.dump({{"refreshes": {refreshes}, "rss_before_kib": rss_before, "rss_after_kib": rss_kib(),
               "python_heap_growth_kib": (traced_after - traced_before) // 1024,
               "pyplot_figures": len(plt.get_fignums())}}, out)
"""

KERNEL_REPORT = """
elapsed = time.monotonic() - started_wall
with open(OUT_PATH, "w") as out:
    json.dump({
    "elapsed_s": elapsed,
    "refreshes": panel.refresh_count,
    "refresh_cpu_s": panel.refresh_cpu_s - started_cpu,
    "peak_updates_per_s": host.server.traffic.peak,
    "rates": host.rates(),
    "answers_stored": sum(engine.answer_count(q.number) for q in engine.questions()),
}, out)
"""

KERNEL_STOP = """
panel.stop()
host.stop()
store.close()
"""


class Kernel:
    """A Jupyter kernel with one blocking client; `run` executes a cell and times it.

    Results come back through files, not the IOPub channel: the panel's widget updates flood IOPub,
    and ZeroMQ drops messages that a slow reader leaves queued, so a cell's output may never arrive.
    """

    def __init__(self) -> None:
        self.manager, self.client = start_new_kernel(kernel_name="python3")

    def run(self, code: str, timeout_s: float = CELL_TIMEOUT_S) -> float:
        """Execute `code`; return the seconds from the execute request to its reply."""
        began = time.perf_counter()
        message_id = self.client.execute(code)
        reply = self.client.get_shell_msg(timeout=timeout_s)
        while reply["parent_header"].get("msg_id") != message_id:
            reply = self.client.get_shell_msg(timeout=timeout_s)
        latency = time.perf_counter() - began
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"Cell failed in the kernel: {reply['content'].get('evalue')}\n{code}")
        return latency

    def run_for_json(self, code: str, path: Path, timeout_s: float = CELL_TIMEOUT_S) -> dict:
        """Execute `code`, which writes JSON to `path`, and return what it wrote."""
        self.run(code.replace("OUT_PATH", repr(str(path))), timeout_s)
        return json.loads(path.read_text())

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)


def play_with_probes(kernel: Kernel, play, probes: list[tuple[float, float]]) -> None:
    """Run `play` in a thread and probe the kernel with a trivial cell every 100 ms until it ends."""
    player = threading.Thread(target=play)
    player.start()
    while player.is_alive():
        sent_at = time.time()
        latency = kernel.run("1 + 1")
        probes.append((sent_at, latency))
        time.sleep(max(0.0, PROBE_PERIOD_S - latency))
    player.join()


def run(time_scale: float, questions: int | None, soak_refreshes: int) -> dict:
    with tempfile.TemporaryDirectory() as folder, rehearsal_emulator() as emulator:
        db_path = Path(folder) / "panel-bench.db"
        crowd = Crowd(emulator, REHEARSAL_TOKEN, profile="codeweek2016", time_scale=time_scale)
        event = rehearsal_event_name("codeweek2016")
        store = Store(db_path)
        create_rehearsal_event(store, event, crowd, "en")
        codes = [question.code for question in store.questions(store.event(event).id)]
        store.close()

        kernel = Kernel()
        try:
            kernel.run(KERNEL_SETUP.format(db=str(db_path), event=event, token=REHEARSAL_TOKEN,
                                           api_url=emulator.base_url))
            probes: list[tuple[float, float]] = []
            actions: list[float] = []
            crowd.register()
            emulator.wait_delivered(REHEARSAL_TOKEN, 120)
            for index, code in enumerate(codes[:questions]):
                actions.append(kernel.run(f"panel.launch({index + 1})"))
                play_with_probes(kernel, lambda: crowd.play_question(index, code), probes)
                emulator.wait_delivered(REHEARSAL_TOKEN, 120)
                actions.append(kernel.run(f"panel.close({index + 1})"))
                play_with_probes(kernel, lambda: crowd.play_late(index, code), probes)
                emulator.wait_delivered(REHEARSAL_TOKEN, 120)
            report = kernel.run_for_json(KERNEL_REPORT, Path(folder) / "report.json")
            soak = None
            if soak_refreshes:
                # A second per refresh leaves room for a machine that other work slows down.
                soak = kernel.run_for_json(KERNEL_SOAK.format(refreshes=soak_refreshes), Path(folder) / "soak.json",
                                           timeout_s=max(CELL_TIMEOUT_S, soak_refreshes))
            kernel.run(KERNEL_STOP)
        finally:
            kernel.shutdown()

    figures = summarise(report, probes, actions, crowd)
    figures["soak"] = soak
    return figures


def summarise(report: dict, probes: list[tuple[float, float]], actions: list[float], crowd: Crowd) -> dict:
    rates = dict((int(second), count) for second, count in report["rates"])
    busy = [latency for sent_at, latency in probes if rates.get(int(sent_at), 0) >= BUSY_RATE]
    return {
        "probes": len(probes),
        "latency_ms": _percentiles([latency for _, latency in probes]),
        "busy_seconds": sum(count >= BUSY_RATE for count in rates.values()),
        "busy_probes": len(busy),
        "busy_latency_ms": _percentiles(busy),
        "action_ms": _percentiles(actions),
        "refreshes": report["refreshes"],
        "refresh_cpu_percent_of_core": 100 * report["refresh_cpu_s"] / report["elapsed_s"],
        "refresh_ms_mean": 1000 * report["refresh_cpu_s"] / max(1, report["refreshes"]),
        "peak_updates_per_s": report["peak_updates_per_s"],
        "answers_stored": report["answers_stored"],
        "answers_sent": crowd.counters["answers_sent"],
        "elapsed_s": report["elapsed_s"],
    }


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {"p50": round(1000 * statistics.median(ordered), 1), "p99": round(1000 * p99, 1),
            "max": round(1000 * ordered[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=1.0, help="crowd time scale (default: 1.0)")
    parser.add_argument("--questions", type=int, default=None, help="play only the first N questions")
    parser.add_argument("--soak-refreshes", type=int, default=0,
                        help="after the event, refresh the panel this many more times (3600 is an hour) "
                             "and report the kernel's memory before and after")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    print(f"{date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}", flush=True)
    figures = run(args.time_scale, args.questions, args.soak_refreshes)
    print(json.dumps(figures, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
