"""The notebooks run headless in a real Jupyter kernel against a rehearsal database."""

from __future__ import annotations

import csv
import json
import sqlite3
from contextlib import closing
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from quizkit.emulator.crowd import Crowd

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def rehearsal_db(tmp_path_factory):
    """A classroom rehearsal (25 students, 5 questions) stored by `quizkit rehearse`."""
    path = tmp_path_factory.mktemp("rehearsal") / "classroom.db"
    completed = subprocess.run(
        [sys.executable, "-m", "quizkit", "rehearse", "--profile", "classroom", "--time-scale", "0.05",
         "--db", str(path), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return path


def _execute(name: str, monkeypatch, environment: dict[str, str], last_cells: tuple[str, ...] = (),
             allow_errors: bool = False) -> nbformat.NotebookNode:
    """Run the notebook in a python3 kernel started from the notebooks folder and return it with outputs.

    `last_cells` run after the notebook's own. A final cell prints the kernel's interpreter, so the
    test can check it is this venv's. With `allow_errors`, a cell that raises leaves an error output
    and the next cells run.
    """
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    for source in last_cells:
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    for key, value in environment.items():
        monkeypatch.setenv(key, value)

    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return notebook


def _outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def test_analysis_notebook_runs(rehearsal_db, tmp_path, monkeypatch):
    notebook = _execute(
        "analysis.ipynb",
        monkeypatch,
        {"QUIZKIT_DB": str(rehearsal_db), "QUIZKIT_EXPORT_DIR": str(tmp_path / "export")},
    )
    outputs = _outputs(notebook)

    errors = [output for output in outputs if output.output_type == "error"]
    assert errors == []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)

    html = [output.data["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert any("percent_correct" in table and "median_delay_s" in table for table in html)
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) == 3

    printed = "".join(output.text for output in outputs if output.output_type == "stream")
    assert "Event 'rehearsal-classroom-" in printed
    assert printed.strip().splitlines()[-1] == sys.executable
    assert (tmp_path / "export" / "answers.csv").is_file()


@pytest.mark.parametrize("name", ["analysis.ipynb", "classroom.ipynb", "host.ipynb"])
def test_notebook_committed_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)

    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.parametrize("name", ["analysis.ipynb", "classroom.ipynb", "host.ipynb"])
def test_notebook_headings_in_two_languages(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)

    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            assert lines[0].startswith("#"), lines[0]
            assert lines[1].startswith("*"), lines[1]
            assert lines[1].endswith("*"), lines[1]


@pytest.fixture(scope="module")
def classroom_run(tmp_path_factory):
    """The classroom notebook executed as a rehearsal at a tenth of a class's pace, and its database."""
    db_path = tmp_path_factory.mktemp("classroom") / "classroom.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("QUIZKIT_BOT_TOKEN", raising=False)
        notebook = _execute("classroom.ipynb", patch, {"QUIZKIT_DB": str(db_path), "QUIZKIT_TIME_SCALE": "0.1"})
    return notebook, db_path


def test_classroom_notebook_runs(classroom_run):
    notebook, _ = classroom_run
    outputs = _outputs(notebook)

    errors = [output for output in outputs if output.output_type == "error"]
    assert errors == []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)

    html = [output.data["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    podiums = [table for table in html if "participant" in table and "delay_s" in table and "raw_text" not in table]
    assert len(podiums) == 5
    assert sum("image/png" in output.get("data", {}) for output in outputs) == 5  # a QR code per question
    leaderboard = html[-1]
    assert "Nome / Name" in leaderboard
    assert "🥇" in leaderboard
    assert "🥈" in leaderboard
    assert "🥉" in leaderboard

    printed = "".join(output.text for output in outputs if output.output_type == "stream")
    assert "5 domande / questions; prova / rehearsal" in printed
    assert printed.strip().splitlines()[-1] == sys.executable


def test_classroom_notebook_closes_csv_questions(classroom_run):
    _, db_path = classroom_run

    with closing(sqlite3.connect(db_path)) as connection:
        stored = connection.execute("SELECT text, kind, state FROM questions ORDER BY number").fetchall()
    with (NOTEBOOKS / "classroom-questions.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(text, kind) for text, kind, _ in stored] == [(row["text"], row["kind"]) for row in rows]
    assert [state for _, _, state in stored] == ["closed"] * 5
    with closing(sqlite3.connect(db_path)) as connection:
        options = connection.execute("SELECT options FROM questions WHERE kind = 'choice'").fetchall()
    assert [json.loads(value) for (value,) in options] == [["Firenze", "Pisa", "Siena"]]


def test_classroom_csv_matches_settings_cell(tmp_path, monkeypatch):
    """The example CSV and the list written in the settings cell hold the same questions."""
    notebook = nbformat.read(NOTEBOOKS / "classroom.ipynb", as_version=4)
    settings = next(cell.source for cell in notebook.cells if "QUESTIONS = [" in cell.source)
    monkeypatch.chdir(tmp_path)  # no CSV here, so the cell keeps its own list
    namespace: dict = {}
    exec(settings, namespace)

    with (NOTEBOOKS / "classroom-questions.csv").open(encoding="utf-8", newline="") as file:
        rows = [
            (row["text"], row["answers"].split("|"), row["kind"], *([row["options"].split("|")] if row["options"] else []))
            for row in csv.DictReader(file)
        ]
    assert namespace["QUESTIONS"] == rows
    assert rows[4] == ("In quale città si trova la Torre pendente?", ["Pisa"], "choice", ["Firenze", "Pisa", "Siena"])
    assert namespace["REHEARSAL"] is (not namespace["BOT_TOKEN"])


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def host_run(tmp_path_factory):
    """host.ipynb executed as a classroom rehearsal that plays every question from code, and its database."""
    db_path = tmp_path_factory.mktemp("host") / "host.db"
    environment = {
        "QUIZKIT_DB": str(db_path),
        "QUIZKIT_PROFILE": "classroom",
        "QUIZKIT_TIME_SCALE": "0.1",
        "QUIZKIT_PLAY": "all",
        "QUIZKIT_LANGUAGE": "en",
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("QUIZKIT_BOT_TOKEN", raising=False)
        notebook = _execute("host.ipynb", patch, environment, last_cells=(
            "print('refreshes', panel.refresh_count, 'logged', panel.logs.written)",
            "panel.stop()\nrehearsal.stop()",
        ))
    return notebook, db_path


def test_host_notebook_runs_the_event(host_run):
    notebook, _ = host_run
    outputs = _outputs(notebook)

    assert [output for output in outputs if output.output_type == "error"] == []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)
    # The panel and the projector are widgets; the server's log lines stay in the panel.
    assert sum(WIDGET_VIEW in output.get("data", {}) for output in outputs) == 2
    assert [output for output in outputs if output.output_type == "stream" and output.name == "stderr"] == []

    html = [output.data["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    podiums = [table for table in html if "participant" in table and "delay_s" in table and "display_name" not in table]
    assert len(podiums) == 5
    assert "display_name" in html[-1]

    printed = "".join(output.text for output in outputs if output.output_type == "stream")
    assert "question 5:" in printed
    assert "🥇" in printed  # the final leaderboard post, as the channel got it
    assert printed.strip().splitlines()[-1] == sys.executable


def test_host_notebook_stores_every_answer(host_run):
    _, db_path = host_run
    planned = Crowd(None, "", profile="classroom", seed=2016).totals

    with closing(sqlite3.connect(db_path)) as connection:
        states = [state for (state,) in connection.execute("SELECT state FROM questions ORDER BY number")]
        answers = connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert states == ["closed"] * planned["questions"]
    assert answers == planned["answers"]


def test_host_notebook_real_event_branch(engine, emulator, monkeypatch):
    # The branch a host runs with a bot token, polling a Bot API at QUIZKIT_API_URL: the emulator
    # here, a telegram-bot-api server of the host's own at an event.
    from quizkit.emulator import SimUser
    from tests.conftest import TOKEN

    code = engine.open_question(1).code
    pupil = SimUser(user_id=424242, first_name="Lucia", language_code="it")
    emulator.send_text(TOKEN, pupil, f"/start {code}")
    emulator.send_text(TOKEN, pupil, "Roma")
    environment = {
        "QUIZKIT_BOT_TOKEN": TOKEN,
        "QUIZKIT_EVENT": engine.event.name,
        "QUIZKIT_DB": engine.store.path,
        "QUIZKIT_API_URL": emulator.url,  # the root, as `quizkit serve --api-url` takes it
        "QUIZKIT_LANGUAGE": "en",
    }
    monkeypatch.delenv("QUIZKIT_PUBLIC_URL", raising=False)

    notebook = _execute("host.ipynb", monkeypatch, environment, last_cells=(
        "import time\n"
        "deadline = time.monotonic() + 60\n"
        "while len(host.responses(1)) < 1 and time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
        "print('transport', host.server.transport, 'responses', len(host.responses(1)))",
        "panel.stop()\nhost.stop()",
    ))

    outputs = _outputs(notebook)
    assert [output for output in outputs if output.output_type == "error"] == []
    printed = "".join(output.text for output in outputs if output.output_type == "stream")
    assert "transport polling responses 1" in printed
    assert engine.answer_count(1) == 1
    replies = [message["text"] for message in emulator.messages(pupil.user_id) if message["from"]["is_bot"]]
    assert replies[-1].startswith("Ricevuta! La tua risposta alla domanda 1")  # the pupil's Telegram is in Italian


def test_classroom_notebook_real_class_branch(tmp_path, emulator, monkeypatch):
    # With a token the notebook plays no simulated class: each question opens and closes with no
    # answer, and the channel of the test bot gets every post.
    from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN

    db_path = tmp_path / "real-class.db"
    environment = {
        "QUIZKIT_BOT_TOKEN": TOKEN,
        "QUIZKIT_CHANNEL_ID": str(CHANNEL_ID),
        "QUIZKIT_BOT_USERNAME": BOT_USERNAME,
        "QUIZKIT_API_URL": emulator.url,  # the root, as `quizkit serve --api-url` takes it
        "QUIZKIT_DB": str(db_path),
    }

    notebook = _execute("classroom.ipynb", monkeypatch, environment)

    outputs = _outputs(notebook)
    assert [output for output in outputs if output.output_type == "error"] == []
    printed = "".join(output.text for output in outputs if output.output_type == "stream")
    assert "5 domande / questions; classe vera / real class" in printed
    with closing(sqlite3.connect(db_path)) as connection:
        states = [state for (state,) in connection.execute("SELECT state FROM questions ORDER BY number")]
        answers = connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert (states, answers) == (["closed"] * 5, 0)
    first_lines = [message["text"].splitlines()[0] for message in emulator.messages(CHANNEL_ID)]
    expected = [line for number in range(1, 6) for line in (f"Domanda {number}", f"Domanda {number}: i risultati")]
    assert first_lines == [*expected, "🏆 Classifica finale"]


def _host_start_error(monkeypatch, environment: dict[str, str]) -> dict:
    """Run host.ipynb's real-event branch and return the error output of its start cell."""
    from tests.conftest import TOKEN

    for name in ("QUIZKIT_EVENT", "QUIZKIT_DB", "QUIZKIT_PUBLIC_URL", "QUIZKIT_PORT", "QUIZKIT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    notebook = _execute("host.ipynb", monkeypatch, {"QUIZKIT_BOT_TOKEN": TOKEN, **environment}, allow_errors=True)

    start_cell = next(cell for cell in notebook.cells if "Panel(host" in cell.source)
    errors = [output for output in start_cell.outputs if output.output_type == "error"]
    assert len(errors) == 1, start_cell.outputs
    return errors[0]


@pytest.mark.parametrize(("language", "expected"), [
    ("it", "QUIZKIT_EVENT non è impostata, quindi il quaderno non sa quale evento condurre. Impostatela "
           "con il nome dell'evento prima di aprire JupyterLab (per esempio QUIZKIT_EVENT=codeweek jupyter lab), "
           "oppure in una cella con os.environ[\"QUIZKIT_EVENT\"] = \"codeweek\", poi eseguite di nuovo le celle."),
    ("en", "QUIZKIT_EVENT is not set, so the notebook does not know which event to run. Set it to the "
           "event's name before you open JupyterLab (for example QUIZKIT_EVENT=codeweek jupyter lab), or in a "
           "cell with os.environ[\"QUIZKIT_EVENT\"] = \"codeweek\", then run the cells again."),
])
def test_host_notebook_event_variable_missing(engine, monkeypatch, language, expected):
    error = _host_start_error(monkeypatch, {"QUIZKIT_DB": engine.store.path, "QUIZKIT_LANGUAGE": language})

    assert error.ename == "HostStartError"
    assert error.evalue == expected
    assert error.traceback == [f"HostStartError: {expected}"]


def test_host_notebook_event_not_in_database(engine, monkeypatch):
    error = _host_start_error(monkeypatch, {"QUIZKIT_DB": engine.store.path, "QUIZKIT_EVENT": "codewek",
                                            "QUIZKIT_LANGUAGE": "it"})

    assert error.evalue == (
        f"L'evento 'codewek' non è nel database {engine.store.path}, che contiene: 'test-event'. Controllate "
        "QUIZKIT_EVENT, oppure create l'evento con quizkit serve --event EVENTO.toml (vedete la sezione "
        "Con una gara vera), poi eseguite di nuovo le celle."
    )


@pytest.mark.parametrize(("language", "expected"), [
    ("it", "Il bot non è partito. Controllate che la Bot API a {url} risponda (la connessione a internet, o "
           "QUIZKIT_API_URL) e che il token in QUIZKIT_BOT_TOKEN sia giusto; quizkit doctor mostra che cosa non "
           "va. Poi eseguite di nuovo questa cella.\nDettaglio: "),
    ("en", "The bot did not start. Check that the Bot API at {url} answers (the internet connection, or "
           "QUIZKIT_API_URL) and that the token in QUIZKIT_BOT_TOKEN is right; quizkit doctor shows which is "
           "wrong. Then run this cell again.\nDetail: "),
])
def test_host_notebook_bot_api_unreachable(engine, monkeypatch, language, expected):
    # A socket bound to a port but not listening: a connection to it is refused at once, and no other
    # program can take the port while the test runs.
    import socket

    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed_port.getsockname()[1]}"
        error = _host_start_error(monkeypatch, {
            "QUIZKIT_DB": engine.store.path, "QUIZKIT_EVENT": engine.event.name, "QUIZKIT_API_URL": url,
            "QUIZKIT_LANGUAGE": language,
        })

    assert error.evalue.startswith(expected.format(url=url))
    assert "Server failed to start" in error.evalue
    assert "TEST" not in error.evalue  # the token's secret part


@pytest.mark.parametrize(("language", "expected"), [
    ("it", "Il database {path} non esiste, quindi l'evento 'test-event' non si può caricare; il quaderno non ha "
           "creato nessun file. Controllate QUIZKIT_DB, oppure create l'evento con quizkit serve --event "
           "EVENTO.toml (vedete la sezione Con una gara vera), poi eseguite di nuovo le celle."),
    ("en", "Database {path} not found, so event 'test-event' cannot be loaded; the notebook created no file. "
           "Check QUIZKIT_DB, or create the event with quizkit serve --event EVENT.toml (see the section With a "
           "real event), then run the cells again."),
])
def test_host_notebook_database_missing(engine, tmp_path, monkeypatch, language, expected):
    mistyped = tmp_path / "mistyped.db"

    error = _host_start_error(monkeypatch, {"QUIZKIT_DB": str(mistyped), "QUIZKIT_EVENT": engine.event.name,
                                            "QUIZKIT_LANGUAGE": language})

    assert error.evalue == expected.format(path=mistyped)
    assert not mistyped.exists()
