"""Run the webhook fuzz test longer than the suite does and print the number of cases it posted.

Usage: .venv/bin/python bench/fuzz_webhook.py [--batches N]

Each batch is one hypothesis example of 10 to 60 requests, posted to a real webhook server on
127.0.0.1 (see tests/test_webhook_fuzz.py for the checks). The suite runs 200 batches.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=3000, help="hypothesis examples to run (default 3000)")
    arguments = parser.parse_args()

    environment = dict(os.environ, QUIZKIT_FUZZ_BATCHES=str(arguments.batches))
    began = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_webhook_fuzz.py", "-q", "-s", "-p", "no:cacheprovider"],
        cwd=ROOT, env=environment, capture_output=True, text=True,
    )
    wall_s = time.monotonic() - began
    summary = re.search(r"webhook fuzz: (\d+) cases, statuses (\{.*\})", completed.stdout)
    outcome = "passed" if completed.returncode == 0 else "FAILED"
    cases = summary.group(1) if summary else "?"
    statuses = summary.group(2) if summary else "?"

    print("| date | machine | batches | cases | statuses | outcome | wall s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(f"| {date.today()} | {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()} "
          f"| {arguments.batches} | {cases} | {statuses} | {outcome} | {wall_s:.0f} |")
    if completed.returncode != 0:
        print(completed.stdout[-4000:], file=sys.stderr)
    return completed.returncode


if __name__ == "__main__":
    raise SystemExit(main())
