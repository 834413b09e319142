"""The host panel: run a live event from JupyterLab with buttons, live tables and a chart.

    from quizkit.notebook import Panel
    panel = Panel(host, language="it")
    panel                      # shows the panel under the cell
    panel.projector            # in another cell: the view for the second screen

The panel acts only through `quizkit.Host`. Its buttons call `launch` and `close`, which a cell may
also call. Neither runs while the other does. Repeating either changes nothing, so a double click
posts one announcement and one podium.

A daemon thread refreshes the status, the live table, the chart and the log about once a second. It
only sets widget values, and only those that changed, so each view is one widget updated in place:
no output area is ever appended to, and no cell shows the refresh. Widget writes from the refresh
thread and from actions hold one lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from quizkit._text import shorten
from quizkit.errors import InvalidQuestion, QuestionStateError
from quizkit.host import Host
from quizkit.server import ServerNotRunning
from quizkit.live import LiveQuestion, LiveSnapshot
from quizkit.model import QuestionResult
from quizkit.notebook import _html
from quizkit.notebook.chart import Marker, RateChart
from quizkit.notebook.crowd_runner import CrowdRunner
from quizkit.notebook.labels import labels
from quizkit.notebook.logs import LogBuffer
from quizkit.notebook.projector import MEDALS, Projector
from quizkit.qr import deep_link, qr_png_bytes

__all__ = ["Panel"]

logger = logging.getLogger(__name__)

# Seconds between two getWebhookInfo calls that read the pending update count.
_PENDING_PERIOD_S = 5.0
_LEADERBOARD_ROWS = 10
# Longer names and answers are cut with "…" in the live table, so one long answer cannot widen it.
_NAME_CHARS = 40
_ANSWER_CHARS = 60


class Panel:
    """Widgets for one `Host`: status, questions with Launch and Close, live responses, chart, podium, log.

    `language` is "it" or "en". `crowd` (a `CrowdRunner`) adds the rehearsal's crowd control. The
    refresh thread starts at once, every `refresh_s` seconds; `stop()` ends it and gives the
    server's log lines back to the notebook. With `run_checks`, `quizkit doctor`'s checks run once
    in the background at start, and again with the panel's button.
    """

    def __init__(self, host: Host, language: str = "it", crowd: CrowdRunner | None = None,
                 refresh_s: float = 1.0, table_rows: int = 20, chart_window_s: int = 300,
                 run_checks: bool = True) -> None:
        self.host = host
        self.language = language
        self.words = labels(language)
        self.crowd = crowd
        self.refresh_s = refresh_s
        self.table_rows = table_rows
        self.refresh_count = 0
        self.refresh_cpu_s = 0.0
        self.last_result: QuestionResult | None = None

        self._lock = threading.RLock()
        self._action_lock = threading.Lock()
        self._stopping = threading.Event()
        self._pending: int | None = None
        self._pending_at = 0.0
        self._chart_second = 0
        self._log_written = -1
        self._markers: list[Marker] = []
        self._known_states: dict[int, str] = {}
        self._confirmed: tuple[str, Callable[[], object]] | None = None
        self._shown: tuple[int, str] | None = None
        self._questions_by_number: dict[int, LiveQuestion] = {}
        self._picked: int | None = None
        self._updating_picker = False

        self.logs = LogBuffer().attach()
        self.chart = RateChart(self.words["chart"], self.words["chart_y"], self.words["chart_x"], chart_window_s)
        self.projector = Projector(self.words, host.engine.event.bot_username)
        self._build()
        self._refresh_leaderboard()
        self.refresh()
        self._thread = threading.Thread(target=self._refresh_loop, name="quizkit-panel", daemon=True)
        self._thread.start()
        self._checks_thread = self.run_checks() if run_checks else None

    # Actions, from buttons or cells

    def launch(self, question: int | str) -> Any:
        """Open `question` (number or code), show its QR code and start the crowd on it; return it.

        Raises the host's errors; a button shows them in the panel instead.
        """
        with self._exclusive():
            opened = self.host.launch(question)
            with self._lock:
                self._show_open(opened)
                self.picker.value = opened.number
                self._picked = opened.number
                self.answer_box.value = " | ".join(opened.answers)
                self.message.value = _note(self.words["launched"].format(number=opened.number, code=opened.code))
            if self.crowd is not None:
                self.crowd.launched(opened.number, opened.code)
        self.refresh()
        return opened

    def close(self, question: int | str, answers: list[str] | None = None) -> QuestionResult:
        """Close `question` with `answers` (None keeps the accepted answers set in advance); return its result.

        Shows the podium in the panel and on the projector, then plays the late answers of a
        rehearsal crowd. Raises the host's errors; a button shows them in the panel instead.
        """
        with self._exclusive():
            result = self.host.close(question, answers)
            closed = result.question
            with self._lock:
                self._show_closed(result)
                self.message.value = _note(self.words["closed"].format(
                    number=closed.number, code=closed.code, correct=result.correct, answers=result.answers))
            if self.crowd is not None:
                self.crowd.closed(closed.number, closed.code)
        self._refresh_leaderboard()
        self.refresh()
        return result

    def end_event(self) -> None:
        """Post the final leaderboard to the channel, stop a rehearsal crowd and show the leaderboard.

        The server keeps running, so late posts still go out; stop it with `host.stop()`.
        """
        with self._exclusive():
            self.host.post_leaderboard()
            if self.crowd is not None:
                self.crowd.stop()
            rows = self.host.standings(_LEADERBOARD_ROWS)
            with self._lock:
                self.projector.show_leaderboard(rows)
                self.message.value = _note(self.words["ended"])
        self._refresh_leaderboard()
        self.refresh()

    def run_checks(self, wait: bool = False) -> threading.Thread:
        """Run `quizkit doctor`'s checks in a background thread and show them; return the thread.

        With `wait`, return once the results show. Failed checks appear with what to do; an error
        that stops the checks from running appears in their place.
        """
        with self._lock:
            self.checks_button.disabled = True
            self.checks.value = _note(self.words["checks_running"])
        worker = threading.Thread(target=self._check, name="quizkit-panel-checks", daemon=True)
        worker.start()
        self._checks_thread = worker
        if wait:
            worker.join()
        return worker

    def _check(self) -> None:
        words = self.words
        try:
            results = self.host.checks(self.language)
        except Exception as error:  # noqa: BLE001 - shown in the panel; the host can run them again
            logger.warning("The event-day checks failed to run: %s", error)
            html = _warning(words["checks_failed"].format(error=error))
        else:
            columns = (words["col_check"], words["col_result"], words["col_found"], words["col_fix"])
            rows = [(result.label, result.status.value, result.message, result.fix or "") for result in results]
            html = _html.table(columns, rows, css_class="quizkit-checks")
            if self.crowd is not None:
                html = _note(words["checks_rehearsal"]) + html
        with self._lock:
            self.checks.value = html
            self.checks_button.disabled = False

    def stop(self) -> None:
        """Stop refreshing and give the server's log lines back to the notebook. The server keeps running."""
        self._stopping.set()
        for thread in (self._thread, self._checks_thread):
            if thread is not None and thread.is_alive() and thread is not threading.current_thread():
                thread.join(self.refresh_s + 30.0)
        self.logs.detach()

    def _exclusive(self):
        if not self._action_lock.acquire(blocking=False):
            raise RuntimeError(self.words["busy"])
        return _Release(self._action_lock, self._set_buttons_enabled)

    # Refresh

    def refresh(self) -> None:
        """Read the event once and update every live view; called by the refresh thread each second."""
        started = time.thread_time()
        snapshot = self.host.live(limit=self.table_rows)
        status = self.host.status()
        pending = self._pending_updates(status.running)
        now = time.time()
        self._follow(snapshot)
        with self._lock:
            self._update_status(status, snapshot, pending)
            self._update_questions(snapshot, now)
            self._update_live(snapshot)
            self._update_chart(now)
            self._update_log()
            self._update_crowd()
        self.refresh_count += 1
        self.refresh_cpu_s += time.thread_time() - started

    def _refresh_loop(self) -> None:
        while not self._stopping.wait(self.refresh_s):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - a failed refresh shows in the log; the next one tries again
                logger.warning("Refreshing the host panel failed", exc_info=True)

    def _pending_updates(self, running: bool) -> int | None:
        if not running:
            return None
        if time.monotonic() - self._pending_at >= _PENDING_PERIOD_S:
            self._pending_at = time.monotonic()
            try:
                self._pending = self.host.server.pending_updates()
            except Exception as error:  # noqa: BLE001 - the figure is informative; the log says why
                logger.warning("Asking the Bot API for pending updates failed: %s", error)
                self._pending = None
        return self._pending

    def _update_status(self, status, snapshot: LiveSnapshot, pending: int | None) -> None:
        words = self.words
        pairs = [
            (words["transport"], status.transport),
            (words["public_url"], status.webhook_url or "—"),
            (words["health"], words["running"] if status.running else words["stopped"]),
            (words["pending"], "—" if pending is None else pending),
            (words["rate"], status.updates_per_s),
            (words["peak"], status.peak_updates_per_s),
            (words["participants"], snapshot.participants),
            (words["people"], snapshot.people),
            (words["errors"], status.errors),
            (words["last_error"], status.last_error or words["none"]),
        ]
        _set(self.status, _html.pairs_table(pairs))

    def _update_questions(self, snapshot: LiveSnapshot, now: float) -> None:
        words = self.words
        rows = [
            (question.number, question.code, question.text, words[f"state_{question.state}"], question.answer_count)
            for question in snapshot.questions
        ]
        columns = ("#", words["code"], words["text"], words["state"], words["answers"])
        _set(self.questions, _html.table(columns, rows, css_class="quizkit-questions"))

        self._questions_by_number = {question.number: question for question in snapshot.questions}
        options = [(f"{number} · {code} · {state}", number) for number, code, _, state, _ in rows]
        if list(self.picker.options) != options:
            value = self.picker.value
            self._updating_picker = True
            try:
                self.picker.options = options
                self.picker.value = value if value is not None else _next_question(snapshot)
            finally:
                self._updating_picker = False
            if self._picked is None:
                self._on_pick({"new": self.picker.value})
        for question in snapshot.questions:
            self._mark(question, now)

    def _mark(self, question, now: float) -> None:
        # Markers for the chart, from the states seen; opened_at and closed_at give their seconds.
        previous = self._known_states.get(question.number)
        self._known_states[question.number] = question.state
        if previous == question.state:
            return
        words = self.words
        if question.opened_at is not None and previous in (None, "draft"):
            self._markers.append(Marker(question.opened_at.timestamp(), words["chart_opened"].format(number=question.number), True))
        if question.closed_at is not None and question.state == "closed":
            self._markers.append(Marker(question.closed_at.timestamp(), words["chart_closed"].format(number=question.number), False))
        self._markers = [marker for marker in self._markers if marker.second >= now - self.chart.window_s]

    def _update_live(self, snapshot: LiveSnapshot) -> None:
        words = self.words
        current = snapshot.current
        if current is None:
            _set(self.live_counts, _note(words["live_none"]))
            _set(self.live_table, "")
            return

        counts = words["live_counts"].format(
            number=current.number, code=current.code, state=words[f"state_{current.state}"],
            answers=snapshot.answers, people=snapshot.people_reached,
        )
        if snapshot.correct is not None:
            counts += words["live_correct"].format(correct=snapshot.correct)
        counts += f" ({words['newest_first'].format(limit=self.table_rows)})"
        _set(self.live_counts, f"<b>{escape(counts)}</b>")

        columns = (words["col_participant"], words["col_team"], words["col_answer"], words["col_delay"],
                   words["col_correct"], words["col_rank"], words["col_late"])
        rows = [
            (shorten(answer.participant, _NAME_CHARS), shorten(answer.team or "", _NAME_CHARS),
             shorten(answer.raw_text, _ANSWER_CHARS), f"{answer.delay_s:.2f}",
             self._yes_no(answer.correct), answer.rank or "", self._yes_no(answer.late))
            for answer in snapshot.recent
        ]
        _set(self.live_table, _html.table(columns, rows, css_class="quizkit-live"))

    def _yes_no(self, value: bool | None) -> str:
        if value is None:
            return ""
        return self.words["yes"] if value else self.words["no"]

    def _update_chart(self, now: float) -> None:
        second = int(now)
        if second == self._chart_second:
            return
        self._chart_second = second
        self.chart_image.value = self.chart.render(now, self.host.rates(), self._markers)

    def _update_log(self) -> None:
        if self.logs.written == self._log_written:
            return
        self._log_written = self.logs.written
        lines = self.logs.lines()[-50:]
        text = "\n".join(reversed(lines)) if lines else self.words["log_empty"]
        _set(self.log, f'<pre style="margin:0;font-size:12px;white-space:pre-wrap">{escape(text)}</pre>')

    def _update_crowd(self) -> None:
        if self.crowd is None:
            return
        words = self.words
        if not self.crowd.running:
            text = words["crowd_idle"]
        elif self.crowd.phase:
            text = words["crowd_playing"].format(phase=self.crowd.phase)
        else:
            text = words["crowd_running"].format(participants=len(self.crowd.crowd.users))
        _set(self.crowd_status, _note(text))
        self.crowd_toggle.value = self.crowd.running
        label = words["crowd_stop"] if self.crowd.running else words["crowd_start"]
        _set_label(self.crowd_toggle, label)

    def _refresh_leaderboard(self) -> None:
        words = self.words
        try:
            rows = self.host.standings(_LEADERBOARD_ROWS)
        except Exception as error:  # noqa: BLE001 - shown in the log; the next close tries again
            logger.warning("Reading the leaderboard failed: %s", error)
            return
        with self._lock:
            if not rows:
                self.leaderboard.value = _note(words["leaderboard_none"])
                return
            columns = (words["col_position"], words["col_participant"], words["col_correct_total"],
                       words["col_total_delay"])
            table_rows = [(MEDALS.get(row.position, row.position), row.display_name, row.correct, f"{row.delay_s:.1f}")
                          for row in rows]
            self.leaderboard.value = _html.table(columns, table_rows, size="15px", css_class="quizkit-leaderboard")

    # Views

    def _show_open(self, question) -> None:
        """Show an open question's QR code, in the panel and on the projector, and its accepted answers."""
        link = deep_link(self.host.engine.event.bot_username, question.code)
        png = qr_png_bytes(link)
        self.qr_image.value = png
        self.qr_image.layout.display = "block"
        self.qr_caption.value = (
            f'<div style="font-size:40px;font-weight:bold">{escape(question.code)}</div>'
            f'<div style="font-family:monospace;word-break:break-all">{escape(link)}</div>'
        )
        self.projector.show_question(question.number, question.code, question.text, link, png)
        self._shown = (question.number, "open")

    def _show_closed(self, result: QuestionResult) -> None:
        """Show a closed question's podium, in the panel and on the projector."""
        closed = result.question
        self.last_result = result
        title = self.words["podium_title"].format(number=closed.number, code=closed.code,
                                                  answers=" / ".join(closed.answers))
        rows = [(MEDALS.get(entry.rank, entry.rank), entry.display_name, f"{entry.delay_s:.2f}") for entry in result.podium]
        columns = (self.words["col_position"], self.words["col_participant"], self.words["col_delay"])
        self.podium.value = (f"<b>{escape(title)}</b>"
                             + _html.table(columns, rows, size="18px", css_class="quizkit-podium"))
        self.projector.show_podium(closed.number, closed.code, closed.answers, result.podium)
        self._shown = (closed.number, "closed")

    def _follow(self, snapshot: LiveSnapshot) -> None:
        # Launches and closes made elsewhere (a cell, another panel, the command line, a time limit)
        # show here too: the views follow the most recently opened question's state.
        current = snapshot.current
        if current is None or (current.number, current.state) == self._shown:
            return
        if current.state == "open":
            with self._lock:
                self._show_open(current)
        elif current.state == "closed":
            result = self.host.result(current.number)
            with self._lock:
                self._show_closed(result)
            self._refresh_leaderboard()

    def _build(self) -> None:
        words = self.words
        event = self.host.engine.event
        self.title = widgets.HTML(f"<h2>{escape(words['title'].format(event=event.name))}</h2>")
        self.status = widgets.HTML()
        self.message = widgets.HTML()
        self.questions = widgets.HTML()
        self.picker = widgets.Dropdown(description=words["question"], options=[])
        self.launch_button = widgets.Button(description=words["launch"], button_style="success", icon="play")
        self.answer_box = widgets.Text(description=words["correct_answer"], placeholder=words["correct_answer_hint"],
                                       style={"description_width": "initial"},
                                       layout=widgets.Layout(width="420px"))
        self.close_button = widgets.Button(description=words["close"], button_style="danger", icon="stop")
        self.end_button = widgets.Button(description=words["end_event"], icon="flag-checkered")
        self.confirm_text = widgets.HTML()
        self.confirm_button = widgets.Button(description=words["confirm"], button_style="danger")
        self.cancel_button = widgets.Button(description=words["cancel"])
        self.confirm_box = widgets.HBox([self.confirm_text, self.confirm_button, self.cancel_button],
                                        layout=widgets.Layout(display="none"))
        self.qr_image = widgets.Image(format="png", layout=widgets.Layout(width="240px", height="240px", display="none"))
        self.qr_image.add_class("quizkit-qr")
        self.qr_caption = widgets.HTML()
        self.live_counts = widgets.HTML()
        self.live_table = widgets.HTML()
        self.chart_image = widgets.Image(format="png")
        self.podium = widgets.HTML(_note(words["podium_none"]))
        self.leaderboard = widgets.HTML()
        self.log = widgets.HTML(layout=widgets.Layout(max_height="180px", overflow="auto"))
        # A tooltip equal to the label, because without one the toggle's title reads "null".
        self.crowd_toggle = widgets.ToggleButton(description=words["crowd_start"], tooltip=words["crowd_start"],
                                                 icon="users")
        self.crowd_status = widgets.HTML()
        self.checks_button = widgets.Button(description=words["run_checks"], tooltip=words["run_checks"], icon="stethoscope")
        self.checks = widgets.HTML()

        self.launch_button.on_click(self._on_launch)
        self.close_button.on_click(self._on_close)
        self.end_button.on_click(self._on_end)
        self.checks_button.on_click(lambda _button: self.run_checks())
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(self._on_cancel)
        self.crowd_toggle.observe(self._on_crowd_toggle, names="value")
        self.picker.observe(self._on_pick, names="value")

        self.widget = widgets.VBox(self._sections())
        self.widget.add_class("quizkit-panel")

    def _sections(self) -> list[widgets.Widget]:
        words = self.words
        controls = widgets.VBox([
            _heading(words["questions"]),
            widgets.HBox([self.picker, self.launch_button]),
            widgets.HBox([self.answer_box, self.close_button]),
            self.confirm_box,
            self.end_button,
            self.message,
            widgets.HBox([self.qr_image, self.qr_caption]),
        ], layout=widgets.Layout(width="60%"))
        status = widgets.VBox([_heading(words["status"]), self.status], layout=widgets.Layout(width="40%"))
        sections = [self.title, widgets.HBox([controls, status])]
        if self.crowd is not None:
            sections.append(widgets.HBox([_heading(words["crowd"]), self.crowd_toggle, self.crowd_status]))
        sections += [
            _heading(words["live"]), self.live_counts, self.live_table,
            self.chart_image,
            widgets.HBox([
                widgets.VBox([_heading(words["podium"]), self.podium], layout=widgets.Layout(width="50%")),
                widgets.VBox([_heading(words["leaderboard"]), self.leaderboard], layout=widgets.Layout(width="50%")),
            ]),
            _heading(words["questions"]), self.questions,
            widgets.HBox([_heading(words["checks"]), self.checks_button]), self.checks,
            _heading(words["log"]), self.log,
        ]
        return sections

    # Button handlers: errors show in the panel and the log, never as a traceback.

    def _on_pick(self, change: dict) -> None:
        # Picking another question shows its accepted answers for Close; the options changing under
        # the same pick keep what the host typed.
        number = change["new"]
        if self._updating_picker or number is None or number == self._picked:
            return
        self._picked = number
        question = self._questions_by_number.get(number)
        self.answer_box.value = " | ".join(question.answers) if question else ""

    def _on_launch(self, _button=None) -> None:
        number = self.picker.value
        if number is not None:
            self._guarded(self.words["launch"], lambda: self.launch(number))

    def _on_close(self, _button=None) -> None:
        number = self.picker.value
        if number is None:
            return
        answers = _split_answers(self.answer_box.value)
        if not answers:
            self.message.value = _warning(self.words["no_answer"].format(number=number))
            return
        # The picker lists only questions of the last refresh, so the question is known here.
        question = self._questions_by_number.get(number)
        code = question.code if question else str(number)
        prompt = self.words["confirm_close"].format(number=number, code=code, answers=" / ".join(answers))
        self._ask(prompt, self.words["confirm"], self.words["close"], lambda: self.close(number, answers))

    def _on_end(self, _button=None) -> None:
        self._ask(self.words["confirm_end"], self.words["confirm_end_button"], self.words["end_event"], self.end_event)

    def _ask(self, prompt: str, confirm_label: str, action: str, run: Callable[[], object]) -> None:
        # The confirmation row runs the last action requested, and Cancel drops it.
        with self._lock:
            self._confirmed = (action, run)
            self.confirm_text.value = escape(prompt)
            self.confirm_button.description = confirm_label
            self.confirm_button.tooltip = confirm_label
            self.message.value = ""
            self.confirm_box.layout.display = "flex"

    def _on_confirm(self, _button=None) -> None:
        confirmed, self._confirmed = self._confirmed, None
        self._hide_confirm()
        if confirmed is not None:
            self._guarded(*confirmed)

    def _on_cancel(self, _button=None) -> None:
        self._confirmed = None
        self._hide_confirm()

    def _hide_confirm(self) -> None:
        with self._lock:
            self.confirm_box.layout.display = "none"

    def _on_crowd_toggle(self, change: dict) -> None:
        if self.crowd is None or change["new"] == self.crowd.running:
            return
        if change["new"]:
            self.crowd.start()
        else:
            self.crowd.stop()

    def _guarded(self, action: str, run: Callable[[], object]) -> None:
        try:
            run()
        except Exception as error:  # noqa: BLE001 - a host sees the reason in the panel and the log
            logger.warning("%s failed: %s", action, error)
            with self._lock:
                self.message.value = _warning(self.words["failed"].format(action=action, error=self._explain(error)))

    def _explain(self, error: Exception) -> str:
        """Say what went wrong in the panel's language; the log keeps the full English message."""
        words = self.words
        if isinstance(error, ServerNotRunning):
            return words["error_not_running"]
        if isinstance(error, QuestionStateError):
            return words["error_state"]
        if isinstance(error, InvalidQuestion):
            return words["error_answers"]
        if isinstance(error, RuntimeError) and str(error) == words["busy"]:
            return words["busy"]
        return words["error_other"].format(error=error)

    def _set_buttons_enabled(self, enabled: bool) -> None:
        with self._lock:
            for button in (self.launch_button, self.close_button, self.confirm_button, self.end_button):
                button.disabled = not enabled

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)


class _Release:
    """Disable the action buttons while an action holds the lock, then enable them and release it."""

    def __init__(self, lock: threading.Lock, set_enabled: Callable[[bool], None]) -> None:
        self._lock = lock
        self._set_enabled = set_enabled

    def __enter__(self) -> None:
        self._set_enabled(False)

    def __exit__(self, *exc_info: object) -> None:
        self._set_enabled(True)
        self._lock.release()


def _set(widget: widgets.Widget, value: str) -> None:
    # Only a changed value reaches the browser, so an unchanged view is not redrawn.
    if widget.value != value:
        widget.value = value


def _next_question(snapshot: LiveSnapshot) -> int | None:
    """Return the question a host most likely acts on next: the first open one, else the first draft."""
    for state in ("open", "draft"):
        for question in snapshot.questions:
            if question.state == state:
                return question.number
    return snapshot.questions[0].number if snapshot.questions else None


def _set_label(button: widgets.ToggleButton, label: str) -> None:
    if button.description != label:
        button.description = label
        button.tooltip = label


def _split_answers(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


def _heading(text: str) -> widgets.HTML:
    return widgets.HTML(f"<h3 style='margin:8px 0 4px'>{escape(text)}</h3>")


def _note(text: str) -> str:
    return f"<span>{escape(text)}</span>"


def _warning(text: str) -> str:
    return f'<span style="color:#b00020">{escape(text)}</span>'
