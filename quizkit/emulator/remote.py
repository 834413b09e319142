"""Drive a Bot API emulator that runs in another process, through its /_emulator control endpoints.

    emulator = RemoteEmulator("http://127.0.0.1:8081")
    crowd = Crowd(emulator, token, profile="classroom", time_scale=0.05)
    crowd.register()

`RemoteEmulator` has the methods of `Emulator` that `Crowd` uses, so the crowd plays against another
process unchanged. It counts the updates it sent to each chat, so a test can check the bot's replies.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections import Counter
from dataclasses import asdict
from typing import Any

from quizkit.errors import QuizkitError
from quizkit.emulator.updates import SimUser

__all__ = ["RemoteEmulator", "RemoteEmulatorError", "loopback_root_url"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
REQUEST_TIMEOUT_S = 30.0
_MESSAGE_KINDS = ("message", "edited_message")


class RemoteEmulatorError(QuizkitError):
    """The remote emulator cannot be reached or rejected a control request."""


def loopback_root_url(api_url: str) -> str:
    """Return the emulator's root URL from an API URL with or without "/bot"; reject non-loopback hosts."""
    parsed = urllib.parse.urlsplit(api_url)
    if parsed.scheme != "http" or parsed.hostname not in LOOPBACK_HOSTS:
        raise RemoteEmulatorError(
            f"API URL {api_url!r} is not an http URL on 127.0.0.1 or localhost; the crowd only plays "
            "against a local emulator, such as the one `quizkit emulator` serves."
        )
    path = parsed.path.rstrip("/").removesuffix("/bot")
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


class RemoteEmulator:
    """A client of one emulator's control endpoints over one keep-alive HTTP connection.

    Not thread-safe, like `Crowd`: call it from one thread.
    """

    def __init__(self, api_url: str) -> None:
        self.url = loopback_root_url(api_url)
        parsed = urllib.parse.urlsplit(self.url)
        self._host = parsed.hostname
        self._port = parsed.port or 80
        self._prefix = parsed.path
        self._connection: http.client.HTTPConnection | None = None
        self.updates_per_chat: Counter[int] = Counter()

    def send_text(self, token: str, user: SimUser, text: str) -> int:
        """Send a text message from `user` in its private chat; return the update_id."""
        update_id = self._post(f"/_emulator/bot{token}/send_text", {"user": asdict(user), "text": text})
        self.updates_per_chat[user.user_id] += 1
        return update_id

    def send_update(self, token: str, payload: dict[str, Any]) -> int:
        """Queue an update payload without update_id; return the update_id."""
        update_id = self._post(f"/_emulator/bot{token}/send_update", payload)
        for kind in _MESSAGE_KINDS:
            if isinstance(payload.get(kind), dict):
                self.updates_per_chat[payload[kind]["chat"]["id"]] += 1
        return update_id

    def inject_fault(self, token: str, kind: str, **options: Any) -> None:
        """Make the bot's calls fail as `Emulator.inject_fault` does, with the same keyword options."""
        self._post(f"/_emulator/bot{token}/faults", {"kind": kind, **options})

    def clear_faults(self, token: str) -> int:
        """Remove the bot's injected faults; return how many were left."""
        return self._request("DELETE", f"/_emulator/bot{token}/faults")

    def block_bot(self, token: str, user: SimUser) -> int:
        """Let `user` block the bot, as `Emulator.block_bot` does; return the my_chat_member update_id."""
        return self._post(f"/_emulator/bot{token}/block", {"user": asdict(user)})

    def redeliver(self, token: str, update_ids: list[int]) -> int:
        """Queue delivered updates again under their old update_ids; return how many."""
        return self._post(f"/_emulator/bot{token}/redeliver", {"update_ids": list(update_ids)})

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Return the messages the bot sent to `chat_id`, oldest first."""
        return self._request("GET", f"/_emulator/chats/{chat_id}/messages")

    def wait_delivered(self, token: str, timeout_s: float) -> bool:
        """Wait until the bot acknowledged every queued update; return False on time-out."""
        return self._request("POST", f"/_emulator/bot{token}/wait_delivered?timeout={timeout_s}", {},
                             timeout_s=timeout_s + REQUEST_TIMEOUT_S)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("POST", path, body)

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 timeout_s: float = REQUEST_TIMEOUT_S) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            status, raw = self._exchange(method, self._prefix + path, data, headers, timeout_s)
        except (OSError, http.client.HTTPException) as error:
            raise RemoteEmulatorError(f"The emulator at {self.url} does not respond ({error}); is `quizkit emulator` running?") from None

        try:
            envelope = json.loads(raw)
        except ValueError:
            raise RemoteEmulatorError(f"The emulator at {self.url} sent a non-JSON response with HTTP {status}.") from None
        if not envelope.get("ok"):
            raise RemoteEmulatorError(f"The emulator rejected {method} {path.split('?')[0]}: "
                                      f"{envelope.get('error_code')} {envelope.get('description')}")
        return envelope["result"]

    def _exchange(self, method: str, path: str, data: bytes | None, headers: dict[str, str],
                  timeout_s: float) -> tuple[int, bytes]:
        # One retry on a fresh connection: the server may have closed the idle keep-alive connection.
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout_s)
            self._connection.timeout = timeout_s
            try:
                self._connection.request(method, path, body=data, headers=headers)
                response = self._connection.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def play_crowd(api_url: str, token: str, codes: list[str], profile: str = "classroom",
               participants: int | None = None, seed: int = 2016, time_scale: float = 1.0) -> dict[str, Any]:
    """Play registrations, then the in-time answers of each question in `codes`, against a remote emulator.

    `codes[i]` is the code of the profile's question i, which the host must have opened. Returns the
    crowd's counters, the updates sent per chat and each phase's timing.
    NOTE: late answers are not played, because this process cannot see when the host closes a question.
    """
    from quizkit.emulator.crowd import Crowd

    emulator = RemoteEmulator(api_url)
    try:
        crowd = Crowd(emulator, token, profile=profile, participants=participants, seed=seed, time_scale=time_scale)
        if not codes or len(codes) > len(crowd.questions):
            raise ValueError(
                f"Got {len(codes)} question codes; profile {crowd.profile.name!r} has {len(crowd.questions)} "
                "questions, so give 1 to that many codes in question order."
            )
        crowd.register()
        for index, code in enumerate(codes):
            crowd.play_question(index, code)
    finally:
        emulator.close()

    return {
        "counters": dict(crowd.counters),
        "updates_per_chat": {str(chat): count for chat, count in sorted(emulator.updates_per_chat.items())},
        "timings": [asdict(timing) for timing in crowd.timings],
    }
