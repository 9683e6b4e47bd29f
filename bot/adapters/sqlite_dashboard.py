"""The dashboard's read on the embedded store: one challenge's ideas as the digest projects them.

The same projection as the digest's scan (`scan_for_digest`), narrowed in SQL to one challenge's
ideas so a challenge's dashboard never parses the rest of the store; one statement, read on a
connection of its own in a worker thread (WAL: clicks go on writing meanwhile).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

from bot.adapters.serialization import DIGEST_UNREAD_PATHS
from bot.adapters.sqlite_digest import shortlisted_sql
from bot.domain.digest import DigestIdea


class SqliteDashboardReads:
    """Mixed into SqliteStore (it provides `_path`, `_fetchall` and `_busy_timeout_ms`)."""

    async def scan_challenge(self, challenge_id: str, page_size: int = 2000) -> AsyncIterator[list[DigestIdea]]:
        from bot.adapters.sqlite_store import _project_page, _projected

        paths = ", ".join("?" * len(DIGEST_UNREAD_PATHS))
        sql = (
            f"SELECT json_remove(body, {paths}), {shortlisted_sql('i')} FROM ideas i"
            " WHERE json_extract(body, '$.challenge') = ? ORDER BY rowid"
        )
        params = (*DIGEST_UNREAD_PATHS, challenge_id)
        if self._path == ":memory:":
            rows = await self._fetchall(sql, params)
            for start in range(0, len(rows), page_size):
                yield _projected(rows[start : start + page_size])
            return
        connection = sqlite3.connect(self._path, timeout=self._busy_timeout_ms / 1000, check_same_thread=False)
        try:
            cursor = await asyncio.to_thread(connection.execute, sql, params)
            while page := await asyncio.to_thread(_project_page, cursor, page_size):
                yield page
        finally:
            connection.close()
