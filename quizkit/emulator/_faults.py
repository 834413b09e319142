"""Injected Bot API failures: the errors Telegram returns now and then, on demand, per method and per chat.

A `Fault` makes matching calls over HTTP fail `count` times (or until cleared, with count None):

| kind | what the bot gets |
| --- | --- |
| flood | 429 "Too Many Requests: retry after N" with parameters.retry_after N |
| server_error | `status` (default 500) with Telegram's text for it, such as "Internal Server Error" |
| timeout | no response for `delay_s` seconds, then 504 "Gateway Timeout"; the call is not executed |
| disconnect | a response cut off after its first bytes: the connection drops mid-body |
| blocked | 403 "Forbidden: bot was blocked by the user" |
| chat_not_found | 400 "Bad Request: chat not found" |
| no_rights | 400 "Bad Request: need administrator rights in the channel chat" |
| not_modified | 400 "Bad Request: message is not modified: ..." |

Methods in a webhook response body never fail this way, because the bot could not see the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quizkit.emulator._errors import ApiError, bad_request, blocked_by_user, too_many_requests
from quizkit.emulator._methods import NOT_MODIFIED

FAULT_KINDS = (
    "flood", "server_error", "timeout", "disconnect", "blocked", "chat_not_found", "no_rights", "not_modified",
)  # fmt: skip
SERVER_ERROR_TEXTS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                      504: "Gateway Timeout"}
NO_RIGHTS = "need administrator rights in the channel chat"


class ConnectionDropped(Exception):
    """Raised after a cut-off response, so the server closes the connection; the emulator logs nothing for it."""


@dataclass
class Fault:
    """One injected failure; `method` None matches every method and `chat_id` None every chat."""

    kind: str
    method: str | None = None
    chat_id: int | None = None
    count: int | None = 1
    retry_after: int = 1
    delay_s: float = 5.0
    status: int = 500

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind {self.kind!r}; use one of {', '.join(FAULT_KINDS)}.")
        if self.count is not None and (type(self.count) is not int or self.count < 1):
            raise ValueError(f"Fault count {self.count!r} must be a positive integer, or None for every call.")
        if self.kind == "server_error" and self.status not in SERVER_ERROR_TEXTS:
            raise ValueError(f"Server error status {self.status!r} must be one of {sorted(SERVER_ERROR_TEXTS)}.")
        if type(self.retry_after) is not int or self.retry_after < 1:
            raise ValueError(f"retry_after {self.retry_after!r} must be a whole number of seconds, at least 1.")

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        """Return the error for the kinds that respond at once (all but timeout and disconnect)."""
        if self.kind == "flood":
            return too_many_requests(self.retry_after)
        if self.kind in ("server_error", "timeout"):
            status = 504 if self.kind == "timeout" else self.status
            return ApiError(status, SERVER_ERROR_TEXTS[status])
        if self.kind == "blocked":
            return blocked_by_user()
        if self.kind == "chat_not_found":
            return bad_request("chat not found")
        if self.kind == "no_rights":
            return bad_request(NO_RIGHTS)
        return bad_request(NOT_MODIFIED)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "method": self.method, "chat_id": self.chat_id, "count": self.count,
                "retry_after": self.retry_after, "delay_s": self.delay_s, "status": self.status}


def take_fault(faults: list[Fault], method: str, chat_id: int | None) -> Fault | None:
    """Return the first fault that matches the call and use up one of its count; the caller holds the world lock."""
    for fault in faults:
        if not fault.matches(method, chat_id):
            continue
        if fault.count is not None:
            fault.count -= 1
            if fault.count == 0:
                faults.remove(fault)
        return fault
    return None
