"""Checks of what commonly breaks on event day, as structured results for the CLI and the host panel.

    results = run_doctor(DoctorSettings(token=token, channel_id=-1001234567890,
                                        public_url="https://quiz.example.org", db_path=Path("quiz.db")))
    for result in results:
        print(result.status.value, result.check, result.message, result.fix)

The checks run in this order:
- token: its format, then getMe;
- webhook: getWebhookInfo, failing on a delivery error of the last hour;
- channel: the bot is an administrator that can post and edit messages;
- public_url: HTTPS, a port Telegram delivers to, a valid secret token;
- database: writable, with free disk space;
- transport: not polling and a webhook at once.
Checks that need a working token are skipped when it fails.
Messages are in Italian or English; the token only ever appears masked.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError

from quizkit._doctor_texts import RIGHTS, TEXTS, format_age, format_bytes
from quizkit.bot.telegram import make_bot, masked_token
from quizkit.bot_token import is_well_formed
from quizkit.log_redaction import hide_in_logs, mask_secrets

__all__ = ["CheckResult", "DoctorSettings", "Status", "diagnose", "run_doctor"]

# The ports Telegram delivers webhook updates to, over HTTPS.
WEBHOOK_PORTS = (443, 80, 88, 8443)
# A delivery error younger than this means the webhook is failing now, not at some earlier setup.
RECENT_ERROR_S = 3600
# An event of a thousand participants fills a few MB; the margin covers SQLite's WAL and exports.
MIN_FREE_BYTES = 100 * 1024**2
# NOTE: Telegram may let an administrator edit its own channel posts without can_edit_messages; the
# check requires both rights anyway, because the announcements and live counts are edits.
REQUIRED_RIGHTS = ("can_post_messages", "can_edit_messages")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Status(str, enum.Enum):
    """Outcome of one check: OK, FAIL, or SKIP when it could not run or does not apply."""

    OK = "OK"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: what was found (`message`), what to do (`fix`, on FAIL) and the raw facts."""

    check: str
    label: str
    status: Status
    message: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DoctorSettings:
    """The settings `quizkit serve` would run with; `api_url` is the Bot API root, without "/bot"."""

    token: str
    api_url: str = "https://api.telegram.org"
    language: str = "en"
    channel_id: int | None = None
    transport: str = "webhook"
    public_url: str | None = None
    secret_token: str | None = None
    self_signed: bool = False
    db_path: str | Path | None = None
    min_free_bytes: int = MIN_FREE_BYTES


def run_doctor(settings: DoctorSettings) -> list[CheckResult]:
    """Run every check and return the results in order; blocks, so call `diagnose` from async code."""
    return asyncio.run(diagnose(settings))


async def diagnose(settings: DoctorSettings) -> list[CheckResult]:
    """Run every check on the running event loop and return the results in order."""
    hide_in_logs(settings.token, masked_token(settings.token))
    checker = _Checker(settings)
    return await checker.run()


class _Checker:
    def __init__(self, settings: DoctorSettings) -> None:
        self.settings = settings
        self.texts = TEXTS.get(settings.language, TEXTS["en"])
        self.username = ""
        self.bot_id = 0

    def result(self, check: str, status: Status, key: str, fix: bool = False, details: dict | None = None,
               **values: Any) -> CheckResult:
        values = {name: mask_secrets(str(value)) if isinstance(value, str) else value
                  for name, value in values.items()}
        message = self.texts[key].format(**values)
        fix_text = self.texts[f"{key}.fix"].format(**values) if fix else None
        return CheckResult(check, self.texts[f"label.{check}"], status, message, fix_text, details or {})

    async def run(self) -> list[CheckResult]:
        settings = self.settings
        base_url = settings.api_url.rstrip("/").removesuffix("/bot") + "/bot"
        results = []
        bot = make_bot(settings.token, base_url, rate_limit=False)
        try:
            token = await self.token(bot)
            results.append(token)
            if token.status is Status.OK:
                info = await self.webhook_info(bot)
                results += [info[0], await self.channel(bot)]
            else:
                info = (None, None)
                results += [self.skipped("webhook"), self.skipped("channel")]
        finally:
            await _close(bot, initialized=bool(self.username))
        results.append(self.public_url())
        results.append(self.database())
        results.append(self.transport(info[1], skipped=token.status is not Status.OK))
        return results

    def skipped(self, check: str) -> CheckResult:
        return CheckResult(check, self.texts[f"label.{check}"], Status.SKIP, self.texts["skipped.token"])

    # The token and the Bot API

    async def token(self, bot) -> CheckResult:
        masked = masked_token(self.settings.token)
        if not is_well_formed(self.settings.token):
            return self.result("token", Status.FAIL, "token.format", fix=True, masked=masked)
        try:
            await bot.initialize()
        except InvalidToken as error:
            # initialize() wraps the Bot API's own error ("Unauthorized"), which is the one to show.
            cause = error.__cause__ if isinstance(error.__cause__, TelegramError) else error
            return self.result("token", Status.FAIL, "token.rejected", fix=True, masked=masked, error=cause.message)
        except TelegramError as error:
            return self.api_failure("token", "getMe", error)
        self.username, self.bot_id = bot.username, bot.id
        return self.result("token", Status.OK, "token.ok", username=self.username, bot_id=self.bot_id,
                           details={"username": self.username, "bot_id": self.bot_id})

    def api_failure(self, check: str, method: str, error: TelegramError) -> CheckResult:
        if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
            return self.result(check, Status.FAIL, "api.unreachable", fix=True, url=self.settings.api_url,
                               error=error.message)
        return self.result(check, Status.FAIL, "api.failed", fix=True, method=method, error=error.message)

    async def webhook_info(self, bot) -> tuple[CheckResult, str | None]:
        try:
            info = await bot.get_webhook_info()
        except TelegramError as error:
            return self.api_failure("webhook", "getWebhookInfo", error), None

        details = {
            "url": info.url,
            "pending_update_count": info.pending_update_count,
            "max_connections": info.max_connections,
            "has_custom_certificate": info.has_custom_certificate,
            "ip_address": info.ip_address,
            "last_error_date": info.last_error_date.timestamp() if info.last_error_date else None,
            "last_error_message": info.last_error_message,
        }
        certificate = self.texts["yes" if info.has_custom_certificate else "no"]
        if info.url:
            result = self.result("webhook", Status.OK, "webhook.set", details=details, url=info.url,
                                 pending=info.pending_update_count, max_connections=info.max_connections,
                                 certificate=certificate)
        else:
            result = self.result("webhook", Status.OK, "webhook.none", details=details,
                                 pending=info.pending_update_count)
        if info.last_error_date is None:
            return result, info.url or None

        age_s = max(time.time() - info.last_error_date.timestamp(), 0.0)
        details["last_error_age_s"] = round(age_s)
        age = format_age(age_s, self.settings.language)
        if age_s < RECENT_ERROR_S:
            failed = self.result("webhook", Status.FAIL, "webhook.recent_error", fix=True, details=details,
                                 age=age, error=info.last_error_message or "", url=info.url)
            message = f"{result.message} {failed.message}"
            return CheckResult("webhook", failed.label, Status.FAIL, message, failed.fix, details), info.url or None
        note = self.texts["webhook.old_error"].format(age=age, error=info.last_error_message or "")
        return CheckResult("webhook", result.label, Status.OK, result.message + note, None, details), info.url or None

    async def channel(self, bot) -> CheckResult:
        channel = self.settings.channel_id
        if channel is None:
            return self.result("channel", Status.SKIP, "channel.none")
        try:
            member = await bot.get_chat_member(channel, self.bot_id)
        except (BadRequest, Forbidden) as error:
            return self.result("channel", Status.FAIL, "channel.not_found", fix=True, channel=channel,
                               error=error.message, username=self.username)
        except TelegramError as error:
            return self.api_failure("channel", "getChatMember", error)

        details = {"status": member.status}
        if member.status == "creator":
            return self.result("channel", Status.OK, "channel.ok", details=details, channel=channel)
        if member.status != "administrator":
            return self.result("channel", Status.FAIL, "channel.not_admin", fix=True, details=details,
                               channel=channel, member_status=member.status, username=self.username)

        missing = [right for right in REQUIRED_RIGHTS if not getattr(member, right, False)]
        details.update({right: bool(getattr(member, right, False)) for right in REQUIRED_RIGHTS})
        if missing:
            names = ", ".join(RIGHTS[self.settings.language][right] for right in missing)
            return self.result("channel", Status.FAIL, "channel.missing_rights", fix=True, details=details,
                               channel=channel, rights=names, username=self.username)
        return self.result("channel", Status.OK, "channel.ok", details=details, channel=channel)

    # Local configuration

    def public_url(self) -> CheckResult:
        settings = self.settings
        if settings.transport == "polling":
            return self.result("public_url", Status.SKIP, "public_url.polling")
        if not settings.public_url:
            return self.result("public_url", Status.FAIL, "public_url.missing", fix=True)

        url = settings.public_url
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port, parts = None, urlsplit("")
        if not parts.hostname:
            return self.result("public_url", Status.FAIL, "public_url.invalid", fix=True, url=url)
        if parts.scheme != "https":
            return self.result("public_url", Status.FAIL, "public_url.not_https", fix=True, url=url,
                               scheme=parts.scheme)
        port = port or 443
        if port not in WEBHOOK_PORTS:
            return self.result("public_url", Status.FAIL, "public_url.port", fix=True, port=port)
        if settings.self_signed and not _is_ip_address(parts.hostname):
            return self.result("public_url", Status.FAIL, "public_url.self_signed_host", fix=True,
                               host=parts.hostname)
        if settings.secret_token is not None and not _SECRET_TOKEN.fullmatch(settings.secret_token):
            return self.result("public_url", Status.FAIL, "public_url.secret_invalid", fix=True)
        secret = self.texts["secret.random" if settings.secret_token is None else "secret.given"]
        return self.result("public_url", Status.OK, "public_url.ok", url=url, port=port, secret=secret,
                           details={"url": url, "port": port})

    def database(self) -> CheckResult:
        if self.settings.db_path is None:
            return self.result("database", Status.SKIP, "database.none")
        path = Path(self.settings.db_path)
        folder = path.resolve().parent
        if not folder.is_dir():
            return self.result("database", Status.FAIL, "database.folder", fix=True, folder=folder)
        try:
            _try_write(path)
        except (OSError, sqlite3.Error) as error:
            return self.result("database", Status.FAIL, "database.not_writable", fix=True, path=path, error=error)

        free = shutil.disk_usage(folder).free
        details = {"path": str(path), "free_bytes": free}
        if free < self.settings.min_free_bytes:
            return self.result("database", Status.FAIL, "database.disk_full", fix=True, details=details,
                               free=format_bytes(free), folder=folder,
                               needed=format_bytes(self.settings.min_free_bytes))
        return self.result("database", Status.OK, "database.ok", details=details, path=path,
                           free=format_bytes(free))

    def transport(self, webhook_url: str | None, skipped: bool) -> CheckResult:
        settings = self.settings
        if settings.transport == "polling" and settings.public_url:
            return self.result("transport", Status.FAIL, "transport.both", fix=True)
        if settings.transport == "polling" and webhook_url:
            return self.result("transport", Status.FAIL, "transport.webhook_set", fix=True, url=webhook_url)
        details = {"transport": settings.transport, "webhook_checked": not skipped}
        return self.result("transport", Status.OK, f"transport.ok.{settings.transport}", details=details)


async def _close(bot, initialized: bool) -> None:
    # A failed initialize() leaves the bot uninitialised, so shutdown() would skip the open connection.
    if initialized:
        await bot.shutdown()
    else:
        await bot.request.shutdown()


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _try_write(path: Path) -> None:
    """Take SQLite's write lock on an existing database, or create and delete a file beside a new one."""
    if not path.exists():
        with tempfile.NamedTemporaryFile(dir=path.resolve().parent, prefix=".quizkit-doctor-"):
            return
    connection = sqlite3.connect(path, timeout=5.0)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    finally:
        connection.close()
