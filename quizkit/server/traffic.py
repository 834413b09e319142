"""Per-second counters of the updates a server handles, by kind, for live charts and summaries."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class TrafficSample:
    """Updates of one kind received during one whole second (Unix time)."""

    second: int
    kind: str
    count: int


class Traffic:
    """Count updates per second and kind, keeping the last `window_s` seconds.

    `count` is called on the server's event loop; `samples`, `rate` and `peak` may be called from
    any thread (a lock guards the buckets).
    """

    def __init__(self, window_s: int = 3600, clock=time.time) -> None:
        self._window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: deque[tuple[int, Counter[str]]] = deque()
        self._total = 0
        self._peak = 0
        self._returned_through = 0

    def count(self, kind: str) -> None:
        """Record one update of `kind` received now."""
        second = int(self._clock())
        with self._lock:
            if not self._buckets or self._buckets[-1][0] != second:
                self._buckets.append((second, Counter()))
                self._drop_older_than(second - self._window_s)
            counter = self._buckets[-1][1]
            counter[kind] += 1
            self._total += 1
            self._peak = max(self._peak, counter.total())

    def samples(self) -> list[TrafficSample]:
        """Return every recorded (second, kind, count), oldest first."""
        with self._lock:
            return [
                TrafficSample(second, kind, count)
                for second, counter in self._buckets
                for kind, count in sorted(counter.items())
            ]

    def take_completed(self, include_current: bool = False) -> list[TrafficSample]:
        """Return the samples of seconds that ended since the last call, for storing them once.

        With `include_current`, the running second is returned too, for a final flush at stop.
        Counts added to that second afterwards are never returned, so use it only once updates stopped.
        """
        now = int(self._clock())
        last = now if include_current else now - 1
        with self._lock:
            completed = [
                TrafficSample(second, kind, count)
                for second, counter in self._buckets
                if self._returned_through < second <= last
                for kind, count in sorted(counter.items())
            ]
            self._returned_through = max(self._returned_through, last)
        return completed

    def rate(self) -> int:
        """Return the updates counted in the last complete second."""
        last_second = int(self._clock()) - 1
        with self._lock:
            for second, counter in reversed(self._buckets):
                if second == last_second:
                    return counter.total()
                if second < last_second:
                    break
        return 0

    @property
    def peak(self) -> int:
        """The highest count of updates in one second so far."""
        return self._peak

    @property
    def total(self) -> int:
        """Every update counted since the server started."""
        return self._total

    def _drop_older_than(self, second: int) -> None:
        while self._buckets and self._buckets[0][0] < second:
            self._buckets.popleft()
