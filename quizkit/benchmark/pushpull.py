"""Push against pull: how fast three ways of receiving updates drain a backlog over a slow link.

The emulator adds a round trip (50 ms by default) to every Bot API call and every webhook
delivery. Each way starts with the same backlog of codeweek2016-shaped updates queued in the
emulator, and its rate is the backlog divided by the time to confirm all of it:

1. pull, one update per getUpdates call, handled synchronously: fetch, apply the quiz rules,
   send the reply with sendMessage, then fetch the next one (a loop in this process);
2. pull, up to 100 updates per getUpdates call, replies sent concurrently per chat: quizkit's
   polling transport, as python-telegram-bot's polling with concurrent updates does it;
3. push, webhook deliveries on 40 connections with the reply in the response body: quizkit's
   webhook transport.

Both quizkit transports run in a child process (quizkit.benchmark.server_process) without
python-telegram-bot's rate limiter. NOTE: on Telegram, the limit of about 30 messages/s per bot
would cap both pull ways at about 30 updates/s, because each reply is a sendMessage call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from quizkit.benchmark.targets import BENCH_BOT, BENCH_CHANNEL_ID, BENCH_EVENT, BENCH_TOKEN, prepare_event
from quizkit.benchmark.workload import write_workload
from quizkit.bot import to_incoming
from quizkit.emulator import Emulator
from quizkit.engine import Engine
from quizkit.store import Store

ROUND_TRIP_S = 0.05
DRAIN_TIMEOUT_S = 600.0


def run_pushpull(quick: bool = False, round_trip_s: float = ROUND_TRIP_S) -> dict:
    """Return the updates per second of each way, each draining a backlog sized for 10 to 60 seconds."""
    backlogs = {"single": 10, "polling": 300, "webhook": 300} if quick else {
        "single": 100, "polling": 3_000, "webhook": 10_000}
    with tempfile.TemporaryDirectory(prefix="quizkit-pushpull-") as folder:
        folder_path = Path(folder)
        single = _drain(folder_path, "single", backlogs["single"], round_trip_s)
        batched = _drain(folder_path, "polling", backlogs["polling"], round_trip_s)
        push = _drain(folder_path, "webhook", backlogs["webhook"], round_trip_s)
    return {
        "bot_api_round_trip_ms": round_trip_s * 1000,
        "pull_single_updates_per_s": round(single, 1),
        "pull_batched_updates_per_s": round(batched, 1),
        "push_updates_per_s": round(push, 1),
        "pushpull_backlogs": {"pull_single": backlogs["single"], "pull_batched": backlogs["polling"],
                              "push": backlogs["webhook"]},
    }


def _drain(folder: Path, way: str, backlog: int, round_trip_s: float) -> float:
    """Queue `backlog` updates, let `way` consume them and return updates per second."""
    db_path = folder / f"{way}.db"
    codes = prepare_event(db_path)
    payloads = _payloads(write_workload(folder / f"{way}.tsv", codes).path, backlog)
    with Emulator(latency_s=round_trip_s, webhook_latency_s=round_trip_s) as emulator:
        emulator.add_bot(BENCH_TOKEN, BENCH_BOT)
        emulator.add_channel(BENCH_TOKEN, BENCH_CHANNEL_ID, "Quizkit benchmark")
        for payload in payloads:
            emulator.send_update(BENCH_TOKEN, payload)

        if way == "single":
            return _pull_single(emulator, db_path, backlog)
        return _quizkit_transport(emulator, db_path, way, backlog, folder)


def _payloads(workload: Path, count: int) -> list[dict]:
    """Return `count` updates taking one step of each participant in turn, as a crowd sends them.

    Each participant's steps keep their order, so every answer still follows its `/start CODE`.
    """
    chains: dict[str, list[str]] = {}
    for line in workload.read_text(encoding="utf-8").splitlines():
        participant, _, template = line.split("\t", 2)
        chains.setdefault(participant, []).append(template)

    payloads = []
    date = str(int(time.time()))
    for position in range(max(len(chain) for chain in chains.values())):
        for participant, chain in chains.items():
            if position < len(chain) and len(payloads) < count:
                text = chain[position].replace("\x01U", str(200_000_000 + int(participant))).replace("\x01D", date)
                payload = json.loads(text.replace("\x01I", "0"))
                del payload["update_id"]
                payloads.append(payload)
    return payloads


def _pull_single(emulator: Emulator, db_path: Path, backlog: int) -> float:
    store = Store(db_path)
    engine = Engine.load(store, BENCH_EVENT)
    url = f"{emulator.base_url}{BENCH_TOKEN}"
    handled = 0
    offset = None
    try:
        with httpx.Client(trust_env=False, timeout=30.0) as client:
            started = time.monotonic()
            while handled < backlog:
                result = client.post(f"{url}/getUpdates", json={"offset": offset, "limit": 1, "timeout": 1}).json()
                for data in result["result"]:
                    offset = data["update_id"] + 1
                    incoming = to_incoming(data, datetime.now(timezone.utc))
                    replies = engine.handle(incoming) if incoming is not None else []
                    for reply in replies:
                        client.post(f"{url}/sendMessage", json={"chat_id": reply.chat_id, "text": reply.text,
                                                                "parse_mode": reply.parse_mode})
                    handled += 1
            # The last offset is confirmed only by the next call, as a bot's next poll would do.
            client.post(f"{url}/getUpdates", json={"offset": offset, "limit": 1, "timeout": 0})
            return backlog / (time.monotonic() - started)
    finally:
        store.close()


def _quizkit_transport(emulator: Emulator, db_path: Path, transport: str, backlog: int, folder: Path) -> float:
    command = [sys.executable, "-m", "quizkit.benchmark.server_process", str(db_path), BENCH_EVENT, transport,
               emulator.url]
    log_path = folder / f"pushpull-{transport}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "QUIZKIT_BOT_TOKEN": BENCH_TOKEN})
    try:
        started, first = _first_delivery(emulator, process, log_path)
        if not emulator.wait_delivered(BENCH_TOKEN, DRAIN_TIMEOUT_S):
            raise TimeoutError(f"The {transport} transport did not drain {backlog} updates within "
                               f"{DRAIN_TIMEOUT_S:.0f} s; see {log_path}")
        return (backlog - first) / (time.monotonic() - started)
    finally:
        process.terminate()
        process.wait(30)


def _first_delivery(emulator: Emulator, process: subprocess.Popen, log_path: Path) -> tuple[float, int]:
    """Wait for the first confirmed updates; return that moment and their count.

    The clock starts there, so the child's start-up is not counted.
    """
    deadline = time.monotonic() + 60.0
    while True:
        delivered = emulator.stats(BENCH_TOKEN)["updates_delivered"]
        if delivered:
            return time.monotonic(), delivered
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"The benchmark server did not start consuming updates; see {log_path}")
        time.sleep(0.005)
