"""Speed scores: points per answer, the leaderboard by score, texts with points, the leaderboard switch.

The event "scored" (clock starts at START, times below in seconds from it):

    Q1 FA1 "Roma", 10 s limit:   opens 0, ANNA 9 ok (550), BRUNO 1 ok (950), CARLA 2 "Milano" (0),
                                 closes 12 by the time limit; DARIO 11 "Roma" (late, 0)
    Q2 SL2 "42", 100 s limit:    opens 20, ANNA 30 ok (950), BRUNO 70 ok (750), closed by the host at 80
    Q3 UT3 "Po", no limit:       opens 100, CARLA 110 ok (750), closed by the host at 120 (window 20 s)

Classic ranking: ANNA (2 correct, 19 s), BRUNO (2 correct, 51 s), CARLA (1 correct).
By score: BRUNO 1700, ANNA 1500, CARLA 750.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from quizkit import analysis
from quizkit._results import speed_score
from quizkit.engine import Engine
from quizkit.errors import InvalidEvent
from quizkit.store import Store
from tests.engine_support import ANNA, BRUNO, CARLA, DARIO, START, Chat, FakeClock, outbox_rows


@pytest.mark.parametrize(
    ("delay_s", "window_s", "points"),
    [(0, 30, 1000), (15, 30, 750), (30, 30, 500), (45, 30, 500), (1, 3, 833), (10, None, 1000), (10, 0, 1000)],
)
def test_speed_score_falls_linearly(delay_s, window_s, points):
    assert speed_score(delay_s, window_s) == points


def _at(clock: FakeClock, seconds: float) -> None:
    clock.now = START + timedelta(seconds=seconds)


@pytest.fixture
def played(tmp_path):
    """The event of the module docstring, with scoring on; yields (engine, chat, clock, path)."""
    clock = FakeClock()
    path = tmp_path / "scored.db"
    store = Store(path)
    engine = Engine.create_event(store, name="scored", language="en", channel_id=-1001, bot_username="quizkit_bot",
                                 clock=clock, scoring=True)
    engine.add_question(text="Capital of Italy?", answers=["Roma"], code="FA1", time_limit_s=10)
    engine.add_question(text="Six times seven?", answers=["42"], code="SL2", time_limit_s=100)
    engine.add_question(text="Longest river of Italy?", answers=["Po"], code="UT3")
    chat = Chat(engine, clock)

    engine.open_question("FA1")
    for seconds, person, text in [(1, BRUNO, "Roma"), (2, CARLA, "Milano"), (9, ANNA, "Roma")]:
        _at(clock, seconds)
        chat.answer(person, "FA1", text)
    _at(clock, 11)
    chat.answer(DARIO, "FA1", "Roma")
    _at(clock, 12)
    engine.close_expired_questions()

    _at(clock, 20)
    engine.open_question("SL2")
    for seconds, person in [(30, ANNA), (70, BRUNO)]:
        _at(clock, seconds)
        chat.answer(person, "SL2", "42")
    _at(clock, 80)
    engine.close_question("SL2")

    _at(clock, 100)
    engine.open_question("UT3")
    _at(clock, 110)
    chat.answer(CARLA, "UT3", "Po")
    _at(clock, 120)
    engine.close_question("UT3")
    yield engine, chat, clock, path
    store.close()


def _scores(engine: Engine, code: str) -> dict[int, int | None]:
    return {answer.user_id: answer.score for answer in engine.store.answers(engine.question(code).id)}


def test_scores_stored_on_close(played):
    engine, *_ = played

    assert _scores(engine, "FA1") == {ANNA.user_id: 550, BRUNO.user_id: 950, CARLA.user_id: 0, DARIO.user_id: 0}
    assert _scores(engine, "SL2") == {ANNA.user_id: 950, BRUNO.user_id: 750}


def test_untimed_window_is_open_time(played):
    engine, *_ = played

    assert _scores(engine, "UT3") == {CARLA.user_id: 750}


def test_leaderboard_by_score(played):
    engine, *_ = played

    rows = engine.leaderboard()

    assert [(row.display_name, row.score, row.correct) for row in rows] == [
        ("Bruno", 1700, 2),
        ("Anna Rossi", 1500, 2),
        ("Carla", 750, 1),
    ]
    assert [row.position for row in rows] == [1, 2, 3]


def test_leaderboard_classic_without_scoring(played):
    engine, *_ = played

    engine.update_settings(scoring=False)
    rows = engine.leaderboard()

    assert [row.display_name for row in rows] == ["Anna Rossi", "Bruno", "Carla"]
    assert [row.score for row in rows] == [1500, 1700, 750]


def test_results_post_shows_points(played):
    engine, *_ = played

    post = [row[3] for row in outbox_rows(engine.store, engine.event.id) if row[1] == "results"][0]

    assert post.splitlines()[-2:] == ["🥇 Bruno (1.0 s · 950 pts)", "🥈 Anna Rossi (9.0 s · 550 pts)"]


def test_results_post_without_scoring_has_no_points(played):
    engine, chat, clock, _ = played
    engine.update_settings(scoring=False)
    engine.add_question(text="Again?", answers=["yes"], code="NS4")
    engine.open_question("NS4")
    chat.answer(ANNA, "NS4", "yes")

    engine.close_question("NS4")

    post = [row[3] for row in outbox_rows(engine.store, engine.event.id) if row[1] == "results"][-1]
    assert post.splitlines()[-1] == "🥇 Anna Rossi (0.0 s)"


def test_stats_show_points(played):
    engine, chat, *_ = played

    english = chat.send(ANNA, "/stats")
    italian = chat.send(CARLA, "/stats")

    assert english.splitlines()[2] == "🥇 Bruno: 1,700 pts, 2 correct, 51.0 s"
    assert italian.splitlines()[2] == "🥇 Bruno: 1.700 punti, 2 risposte esatte, 51,0 s"


def test_leaderboard_post_shows_points(played):
    engine, *_ = played

    engine.post_leaderboard()

    post = outbox_rows(engine.store, engine.event.id)[-1][3]
    assert post.splitlines()[2:] == [
        "🥇 Bruno: 1,700 pts, 2 correct, 51.0 s",
        "🥈 Anna Rossi: 1,500 pts, 2 correct, 19.0 s",
        "🥉 Carla: 750 pts, 1 correct, 10.0 s",
    ]


def test_leaderboard_off_hides_stats(played):
    engine, chat, *_ = played

    engine.update_settings(leaderboard=False)

    assert chat.send(ANNA, "/stats") == (
        "This quiz has no leaderboard: the results of each question appear on the channel."
    )
    assert chat.send(CARLA, "/stats") == (
        "In questo quiz non c'è la classifica: i risultati di ogni domanda escono sul canale."
    )


def test_leaderboard_off_rejects_post(played):
    engine, *_ = played
    engine.update_settings(leaderboard=False)
    queued = len(outbox_rows(engine.store, engine.event.id))

    with pytest.raises(InvalidEvent) as raised:
        engine.post_leaderboard()

    assert str(raised.value) == (
        "Event 'scored' has its leaderboard turned off, so it cannot be posted; turn it on with "
        "engine.update_settings(leaderboard=True) first."
    )
    assert len(outbox_rows(engine.store, engine.event.id)) == queued
    engine.update_settings(leaderboard=True)
    engine.post_leaderboard()
    assert len(outbox_rows(engine.store, engine.event.id)) == queued + 1


# quizkit.analysis


def test_analysis_answers_have_scores(played):
    engine, _, _, path = played

    results = analysis.load(path)

    answers = results.answers
    by_question = {
        (code, int(user_id)): (None if pd.isna(score) else int(score))
        for code, user_id, score in zip(answers["code"], answers["user_id"], answers["score"])
    }
    assert by_question == {
        ("FA1", BRUNO.user_id): 950, ("FA1", CARLA.user_id): 0, ("FA1", ANNA.user_id): 550, ("FA1", DARIO.user_id): 0,
        ("SL2", ANNA.user_id): 950, ("SL2", BRUNO.user_id): 750, ("UT3", CARLA.user_id): 750,
    }
    assert str(answers["score"].dtype) == "Int64"
    assert (results.scoring, results.podium_size, results.leaderboard) == (True, 3, True)
    assert results.questions["time_limit_s"].tolist()[:2] == [10.0, 100.0]


def test_analysis_leaderboard_matches_engine(played):
    engine, _, _, path = played

    board = analysis.leaderboard(analysis.load(path))

    expected = [(row.position, row.user_id, row.correct, row.score) for row in engine.leaderboard()]
    assert list(board[["position", "user_id", "correct", "score"]].itertuples(index=False, name=None)) == expected


def test_analysis_leaderboard_order_choice(played):
    _, _, _, path = played
    results = analysis.load(path)

    classic = analysis.leaderboard(results, by="correct")
    scored = analysis.leaderboard(results, by="score")

    assert classic["user_id"].tolist() == [ANNA.user_id, BRUNO.user_id, CARLA.user_id]
    assert scored["user_id"].tolist() == [BRUNO.user_id, ANNA.user_id, CARLA.user_id]
    assert scored["score"].tolist() == [1700, 1500, 750]
    with pytest.raises(ValueError, match="Leaderboard order 'speed' is not supported; use one of: correct, score."):
        analysis.leaderboard(results, by="speed")


def test_analysis_reads_version_2_database(tmp_path):
    from tests.test_store import _version_2_database

    path = tmp_path / "v2.db"
    _version_2_database(path)

    results = analysis.load(path)

    assert results.answers["score"].isna().all()
    assert (results.podium_size, results.scoring, results.leaderboard) == (3, False, True)
    assert analysis.leaderboard(results)["score"].tolist() == [0]
    assert results.questions["options"].isna().all()
