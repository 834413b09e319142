"""The bot token: read from QUIZKIT_BOT_TOKEN or a private file, and masked in every log record."""

from __future__ import annotations

import logging

import pytest

from quizkit.bot_token import is_well_formed, read_bot_token
from quizkit.errors import TokenError
from quizkit.log_redaction import hide_in_logs, mask_secrets

SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TOKEN = f"4839574812:{SECRET}"


def _token_file(tmp_path, text: str = TOKEN + "\n", mode: int = 0o600):
    path = tmp_path / "bot-token"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_token_from_environment():
    assert read_bot_token(environ={"QUIZKIT_BOT_TOKEN": f" {TOKEN}\n"}) == TOKEN


def test_token_missing_everywhere():
    with pytest.raises(TokenError, match="No bot token: set the QUIZKIT_BOT_TOKEN environment variable, or pass "
                                         "--token-file PATH"):
        read_bot_token(environ={})


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_token_from_private_file(tmp_path, mode):
    assert read_bot_token(_token_file(tmp_path, mode=mode), environ={"QUIZKIT_BOT_TOKEN": "1:other"}) == TOKEN


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o620])
def test_token_file_readable_by_others_rejected(tmp_path, mode):
    path = _token_file(tmp_path, mode=mode)

    with pytest.raises(TokenError) as error:
        read_bot_token(path)

    assert f"has mode {mode:04o}, so other users of this machine can read or change it" in str(error.value)
    assert f"run chmod 600 {path}" in str(error.value)
    assert SECRET not in str(error.value)


def test_token_file_missing(tmp_path):
    with pytest.raises(TokenError, match="not found; write the token from @BotFather into it and run chmod 600"):
        read_bot_token(tmp_path / "nothing")


def test_token_file_folder(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o700)

    with pytest.raises(TokenError, match="is not a regular file"):
        read_bot_token(folder)


def test_token_file_empty(tmp_path):
    with pytest.raises(TokenError, match="is empty; write the token"):
        read_bot_token(_token_file(tmp_path, "\n"))


def test_token_file_two_words(tmp_path):
    with pytest.raises(TokenError) as error:
        read_bot_token(_token_file(tmp_path, f"QUIZKIT_BOT_TOKEN= {TOKEN}\n"))

    assert "contains more than one word; keep only the token in it" in str(error.value)
    assert SECRET not in str(error.value)


def test_token_file_too_large(tmp_path):
    with pytest.raises(TokenError, match="has 5000 bytes, too many for a bot token"):
        read_bot_token(_token_file(tmp_path, "x" * 5000))


@pytest.mark.parametrize("token, expected", [
    (TOKEN, True),
    ("123:" + "a" * 30, True),
    ("123456:short", False),
    (SECRET, False),
    ("abc:" + "a" * 35, False),
    (TOKEN + " ", False),
    ("123456:" + "a" * 34 + "!", False),
])
def test_token_format(token, expected):
    assert is_well_formed(token) is expected


def test_hidden_secret_masked_in_records_and_tracebacks():
    hide_in_logs(TOKEN, "4839574812:***")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("tests.redaction")
    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
        except RuntimeError:
            logger.exception("start failed")
    finally:
        logger.removeHandler(handler)
    formatted = [logging.Formatter().format(record) for record in records]

    assert formatted[0] == "POST https://api.telegram.org/bot4839574812:***/getMe"
    assert "The token `4839574812:***` was rejected" in formatted[1]
    assert all(SECRET not in text for text in formatted)
    assert records[1].exc_info is None


def test_short_secret_not_hidden():
    hide_in_logs("abc")

    assert mask_secrets("abc abcdef") == "abc abcdef"
