"""Requests to connect in the embedded SQLite store, each with its notification in one transaction.
Mixed into SqliteStore (same file)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from bot.adapters.connect_serialization import request_from_dict, request_to_dict
from bot.adapters.sqlite_versioned import insert_new, update_versioned, versioned_table
from bot.domain.connect import ConnectRequest
from bot.ports import OutboxMessage

CONNECT_SCHEMA = versioned_table(
    "connect_requests", "idea_id TEXT NOT NULL", "owner_id TEXT NOT NULL", "asker_id TEXT NOT NULL",
    "state TEXT NOT NULL", "created_at TEXT NOT NULL",
) + """
CREATE INDEX IF NOT EXISTS connect_owner ON connect_requests (owner_id, created_at);
CREATE INDEX IF NOT EXISTS connect_asker ON connect_requests (asker_id, created_at);
"""


class SqliteConnectTables:
    """ConnectRequests over the SqliteStore's connection."""

    # Provided by SqliteStore.
    _write: Callable
    _fetchone: Callable
    _fetchall: Callable
    _write_outbox: Callable

    async def add_connect_request(self, request: ConnectRequest, outbox: Sequence[OutboxMessage] = ()) -> None:
        row = (request.id, request.idea_id, request.owner.id, request.asker.id, request.state.value,
               request.created_at.isoformat(), json.dumps(request_to_dict(request)))

        def insert(db: sqlite3.Connection) -> None:
            insert_new(db, request.id, "INSERT INTO connect_requests (id, idea_id, owner_id, asker_id, state,"
                       " created_at, version, body) VALUES (?, ?, ?, ?, ?, ?, 1, ?)", row)
            self._write_outbox(db, outbox)

        await self._write(insert)
        request.version = 1

    async def get_connect_request(self, request_id: str) -> ConnectRequest | None:
        row = await self._fetchone("SELECT body, version FROM connect_requests WHERE id = ?", (request_id,))
        return request_from_dict(json.loads(row["body"]), row["version"]) if row else None

    async def update_connect_request(self, request: ConnectRequest, outbox: Sequence[OutboxMessage] = ()) -> None:
        expected = request.version
        values = (request.state.value, json.dumps(request_to_dict(request)), request.id, expected)

        def change(db: sqlite3.Connection) -> None:
            update_versioned(db, request.id, "UPDATE connect_requests SET state = ?, body = ?,"
                             " version = version + 1 WHERE id = ? AND version = ?", values)
            self._write_outbox(db, outbox)

        await self._write(change)
        request.version = expected + 1

    async def connect_requests_for(self, person_id: str, limit: int | None = 100) -> list[ConnectRequest]:
        rows = await self._fetchall(
            "SELECT body, version FROM connect_requests WHERE owner_id = ? OR asker_id = ?"
            " ORDER BY created_at DESC LIMIT ?",
            (person_id, person_id, -1 if limit is None else limit),
        )
        return [request_from_dict(json.loads(r["body"]), r["version"]) for r in rows]
