"""start_event_host: each setting host.ipynb reads from the environment, and each way its start fails."""

from __future__ import annotations

import pytest

from quizkit.notebook import HostStartError, start_event_host
from quizkit.notebook.labels import labels
from quizkit.server import Server
from tests.conftest import TOKEN


def _environment(engine, emulator, **changes: str) -> dict[str, str]:
    environment = {
        "QUIZKIT_BOT_TOKEN": TOKEN,
        "QUIZKIT_EVENT": engine.event.name,
        "QUIZKIT_DB": engine.store.path,
        "QUIZKIT_API_URL": emulator.url,
    }
    environment.update(changes)
    return {name: value for name, value in environment.items() if value}


def test_start_event_host_polls_the_event(engine, emulator):
    host = start_event_host("en", _environment(engine, emulator))
    try:
        assert host.running
        assert host.server.transport == "polling"
        assert host.engine.event.name == engine.event.name
    finally:
        host.stop()
        host.engine.store.close()


@pytest.mark.parametrize(("changes", "key", "values"), [
    ({"QUIZKIT_BOT_TOKEN": ""}, "start_no_token", {}),
    ({"QUIZKIT_EVENT": "  "}, "start_no_event", {}),
    ({"QUIZKIT_DB": ""}, "start_no_database", {"event": "test-event"}),
    ({"QUIZKIT_DB": "/nonexistent/quiz.db"}, "start_database_missing", {"path": "/nonexistent/quiz.db",
                                                                         "event": "test-event"}),
    ({"QUIZKIT_PORT": "84a3"}, "start_invalid_port", {"value": "84a3"}),
    ({"QUIZKIT_PORT": "70000"}, "start_invalid_port", {"value": "70000"}),
    ({"QUIZKIT_PORT": "٨٤٤٣"}, "start_invalid_port", {"value": "٨٤٤٣"}),
])
@pytest.mark.parametrize("language", ["it", "en"])
def test_start_event_host_bad_setting(engine, emulator, changes, key, values, language):
    with pytest.raises(HostStartError) as raised:
        start_event_host(language, _environment(engine, emulator, **changes))

    assert str(raised.value) == labels(language)[key].format(**values)


@pytest.mark.parametrize("language", ["it", "en"])
def test_start_event_host_event_already_served(engine, emulator, language):
    other = Server(engine, TOKEN, api_url=emulator.url, transport="polling")
    other.start()
    try:
        with pytest.raises(HostStartError) as raised:
            start_event_host(language, _environment(engine, emulator))
    finally:
        other.stop()

    expected_start = labels(language)["start_already_running"].split("{error}")[0]
    assert str(raised.value).startswith(expected_start)
    assert "test-event" in str(raised.value)


def test_start_event_host_unknown_language(engine, emulator):
    with pytest.raises(ValueError, match="Panel language 'fr' is not available; use one of en, it"):
        start_event_host("fr", _environment(engine, emulator))
