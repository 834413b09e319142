"""Mask secrets in every log record of the process, whichever logger or handler emits it.

python-telegram-bot and httpx put the bot token in request URLs, and python-telegram-bot's debug
lines show call parameters such as setWebhook's secret token. A filter on some handlers would
miss handlers added later, for example by a notebook, so quizkit wraps the log record factory
instead: the text of each record, its exception and its stack are masked when the record is made.

    hide_in_logs(token, masked_token(token))
"""

from __future__ import annotations

import logging
import threading
import traceback

__all__ = ["hide_in_logs", "mask_secrets"]

_lock = threading.Lock()
_masks: dict[str, str] = {}
# Longest first, so a secret that contains another is masked whole. Replaced whole, never changed,
# so readers in other threads need no lock.
_ordered: tuple[tuple[str, str], ...] = ()
_installed = False


def hide_in_logs(secret: str, mask: str = "***") -> None:
    """Replace `secret` with `mask` in every log record created from now on, in every thread.

    Idempotent; a secret stays hidden until the process ends. Secrets shorter than 8 characters
    are ignored, because masking them would garble ordinary words.
    """
    global _installed, _ordered
    if len(secret) < 8:
        return
    with _lock:
        _masks[secret] = mask
        _ordered = tuple(sorted(_masks.items(), key=lambda item: -len(item[0])))
        if not _installed:
            _wrap_record_factory()
            _installed = True


def mask_secrets(text: str) -> str:
    """Return `text` with every secret passed to `hide_in_logs` replaced by its mask."""
    for secret, mask in _ordered:
        if secret in text:
            text = text.replace(secret, mask)
    return text


def _wrap_record_factory() -> None:
    make_record = logging.getLogRecordFactory()

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _mask_record(record)
        return record

    logging.setLogRecordFactory(masked_record)


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is the handler's error to report, not ours
        message = str(record.msg)
    masked = mask_secrets(message)
    if masked != message:
        record.msg, record.args = masked, None

    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        masked = mask_secrets(text)
        if masked != text:
            # Formatters print exc_text when exc_info is empty, so the traceback still shows, masked.
            record.exc_info, record.exc_text = None, masked
    if record.stack_info:
        record.stack_info = mask_secrets(record.stack_info)
