"""A local spool for pitches accepted while the records (SharePoint, Entra ID) are unreachable,
and for decisions SharePoint throttled past a click's time budget.

The submitter's form is written to a small SQLite file on this instance's disk before they are
told it is saved; it is filed when Graph answers again. The idea's id is the form's id, and
SharePoint enforces that id's uniqueness, so a pitch filed twice is still one item. A spooled
decision is decided again until it is recorded; deciding twice changes nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.ports import SpooledDecision, SpooledPitch

SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled_pitches (
    form_id TEXT PRIMARY KEY,
    submitter_id TEXT NOT NULL,
    submitter_name TEXT NOT NULL,
    form TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS spooled_decisions (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
"""


class SubmissionSpool:
    def __init__(self, path: str | Path) -> None:
        self._path = str(path)

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[aiosqlite.Connection]:
        """A short-lived connection: the spool is touched rarely, only during an outage."""
        Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(self._path) as db:
            await db.executescript(SCHEMA)
            yield db

    async def put(self, pitch: SpooledPitch) -> None:
        async with self._connect() as db:
            await db.execute(
                "INSERT OR IGNORE INTO spooled_pitches VALUES (?, ?, ?, ?, ?)",
                (pitch.form_id, pitch.submitter_id, pitch.submitter_name, json.dumps(pitch.form),
                 pitch.received_at.isoformat()),
            )
            await db.commit()

    async def waiting(self) -> list[SpooledPitch]:
        async with (
            self._connect() as db,
            db.execute("SELECT * FROM spooled_pitches ORDER BY received_at") as cursor,
        ):
            rows = await cursor.fetchall()
        return [SpooledPitch(r[0], r[1], r[2], json.loads(r[3]), datetime.fromisoformat(r[4])) for r in rows]

    async def remove(self, form_id: str) -> None:
        async with self._connect() as db:
            await db.execute("DELETE FROM spooled_pitches WHERE form_id = ?", (form_id,))
            await db.commit()

    async def put_decision(self, decision: SpooledDecision) -> None:
        body = {**decision.__dict__, "received_at": decision.received_at.isoformat()}
        async with self._connect() as db:
            await db.execute(
                "INSERT OR IGNORE INTO spooled_decisions VALUES (?, ?, ?)",
                (decision.key, json.dumps(body), decision.received_at.isoformat()),
            )
            await db.commit()

    async def waiting_decisions(self) -> list[SpooledDecision]:
        async with (
            self._connect() as db,
            db.execute("SELECT body FROM spooled_decisions ORDER BY received_at") as cursor,
        ):
            rows = await cursor.fetchall()
        decisions = []
        for (text,) in rows:
            body = json.loads(text)
            decisions.append(SpooledDecision(**{**body, "received_at": datetime.fromisoformat(body["received_at"])}))
        return decisions

    async def remove_decision(self, key: str) -> None:
        async with self._connect() as db:
            await db.execute("DELETE FROM spooled_decisions WHERE key = ?", (key,))
            await db.commit()
