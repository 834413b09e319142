"""The benchmark harness at a tiny load: wrk drives `quizkit serve`, and the exactly-once check can fail.

Speed is not checked here; bench/ measures it. These tests need Debian's `wrk` and are skipped
without it (`.ci/run` installs it).
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from quizkit.benchmark.exactly_once import check_answers
from quizkit.benchmark.loadtest import measure
from quizkit.benchmark.targets import BENCH_BOT, BENCH_TOKEN, prepare_event, quizkit_server
from quizkit.benchmark.workload import write_workload
from quizkit.benchmark.wrk import run_wrk
from quizkit.emulator import Emulator

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None,
                                reason="the wrk load generator is not installed; run: apt-get install -y wrk")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`quizkit serve` on a fresh benchmark event, its webhook secret, the workload and the database."""
    folder = tmp_path_factory.mktemp("bench")
    db_path = folder / "quizkit.db"
    workload = write_workload(folder / "workload.tsv", prepare_event(db_path))
    with Emulator(open_private_chats=True) as emulator:
        emulator.add_bot(BENCH_TOKEN, BENCH_BOT)
        server, secret = quizkit_server(db_path, emulator.url, folder)
        with server:
            yield server, secret, workload, db_path


def test_workload_answers_follow_their_selection(served):
    _, _, workload, _ = served
    lines = workload.path.read_text(encoding="utf-8").splitlines()
    previous_text: dict[str, str] = {}
    answers_after_selection = 0
    for line in lines:
        participant, kind, template = line.split("\t", 2)
        if kind == "a":
            answers_after_selection += "/start" in previous_text[participant] or previous_text[participant].isupper()
        previous_text[participant] = template.split('"text":"', 1)[-1].split('"', 1)[0]

    assert workload.participants == 974
    assert workload.answers == sum(1 for line in lines if line.split("\t")[1] == "a")
    assert answers_after_selection > 0.8 * workload.answers


def test_measure_quizkit_loses_no_answer(served):
    server, secret, workload, db_path = served

    run = measure("smoke", server.pid, server.url, workload.path, run_number=1, duration_s=2, rate=0,
                  secret=secret, db_path=db_path)

    assert run.requests > 0
    assert run.errors == 0
    assert run.answers["acknowledged"] > 0
    assert run.answers["lost"] == 0
    assert run.answers["duplicated"] == 0
    assert "answers_unexpected" not in run.answers
    assert run.server_cpu_percent > 0
    assert run.peak_rss_mb > 0


def test_one_second_paced_run_holds_rate(served):
    # This checks the generator's pacing, not the server's speed: the server handles far more than 200/s.
    # When each connection waited a whole interval before its first send, a 1 s step reached 80% of
    # its rate and never counted as held.
    server, secret, workload, _ = served

    result = run_wrk(server.url, workload.path, duration_s=1, rate=200, secret=secret,
                     user_base=3_000_000_001, update_base=3_000_000_001)

    assert 190 <= result.rate <= 210, (result.requests, result.duration_s)


def test_exactly_once_check_finds_lost_and_duplicated(served):
    # This test stops the module's server, so it comes last in the file.
    server, secret, workload, db_path = served
    result = run_wrk(server.url, workload.path, duration_s=1, rate=0, secret=secret,
                     user_base=2_000_000_001, update_base=2_000_000_001)
    acknowledged = result.acked_answer_update_ids
    lost_id, copied_id = acknowledged[0], acknowledged[1]
    assert check_answers(db_path, acknowledged).exactly_once

    server.stop()
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("DELETE FROM answers WHERE update_id = ?", (lost_id,))
        # A second row with an acknowledged update_id, as a double insert would leave it.
        connection.execute(
            "INSERT INTO answers (event_id, question_id, user_id, update_id, raw_text, normalised, sent_at, "
            "received_at) SELECT event_id, question_id + 1, user_id, update_id, raw_text, normalised, sent_at, "
            "received_at FROM answers WHERE update_id = ?", (copied_id,))
    connection.close()
    check = check_answers(db_path, acknowledged)

    assert check.lost == 1
    assert check.duplicated == 1
    assert not check.exactly_once
