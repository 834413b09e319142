"""Bot API errors as the emulator returns them: an HTTP status equal to `error_code` and Telegram's text."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A failed Bot API call, with Telegram's error code, description and optional retry_after."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """Return Telegram's error envelope for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """Return a 400 whose description starts with "Bad Request: ", as Telegram's do."""
    return ApiError(400, f"Bad Request: {detail}")


def conflict(detail: str) -> ApiError:
    """Return a 409 whose description starts with "Conflict: "."""
    return ApiError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """Return a 429 with `parameters.retry_after`, which python-telegram-bot turns into RetryAfter."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def unauthorized() -> ApiError:
    """Return the 401 that Telegram sends for a well-formed token that belongs to no bot."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """Return the 404 that Telegram sends for an unknown method or a malformed token."""
    return ApiError(404, "Not Found")


def blocked_by_user() -> ApiError:
    """Return the 403 that Telegram sends for a message to a user who blocked the bot."""
    return ApiError(403, "Forbidden: bot was blocked by the user")
