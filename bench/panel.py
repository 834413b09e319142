"""Measure the host panel's cost while the server takes a crowd: cell latency and refresh CPU.

Usage: .venv/bin/python bench/panel.py [--time-scale 1.0] [--questions 14] [--json PATH]

Two processes, as on event day: this one plays Telegram (the Bot API emulator and the codeweek2016
crowd), and a real Jupyter kernel runs what host.ipynb runs (the quizkit server on a webhook, a
SQLite file, and the panel refreshing every second). The host's Launch and Close run as cells.
While each question's answers arrive, this process sends a trivial cell (`1 + 1`) to the kernel
every 100 ms and times it from the execute request to the reply.

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
CELL_TIMEOUT_S = 120

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

KERNEL_REPORT = """
elapsed = time.monotonic() - started_wall
print(json.dumps({
    "elapsed_s": elapsed,
    "refreshes": panel.refresh_count,
    "refresh_cpu_s": panel.refresh_cpu_s - started_cpu,
    "peak_updates_per_s": host.server.traffic.peak,
    "rates": host.rates(),
    "answers_stored": sum(engine.answer_count(q.number) for q in engine.questions()),
}))
panel.stop()
host.stop()
store.close()
"""


class Kernel:
    """A Jupyter kernel with one blocking client; `run` executes a cell and returns its stdout."""

    def __init__(self) -> None:
        self.manager, self.client = start_new_kernel(kernel_name="python3")

    def run(self, code: str) -> tuple[str, float]:
        """Execute `code`; return its printed text and the seconds from request to reply."""
        began = time.perf_counter()
        message_id = self.client.execute(code)
        reply = self.client.get_shell_msg(timeout=CELL_TIMEOUT_S)
        while reply["parent_header"].get("msg_id") != message_id:
            reply = self.client.get_shell_msg(timeout=CELL_TIMEOUT_S)
        latency = time.perf_counter() - began
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"Cell failed in the kernel: {reply['content'].get('evalue')}\n{code}")
        return self._stdout(message_id), latency

    def _stdout(self, message_id: str) -> str:
        text = []
        while True:
            message = self.client.get_iopub_msg(timeout=CELL_TIMEOUT_S)
            if message["parent_header"].get("msg_id") != message_id:
                continue
            if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
                text.append(message["content"]["text"])
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return "".join(text)

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)


def play_with_probes(kernel: Kernel, play, probes: list[tuple[float, float]]) -> None:
    """Run `play` in a thread and probe the kernel with a trivial cell every 100 ms until it ends."""
    player = threading.Thread(target=play)
    player.start()
    while player.is_alive():
        sent_at = time.time()
        _, latency = kernel.run("1 + 1")
        probes.append((sent_at, latency))
        time.sleep(max(0.0, PROBE_PERIOD_S - latency))
    player.join()


def run(time_scale: float, questions: int | None) -> dict:
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
                actions.append(kernel.run(f"panel.launch({index + 1})")[1])
                play_with_probes(kernel, lambda: crowd.play_question(index, code), probes)
                emulator.wait_delivered(REHEARSAL_TOKEN, 120)
                actions.append(kernel.run(f"panel.close({index + 1})")[1])
                play_with_probes(kernel, lambda: crowd.play_late(index, code), probes)
                emulator.wait_delivered(REHEARSAL_TOKEN, 120)
            report = json.loads(kernel.run(KERNEL_REPORT)[0])
        finally:
            kernel.shutdown()

    return summarise(report, probes, actions, crowd)


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
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    print(f"{date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}", flush=True)
    figures = run(args.time_scale, args.questions)
    print(json.dumps(figures, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
