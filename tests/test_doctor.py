"""`quizkit.doctor` against the emulator, in a good configuration and in each broken one it catches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from quizkit.doctor import DoctorSettings, Status, run_doctor
from tests.conftest import BOT_USERNAME, CHANNEL_ID, TOKEN

PUBLIC_URL = "https://quiz.example.org"
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _settings(emulator, tmp_path: Path, **changes) -> DoctorSettings:
    values = {
        "token": TOKEN,
        "api_url": emulator.url,
        "channel_id": CHANNEL_ID,
        "public_url": PUBLIC_URL,
        "db_path": tmp_path / "quiz.db",
    }
    values.update(changes)
    return DoctorSettings(**values)


def _by_check(results) -> dict:
    return {result.check: result for result in results}


def _bot_api(emulator, method: str, **params) -> dict:
    request = urllib.request.Request(f"{emulator.base_url}{TOKEN}/{method}", data=json.dumps(params).encode(),
                                     headers={"Content-Type": "application/json"})
    with _opener.open(request, timeout=10) as response:
        return json.loads(response.read())


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_doctor_good_configuration(emulator, tmp_path):
    results = run_doctor(_settings(emulator, tmp_path))

    assert [result.check for result in results] == ["token", "webhook", "channel", "public_url", "database",
                                                    "transport"]
    assert [result.status for result in results] == [Status.OK] * 6
    checks = _by_check(results)
    assert checks["token"].details == {"username": BOT_USERNAME, "bot_id": 123456789}
    assert checks["token"].message == f"The token of bot @{BOT_USERNAME} (id 123456789) works: getMe succeeded."
    assert checks["webhook"].message == "No webhook is set; 0 updates are waiting for the bot."
    assert checks["channel"].details == {"status": "administrator", "can_post_messages": True,
                                         "can_edit_messages": True}
    assert checks["public_url"].details == {"url": PUBLIC_URL, "port": 443}
    assert all(result.fix is None for result in results)


def test_doctor_wrong_token(emulator, tmp_path):
    token = "123456789:WRONGtokenWRONGtokenWRONGtokenWRONG"

    results = run_doctor(_settings(emulator, tmp_path, token=token))

    checks = _by_check(results)
    assert checks["token"].status is Status.FAIL
    assert checks["token"].message == ("Telegram rejected the token 123456789:*** (Unauthorized): it was revoked "
                                       "or mistyped.")
    assert "@BotFather" in checks["token"].fix
    assert checks["webhook"].status is Status.SKIP
    assert checks["channel"].status is Status.SKIP
    assert all("WRONGtoken" not in result.message + (result.fix or "") for result in results)


def test_doctor_malformed_token(emulator, tmp_path):
    results = run_doctor(_settings(emulator, tmp_path, token="123456789:short"))

    token = _by_check(results)["token"]
    assert token.status is Status.FAIL
    assert token.message.startswith("The token 123456789:*** is not shaped like a @BotFather token")
    assert "short" not in token.message


def test_doctor_api_unreachable(tmp_path):
    settings = DoctorSettings(token=TOKEN, api_url=f"http://127.0.0.1:{_closed_port()}", db_path=tmp_path / "q.db")

    token = _by_check(run_doctor(settings))["token"]

    assert token.status is Status.FAIL
    assert token.message.startswith(f"The Bot API at {settings.api_url} cannot be reached: ")
    assert "firewall" in token.fix


def test_doctor_bot_not_admin(emulator, tmp_path):
    emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests", bot_is_admin=False)

    channel = _by_check(run_doctor(_settings(emulator, tmp_path)))["channel"]

    assert channel.status is Status.FAIL
    assert channel.message == f"The bot is not an administrator of channel {CHANNEL_ID} (status: left)."
    assert channel.fix.startswith(f"Make @{BOT_USERNAME} an administrator of the channel")


@pytest.mark.parametrize("rights, missing", [
    ({"can_post_messages": False}, "post messages"),
    ({"can_edit_messages": False}, "edit messages of others"),
    ({"can_post_messages": False, "can_edit_messages": False}, "post messages, edit messages of others"),
])
def test_doctor_admin_without_rights(emulator, tmp_path, rights, missing):
    emulator.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests", admin_rights=rights)

    channel = _by_check(run_doctor(_settings(emulator, tmp_path)))["channel"]

    assert channel.status is Status.FAIL
    assert channel.message == f"The bot is an administrator of channel {CHANNEL_ID} but lacks: {missing}."


def test_doctor_channel_not_found(emulator, tmp_path):
    channel = _by_check(run_doctor(_settings(emulator, tmp_path, channel_id=-1009999)))["channel"]

    assert channel.status is Status.FAIL
    assert channel.message == "Channel -1009999 was not found, or the bot is not in it (Chat not found)."


def test_doctor_no_channel_skipped(emulator, tmp_path):
    channel = _by_check(run_doctor(_settings(emulator, tmp_path, channel_id=None)))["channel"]

    assert channel.status is Status.SKIP


def test_doctor_webhook_with_delivery_errors(emulator, tmp_path):
    from quizkit.emulator import SimUser

    url = f"http://127.0.0.1:{_closed_port()}/webhook"
    assert _bot_api(emulator, "setWebhook", url=url, max_connections=7)["ok"]
    emulator.send_text(TOKEN, SimUser(user_id=4242, first_name="Ada"), "hello")
    deadline = time.monotonic() + 10
    while emulator.stats(TOKEN)["deliveries_failed"] == 0:
        assert time.monotonic() < deadline, "the emulator never tried the webhook"
        time.sleep(0.02)

    webhook = _by_check(run_doctor(_settings(emulator, tmp_path)))["webhook"]

    assert webhook.status is Status.FAIL
    assert webhook.message.startswith(f"Webhook {url}: 1 pending updates, max connections 7, custom certificate no. "
                                      "Telegram's last delivery to the webhook failed ")
    assert webhook.details["last_error_message"]
    assert webhook.details["last_error_age_s"] < 60
    assert webhook.details["pending_update_count"] == 1
    assert url in webhook.fix


def test_doctor_polling_with_webhook_set(emulator, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/webhook"
    assert _bot_api(emulator, "setWebhook", url=url)["ok"]

    results = _by_check(run_doctor(_settings(emulator, tmp_path, transport="polling", public_url=None)))

    assert results["transport"].status is Status.FAIL
    assert results["transport"].message.startswith(f"Polling is chosen, but Telegram has a webhook set at {url}")
    assert results["public_url"].status is Status.SKIP


def test_doctor_polling_and_public_url(emulator, tmp_path):
    transport = _by_check(run_doctor(_settings(emulator, tmp_path, transport="polling")))["transport"]

    assert transport.status is Status.FAIL
    assert transport.message == "Polling is chosen but a public URL is configured too."


@pytest.mark.parametrize("changes, expected", [
    ({"public_url": None}, "No public URL is set"),
    ({"public_url": "http://quiz.example.org"}, "uses http, but Telegram delivers updates only over HTTPS"),
    ({"public_url": "https://quiz.example.org:8080"}, "port 8080 is not one Telegram delivers to (443, 80, 88 or 8443)"),
    ({"public_url": "https://quiz.example.org:99999"}, "is not a URL with a host name"),
    ({"public_url": "quiz.example.org"}, "is not a URL with a host name"),
    ({"self_signed": True}, "--self-signed needs an IP address in the public URL, not 'quiz.example.org'"),
    ({"secret_token": "has spaces"}, "The secret token is invalid"),
    ({"secret_token": "x" * 257}, "The secret token is invalid"),
])
def test_doctor_public_url_problems(emulator, tmp_path, changes, expected):
    result = _by_check(run_doctor(_settings(emulator, tmp_path, **changes)))["public_url"]

    assert result.status is Status.FAIL
    assert expected in result.message
    assert result.fix


@pytest.mark.parametrize("url, port", [("https://203.0.113.7:8443", 8443), ("https://q.example.org:88", 88)])
def test_doctor_public_url_allowed_ports(emulator, tmp_path, url, port):
    result = _by_check(run_doctor(_settings(emulator, tmp_path, public_url=url, self_signed=url[8].isdigit())))

    assert result["public_url"].status is Status.OK
    assert result["public_url"].details["port"] == port


def test_doctor_database_folder_missing(emulator, tmp_path):
    database = _by_check(run_doctor(_settings(emulator, tmp_path, db_path=tmp_path / "none" / "q.db")))["database"]

    assert database.status is Status.FAIL
    assert database.message == f"The database folder {tmp_path / 'none'} does not exist."


def test_doctor_database_not_a_database(emulator, tmp_path):
    path = tmp_path / "quiz.db"
    path.write_bytes(b"this is not SQLite" * 100)

    database = _by_check(run_doctor(_settings(emulator, tmp_path)))["database"]

    assert database.status is Status.FAIL
    assert database.message.startswith(f"The database {path} cannot be written: ")


def test_doctor_database_disk_nearly_full(emulator, tmp_path):
    settings = _settings(emulator, tmp_path, min_free_bytes=2**62)

    database = _by_check(run_doctor(settings))["database"]

    assert database.status is Status.FAIL
    assert "are free on the disk of" in database.message
    assert database.details["free_bytes"] < 2**62


def test_doctor_existing_database_writable(emulator, tmp_path, engine):
    database = _by_check(run_doctor(_settings(emulator, tmp_path, db_path=engine.store.path)))["database"]

    assert database.status is Status.OK


def test_doctor_italian(emulator, tmp_path):
    results = _by_check(run_doctor(_settings(emulator, tmp_path, language="it", public_url="http://x.org")))

    assert results["token"].label == "Token"
    assert results["token"].message == f"Il token del bot @{BOT_USERNAME} (id 123456789) funziona: getMe è riuscita."
    assert results["public_url"].label == "URL pubblico"
    assert results["public_url"].message == ("L'URL pubblico http://x.org usa http, ma Telegram consegna gli update "
                                             "solo in HTTPS.")


def _doctor_cli(*args: str, token: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QUIZKIT_BOT_TOKEN": token, "LANG": "C"}
    return subprocess.run([sys.executable, "-m", "quizkit", "doctor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_doctor_cli_exit_codes(emulator, tmp_path):
    event_file = tmp_path / "live.toml"
    event_file.write_text(f'name = "live"\nlanguage = "en"\nchannel = {CHANNEL_ID}\n[[questions]]\ntext = "Q?"\n')
    common = ("--event", str(event_file), "--api-url", emulator.url, "--public-url", PUBLIC_URL)

    good = _doctor_cli(*common, token=TOKEN, cwd=tmp_path)
    wrong = _doctor_cli(*common, token="123456789:WRONGtokenWRONGtokenWRONGtokenWRONG", cwd=tmp_path)
    italian = _doctor_cli(*common, "--language", "it", "--public-url", "https://q.example.org:8080", token=TOKEN,
                          cwd=tmp_path)

    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.splitlines()[0] == (f"OK    Token: The token of bot @{BOT_USERNAME} (id 123456789) works: "
                                           "getMe succeeded.")
    assert f"OK    Database: The database {tmp_path / 'live.db'} is writable" in good.stdout
    assert wrong.returncode == 1
    assert "FAIL  Token: Telegram rejected the token 123456789:*** (Unauthorized)" in wrong.stdout
    assert "      What to do: Get the current token from @BotFather" in wrong.stdout
    assert "WRONGtoken" not in wrong.stdout + wrong.stderr
    assert italian.returncode == 1
    assert "FAIL  URL pubblico: La porta 8080 dell'URL pubblico" in italian.stdout
    assert "      Cosa fare: " in italian.stdout


def test_doctor_cli_help(tmp_path):
    run = _doctor_cli("--help", token=TOKEN, cwd=tmp_path)

    assert run.returncode == 0
    assert "usage: quizkit doctor" in run.stdout
    assert "--public-url" in run.stdout


def test_doctor_cli_token_file_readable_by_others(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o644)

    run = _doctor_cli("--token-file", str(token_file), token="", cwd=tmp_path)

    assert run.returncode == 1
    assert f"has mode 0644, so other users of this machine can read or change it; run chmod 600 {token_file}" \
        in run.stderr
    assert TOKEN.split(":", 1)[1] not in run.stdout + run.stderr
