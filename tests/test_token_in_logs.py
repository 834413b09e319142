"""A whole small event with every logger at DEBUG: the bot token's secret part shows in no record or output."""

from __future__ import annotations

import logging
import signal
import time

import pytest

from quizkit.control import control_file_path
from quizkit.emulator import Emulator, SimUser
from quizkit.server import Server
from tests.conftest import BOT_USERNAME, CHANNEL_ID
from tests.test_processes import EVENT, _free_port, _start_emulator, _wait_until, event_db, processes  # noqa: F401

SECRET = "LOGSsecretLOGSsecretLOGSsecretLOGS7"
TOKEN = f"555000111:{SECRET}"
WEBHOOK_SECRET = "webhook-secret-for-the-log-test-0123456789"
LOGGERS = ("", "quizkit", "httpx", "httpcore", "uvicorn", "uvicorn.error", "telegram", "telegram.ext", "asyncio")


class KeepRecords(logging.Handler):
    """Keeps every record and its formatted text, with no filter of its own."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.texts.append(self.format(record))


@pytest.fixture
def debug_logs():
    handler = KeepRecords()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    root = logging.getLogger()
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("transport", ["webhook", "polling"])
def test_event_at_debug_never_logs_token(debug_logs, engine, transport, capsys):
    users = [SimUser(user_id=7000 + index, first_name=f"Player{index}") for index in range(3)]
    with Emulator() as emulator:
        emulator.add_bot(TOKEN, BOT_USERNAME)
        emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests")
        with Server(engine, TOKEN, api_url=emulator.base_url, transport=transport, secret_token=WEBHOOK_SECRET,
                    rate_limit=False) as server:
            server.call(engine.open_question, 1)
            for user in users:
                emulator.send_text(TOKEN, user, "/start RM1")
                emulator.send_text(TOKEN, user, "Rome")
            assert emulator.wait_delivered(TOKEN, 30)
            server.call(engine.close_question, 1)
            assert server.drain_outbox(30)
        # An error that python-telegram-bot reports with the token in its text.
        with pytest.raises(Exception) as rejected:
            Server(engine, TOKEN.replace("555000111", "555000112"), api_url=emulator.base_url,
                   transport=transport).start()
    output = capsys.readouterr()

    texts = debug_logs.texts
    assert len(texts) > 50, "expected a debug log of every request"
    assert any("/bot555000111:***/" in text for text in texts)
    assert all(SECRET not in text for text in texts)
    assert all(WEBHOOK_SECRET not in text for text in texts)
    assert all(SECRET not in str(record.msg) and SECRET not in repr(record.args) for record in debug_logs.records)
    assert SECRET not in output.out + output.err
    assert "Server failed to start at getMe: InvalidToken: The token `555000112:***` was rejected" in str(rejected.value)
    assert SECRET not in str(rejected.value)


def test_serve_at_debug_never_prints_token(processes, event_db):  # noqa: F811 - the fixtures
    from tests.test_processes import TOKEN as SERVE_TOKEN

    db, _ = event_db
    api_url = _start_emulator(processes)
    serve = processes.start("serve", "-vv", "serve", "--api-url", api_url, "--db", str(db), "--event", EVENT,
                            "--listen", f"127.0.0.1:{_free_port()}")
    _wait_until(lambda: control_file_path(db).exists() or serve.poll() is not None, "the control file")
    time.sleep(0.5)  # a few more debug lines from the running server
    serve.send_signal(signal.SIGINT)
    serve.wait(timeout=30)
    output = processes.output("serve")

    assert serve.returncode == 0, output
    assert "DEBUG telegram" in output
    assert "HTTP Request: POST" in output
    assert "/bot123456789:***/setWebhook" in output
    assert SERVE_TOKEN.split(":", 1)[1] not in output
