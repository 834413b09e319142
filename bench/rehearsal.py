"""Time the default rehearsal end to end over each transport and print a Markdown table row per run.

Usage: .venv/bin/python bench/rehearsal.py [--runs N] [--profile codeweek2016]

Everything runs in one process on 127.0.0.1 (emulator, server and crowd share the GIL), so the
figures describe the rehearsal as a whole, not the server alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def run_once(profile: str, transport: str, folder: Path) -> dict:
    summary_path = folder / f"{transport}.json"
    began_cpu = os.times()
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "quizkit", "rehearse", "--profile", profile, "--transport", transport,
         "--db", str(folder / f"{transport}.db"), "--summary-json", str(summary_path), "--no-progress"],
        check=True, stdout=subprocess.DEVNULL,
    )
    wall_s = time.monotonic() - began
    ended_cpu = os.times()
    summary = json.loads(summary_path.read_text())
    summary["wall_s"] = wall_s
    summary["cpu_s"] = (ended_cpu.children_user - began_cpu.children_user) + (
        ended_cpu.children_system - began_cpu.children_system)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per transport (default: 1)")
    parser.add_argument("--profile", default="codeweek2016", help="crowd profile (default: codeweek2016)")
    args = parser.parse_args()

    print(f"{date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print("| transport | run | updates | answers stored/sent | wall s | CPU s | peak updates/s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for transport in ("webhook", "polling"):
            for run in range(1, args.runs + 1):
                summary = run_once(args.profile, transport, Path(folder))
                print(f"| {transport} | {run} | {summary['updates_acked']} | {summary['answers_stored']}/"
                      f"{summary['answers_sent']} | {summary['wall_s']:.1f} | {summary['cpu_s']:.1f} | "
                      f"{summary['peak_updates_per_s']} |", flush=True)
                Path(folder, f"{transport}.db").unlink()


if __name__ == "__main__":
    main()
