"""What a failed Bot API call means for quizkit, and how long to wait before trying it again.

| error (python-telegram-bot) | meaning | reaction |
| --- | --- | --- |
| RetryAfter (429) | flood limit | wait `retry_after` seconds, then retry |
| TimedOut, NetworkError other than BadRequest (5xx, dropped connection) | Telegram or the network failed | retry with back-off |
| Forbidden "bot was blocked by the user", "user is deactivated", "bot can't initiate conversation" | the participant left or never started the bot | mark them blocked, never retry |
| BadRequest "message is not modified" | an edit that changes nothing | count it as done |
| any other error (BadRequest, Forbidden in a channel, ...) | the call cannot succeed as it is | no quick retry; channel posts wait in the outbox |
"""

from __future__ import annotations

import enum

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

# Texts of the 403 errors that mean the user is gone, lower-cased (Telegram's "Forbidden: ..." descriptions).
GONE_USER_TEXTS = ("bot was blocked by the user", "user is deactivated", "bot can't initiate conversation")
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0


class ApiFailure(enum.Enum):
    """The classes of failed Bot API calls in the table above."""

    FLOOD = "flood"
    TRANSIENT = "transient"
    USER_GONE = "user_gone"
    NOT_MODIFIED = "not_modified"
    REJECTED = "rejected"


def classify(error: TelegramError) -> ApiFailure:
    """Return the class of a failed call's error."""
    text = error.message.lower()
    if isinstance(error, RetryAfter):
        return ApiFailure.FLOOD
    if isinstance(error, Forbidden) and any(gone in text for gone in GONE_USER_TEXTS):
        return ApiFailure.USER_GONE
    if isinstance(error, BadRequest):
        # python-telegram-bot capitalises the description: "Message is not modified: ...".
        return ApiFailure.NOT_MODIFIED if "message is not modified" in text else ApiFailure.REJECTED
    if isinstance(error, NetworkError):
        return ApiFailure.TRANSIENT
    return ApiFailure.REJECTED


def retry_after_s(error: RetryAfter) -> float:
    """Return the error's retry_after in seconds, whether python-telegram-bot gives an int or a timedelta."""
    value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def backoff_s(attempt: int) -> float:
    """Return the wait after failed attempt number `attempt` (from 1): 0.5 s, doubling, at most 30 s."""
    return min(BACKOFF_FIRST_S * 2 ** (attempt - 1), BACKOFF_MAX_S)
