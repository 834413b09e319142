"""The panel's parts on their own: the chart, the live reads and the crowd runner."""

from __future__ import annotations

import io
import time

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from quizkit.emulator import SimUser
from quizkit.emulator.crowd import Crowd
from quizkit.live import read_live
from quizkit.notebook.chart import Marker, RateChart
from quizkit.notebook.crowd_runner import CrowdRunner
from quizkit.store import connect_reader
from tests.conftest import TOKEN

NOW = 1_800_000_000.5


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _chart() -> RateChart:
    return RateChart("Messages per second", "updates/s", "minutes ago", window_s=120)


# Chart


def test_blitted_frame_equals_a_full_draw():
    rates = [(int(NOW) - age, 100 + 7 * age % 300) for age in range(1, 120)]
    markers = [Marker(NOW - 90, "Q1 opened", True), Marker(NOW - 30, "Q1 closed", False)]
    warm = _chart()
    warm.render(NOW - 5, [(int(NOW) - 50, 400)])  # draws the background at the same y scale

    blitted = warm.render(NOW, rates, markers)
    full = _chart().render(NOW, rates, markers)

    assert np.array_equal(_pixels(blitted), _pixels(full))


def test_y_scale_steps_with_the_highest_rate():
    chart = _chart()

    chart.render(NOW, [(int(NOW) - 2, 5)])
    assert chart._axes.get_ylim() == (0, 10)
    chart.render(NOW, [(int(NOW) - 2, 1200)])
    assert chart._axes.get_ylim() == (0, 2000)
    chart.render(NOW, [(int(NOW) - 2, 200_000)])
    assert chart._axes.get_ylim() == (0, 230_000)


def test_series_fills_quiet_seconds_and_skips_the_running_one():
    chart = _chart()

    xs, ys = chart._series(NOW, [(int(NOW) - 1, 3), (int(NOW) - 1, 4), (int(NOW), 99), (int(NOW) - 500, 99)])

    assert len(xs) == len(ys) == 120
    assert ys[-1] == 7
    assert sum(ys) == 7
    assert xs[-1] == pytest.approx(-1.5 / 60)


def test_markers_outside_the_window_are_hidden():
    chart = _chart()

    chart.render(NOW, [], [Marker(NOW - 500, "Q1 opened", True), Marker(NOW - 10, "Q1 closed", False)])

    shown = [text.get_text() for _, text in chart._markers if text.get_visible()]
    assert shown == ["Q1 closed"]
    assert plt.get_fignums() == []


# Live reads


def _answer(emulator, user, code, text):
    emulator.send_text(TOKEN, user, f"/start {code}")
    emulator.send_text(TOKEN, user, text)


def test_read_live_counts_and_recent_answers(engine, emulator, db_path):
    from quizkit.server import Server

    alice = SimUser(user_id=1001, first_name="Alice")
    bob = SimUser(user_id=1002, first_name="Bob", username="bob_b")
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        server.call(engine.open_question, 1)
        _answer(emulator, alice, "RM1", "Rome")
        _answer(emulator, bob, "RM1", "Milan")
        assert emulator.wait_delivered(TOKEN, 10)

        with connect_reader(db_path) as connection:
            open_snapshot = read_live(connection, engine.event.id)
        server.call(engine.close_question, 1)
        with connect_reader(db_path) as connection:
            closed_snapshot = read_live(connection, engine.event.id, question=1, limit=1)
            draft_snapshot = read_live(connection, engine.event.id, question=2)
            with pytest.raises(LookupError, match="Question number 9 is not in this event; it has 2 questions."):
                read_live(connection, engine.event.id, question=9)

    assert open_snapshot.current.code == "RM1"
    assert (open_snapshot.answers, open_snapshot.correct, open_snapshot.people_reached) == (2, None, 2)
    assert [answer.participant for answer in open_snapshot.recent] == ["Bob", "Alice"]
    assert [question.answer_count for question in open_snapshot.questions] == [2, 0]
    assert (open_snapshot.participants, open_snapshot.people) == (2, 2)

    assert (closed_snapshot.answers, closed_snapshot.correct) == (2, 1)
    assert len(closed_snapshot.recent) == 1
    assert closed_snapshot.current.state == "closed"

    assert draft_snapshot.current.code == "KX2"
    assert (draft_snapshot.answers, draft_snapshot.correct, draft_snapshot.recent) == (0, None, ())


def test_read_live_before_any_question_opens(engine, db_path):
    with connect_reader(db_path) as connection:
        snapshot = read_live(connection, engine.event.id)

    assert snapshot.current is None
    assert snapshot.recent == ()
    assert [question.state for question in snapshot.questions] == ["draft", "draft"]


# Crowd runner


def test_crowd_runner_plays_what_the_host_launches(emulator):
    crowd = Crowd(emulator, TOKEN, profile="classroom", seed=3, time_scale=0.05)
    runner = CrowdRunner(crowd)

    runner.launched(1, "AA1")  # ignored: the crowd is stopped
    runner.start()
    runner.launched(1, "AA1")
    runner.launched(1, "AA1")  # once only
    runner.closed(2, "BB2")    # question 2 was never played, so no late answers
    assert runner.wait_idle(30)
    runner.stop()

    assert [timing.phase for timing in crowd.timings] == ["registration", "question 1"]


def test_crowd_runner_stop_ends_the_phase_at_once(emulator):
    crowd = Crowd(emulator, TOKEN, profile="classroom", seed=3, time_scale=20)
    runner = CrowdRunner(crowd).start()
    while runner.phase != "registration":
        time.sleep(0.01)

    started = time.monotonic()
    runner.stop()

    assert time.monotonic() - started < 5
    assert not runner.running
    assert crowd.timings[0].duration_s < 20
    assert crowd.counters["updates_sent"] < crowd.totals["registrations"] * 2
