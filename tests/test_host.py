"""The Host against a real emulator, server and SQLite file: lifecycle, actions and live tables."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from quizkit import Host, ServerNotRunning
from quizkit.emulator import SimUser
from quizkit.errors import QuestionNotFound, QuestionStateError
from quizkit.model import QuestionState
from tests.conftest import TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="en")
BOB = SimUser(user_id=222000222, first_name="Bob", last_name="Rossi", language_code="en")
CARLA = SimUser(user_id=333000333, first_name="Carla", username="carla_c", language_code="en")
DAN = SimUser(user_id=444000444, first_name="Dan", language_code="en")
ERIN = SimUser(user_id=555000555, first_name="Erin", language_code="en")

RESPONSE_DTYPES = {
    "participant": "string",
    "user_id": "Int64",
    "team": "string",
    "head_count": "Int64",
    "raw_text": "string",
    "normalised": "string",
    "delay_s": "float64",
    "correct": "boolean",
    "rank": "Int64",
    "score": "Int64",
    "late": "bool",
    "received_at": "datetime64[ns, UTC]",
}


@pytest.fixture
def host(engine, emulator):
    with Host(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as running:
        yield running


def _send(emulator, *messages: tuple[SimUser, str]) -> list[int]:
    update_ids = [emulator.send_text(TOKEN, user, text) for user, text in messages]
    assert emulator.wait_delivered(TOKEN, 10)
    return update_ids


def _answer(emulator, user: SimUser, code: str, text: str) -> int:
    return _send(emulator, (user, f"/start {code}"), (user, text))[1]


def _dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {column: str(dtype) for column, dtype in frame.dtypes.items()}


# Lifecycle


def test_host_lifecycle_and_idempotent_stop(engine, emulator):
    host = Host(engine, TOKEN, api_url=emulator.base_url, rate_limit=False)
    assert not host.running
    assert host.status().running is False

    for _ in range(2):
        assert host.start() is host
        assert host.running
        assert host.status().running is True
        assert host.status().transport == "webhook"
        host.stop()
        host.stop()
        assert not host.running


def test_host_context_manager_stops_server(engine, emulator):
    with Host(engine, TOKEN, api_url=emulator.base_url, transport="polling", rate_limit=False) as host:
        assert host.running
        assert host.status().transport == "polling"
    assert not host.running


def test_host_polling_launch_and_responses(engine, emulator):
    with Host(engine, TOKEN, api_url=emulator.base_url, transport="polling", rate_limit=False) as host:
        host.launch("KX2")
        _answer(emulator, ALICE, "KX2", "42")
        result = host.close("KX2")
        frame = host.responses()

    assert result.correct == 1
    assert frame["participant"].tolist() == ["Alice"]
    assert frame["rank"].tolist() == [1]


def test_host_rejects_unknown_transport(engine, emulator):
    with pytest.raises(ValueError, match="Invalid transport 'carrier-pigeon'"):
        Host(engine, TOKEN, api_url=emulator.base_url, transport="carrier-pigeon")


# Actions


def test_host_launch_by_code_opens_question(host, engine):
    question = host.launch("rm1")

    assert question.number == 1
    assert question.state is QuestionState.OPEN
    assert engine.question(1).state is QuestionState.OPEN


def test_host_close_is_idempotent(host, emulator):
    host.launch(1)
    # The results carry the question, whose announcement_message_id the outbox sets once the
    # announcement is sent, so it must be sent before the first close for the two to compare equal.
    assert host.server.drain_outbox(10)
    _answer(emulator, ALICE, "RM1", "Roma!")

    first = host.close(1)
    again = host.close("RM1")

    assert first.correct == 1
    assert again == first
    assert first.podium[0].display_name == "Alice"


def test_host_close_with_answers_replaces_accepted(host, emulator):
    host.launch(2)
    _answer(emulator, ALICE, "KX2", "forty-two")

    result = host.close(2, answers=["forty-two"])

    assert result.correct == 1
    assert result.question.answers == ("forty-two",)


def test_host_launch_when_stopped_raises(engine, emulator):
    host = Host(engine, TOKEN, api_url=emulator.base_url, rate_limit=False)

    with pytest.raises(ServerNotRunning) as raised:
        host.launch("RM1")

    assert str(raised.value) == (
        "Cannot run host.launch('RM1'): the quizkit server is not running. "
        "Start it with host.start() (or `with host:`), then call host.launch('RM1') again."
    )
    assert engine.question(1).state is QuestionState.DRAFT


def test_host_close_after_stop_raises(engine, emulator):
    with Host(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as host:
        host.launch(1)

    with pytest.raises(ServerNotRunning) as raised:
        host.close(1, answers=["Rome"])

    assert str(raised.value) == (
        "Cannot run host.close(1): the quizkit server is not running. "
        "Start it with host.start() (or `with host:`), then call host.close(1) again."
    )
    assert engine.question(1).state is QuestionState.OPEN


def test_host_post_leaderboard_when_stopped_raises(engine, emulator):
    host = Host(engine, TOKEN, api_url=emulator.base_url, rate_limit=False)

    with pytest.raises(ServerNotRunning, match=r"Cannot run host\.post_leaderboard\(\): the quizkit server is not running"):
        host.post_leaderboard()

    assert engine.outbox_pending() == []


def test_host_launch_unknown_question_raises(host):
    with pytest.raises(QuestionNotFound, match="'ZZ9' not found"):
        host.launch("ZZ9")


# Responses


def test_responses_before_any_launch_is_empty(host):
    frame = host.responses()

    assert frame.empty
    assert _dtypes(frame) == RESPONSE_DTYPES


def test_responses_columns_and_values_newest_first(host, emulator):
    _send(emulator, (CARLA, "/register"), (CARLA, "yes"), (CARLA, "The Owls"), (CARLA, "4"))
    host.launch(1)
    _answer(emulator, ALICE, "RM1", "Roma!")
    _answer(emulator, BOB, "RM1", "Paris")
    _answer(emulator, CARLA, "RM1", " ROME ")

    frame = host.responses()

    assert list(frame.columns) == list(RESPONSE_DTYPES)
    assert _dtypes(frame) == RESPONSE_DTYPES
    assert list(frame.index) == [0, 1, 2]
    assert frame["participant"].tolist() == ["The Owls", "Bob Rossi", "Alice"]
    assert frame["user_id"].tolist() == [CARLA.user_id, BOB.user_id, ALICE.user_id]
    assert frame["team"].tolist() == ["The Owls", pd.NA, pd.NA]
    assert frame["head_count"].tolist() == [4, 1, 1]
    assert frame["raw_text"].tolist() == [" ROME ", "Paris", "Roma!"]
    assert frame["normalised"].tolist() == ["rome", "paris", "roma"]
    assert frame["correct"].isna().all()
    assert frame["rank"].isna().all()
    assert not frame["late"].any()
    assert (frame["delay_s"] >= 0).all()
    assert frame["received_at"].is_monotonic_decreasing


def test_responses_after_close_rank_and_late(host, emulator):
    host.launch("RM1")
    _answer(emulator, ALICE, "RM1", "Rome")
    _answer(emulator, BOB, "RM1", "Paris")
    _answer(emulator, CARLA, "RM1", "Roma")
    host.close("RM1")
    _answer(emulator, DAN, "RM1", "Rome")

    frame = host.responses("rm1")

    assert _dtypes(frame) == RESPONSE_DTYPES
    assert frame["participant"].tolist() == ["Dan", "Carla", "Bob Rossi", "Alice"]
    assert frame["late"].tolist() == [True, False, False, False]
    assert frame["correct"].tolist() == [True, True, False, True]
    assert frame["rank"].tolist() == [pd.NA, 2, pd.NA, 1]


def test_responses_default_is_latest_opened_question(host, emulator):
    host.launch(1)
    _answer(emulator, ALICE, "RM1", "Rome")
    host.launch(2)
    _answer(emulator, BOB, "KX2", "42")

    latest = host.responses()
    first = host.responses(1)

    assert latest["participant"].tolist() == ["Bob Rossi"]
    assert first["participant"].tolist() == ["Alice"]


def test_responses_unknown_question_raises(host):
    with pytest.raises(QuestionNotFound) as raised:
        host.responses("ZZ9")

    assert str(raised.value) == "Question code 'ZZ9' not found in event 'test-event'; questions: 1 (RM1), 2 (KX2)."


def test_responses_work_after_stop(engine, emulator):
    with Host(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as host:
        host.launch(1)
        _answer(emulator, ALICE, "RM1", "Rome")
        host.close(1)

    frame = host.responses(1)

    assert frame["participant"].tolist() == ["Alice"]
    assert frame["rank"].tolist() == [1]


def test_responses_during_crowd_of_200(host, emulator):
    crowd = [SimUser(user_id=900000000 + index, first_name=f"Player {index}") for index in range(200)]
    host.launch(1)
    counts: list[int] = []
    errors: list[BaseException] = []

    def send_answers() -> None:
        try:
            for user in crowd:
                emulator.send_text(TOKEN, user, "/start RM1")
            for index, user in enumerate(crowd):
                emulator.send_text(TOKEN, user, "Rome" if index % 2 else "Milan")
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    sender = threading.Thread(target=send_answers)
    sender.start()
    while sender.is_alive() or not emulator.wait_delivered(TOKEN, 0.05):
        counts.append(len(host.responses(1)))
    sender.join()
    assert emulator.wait_delivered(TOKEN, 30)
    counts.append(len(host.responses(1)))

    assert errors == []
    assert counts == sorted(counts)
    assert counts[-1] == 200
    assert len(set(counts)) > 1
    assert host.questions().loc[0, "answers"] == 200


# Podium, leaderboard, questions and traffic


def test_podium_orders_by_update_id(host, emulator):
    host.launch(1)
    sent = {user.user_id: _answer(emulator, user, "RM1", "Rome") for user in (ERIN, DAN, CARLA, BOB)}
    _answer(emulator, ALICE, "RM1", "Paris")
    host.close(1)

    podium = host.podium("RM1")

    first_three = sorted(sent, key=sent.get)[:3]
    names = {ERIN.user_id: "Erin", DAN.user_id: "Dan", CARLA.user_id: "Carla", BOB.user_id: "Bob Rossi"}
    assert list(podium.columns) == ["rank", "participant", "delay_s", "score"]
    assert _dtypes(podium) == {"rank": "Int64", "participant": "string", "delay_s": "float64", "score": "Int64"}
    assert podium["rank"].tolist() == [1, 2, 3]
    assert podium["participant"].tolist() == [names[user_id] for user_id in first_three]
    assert podium["delay_s"].is_monotonic_increasing


def test_podium_of_open_question_raises(host):
    host.launch(1)

    with pytest.raises(QuestionStateError) as raised:
        host.podium(1)

    assert str(raised.value) == "Question 1 (RM1) is open, so it has no podium yet; close it with host.close('RM1') first."


def test_leaderboard_equals_engine_leaderboard(host, engine, emulator):
    host.launch(1)
    for user in (ALICE, BOB, CARLA):
        _answer(emulator, user, "RM1", "Rome")
    host.close(1)
    host.launch(2)
    for user, text in ((CARLA, "42"), (DAN, "42"), (ALICE, "41")):
        _answer(emulator, user, "KX2", text)
    host.close(2)

    frame = host.leaderboard()
    expected = host.server.call(engine.leaderboard)

    assert len(frame) == len(expected) == 4
    assert frame["position"].tolist() == [row.position for row in expected]
    assert frame["user_id"].tolist() == [row.user_id for row in expected]
    assert frame["display_name"].tolist() == [row.display_name for row in expected]
    assert frame["correct"].tolist() == [row.correct for row in expected]
    assert frame["delay_s"].tolist() == pytest.approx([row.delay_s for row in expected], abs=1e-6)


def test_questions_table_tracks_states_and_counts(host, emulator):
    host.launch(1)
    _answer(emulator, ALICE, "RM1", "Rome")
    _answer(emulator, BOB, "RM1", "Rome")
    host.close(1)
    _answer(emulator, CARLA, "RM1", "Rome")

    frame = host.questions()

    assert list(frame.columns) == ["number", "code", "text", "state", "opened_at", "closed_at", "answers"]
    assert frame["number"].tolist() == [1, 2]
    assert frame["code"].tolist() == ["RM1", "KX2"]
    assert frame["text"].tolist() == ["Capital of Italy?", "Six times seven?"]
    assert frame["state"].tolist() == ["closed", "draft"]
    assert frame["answers"].tolist() == [3, 0]
    assert str(frame["opened_at"].dtype) == "datetime64[ns, UTC]"
    assert frame.loc[0, "opened_at"] <= frame.loc[0, "closed_at"]
    assert pd.isna(frame.loc[1, "opened_at"])


def test_traffic_counts_each_update_once(host, emulator):
    host.launch(1)
    _answer(emulator, ALICE, "RM1", "Rome")
    _answer(emulator, BOB, "RM1", "Rome")

    live = host.traffic()
    host.stop()
    stored = host.traffic()

    assert list(live.columns) == ["second", "kind", "count"]
    assert _dtypes(live) == {"second": "datetime64[ns, UTC]", "kind": "category", "count": "int64"}
    assert live["count"].sum() == 4
    assert stored["count"].sum() == 4
    assert live["second"].is_monotonic_increasing


def test_traffic_before_any_update_is_empty(host):
    frame = host.traffic()

    assert frame.empty
    assert _dtypes(frame) == {"second": "datetime64[ns, UTC]", "kind": "category", "count": "int64"}


def test_podium_follows_event_podium_size(host, engine, emulator):
    engine.update_settings(podium_size=4)
    host.launch(1)
    for user in (ERIN, DAN, CARLA, BOB, ALICE):
        _answer(emulator, user, "RM1", "Rome")
    host.close(1)
    assert host.server.drain_outbox(10)

    podium = host.podium("RM1")

    assert podium["participant"].tolist() == ["Erin", "Dan", "Carla", "Bob Rossi"]
    assert podium["rank"].tolist() == [1, 2, 3, 4]
    results_post = emulator.messages(engine.event.channel_id)[-1]["text"]
    assert [line[:2] for line in results_post.splitlines()[-4:]] == ["🥇 ", "🥈 ", "🥉 ", "💐 "]
