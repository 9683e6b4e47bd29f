"""Rows the SharePoint store still owes the lists, kept on this instance's disk until written.

When a decision's own update is in but the rows that follow it (the decision record, the
notifications) were throttled past the click's time budget, the click answers at once and
those rows are written here first, then to SharePoint in the background, honouring
`Retry-After`. Each row has a unique key in its list, so writing one twice leaves one row:
a retry after a crash cannot duplicate anything, and nothing waits only in memory.
Without a path (tests, tools) the queue lives in memory.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.adapters.sqlite_thread import run_once

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_rows (
    list_key TEXT NOT NULL,
    key_value TEXT NOT NULL,
    fields TEXT NOT NULL,
    PRIMARY KEY (list_key, key_value)
);
"""

T = TypeVar("T")


@dataclass(frozen=True)
class PendingRow:
    list_key: str  # a key of sharepoint_schema.LISTS_BY_KEY
    key_value: str  # the value of the list's unique column
    fields: dict[str, Any]


class PendingWrites:
    def __init__(self, path: str | Path | None = None) -> None:
        self._path = str(path) if path else None
        self._memory: dict[tuple[str, str], PendingRow] = {}

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Open, work, commit, close: one trip to a worker thread (the file is touched rarely)."""
        assert self._path is not None
        return await asyncio.to_thread(run_once, self._path, SCHEMA, work)

    async def put(self, rows: list[PendingRow]) -> None:
        if self._path is None:
            self._memory.update({(r.list_key, r.key_value): r for r in rows})
            return
        values = [(r.list_key, r.key_value, json.dumps(r.fields)) for r in rows]
        await self._run(lambda db: db.executemany("INSERT OR REPLACE INTO pending_rows VALUES (?, ?, ?)", values))

    async def waiting(self) -> list[PendingRow]:
        if self._path is None:
            return list(self._memory.values())
        rows = await self._run(lambda db: db.execute("SELECT * FROM pending_rows").fetchall())
        return [PendingRow(r[0], r[1], json.loads(r[2])) for r in rows]

    async def done(self, row: PendingRow) -> None:
        if self._path is None:
            self._memory.pop((row.list_key, row.key_value), None)
            return
        key = (row.list_key, row.key_value)
        await self._run(lambda db: db.execute("DELETE FROM pending_rows WHERE list_key = ? AND key_value = ?", key))
