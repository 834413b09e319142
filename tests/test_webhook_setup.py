"""setWebhook at start and the webhook at stop; a self-signed certificate for a server reached by IP address."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from cryptography import x509

from quizkit.certificate import CertificateError, ensure_self_signed, write_self_signed
from quizkit.emulator import SimUser
from quizkit.server import Server
from quizkit.server.server import ALLOWED_UPDATES, ServerStartFailed
from tests.conftest import TOKEN

ADA = SimUser(user_id=333000333, first_name="Ada", language_code="en")


def _webhook_info(emulator) -> dict:
    import httpx

    return httpx.post(f"{emulator.base_url}{TOKEN}/getWebhookInfo", trust_env=False).json()["result"]


def test_set_webhook_parameters_at_start(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, public_url="http://127.0.0.1:9/", rate_limit=False):
        pass
    call = emulator.calls(TOKEN, "setWebhook")[-1]["params"]

    assert call["url"] == "http://127.0.0.1:9/webhook"
    assert call["max_connections"] == 40
    assert call["allowed_updates"] == ALLOWED_UPDATES
    assert call["drop_pending_updates"] is False
    assert len(call["secret_token"]) >= 32
    assert "certificate" not in call


def test_set_webhook_timeout_names_the_call(engine, emulator):
    emulator.inject_fault(TOKEN, "timeout", method="setWebhook", delay_s=3)
    server = Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False, api_timeout_s=0.5)

    with pytest.raises(ServerStartFailed) as raised:
        server.start()

    assert str(raised.value).startswith("Server failed to start at setWebhook: TimedOut: Timed out. ")
    assert not server.running


def test_set_webhook_secret_random_per_start(engine, emulator):
    for _ in range(2):
        with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False):
            pass
    first, second = (call["params"]["secret_token"] for call in emulator.calls(TOKEN, "setWebhook"))

    assert first != second


def test_set_webhook_max_connections_setting(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, max_connections=7, rate_limit=False):
        info = _webhook_info(emulator)

    assert info["max_connections"] == 7


def test_pending_updates_kept_by_default(engine, emulator):
    engine.open_question(1)
    emulator.send_text(TOKEN, ADA, "/start RM1")
    emulator.send_text(TOKEN, ADA, "Rome")

    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False):
        assert emulator.wait_delivered(TOKEN, 20)

    assert engine.answer_count(1) == 1
    assert emulator.stats(TOKEN)["updates_dropped"] == 0


def test_pending_updates_dropped_when_asked(engine, emulator):
    engine.open_question(1)
    emulator.send_text(TOKEN, ADA, "/start RM1")
    emulator.send_text(TOKEN, ADA, "Rome")

    with Server(engine, TOKEN, api_url=emulator.base_url, drop_pending_updates=True, rate_limit=False):
        assert emulator.wait_delivered(TOKEN, 20)

    assert engine.answer_count(1) == 0
    assert emulator.stats(TOKEN)["updates_dropped"] == 2


def test_webhook_stays_after_stop(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, rate_limit=False) as server:
        url = server.webhook_url

    assert _webhook_info(emulator)["url"] == url
    assert emulator.calls(TOKEN, "deleteWebhook") == []


def test_webhook_deleted_on_stop_when_asked(engine, emulator):
    with Server(engine, TOKEN, api_url=emulator.base_url, delete_webhook_on_stop=True, rate_limit=False):
        pass
    emulator.send_text(TOKEN, ADA, "hello")

    assert _webhook_info(emulator)["url"] == ""
    assert emulator.calls(TOKEN, "deleteWebhook")[-1]["params"]["drop_pending_updates"] is False
    assert emulator.stats(TOKEN)["pending_update_count"] == 1


def test_self_signed_webhook_over_https(engine, emulator, tmp_path):
    files = write_self_signed("127.0.0.1", tmp_path / "cert.pem", tmp_path / "key.pem")
    engine.open_question(1)

    with Server(engine, TOKEN, api_url=emulator.base_url, certificate=files.pem, ssl_certfile=str(files.cert_path),
                ssl_keyfile=str(files.key_path), rate_limit=False) as server:
        emulator.send_text(TOKEN, ADA, "/start RM1")
        emulator.send_text(TOKEN, ADA, "Rome")
        assert emulator.wait_delivered(TOKEN, 20)
        info = _webhook_info(emulator)
        url = server.webhook_url
    upload = emulator.calls(TOKEN, "setWebhook")[-1]["params"]["certificate"]

    assert url.startswith("https://127.0.0.1:")
    assert info["has_custom_certificate"] is True
    assert "last_error_date" not in info
    assert upload["size"] == len(files.pem)
    assert engine.answer_count(1) == 1
    assert emulator.stats(TOKEN)["deliveries_failed"] == 0


def test_https_webhook_without_uploaded_certificate_fails(engine, emulator, tmp_path):
    files = write_self_signed("127.0.0.1", tmp_path / "cert.pem", tmp_path / "key.pem")

    with Server(engine, TOKEN, api_url=emulator.base_url, ssl_certfile=str(files.cert_path),
                ssl_keyfile=str(files.key_path), rate_limit=False):
        emulator.send_text(TOKEN, ADA, "hello")
        delivered = emulator.wait_delivered(TOKEN, 1.0)
        info = _webhook_info(emulator)

    assert delivered is False
    assert info["has_custom_certificate"] is False
    assert info["last_error_message"].startswith("SSL error")
    assert "CERTIFICATE_VERIFY_FAILED" in info["last_error_message"]


def test_certificate_for_ip_address(tmp_path):
    files = ensure_self_signed("203.0.113.7", tmp_path / "quiz.db")
    certificate = x509.load_pem_x509_certificate(files.pem)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert [str(address) for address in names.get_values_for_type(x509.IPAddress)] == ["203.0.113.7"]
    assert certificate.subject.rfc4514_string() == "CN=203.0.113.7"
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600
    assert files.cert_path.name == "quiz.db.webhook-cert.pem"


def test_certificate_reused_for_same_address(tmp_path):
    first = ensure_self_signed("203.0.113.7", tmp_path / "quiz.db")
    again = ensure_self_signed("203.0.113.7", tmp_path / "quiz.db")
    other = ensure_self_signed("198.51.100.9", tmp_path / "quiz.db")

    assert again.pem == first.pem
    assert other.pem != first.pem


@pytest.mark.parametrize("host", ["quiz.example.org", ""])
def test_certificate_rejects_host_name(tmp_path, host):
    with pytest.raises(CertificateError, match="--self-signed needs a public URL with an IP address"):
        ensure_self_signed(host, tmp_path / "quiz.db")


def _serve_self_signed(tmp_path, engine, public_url_args: list[str], language: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("LC_ALL", "LC_MESSAGES")}
    environment.update(QUIZKIT_BOT_TOKEN=TOKEN, LANG=language)
    return subprocess.run(
        [sys.executable, "-m", "quizkit", "serve", "--db", str(engine.store.path), "--event", "test-event",
         "--api-url", "http://127.0.0.1:9", "--self-signed", *public_url_args],
        env=environment, capture_output=True, text=True, timeout=60, cwd=tmp_path)


@pytest.mark.parametrize(("public_url_args", "language", "expected"), [
    ([], "C.UTF-8",
     "quizkit: --self-signed needs --public-url, the https:// URL with the IP address that Telegram reaches "
     "this machine at, but none was given; add --public-url https://IP:PORT, such as https://203.0.113.7:8443.\n"),
    ([], "it_IT.UTF-8",
     "quizkit: --self-signed richiede --public-url, l'URL https:// con l'indirizzo IP a cui Telegram raggiunge "
     "questo computer, ma non è stato indicato; aggiungete --public-url https://IP:PORTA, per esempio "
     "https://203.0.113.7:8443.\n"),
    (["--public-url", "http://203.0.113.7:8443"], "C.UTF-8",
     "quizkit: --self-signed needs an https:// public URL, but --public-url is 'http://203.0.113.7:8443'; "
     "give https://IP:PORT, such as https://203.0.113.7:8443.\n"),
    (["--public-url", "http://203.0.113.7:8443"], "it_IT.UTF-8",
     "quizkit: --self-signed richiede un URL pubblico https://, ma --public-url è 'http://203.0.113.7:8443'; "
     "indicate https://IP:PORTA, per esempio https://203.0.113.7:8443.\n"),
    (["--public-url", "https://quiz.example.org"], "it_IT.UTF-8",
     "quizkit: --self-signed richiede un URL pubblico con un indirizzo IP, per esempio https://203.0.113.7:8443, "
     "non 'quiz.example.org'; per un nome di dominio procuratevi invece un certificato da Let's Encrypt "
     "(Caddy lo fa per voi).\n"),
])
def test_serve_self_signed_url_errors(tmp_path, engine, public_url_args, language, expected):
    run = _serve_self_signed(tmp_path, engine, public_url_args, language)

    assert run.returncode == 1
    assert run.stderr == expected
    assert "got None" not in run.stderr
