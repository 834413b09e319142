"""SIGKILL the server process mid-burst and mid-close, restart it, and check that nothing was lost or doubled.

Each case is one run of the crash harness (tests/crash_support.py) with its own seed, so its kill
points are random but reproducible: rerun a failing seed with `bench/crash.py --first-seed N --runs 1`.
"""

from __future__ import annotations

import pytest

from tests.crash_support import CrashPlan, run_crash, run_kill_while_storage_blocked


@pytest.mark.parametrize("seed", [101, 102, 103])
def test_webhook_server_killed_keeps_everything_once(tmp_path, seed):
    report = run_crash(tmp_path, CrashPlan(seed=seed, participants=40, questions=2))

    assert report.problems == [], report.summary()
    assert report.kills == 2
    assert report.answers_lost == 0
    assert report.answers_duplicated == 0
    assert report.answers_stored == report.answers_sent > 0
    assert report.updates_processed == report.updates_sent


def test_polling_server_killed_keeps_everything_once(tmp_path):
    report = run_crash(tmp_path, CrashPlan(seed=104, transport="polling", participants=40, questions=2))

    assert report.problems == [], report.summary()
    assert report.kills == 2
    assert report.answers_stored == report.answers_sent > 0
    assert report.updates_processed == report.updates_sent


@pytest.mark.parametrize("transport", ["polling", "webhook"])
def test_server_killed_between_receiving_and_storing(tmp_path, transport):
    report = run_kill_while_storage_blocked(tmp_path, transport)

    assert sorted(report.answers) == sorted((1, user) for user in report.users)
    assert set(report.answers.values()) == {1}
    # Handed out before the kill and again after it: by webhook the first update of every chat, by
    # polling the batch that the long poll returned when the first update arrived.
    assert report.redeliveries >= (len(report.users) if transport == "webhook" else 1)
    if transport == "webhook":
        assert set(report.replies_per_chat.values()) == {2}
    else:
        assert max(report.replies_per_chat.values()) <= 2
