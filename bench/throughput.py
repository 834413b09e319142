"""Run quizkit's benchmark and print its tables: `make bench`, or directly

    .venv/bin/python bench/throughput.py [--json PATH] [--duration S] [--parts throughput,closing,pushpull] [--quick]

It is `quizkit bench` with the same options; see quizkit/benchmark/ for what each part measures
and BENCHMARKS.md for recorded results.
"""

import sys

from quizkit.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
