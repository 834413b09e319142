"""Simulated flood limits: a 429 with retry_after when a bot sends faster than Telegram allows.

Telegram documents its limits only roughly: about one message per second in a private chat, 20
per minute in a group or channel, and 30 per second for the whole bot. The emulator turns them
into sliding windows, which is stricter than Telegram's real behaviour in one way: Telegram
tolerates short bursts in a private chat, and these windows do not.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """At most `limit` messages in any `seconds`-long interval."""

    limit: int
    seconds: float


PRIVATE_CHAT = Window(1, 1.0)
GROUP_OR_CHANNEL = Window(20, 60.0)
WHOLE_BOT = Window(30, 1.0)


class FloodLimiter:
    """Sliding-window counters per (bot, chat) and per bot. They are not thread-safe, so callers hold the world lock."""

    def __init__(self) -> None:
        self._sent: dict[tuple[str, int | None], deque[float]] = defaultdict(deque)

    def admit(self, token: str, chat_id: int, chat_type: str, now: float) -> int | None:
        """Record one message and return None, or return the retry_after seconds of a 429 and record nothing."""
        chat_window = PRIVATE_CHAT if chat_type == "private" else GROUP_OR_CHANNEL
        checks = ((token, chat_id), chat_window), ((token, None), WHOLE_BOT)

        waits = [self._wait(key, window, now) for key, window in checks]
        retry_after = max(waits)
        if retry_after > 0:
            return max(1, math.ceil(retry_after))

        for key, _ in checks:
            self._sent[key].append(now)
        return None

    def _wait(self, key: tuple[str, int | None], window: Window, now: float) -> float:
        sent = self._sent[key]
        while sent and sent[0] <= now - window.seconds:
            sent.popleft()
        if len(sent) < window.limit:
            return 0.0
        return sent[0] + window.seconds - now
