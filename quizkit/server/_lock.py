"""One server per event: an advisory file lock beside the database."""

from __future__ import annotations

import os
from pathlib import Path

from quizkit.errors import QuizkitError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


class EventAlreadyServed(QuizkitError):
    """Another server, in this process or another one, already serves the event."""


class EventLock:
    """Hold `<database>.event-<id>.lock` while a server runs, so a second server for the event fails.

    Two servers on one event would both send every channel post. The lock is released when the
    server stops, and by the operating system when its process dies, so a crash never leaves it held.
    NOTE: on Windows, where fcntl is missing, no lock is taken.
    """

    def __init__(self, database: str, event_id: int, event_name: str) -> None:
        self.path = Path(f"{database}.event-{event_id}.lock")
        self._event_name = event_name
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise EventAlreadyServed; an in-memory database needs no lock."""
        if fcntl is None or self._descriptor is not None or str(self.path).startswith(":memory:"):
            return
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise EventAlreadyServed(
                f"Another quizkit server already serves event {self._event_name!r} (lock {str(self.path)!r}); "
                "stop it before starting a new one, or every channel post would go out twice."
            ) from None
        self._descriptor = descriptor

    def release(self) -> None:
        """Release the lock; a no-op when it is not held."""
        if self._descriptor is None:
            return
        fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        os.close(self._descriptor)
        self._descriptor = None
