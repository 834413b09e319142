"""Play a simulated crowd in the background while a host rehearses with the panel's buttons.

The host launches and closes questions in any order and at any pace; the crowd follows. Launching
question n plays the answers and noise of the profile's question n; closing it plays its late
answers. `Crowd` plays one phase at a time from one thread, so the phases wait in a queue and one
worker thread plays them in order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from quizkit.emulator.crowd import Crowd

__all__ = ["CrowdRunner"]

logger = logging.getLogger(__name__)

_STOP = None


class CrowdRunner:
    """Run `crowd` in a worker thread: registration first, then the phases the host's actions ask for.

    While stopped, launches and closes are ignored, so a host can also rehearse with nobody
    answering. Stopping ends the phase that is playing (its remaining updates are not sent).
    `on_change` is called from the worker thread whenever `phase` changes.
    """

    def __init__(self, crowd: Crowd, on_change: Callable[[], None] | None = None) -> None:
        self.crowd = crowd
        self.phase: str | None = None
        self._on_change = on_change or (lambda: None)
        self._phases: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._registered = False
        self._played: set[tuple[str, int]] = set()

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> CrowdRunner:
        """Start the worker; the first start also plays the registrations. Does nothing while running."""
        if self.running:
            return self
        self._phases = queue.Queue()
        self.crowd.resume()
        if not self._registered:
            self._registered = True
            self._phases.put(("registration", -1, ""))
        self._thread = threading.Thread(target=self._work, args=(self._phases,), name="quizkit-crowd", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the phase playing now, drop the queued ones and join the worker.

        Dropped phases stay unplayed: question n's answers come again only if it is launched again
        while the crowd runs, which launching an open question does not do.
        """
        thread = self._thread
        if thread is None:
            return
        self.crowd.cancel()
        self._drop_queued()
        self._phases.put(_STOP)
        thread.join(timeout_s)
        self._thread = None

    def wait_idle(self, timeout_s: float = 60.0) -> bool:
        """Wait until every queued phase has played; return False on time-out."""
        deadline = time.monotonic() + timeout_s
        while self.running and self._phases.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def _drop_queued(self) -> None:
        while True:
            try:
                item = self._phases.get_nowait()
            except queue.Empty:
                return
            self._phases.task_done()
            if item is _STOP:
                continue
            self._played.discard((item[0], item[1]))
            if item[0] == "registration":
                self._registered = False

    def launched(self, number: int, code: str) -> None:
        """Play the answers to question `number` (1-based) under `code`, once, if the crowd runs."""
        self._enqueue("question", number, code)

    def closed(self, number: int, code: str) -> None:
        """Play the late answers to question `number`, once, if the crowd runs and played its answers."""
        if ("question", number) in self._played:
            self._enqueue("late", number, code)

    def _enqueue(self, kind: str, number: int, code: str) -> None:
        if not self.running or not 1 <= number <= len(self.crowd.questions) or (kind, number) in self._played:
            return
        self._played.add((kind, number))
        self._phases.put((kind, number, code))

    def _work(self, phases: queue.Queue) -> None:
        while (item := phases.get()) is not _STOP:
            kind, number, code = item
            self._set_phase(kind if number < 0 else f"{kind} {number}")
            try:
                self._play(kind, number, code)
            except Exception:  # noqa: BLE001 - a failed phase must not end the rehearsal
                logger.warning("The simulated crowd failed while playing %s %s", kind, number, exc_info=True)
            self._set_phase(None)
            phases.task_done()

    def _play(self, kind: str, number: int, code: str) -> None:
        if kind == "registration":
            self.crowd.register()
        elif kind == "question":
            self.crowd.play_question(number - 1, code)
        else:
            self.crowd.play_late(number - 1, code)

    def _set_phase(self, phase: str | None) -> None:
        self.phase = phase
        self._on_change()
