"""Invariants over random events: the first answer counts, ranking follows update_id, totals add up."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizkit.model import Sender
from quizkit.store import Store
from tests.engine_support import Chat, FakeClock, make_engine

ANSWERS = ["Roma", "rome", "ROMA!", "Milano", "Torino", "Napoli?"]
CORRECT = {"Roma", "rome", "ROMA!"}

property_settings = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _user(index: int) -> Sender:
    return Sender(user_id=500 + index, first_name=f"Player{index}", language_code="en")


def _fresh_engine(directory: str):
    store = Store(Path(directory) / "quiz.db")
    clock = FakeClock()
    engine = make_engine(store, clock)
    return store, engine, Chat(engine, clock)


@property_settings
@given(st.lists(st.sampled_from(ANSWERS), min_size=1, max_size=5))
def test_property_first_answer_counts(texts):
    with tempfile.TemporaryDirectory() as directory:
        store, engine, chat = _fresh_engine(directory)
        engine.open_question(1)
        chat.send(_user(1), "KX1")

        replies = [chat.send(_user(1), text) for text in texts]

        stored = store.answer(engine.question(1).id, _user(1).user_id)
        assert stored.raw_text == texts[0]
        assert engine.answer_count(1) == 1
        for reply in replies[1:]:
            assert reply.startswith(f"You have already answered question 1: <b>{texts[0]}</b>")
        store.close()


@property_settings
@given(st.data())
def test_property_ranking_follows_update_id(data):
    count = data.draw(st.integers(min_value=1, max_value=8), label="participants")
    update_ids = data.draw(
        st.lists(st.integers(min_value=1, max_value=10**9), min_size=count, max_size=count, unique=True),
        label="update_ids",
    )
    texts = data.draw(st.lists(st.sampled_from(ANSWERS), min_size=count, max_size=count), label="answers")
    handling_order = data.draw(st.permutations(range(count)), label="handling order")

    with tempfile.TemporaryDirectory() as directory:
        store, engine, chat = _fresh_engine(directory)
        engine.open_question(1)
        for index in range(count):
            chat.send(_user(index), "KX1", update_id=10**9 + 1 + index)
        for index in handling_order:
            chat.send(_user(index), texts[index], update_id=update_ids[index])

        result = engine.close_question(1)

        correct_by_update_id = sorted(
            (update_ids[index], _user(index).user_id) for index in range(count) if texts[index] in CORRECT
        )
        expected_order = [user_id for _, user_id in correct_by_update_id]
        assert [entry.user_id for entry in result.podium] == expected_order[:3]
        question_id = engine.question(1).id
        for rank, user_id in enumerate(expected_order, start=1):
            assert store.answer(question_id, user_id).rank == rank
        store.close()


@property_settings
@given(
    st.lists(
        st.tuples(st.sampled_from(ANSWERS), st.integers(min_value=1, max_value=499), st.booleans()),
        min_size=0,
        max_size=8,
    )
)
def test_property_totals_add_up(participants):
    with tempfile.TemporaryDirectory() as directory:
        store, engine, chat = _fresh_engine(directory)
        engine.open_question(1)
        for index, (_, head_count, _) in enumerate(participants):
            for text in ["/register", "yes", f"Team {index}", str(head_count)]:
                chat.send(_user(index), text)
        in_time = [(index, text, heads) for index, (text, heads, late) in enumerate(participants) if not late]
        for index, text, _ in in_time:
            chat.answer(_user(index), "KX1", text)

        result = engine.close_question(1)
        for index, (text, _, late) in enumerate(participants):
            if late:
                chat.answer(_user(index), "KX1", text)

        correct = sum(1 for _, text, _ in in_time if text in CORRECT)
        assert result.answers == len(in_time)
        assert result.correct == correct
        assert result.people_reached == sum(heads for _, _, heads in in_time)
        assert engine.answer_count(1) == len(participants)
        assert engine.result(1) == result
        assert sum(row.correct for row in engine.leaderboard()) == correct
        if in_time:
            assert result.percent_correct == 100.0 * correct / len(in_time)
        else:
            assert result.percent_correct == 0.0
        store.close()
