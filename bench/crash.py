"""Kill the quizkit server with SIGKILL at random points of an event, many times, and check what survived.

Usage: .venv/bin/python bench/crash.py [--runs 20] [--transport webhook|polling|both] [--first-seed 1]

Each run starts `quizkit emulator` and `quizkit serve` as processes, plays a scaled-down codeweek2016
crowd, kills the server once at a seeded random moment of the burst and once while a close is in
flight, restarts it on the same database and checks every answer, reply and channel post (see
tests/crash_support.py). Prints one Markdown table row per run and the totals; exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crash_support import CrashPlan, CrashReport, run_crash  # noqa: E402


def print_row(run: int, report: CrashReport) -> None:
    posts = report.channel_posts.get("announcement", 0) + report.channel_posts.get("results", 0)
    verdict = "ok" if report.ok else "FAILED: " + "; ".join(report.problems[:3])
    print(f"| {run} | {report.transport} | {report.seed} | {report.kill_at_s:.2f} | {report.close_kill} | "
          f"{report.kills} | {report.updates_processed}/{report.updates_sent} | {report.redeliveries} | "
          f"{report.answers_stored}/{report.answers_sent} | {report.answers_lost} | {report.answers_duplicated} | "
          f"{report.replies_missing} | {posts} | {report.posts_interrupted} | {report.posts_repeated} | "
          f"{report.duration_s:.1f} | {verdict} |", flush=True)


def print_totals(reports: list[CrashReport]) -> None:
    passed = sum(report.ok for report in reports)
    print()
    print(f"runs passed: {passed}/{len(reports)}; kills survived: {sum(r.kills for r in reports if r.ok)}; "
          f"updates sent: {sum(r.updates_sent for r in reports)}; redelivered: {sum(r.redeliveries for r in reports)}; "
          f"answers sent: {sum(r.answers_sent for r in reports)}, lost: {sum(r.answers_lost for r in reports)}, "
          f"duplicated: {sum(r.answers_duplicated for r in reports)}; replies lost with a kill: "
          f"{sum(r.replies_missing for r in reports)}; channel posts interrupted by a kill: "
          f"{sum(r.posts_interrupted for r in reports)}, repeated: {sum(r.posts_repeated for r in reports)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per transport (default: 20)")
    parser.add_argument("--transport", choices=["webhook", "polling", "both"], default="webhook",
                        help="transport of the server (default: webhook)")
    parser.add_argument("--first-seed", type=int, default=1, help="seed of the first run; run i uses first + i")
    parser.add_argument("--participants", type=int, default=60, help="crowd size (default: 60)")
    args = parser.parse_args()

    transports = ["webhook", "polling"] if args.transport == "both" else [args.transport]
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print("| run | transport | seed | burst kill s | close kill | kills | updates processed/sent | redelivered "
          "| answers stored/sent | lost | duplicated | replies lost with a kill | channel posts | posts interrupted "
          "| posts repeated | s | result |")
    print("| --- " * 17 + "|")
    reports = []
    run = 0
    for transport in transports:
        for index in range(args.runs):
            run += 1
            plan = CrashPlan(seed=args.first_seed + index, transport=transport, participants=args.participants)
            with tempfile.TemporaryDirectory(prefix="quizkit-crash-") as folder:
                report = run_crash(Path(folder), plan)
            reports.append(report)
            print_row(run, report)
    print_totals(reports)
    return 0 if all(report.ok for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
