"""A rehearsal in the notebook: the emulator, a simulated crowd and a running host, in one call.

    rehearsal = start_rehearsal("quizkit-rehearsal.db", profile="codeweek2016", time_scale=5)
    panel = Panel(rehearsal.host, language="it", crowd=rehearsal.crowd)
    ...
    panel.stop()
    rehearsal.stop()

Nothing leaves the machine: the bot talks to the local Bot API emulator, and the crowd answers the
questions the host launches from the panel, at the pace of the profile stretched by `time_scale`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quizkit.emulator import Emulator
from quizkit.emulator.crowd import Crowd
from quizkit.host import Host
from quizkit.notebook.crowd_runner import CrowdRunner
from quizkit.rehearsal import (
    REHEARSAL_CHANNEL_ID,
    REHEARSAL_TOKEN,
    create_rehearsal_event,
    rehearsal_emulator,
    rehearsal_event_name,
)
from quizkit.store import Store

__all__ = ["Rehearsal", "start_rehearsal"]


@dataclass
class Rehearsal:
    """The parts of a running rehearsal; `stop()` ends them in order."""

    emulator: Emulator
    store: Store
    host: Host
    crowd: CrowdRunner

    def channel_posts(self) -> list[str]:
        """Return the texts the bot posted to the rehearsal channel, oldest first."""
        return [message.get("text", "") for message in self.emulator.messages(REHEARSAL_CHANNEL_ID)]

    def wait(self, timeout_s: float = 120.0) -> None:
        """Wait until the crowd has played what it was asked to and the bot received every update.

        Raises TimeoutError, naming what was still missing, after `timeout_s`.
        """
        if not self.crowd.wait_idle(timeout_s):
            raise TimeoutError(f"The simulated crowd was still playing {self.crowd.phase!r} after {timeout_s} s.")
        if not self.emulator.wait_delivered(REHEARSAL_TOKEN, timeout_s):
            raise TimeoutError(f"The bot had not received every update of the simulated crowd after {timeout_s} s.")

    def stop(self) -> None:
        """Stop the crowd, then the server (which sends the posts it holds), then the emulator."""
        self.crowd.stop()
        self.host.stop()
        self.emulator.stop()
        self.store.close()


def start_rehearsal(db_path: str | Path, profile: str = "codeweek2016", language: str = "it",
                    transport: str = "webhook", time_scale: float = 1.0, participants: int | None = None,
                    seed: int = 2016) -> Rehearsal:
    """Start the emulator and a host on a new event with the profile's questions; the crowd waits.

    Start the crowd with `rehearsal.crowd.start()` or the panel's button: it registers first, then
    answers each question as it is launched.
    """
    emulator = rehearsal_emulator()
    store = None
    try:
        crowd = Crowd(emulator, REHEARSAL_TOKEN, profile=profile, participants=participants, seed=seed,
                      time_scale=time_scale)
        store = Store(db_path)
        engine = create_rehearsal_event(store, rehearsal_event_name(profile), crowd, language)
        host = Host(engine, REHEARSAL_TOKEN, api_url=emulator.base_url, transport=transport, rate_limit=False)
        host.start()
    except BaseException:
        if store is not None:
            store.close()
        emulator.stop()
        raise
    return Rehearsal(emulator, store, host, CrowdRunner(crowd))
