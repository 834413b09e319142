"""`quizkit bench`: run every part of the benchmark, print its tables and write its JSON results."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from quizkit.benchmark.loadtest import Measurement
from quizkit.benchmark.machine import describe_machine
from quizkit.benchmark.texts import BenchTexts, bench_texts
from quizkit.benchmark.throughput import ThroughputOptions, run_throughput, summarise_throughput, temporary_folder

PARTS = ("throughput", "closing", "pushpull")


def quick_options() -> ThroughputOptions:
    """Options for a run of a few seconds that only shows the harness works."""
    return ThroughputOptions(duration_s=1.0, quizkit_rates=(100, 200), baseline_rates=(50,),
                             floor_stacks=("asgi-uvicorn",), refinements=0)


def run_benchmark(options: ThroughputOptions, parts: Sequence[str], out: TextIO | None = None,
                  quick: bool = False) -> dict:
    """Run the chosen `parts`, print a table per part to `out` (default: standard output) and return every figure."""
    out = sys.stdout if out is None else out
    texts = bench_texts()
    results: dict = {"machine": describe_machine(), "options": {"duration_s": options.duration_s, "quick": quick}}
    machine = results["machine"]
    _print(out, texts.machine.format(**machine, load=machine["load_average"][0]))

    if "throughput" in parts:
        _print(out, _header(texts))
        with temporary_folder() as folder:
            throughput = run_throughput(options, Path(folder), lambda run: _print(out, _row(run, texts)))
        runs = [*throughput.floor, throughput.quizkit_max, *throughput.quizkit_steps, throughput.baseline_max,
                *throughput.baseline_steps]
        results["runs"] = [run.as_dict() for run in runs]
        results.update(summarise_throughput(throughput))
        _print(out, _throughput_summary(results, texts))

    if "closing" in parts:
        from quizkit.benchmark.closing import run_closing

        closing = run_closing(quick=quick)
        results.update(closing)
        _print(out, "\n" + texts.closing.format(
            close_answers=closing["close_answers"], close_s=closing["close_10k_s"],
            board_answers=closing["leaderboard_answers"], top_s=closing["leaderboard_1m_s"],
            full_s=closing["leaderboard_1m_full_s"]))

    if "pushpull" in parts:
        from quizkit.benchmark.pushpull import run_pushpull

        pushpull = run_pushpull(quick=quick)
        results.update(pushpull)
        _print(out, _pushpull_table(pushpull, texts))
    return results


def _print(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)


def _header(texts: BenchTexts) -> str:
    return "| " + " | ".join(texts.columns) + " |\n|" + " --- |" * len(texts.columns)


def _row(run: Measurement, texts: BenchTexts) -> str:
    answers = run.answers
    answer_text = f"{answers['acknowledged']}/{answers['lost']}/{answers['duplicated']}" if answers else "-"
    target = f"{run.target_rate:g}" if run.target_rate else texts.fastest
    cells = (run.label, target, f"{run.rate:.0f}", f"{run.p50_ms:.1f}", f"{run.p99_ms:.1f}", f"{run.max_ms:.0f}",
             run.errors, f"{run.server_cpu_percent:.0f}", f"{run.wrk_cpu_percent:.0f}",
             f"{run.harness_cpu_percent:.0f}", f"{run.machine_cpu_percent:.0f}", f"{run.peak_rss_mb:.0f}",
             answer_text, texts.yes if run.sustained else texts.no)
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _throughput_summary(results: dict, texts: BenchTexts) -> str:
    share = results["share_of_floor"]
    lines = [
        "",
        texts.floor.format(rate=results["floor_updates_per_s"], stack=results["floor_stack"]),
        texts.quizkit.format(rate=results["max_sustained_updates_per_s"], share=_or_dash(share, "{:.0%}"),
                             fastest=results["quizkit_unthrottled_updates_per_s"]),
        texts.answers.format(acknowledged=results["acknowledged_answers"], lost=results["lost_answers"],
                             duplicated=results["duplicated_answers"], rss=results["peak_rss_mb"]),
        texts.baseline.format(rate=results["baseline_max_sustained_updates_per_s"],
                              ratio=_or_dash(results["quizkit_over_baseline"])),
    ]
    if results["generator"]["wrk_share_of_cpu"] is not None:
        lines.append(texts.generator.format(**results["generator"]))
    for rate in (1500, 5000):
        point = results[f"at_{rate}"]
        if point is not None:
            lines.append(texts.at_rate.format(rate=rate, target=point["target_rate"], p50=point["p50_ms"],
                                              p99=point["p99_ms"], cpu=point["server_cpu_percent"],
                                              rss=point["peak_rss_mb"]))
    return "\n".join(lines)


def _or_dash(value: float | None, form: str = "{}") -> str:
    """`value` in `form`, or a dash when a figure could not be worked out (say, no baseline step held)."""
    return "-" if value is None else form.format(value)


def _pushpull_table(pushpull: dict, texts: BenchTexts) -> str:
    lines = ["", texts.pushpull_title.format(round_trip=pushpull["bot_api_round_trip_ms"]),
             "| " + " | ".join(texts.pushpull_columns) + " |", "| --- | --- |"]
    for name, key in ((texts.pull_single, "pull_single_updates_per_s"),
                      (texts.pull_batched, "pull_batched_updates_per_s"),
                      (texts.push, "push_updates_per_s")):
        lines.append(f"| {name} | {pushpull[key]:.0f} |")
    return "\n".join(lines)


def write_json(results: dict, path: Path) -> None:
    """Write `results` to `path` as indented JSON."""
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
