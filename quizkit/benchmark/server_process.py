"""A quizkit server in its own process, for the push/pull benchmark: no rate limiter, no control endpoint.

    QUIZKIT_BOT_TOKEN=... python -m quizkit.benchmark.server_process DB EVENT TRANSPORT API_URL

It serves the event until SIGTERM. The rate limiter is off because the emulator has no flood limits
unless asked for them, so the benchmark measures the transport and not Telegram's limits.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from quizkit.engine import Engine
from quizkit.server import Server
from quizkit.store import Store


def main(db_path: str, event: str, transport: str, api_url: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    store = Store(db_path)
    try:
        engine = Engine.load(store, event)
        with Server(engine, os.environ["QUIZKIT_BOT_TOKEN"], api_url=f"{api_url}/bot", transport=transport,
                    rate_limit=False):
            stop.wait()
    finally:
        store.close()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: python -m quizkit.benchmark.server_process DB EVENT TRANSPORT API_URL")
    main(*sys.argv[1:])
