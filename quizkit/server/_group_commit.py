"""Group commit for the webhook: the updates that arrive together are stored in one transaction.

Each webhook request hands its update to `GroupCommit.submit` with a function to call when it is
stored. The updates submitted before the event loop's next turn are stored together by
`UpdateProcessor.process_many`, with one commit, and only then is each function called with its
replies, so a 200 still means committed. When that transaction fails, every update in it gets
StorageFailed, and no other update does.

Under light load each group contains one update. Under heavy load the requests read during one turn
of the loop form a group, so the commit's cost is shared among them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from quizkit.model import Outgoing
from quizkit.server.processing import StorageFailed, UpdateProcessor

logger = logging.getLogger("quizkit.server")

# Called once per update with its replies, or with the StorageFailed that kept it from being stored.
Done = Callable[[list[Outgoing] | StorageFailed], None]


class GroupCommit:
    """Queue updates from concurrent requests and store each group in one transaction.

    Runs on the server's event loop thread only.
    """

    def __init__(self, processor: UpdateProcessor) -> None:
        self._processor = processor
        self._queued: list[tuple[dict, Done]] = []

    def submit(self, update: dict, done: Done) -> None:
        """Queue `update`; `done` gets its replies once the transaction that stores it has committed."""
        self._queued.append((update, done))
        if len(self._queued) == 1:
            asyncio.get_running_loop().call_soon(self._store_queued)

    def _store_queued(self) -> None:
        group, self._queued = self._queued, []
        try:
            results = self._processor.process_many([update for update, _ in group])
        except StorageFailed as error:
            for _, done in group:
                _call(done, StorageFailed(str(error)))
            return
        except BaseException as error:
            # A bug in the quiz rules' caller: fail the group's requests instead of leaving them waiting.
            for _, done in group:
                _call(done, StorageFailed(f"{type(error).__name__}: {error}"))
            raise
        for (_, done), replies in zip(group, results):
            _call(done, replies)


def _call(done: Done, outcome: list[Outgoing] | StorageFailed) -> None:
    # One failed response (its client gone, a bug) must not keep the others waiting.
    try:
        done(outcome)
    except Exception:  # noqa: BLE001 - logged, and the rest of the group still gets its responses
        logger.exception("Responding to a webhook request after the group commit failed")
