"""Keep the server thread's log lines in the panel, out of whichever cell happens to be running.

In a Jupyter kernel, a log record that reaches no handler goes to `logging.lastResort`, which
writes to stderr, and the kernel shows stderr under the cell that runs at that moment. `LogBuffer`
takes the records of the loggers the server writes to, stops them from propagating further, and
keeps the last lines for the panel's log area.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field


__all__ = ["SERVER_LOGGERS", "LogBuffer"]

# Everything the server thread logs, with the lowest level the panel shows: quizkit's own lines from
# INFO; python-telegram-bot, its HTTP client and uvicorn (which serves the emulator in a rehearsal)
# from WARNING, because httpx logs every request at INFO, with the bot token in the URL.
SERVER_LOGGERS = {
    "quizkit": logging.INFO,
    "telegram": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "uvicorn": logging.WARNING,
    "uvicorn.error": logging.WARNING,
    "uvicorn.access": logging.WARNING,
}

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass
class _Taken:
    """A logger's own settings while buffers hold it, and the buffers that do."""

    propagate: bool
    level: int
    buffers: set = field(default_factory=set)


# Loggers that buffers hold now, by name; one lock for all, because panels attach from any thread.
_TAKEN: dict[str, _Taken] = {}
_TAKEN_LOCK = threading.Lock()


class LogBuffer(logging.Handler):
    """A handler that keeps the last `capacity` formatted lines; safe to use from any thread.

    `attach()` moves the records of `SERVER_LOGGERS` here, `detach()` gives them back. A record's
    exception, if any, is shortened to its last line, so a traceback cannot flood the panel. The bot
    token arrives masked already: a `Server` masks it in every log record of the process (see
    `quizkit.log_redaction`).
    """

    def __init__(self, capacity: int = 200) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter(_FORMAT, datefmt="%H:%M:%S"))
        self._lines: deque[str] = deque(maxlen=capacity)
        self._lines_lock = threading.Lock()
        self._written = 0
        self._names: tuple[str, ...] = ()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self._line(record)
        except Exception:  # noqa: BLE001 - a bad log call must not break the server thread
            self.handleError(record)
            return
        with self._lines_lock:
            self._lines.append(line)
            self._written += 1

    def lines(self) -> list[str]:
        """Return the kept lines, oldest first."""
        with self._lines_lock:
            return list(self._lines)

    @property
    def written(self) -> int:
        """How many lines were written so far, kept or not; it changes whenever a line arrives."""
        return self._written

    def attach(self, levels: dict[str, int] = SERVER_LOGGERS) -> LogBuffer:
        """Take the records of the loggers in `levels` from their level up; they reach this buffer only.

        Several buffers may be attached at once, one per panel: each gets every record, and the
        loggers get their settings back when the last one detaches.
        """
        with _TAKEN_LOCK:
            for name, level in levels.items():
                logger = logging.getLogger(name)
                holders = _TAKEN.setdefault(name, _Taken(logger.propagate, logger.level))
                holders.buffers.add(self)
                logger.addHandler(self)
                logger.propagate = False
                logger.setLevel(level)
            self._names = tuple(levels)
        return self

    def detach(self) -> None:
        """Stop taking records; the last buffer to detach gives the loggers back their settings."""
        with _TAKEN_LOCK:
            for name in self._names:
                logger = logging.getLogger(name)
                logger.removeHandler(self)
                taken = _TAKEN.get(name)
                if taken is None:
                    continue
                taken.buffers.discard(self)
                if not taken.buffers:
                    logger.propagate = taken.propagate
                    logger.setLevel(taken.level)
                    del _TAKEN[name]
            self._names = ()

    def _line(self, record: logging.LogRecord) -> str:
        exc_info, record.exc_info, record.exc_text = record.exc_info, None, None
        try:
            line = self.format(record)
        finally:
            record.exc_info = exc_info
        if exc_info and exc_info[1] is not None:
            line += f" ({type(exc_info[1]).__name__}: {exc_info[1]})"
        return line
