"""Group commit for the webhook: the updates that arrive together are stored in one transaction.

Each webhook request hands its update to `GroupCommit.process` and waits. The updates queued
before the event loop's next turn are stored together by `UpdateProcessor.process_many`, with one
commit, and only then does each request get its replies, so a 200 still means committed. When that
transaction fails, every update in it fails with StorageFailed, and no other update does.

Under light load each group contains one update. Under heavy load the requests read during one turn
of the loop form a group, so the commit's cost is shared among them.
"""

from __future__ import annotations

import asyncio

from quizkit.model import Outgoing
from quizkit.server.processing import StorageFailed, UpdateProcessor


class GroupCommit:
    """Queue updates from concurrent requests and store each group in one transaction.

    Runs on the server's event loop thread only.
    """

    def __init__(self, processor: UpdateProcessor) -> None:
        self._processor = processor
        self._queued: list[tuple[dict, asyncio.Future]] = []

    async def process(self, update: dict) -> list[Outgoing]:
        """Return the replies to `update` once the transaction that stores it has committed.

        Raises StorageFailed when that transaction failed.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queued.append((update, future))
        if len(self._queued) == 1:
            loop.call_soon(self._store_queued)
        return await future

    def _store_queued(self) -> None:
        group, self._queued = self._queued, []
        try:
            results = self._processor.process_many([update for update, _ in group])
        except StorageFailed as error:
            for _, future in group:
                _settle(future, exception=StorageFailed(str(error)))
            return
        except BaseException as error:
            # A bug in the quiz rules' caller: fail the group's requests instead of leaving them waiting.
            for _, future in group:
                _settle(future, exception=StorageFailed(f"{type(error).__name__}: {error}"))
            raise
        for (_, future), replies in zip(group, results):
            _settle(future, result=replies)


def _settle(future: asyncio.Future, *, result: list[Outgoing] | None = None,
            exception: BaseException | None = None) -> None:
    # The future of a request task that was cancelled, for example at shutdown, takes no result.
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
