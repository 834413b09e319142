"""start_event_host: each setting host.ipynb reads from the environment, and each way its start fails."""

from __future__ import annotations

import socket

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


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("suffix", ["", "/"])
@pytest.mark.parametrize("language", ["it", "en"])
def test_start_event_host_api_url_with_token_masked(engine, emulator, language, suffix):
    # A QUIZKIT_API_URL copied with its /bot<token> part, at a port where nothing listens.
    api_url = f"http://127.0.0.1:{_unused_port()}/bot{TOKEN}{suffix}"

    with pytest.raises(HostStartError) as raised:
        start_event_host(language, _environment(engine, emulator, QUIZKIT_API_URL=api_url))

    message = str(raised.value)
    assert message.startswith(labels(language)["start_failed"].split("{url}")[0])
    assert TOKEN not in message
    assert TOKEN.split(":")[1] not in message


@pytest.mark.parametrize("language", ["it", "en"])
def test_start_event_host_database_not_sqlite(engine, emulator, tmp_path, language):
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a database, just notes\n" * 100)

    with pytest.raises(HostStartError) as raised:
        start_event_host(language, _environment(engine, emulator, QUIZKIT_DB=str(path)))

    expected_start = labels(language)["start_database_failed"].split("{error}")[0].format(path=path)
    assert str(raised.value).startswith(expected_start)
    assert "file is not a database" in str(raised.value)
    assert path.read_bytes() == b"not a database, just notes\n" * 100
    assert list(tmp_path.glob("notes.db-*")) == []


@pytest.mark.parametrize("language", ["it", "en"])
def test_start_event_host_database_is_folder(engine, emulator, tmp_path, language):
    folder = tmp_path / "events"
    folder.mkdir()

    with pytest.raises(HostStartError) as raised:
        start_event_host(language, _environment(engine, emulator, QUIZKIT_DB=str(folder)))

    assert str(raised.value) == labels(language)["start_database_folder"].format(path=folder)
    assert list(folder.iterdir()) == []
