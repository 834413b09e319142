"""The host panel's widgets and refresh logic, against a real emulator, server and SQLite file.

The browser is not needed here: ipywidgets objects work without a front end, a button's `click()`
runs its handlers as a click in JupyterLab would, and the widget values are what the browser shows.
"""

from __future__ import annotations

import logging
import re
import threading
import tracemalloc

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from quizkit import Host
from quizkit.emulator import SimUser
from quizkit.errors import QuestionStateError
from quizkit.model import QuestionState
from quizkit.notebook import Panel
from quizkit.notebook.labels import labels
from tests.conftest import CHANNEL_ID, TOKEN

ALICE = SimUser(user_id=111000111, first_name="Alice", language_code="en")
BOB = SimUser(user_id=222000222, first_name="Bob", last_name="Rossi", language_code="en")
MALLORY = SimUser(user_id=333000333, first_name="<b>Mal</b> & <i>lory</i>", language_code="en")
EN = labels("en")


@pytest.fixture
def host(engine, emulator):
    with Host(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as running:
        yield running


@pytest.fixture
def panel(host):
    # A refresh period of an hour keeps the thread quiet; the tests call refresh() themselves.
    created = Panel(host, language="en", refresh_s=3600)
    yield created
    created.stop()


def _answer(emulator, user: SimUser, code: str, text: str) -> None:
    emulator.send_text(TOKEN, user, f"/start {code}")
    emulator.send_text(TOKEN, user, text)
    assert emulator.wait_delivered(TOKEN, 10)


def _channel_texts(emulator) -> list[str]:
    return [message.get("text", "") for message in emulator.messages(CHANNEL_ID)]


def _podium_posts(host, emulator) -> list[str]:
    assert host.server.drain_outbox(10)
    return [text for text in _channel_texts(emulator) if "🥇" in text]


# Launch and close


def test_launch_shows_qr_code_and_projector(panel, host):
    question = panel.launch("RM1")

    assert question.state is QuestionState.OPEN
    assert bytes(panel.qr_image.value).startswith(b"\x89PNG")
    assert panel.qr_image.layout.display == "block"
    assert "RM1" in panel.qr_caption.value
    assert "https://t.me/quizkit_test_bot?start=RM1" in panel.qr_caption.value
    assert panel.answer_box.value == "Rome | Roma"
    assert panel.picker.value == 1
    assert panel.message.value == "<span>Question 1 (RM1) is open.</span>"
    assert bytes(panel.projector.qr.value) == bytes(panel.qr_image.value)
    assert ">RM1<" in panel.projector.body.value
    assert host.engine.question(1).state is QuestionState.OPEN


def test_launch_twice_posts_one_announcement(panel, host, emulator):
    panel.launch(1)
    panel.launch(1)
    panel.launch_button.click()  # the picker points at question 1 now

    assert host.server.drain_outbox(10)
    announcements = [text for text in _channel_texts(emulator) if "start=RM1" in text]
    assert len(announcements) == 1


def test_close_button_asks_then_closes_and_shows_podium(panel, host, emulator):
    panel.launch(1)
    _answer(emulator, ALICE, "RM1", "Rome")
    _answer(emulator, BOB, "RM1", "Paris")

    panel.close_button.click()

    assert panel.confirm_box.layout.display == "flex"
    assert "Close question 1 (RM1) with the correct answer Rome / Roma?" in panel.confirm_text.value
    assert host.engine.question(1).state is QuestionState.OPEN

    panel.confirm_button.click()

    assert panel.confirm_box.layout.display == "none"
    assert host.engine.question(1).state is QuestionState.CLOSED
    assert panel.message.value == "<span>Question 1 (RM1) is closed: 1 correct out of 2.</span>"
    assert "🥇" in panel.podium.value
    assert "Alice" in panel.podium.value
    assert "Bob Rossi" not in panel.podium.value
    assert "Alice" in panel.leaderboard.value
    assert "🥇 Alice" in panel.projector.body.value
    assert len(_podium_posts(host, emulator)) == 1


def test_cancel_keeps_the_question_open(panel, host):
    panel.launch(1)

    panel.close_button.click()
    panel.cancel_button.click()
    panel.confirm_button.click()  # a stale confirm after cancel does nothing

    assert panel.confirm_box.layout.display == "none"
    assert host.engine.question(1).state is QuestionState.OPEN


def test_close_with_typed_answers_replaces_accepted_ones(panel, host, emulator):
    panel.launch(2)
    _answer(emulator, ALICE, "KX2", "forty-two")
    _answer(emulator, BOB, "KX2", "42")

    panel.answer_box.value = " forty-two |  | 42 "
    panel.close_button.click()
    panel.confirm_button.click()

    result = panel.last_result
    assert result.question.answers == ("forty-two", "42")
    assert result.correct == 2


def test_close_without_answer_says_what_to_do(panel, host):
    panel.launch(1)
    panel.answer_box.value = " | "

    panel.close_button.click()

    assert panel.confirm_box.layout.display == "none"
    assert panel.message.value == '<span style="color:#b00020">Write the correct answer before closing question 1.</span>'
    assert host.engine.question(1).state is QuestionState.OPEN


def test_double_close_posts_one_podium(panel, host, emulator):
    panel.launch(1)
    _answer(emulator, ALICE, "RM1", "Roma")

    first = panel.close(1)
    panel.close_button.click()
    panel.confirm_button.click()
    second = panel.close(1)

    assert first.correct == second.correct == 1
    assert panel.message.value == "<span>Question 1 (RM1) is closed: 1 correct out of 1.</span>"
    assert len(_podium_posts(host, emulator)) == 1


def test_button_error_shows_in_panel(panel, host):
    panel.launch(1)
    panel.close(1)
    panel.picker.value = 1

    panel.launch_button.click()  # a closed question cannot open again

    assert panel.message.value == (
        '<span style="color:#b00020">Launch failed: the question is not in a state that allows it (a closed '
        'question cannot open again, a question to launch cannot close, and a closed one keeps its answers).</span>'
    )
    assert any("Launch failed: Question 1 (RM1) is already closed and cannot be reopened" in line
               for line in panel.logs.lines())
    with pytest.raises(QuestionStateError):
        panel.launch(1)  # from a cell, the error is raised


def test_action_rejected_while_another_runs(panel, host):
    panel._action_lock.acquire()  # as if a Close were still waiting for the server
    try:
        panel.picker.value = 1
        panel.launch_button.click()
        with pytest.raises(RuntimeError, match="Still working on the last action"):
            panel.launch(1)
    finally:
        panel._action_lock.release()

    assert "Still working on the last action" in panel.message.value
    assert host.engine.question(1).state is QuestionState.DRAFT


def test_buttons_are_disabled_only_while_an_action_runs(panel, host):
    seen = []
    original = host.launch

    def spy(question):
        seen.append((panel.launch_button.disabled, panel.close_button.disabled))
        return original(question)

    host.launch = spy
    panel.launch(1)

    assert seen == [(True, True)]
    assert not panel.launch_button.disabled
    assert not panel.close_button.disabled


def test_numpy_question_numbers_are_accepted(panel, host):
    number = host.questions()["number"].iloc[0]
    assert isinstance(number, np.integer)

    panel.launch(number)

    assert host.engine.question(1).state is QuestionState.OPEN
    with pytest.raises(TypeError, match="True must be a number"):
        panel.launch(True)


def test_end_event_posts_the_leaderboard(panel, host, emulator):
    panel.launch(1)
    _answer(emulator, ALICE, "RM1", "Rome")
    panel.close(1)

    panel.end_button.click()
    panel.confirm_button.click()

    assert host.server.drain_outbox(10)
    assert panel.message.value == "<span>The final leaderboard is on its way to the channel.</span>"
    assert "🥇 Alice · 1" in panel.projector.body.value
    leaderboard_posts = [text for text in _channel_texts(emulator) if "Alice" in text and "🥇" in text]
    assert len(leaderboard_posts) == 2  # the podium of question 1, then the final leaderboard


# Live views


def test_live_table_shows_newest_first_in_one_table(panel, emulator):
    panel.launch(1)
    _answer(emulator, ALICE, "RM1", "Rome")
    _answer(emulator, BOB, "RM1", "Paris")

    panel.refresh()

    table = panel.live_table.value
    assert table.count("<table") == 1
    assert table.index("Bob Rossi") < table.index("Alice")
    assert "Question 1 (RM1) · open · 2 answers · 2 people reached" in panel.live_counts.value
    assert "correct" not in panel.live_counts.value.split("(newest")[0]

    panel.close(1)
    assert "· 1 correct" in panel.live_counts.value
    assert re.search(r"Alice</td>.*?>yes</td><td[^>]*>1</td>", panel.live_table.value)


def test_live_table_escapes_html_in_names_and_answers(panel, emulator):
    panel.launch(1)
    _answer(emulator, MALLORY, "RM1", "<script>alert(1)</script>")

    panel.refresh()

    table = panel.live_table.value
    assert "<b>" not in table
    assert "<script>" not in table
    assert "&lt;b&gt;Mal&lt;/b&gt; &amp; &lt;i&gt;lory&lt;/i&gt;" in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table


def test_live_table_cuts_long_text(panel, emulator):
    panel.launch(1)
    _answer(emulator, ALICE, "RM1", "R" * 4096)
    _answer(emulator, SimUser(user_id=444000444, first_name="\u202eevil\u202c Eve"), "RM1", "Rome")

    panel.refresh()

    table = panel.live_table.value
    assert "R" * 59 + "…" in table
    assert "R" * 60 not in table
    assert "\u202e" not in table
    assert "evil Eve" in table


def test_unchanged_views_are_not_sent_again(panel, emulator):
    panel.launch(1)
    panel.refresh()
    sent = []
    panel.live_table.observe(lambda change: sent.append(change), names="value")

    panel.refresh()
    panel.refresh()
    assert sent == []

    _answer(emulator, ALICE, "RM1", "Rome")
    panel.refresh()
    assert len(sent) == 1


def test_status_shows_server_figures_and_errors(panel, host, emulator):
    _answer(emulator, ALICE, "RM1", "Rome")
    panel._pending_at = 0.0  # ask the Bot API now rather than in five seconds
    panel.refresh()

    status = panel.status.value
    for label, value in [("Transport", "webhook"), ("Server", "running"), ("Pending updates", "0"),
                         ("Participants", "1"), ("People reached", "1"), ("Errors", "0"), ("Last error", "none")]:
        assert f">{label}</th><td" in status
        assert re.search(rf">{label}</th><td[^>]*>{value}</td>", status), label
    assert host.server.webhook_url in status


def test_picker_starts_on_the_first_question(panel):
    assert panel.picker.value == 1


def test_question_list_follows_states(panel, emulator):
    panel.launch(2)
    _answer(emulator, ALICE, "KX2", "42")
    panel.refresh()

    assert [label for label, _ in panel.picker.options] == ["1 · RM1 · to launch", "2 · KX2 · open"]
    assert re.search(r">KX2</td>.*?>open</td><td[^>]*>1</td>", panel.questions.value)


def test_refresh_memory_stays_flat(panel, emulator):
    panel.launch(1)
    _answer(emulator, ALICE, "RM1", "Rome")
    for _ in range(20):
        panel._chart_second = 0  # force a chart render on every refresh
        panel.refresh()

    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(200):
            panel._chart_second = 0
            panel.refresh()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()

    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert growth < 1_000_000, f"200 refreshes kept {growth} more bytes"
    assert plt.get_fignums() == []
    assert bytes(panel.chart_image.value).startswith(b"\x89PNG")


def test_refresh_thread_and_actions_run_together(host, emulator):
    panel = Panel(host, language="en", refresh_s=0.01)
    errors = []

    def refresh_hard():
        try:
            for _ in range(30):
                panel.refresh()
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    try:
        workers = [threading.Thread(target=refresh_hard) for _ in range(3)]
        for worker in workers:
            worker.start()
        panel.launch(1)
        _answer(emulator, ALICE, "RM1", "Rome")
        panel.close(1)
        for worker in workers:
            worker.join(60)
    finally:
        panel.stop()

    assert errors == []
    assert not any("Refreshing the host panel failed" in line for line in panel.logs.lines())
    assert panel.refresh_count > 90
    panel.refresh()
    assert panel.live_table.value.count("<table") == 1
    assert "· 1 correct" in panel.live_counts.value


# Logs


def test_log_lines_masked_in_panel(panel, capfd):
    def log_from_another_thread():
        logging.getLogger("quizkit.server").warning("Bot API said no to %s/sendMessage", f"bot{TOKEN}")

    thread = threading.Thread(target=log_from_another_thread)
    thread.start()
    thread.join()
    panel.refresh()

    captured = capfd.readouterr()
    assert "Bot API said no" not in captured.err + captured.out
    assert "Bot API said no to bot123456789:***/sendMessage" in panel.log.value
    assert TOKEN not in panel.log.value


def test_stop_gives_the_log_lines_back(host):
    panel = Panel(host, language="en", refresh_s=3600)
    quizkit_logger = logging.getLogger("quizkit")
    assert quizkit_logger.propagate is False

    panel.stop()

    assert quizkit_logger.propagate is True
    assert panel.logs not in quizkit_logger.handlers


# Language


def test_italian_labels(host):
    panel = Panel(host, language="it", refresh_s=3600)
    try:
        panel.launch(1)
    finally:
        panel.stop()

    assert panel.launch_button.description == "Lancia"
    assert panel.close_button.description == "Chiudi"
    assert panel.message.value == "<span>La domanda 1 (RM1) è aperta.</span>"
    headings = [child.value for child in panel.widget.children if isinstance(child, widgets.HTML)]
    assert any("Risposte in diretta" in heading for heading in headings)


def test_unknown_language_is_refused(host):
    with pytest.raises(ValueError, match="Panel language 'fr' is not available; use one of en, it."):
        Panel(host, language="fr")


def test_both_languages_have_the_same_labels():
    assert set(labels("it")) == set(labels("en"))


# Event-day checks


def test_checks_show_doctor_results(panel):
    panel.run_checks(wait=True)

    checks = panel.checks.value
    assert checks.count("<table") == 1
    assert re.search(r">Token</td><td[^>]*>OK</td>", checks)
    assert re.search(r">Channel</td><td[^>]*>OK</td>", checks)
    assert re.search(r">Public URL</td><td[^>]*>FAIL</td>", checks)
    assert re.search(r">Database</td><td[^>]*>OK</td>", checks)
    assert TOKEN not in checks
    assert not panel.checks_button.disabled


def test_checks_in_italian(host):
    panel = Panel(host, language="it", refresh_s=3600, run_checks=False)
    try:
        panel.checks_button.click()
        panel._checks_thread.join(60)
    finally:
        panel.stop()

    assert re.search(r">Canale</td><td[^>]*>OK</td>", panel.checks.value)
    assert "Cosa fare" in panel.checks.value


def test_host_checks_match_the_server_settings(host, db_path):
    results = {result.check: result for result in host.checks()}

    assert list(results) == ["token", "webhook", "channel", "public_url", "database", "transport"]
    assert results["token"].details["username"] == "quizkit_test_bot"
    assert results["database"].details["path"] == str(db_path)


# Views that follow the event


def test_picking_a_question_shows_its_answers(panel):
    panel.launch(1)
    panel.launch(2)

    panel.picker.value = 1
    assert panel.answer_box.value == "Rome | Roma"
    panel.answer_box.value = "Rome"
    panel.refresh()  # a refresh that changes the picker's labels keeps what the host typed
    assert panel.answer_box.value == "Rome"

    panel.picker.value = 2
    assert panel.answer_box.value == "42"


def test_panel_follows_actions_elsewhere(panel, host, emulator):
    host.launch(1)
    panel.refresh()

    assert "RM1" in panel.qr_caption.value
    assert ">RM1<" in panel.projector.body.value

    _answer(emulator, ALICE, "RM1", "Rome")
    host.close(1)
    panel.refresh()

    assert "🥇" in panel.podium.value
    assert "Alice" in panel.podium.value
    assert "🥇 Alice" in panel.projector.body.value
    assert "Alice" in panel.leaderboard.value


def test_two_panels_keep_logging_until_the_last_stops(host):
    quizkit_logger = logging.getLogger("quizkit")
    before = (quizkit_logger.propagate, quizkit_logger.level)
    first = Panel(host, language="it", refresh_s=3600, run_checks=False)
    second = Panel(host, language="en", refresh_s=3600, run_checks=False)

    first.stop()
    logging.getLogger("quizkit.engine").info("still logging")

    assert any("still logging" in line for line in second.logs.lines())
    second.stop()
    assert (quizkit_logger.propagate, quizkit_logger.level) == before


def test_end_confirmation_names_its_action(panel):
    panel.end_button.click()

    assert panel.confirm_button.description == "Yes, end the event"
    panel.cancel_button.click()
    panel.launch(1)
    panel.close_button.click()
    assert panel.confirm_button.description == "Yes, close it"


def test_confirmation_clears_an_old_warning(panel):
    panel.launch(1)
    panel.answer_box.value = ""
    panel.close_button.click()
    assert "Write the correct answer" in panel.message.value

    panel.answer_box.value = "Rome"
    panel.close_button.click()

    assert panel.message.value == ""
    assert panel.confirm_box.layout.display == "flex"
