"""Webhook and polling store identical results for the same crowd."""

from __future__ import annotations

import sqlite3

from quizkit.emulator import Emulator
from quizkit.emulator.crowd import Crowd
from quizkit.engine import Engine
from quizkit.server import Server
from quizkit.store import Store
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN


def _run_classroom(db_path, transport: str) -> None:
    store = Store(db_path)
    try:
        with Emulator() as emulator:
            emulator.add_bot(TOKEN, BOT_USERNAME)
            emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests")
            crowd = Crowd(emulator, TOKEN, profile="classroom", seed=7, time_scale=0.05)
            engine = Engine.create_event(store, name="classroom", language="it", channel_id=CHANNEL_ID,
                                         bot_username=BOT_USERNAME)
            for question in crowd.questions:
                engine.add_question(text=question.text, answers=list(question.answers),
                                    code=f"QZ{len(engine.questions()) + 1}")

            with Server(engine, TOKEN, api_url=emulator.base_url, transport=transport, rate_limit=False) as server:
                crowd.register()
                assert emulator.wait_delivered(TOKEN, 30)
                for index, question in enumerate(engine.questions()):
                    server.call(engine.open_question, question.number)
                    crowd.play_question(index, question.code)
                    assert emulator.wait_delivered(TOKEN, 30)
                    server.call(engine.close_question, question.number)
                    crowd.play_late(index, question.code)
                    assert emulator.wait_delivered(TOKEN, 30)
    finally:
        store.close()


def _stored_answers(db_path) -> list[tuple]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "SELECT q.number, a.user_id, a.update_id, a.raw_text, a.normalised, a.late, a.correct, a.rank "
            "FROM answers a JOIN questions q ON q.id = a.question_id ORDER BY q.number, a.update_id"
        ).fetchall()


def test_transports_store_identical_results(tmp_path):
    _run_classroom(tmp_path / "webhook.db", "webhook")
    _run_classroom(tmp_path / "polling.db", "polling")

    by_webhook = _stored_answers(tmp_path / "webhook.db")
    by_polling = _stored_answers(tmp_path / "polling.db")
    assert len(by_webhook) > 50
    assert by_webhook == by_polling
