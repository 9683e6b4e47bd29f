"""Requests to connect in the embedded SQLite store, each with its notification in one transaction.
Mixed into SqliteStore (same file)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.adapters.serialization import person_from_dict, person_to_dict
from bot.adapters.sqlite_versioned import insert_new, update_versioned
from bot.domain.connect import ConnectRequest, ConnectState
from bot.ports import OutboxMessage

CONNECT_SCHEMA = """
CREATE TABLE IF NOT EXISTS connect_requests (
    id TEXT PRIMARY KEY,
    idea_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    asker_id TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS connect_owner ON connect_requests (owner_id, created_at);
CREATE INDEX IF NOT EXISTS connect_asker ON connect_requests (asker_id, created_at);
"""


def request_to_dict(request: ConnectRequest) -> dict[str, Any]:
    return {
        "id": request.id, "ideaId": request.idea_id, "ideaReference": request.idea_reference,
        "ideaTitle": request.idea_title, "owner": person_to_dict(request.owner), "asker": person_to_dict(request.asker),
        "createdAt": request.created_at.isoformat(), "state": request.state.value,
        "answeredAt": request.answered_at.isoformat() if request.answered_at else None,
    }


def request_from_dict(data: dict[str, Any], version: int) -> ConnectRequest:
    answered = data.get("answeredAt")
    return ConnectRequest(
        id=data["id"], idea_id=data["ideaId"], idea_reference=data["ideaReference"], idea_title=data["ideaTitle"],
        owner=person_from_dict(data["owner"]), asker=person_from_dict(data["asker"]),
        created_at=datetime.fromisoformat(data["createdAt"]), state=ConnectState(data["state"]),
        answered_at=datetime.fromisoformat(answered) if answered else None, version=version,
    )


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
