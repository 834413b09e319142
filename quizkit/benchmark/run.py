"""`quizkit bench`: run every part of the benchmark, print its tables and write its JSON results."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from quizkit.benchmark.loadtest import Measurement
from quizkit.benchmark.machine import describe_machine
from quizkit.benchmark.throughput import ThroughputOptions, run_throughput, summarise_throughput, temporary_folder

PARTS = ("throughput", "closing", "pushpull")
_COLUMNS = ("run", "target/s", "handled/s", "p50 ms", "p99 ms", "max ms", "errors", "server CPU %", "wrk CPU %",
            "harness CPU %", "machine CPU %", "peak RSS MB", "answers acked/lost/dup", "sustained")


def quick_options() -> ThroughputOptions:
    """Options for a run of a few seconds that only shows the harness works."""
    return ThroughputOptions(duration_s=1.0, quizkit_rates=(100, 200), baseline_rates=(50,),
                             floor_stacks=("asgi-uvicorn",), refinements=0)


def run_benchmark(options: ThroughputOptions, parts: Sequence[str], out: TextIO = sys.stdout,
                  quick: bool = False) -> dict:
    """Run the chosen `parts`, print a table per part to `out` and return every figure."""
    results: dict = {"machine": describe_machine(), "options": {"duration_s": options.duration_s, "quick": quick}}
    print(_machine_line(results["machine"]), file=out, flush=True)

    if "throughput" in parts:
        print(_header(), file=out, flush=True)
        with temporary_folder() as folder:
            throughput = run_throughput(options, Path(folder), lambda run: print(_row(run), file=out, flush=True))
        results["runs"] = [run.as_dict() for run in
                           [*throughput.floor, throughput.quizkit_max, *throughput.quizkit_steps,
                            throughput.baseline_max, *throughput.baseline_steps]]
        results.update(summarise_throughput(throughput))
        print(_throughput_summary(results), file=out, flush=True)

    if "closing" in parts:
        from quizkit.benchmark.closing import run_closing

        closing = run_closing(quick=quick)
        results.update(closing)
        print(f"\nClosing a question with {closing['close_answers']:,} answers: {closing['close_10k_s']:.3f} s; "
              f"leaderboard over {closing['leaderboard_answers']:,} answers: {closing['leaderboard_1m_s']:.3f} s "
              f"(top 10), {closing['leaderboard_1m_full_s']:.3f} s (all rows)", file=out, flush=True)

    if "pushpull" in parts:
        from quizkit.benchmark.pushpull import run_pushpull

        pushpull = run_pushpull(quick=quick)
        results.update(pushpull)
        print(f"\nWith a {pushpull['bot_api_round_trip_ms']:.0f} ms round trip to the Bot API:", file=out)
        print("| transport | updates/s |\n| --- | --- |", file=out)
        for name, key in (("pull, 1 update per getUpdates, synchronous", "pull_single_updates_per_s"),
                          ("pull, 100 per getUpdates, concurrent (quizkit polling)", "pull_batched_updates_per_s"),
                          ("push, webhook, 40 connections (quizkit webhook)", "push_updates_per_s")):
            print(f"| {name} | {pushpull[key]:.0f} |", file=out, flush=True)
    return results


def _machine_line(machine: dict) -> str:
    return (f"{machine['date']}: {machine['cores']} cores ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
            f"Python {machine['python']}, load average {machine['load_average'][0]}")


def _header() -> str:
    return "| " + " | ".join(_COLUMNS) + " |\n|" + " --- |" * len(_COLUMNS)


def _row(run: Measurement) -> str:
    answers = run.answers
    answer_text = f"{answers['acknowledged']}/{answers['lost']}/{answers['duplicated']}" if answers else "-"
    target = f"{run.target_rate:g}" if run.target_rate else "max"
    cells = (run.label, target, f"{run.rate:.0f}", f"{run.p50_ms:.1f}", f"{run.p99_ms:.1f}", f"{run.max_ms:.0f}",
             run.errors, f"{run.server_cpu_percent:.0f}", f"{run.wrk_cpu_percent:.0f}",
             f"{run.harness_cpu_percent:.0f}", f"{run.machine_cpu_percent:.0f}", f"{run.peak_rss_mb:.0f}",
             answer_text, "yes" if run.sustained else "no")
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _throughput_summary(results: dict) -> str:
    lines = [
        "",
        f"Floor: {results['floor_updates_per_s']:.0f} requests/s ({results['floor_stack']})",
        f"quizkit: {results['max_sustained_updates_per_s']:.0f} updates/s sustained "
        f"({results['share_of_floor']:.0%} of the floor), {results['quizkit_unthrottled_updates_per_s']:.0f}/s unthrottled",
        f"Answers acknowledged: {results['acknowledged_answers']}, lost: {results['lost_answers']}, "
        f"duplicated: {results['duplicated_answers']}; peak RSS {results['peak_rss_mb']:.0f} MB",
        f"Baseline: {results['baseline_max_sustained_updates_per_s']:.0f} updates/s sustained; "
        f"quizkit / baseline = {results['quizkit_over_baseline']}",
    ]
    for name in ("at_1500", "at_5000"):
        point = results[name]
        if point is not None:
            lines.append(f"quizkit {name.replace('_', ' ')}/s (step {point['target_rate']:g}/s): "
                         f"p50 {point['p50_ms']} ms, p99 {point['p99_ms']} ms, server CPU "
                         f"{point['server_cpu_percent']}%, peak RSS {point['peak_rss_mb']} MB")
    return "\n".join(lines)


def write_json(results: dict, path: Path) -> None:
    """Write `results` to `path` as indented JSON."""
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
