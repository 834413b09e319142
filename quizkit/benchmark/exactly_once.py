"""Check in the database that every answer the load generator saw acknowledged is stored exactly once."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class AnswerCheck:
    """Acknowledged answers against the rows of the answers table.

    `lost` counts acknowledged answers without a row, `duplicated` those with more than one row.
    `stored_unacknowledged` counts rows whose 200 the generator never read: requests in flight when
    it stopped. Telegram would deliver those again, and the server would drop them as duplicates.
    """

    acknowledged: int
    rows: int
    lost: int
    duplicated: int
    stored_unacknowledged: int

    @property
    def exactly_once(self) -> bool:
        return self.lost == 0 and self.duplicated == 0

    def as_dict(self) -> dict:
        return {**asdict(self), "exactly_once": self.exactly_once}


def check_answers(db_path: Path, acknowledged_update_ids: list[int], update_ids: range | None = None) -> AnswerCheck:
    """Compare `acknowledged_update_ids` with the answers stored in `db_path`.

    `update_ids`, when given, limits the rows to that range, for one run of several on one database.
    """
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT update_id FROM answers").fetchall()
    finally:
        connection.close()

    stored = Counter(update_id for (update_id,) in rows if update_ids is None or update_id in update_ids)
    acknowledged = set(acknowledged_update_ids)
    lost = sum(1 for update_id in acknowledged if stored[update_id] == 0)
    duplicated = sum(1 for update_id in acknowledged if stored[update_id] > 1)
    duplicated += len(acknowledged_update_ids) - len(acknowledged)
    unacknowledged = sum(1 for update_id in stored if update_id not in acknowledged)
    return AnswerCheck(len(acknowledged_update_ids), sum(stored.values()), lost, duplicated, unacknowledged)
