"""A Bot API URL works with or without "/bot" at its end, wherever quizkit takes one."""

from __future__ import annotations

import pytest

from quizkit.bot.telegram import api_base_url


@pytest.mark.parametrize("given", ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot",
                                   "http://127.0.0.1:8081/bot/"])
def test_api_base_url_accepts_both_forms(given):
    assert api_base_url(given) == "http://127.0.0.1:8081/bot"


def test_server_polls_an_api_root_without_bot(engine, emulator):
    from quizkit.emulator import SimUser
    from quizkit.server import Server
    from tests.conftest import TOKEN

    engine.open_question(1)
    pupil = SimUser(user_id=515151, first_name="Marta", language_code="en")
    emulator.send_text(TOKEN, pupil, f"/start {engine.question(1).code}")
    with Server(engine, TOKEN, api_url=emulator.url, transport="polling", rate_limit=False):
        assert emulator.wait_delivered(TOKEN, 15)
    assert emulator.messages(pupil.user_id)[-1]["text"].startswith("Question 1\n")


def test_start_failure_names_the_bot_api(engine):
    import socket

    from quizkit.server import Server
    from quizkit.server.server import ServerStartFailed
    from tests.conftest import TOKEN

    with socket.socket() as unused:  # a port on 127.0.0.1 where nothing listens
        unused.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    server = Server(engine, TOKEN, api_url=closed_url, transport="polling", rate_limit=False)

    try:
        server.start(timeout_s=30)
    except ServerStartFailed as error:
        message = str(error)
    else:
        server.stop()
        message = ""

    assert f"The Bot API is at {closed_url}; check that it answers" in message
    assert TOKEN not in message
