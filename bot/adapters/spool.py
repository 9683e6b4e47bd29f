"""A local spool for pitches accepted while the records (SharePoint, Entra ID) are unreachable,
and for decisions SharePoint throttled past a click's time budget.

The submitter's form is written to a small SQLite file on this instance's disk before they are
told it is saved; it is filed when Graph answers again. The idea's id is the form's id, and
SharePoint enforces that id's uniqueness, so a pitch filed twice is still one item. A spooled
decision is decided again until it is recorded; deciding twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot.adapters.sqlite_thread import run_once
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

T = TypeVar("T")


class SubmissionSpool:
    def __init__(self, path: str | Path) -> None:
        self._path = str(path)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Open, work, commit, close in one trip to a worker thread: the spool is touched rarely,
        only during an outage, so it keeps no connection open."""
        return await asyncio.to_thread(run_once, self._path, SCHEMA, work)

    async def put(self, pitch: SpooledPitch) -> None:
        row = (pitch.form_id, pitch.submitter_id, pitch.submitter_name, json.dumps(pitch.form),
               pitch.received_at.isoformat())  # fmt: skip
        await self._run(lambda db: db.execute("INSERT OR IGNORE INTO spooled_pitches VALUES (?, ?, ?, ?, ?)", row))

    async def waiting(self) -> list[SpooledPitch]:
        rows = await self._run(lambda db: db.execute("SELECT * FROM spooled_pitches ORDER BY received_at").fetchall())
        return [SpooledPitch(r[0], r[1], r[2], json.loads(r[3]), datetime.fromisoformat(r[4])) for r in rows]

    async def remove(self, form_id: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM spooled_pitches WHERE form_id = ?", (form_id,)))

    async def put_decision(self, decision: SpooledDecision) -> None:
        body = {**decision.__dict__, "received_at": decision.received_at.isoformat()}
        row = (decision.key, json.dumps(body), decision.received_at.isoformat())
        await self._run(lambda db: db.execute("INSERT OR IGNORE INTO spooled_decisions VALUES (?, ?, ?)", row))

    async def waiting_decisions(self) -> list[SpooledDecision]:
        rows = await self._run(
            lambda db: db.execute("SELECT body FROM spooled_decisions ORDER BY received_at").fetchall()
        )
        decisions = []
        for (text,) in rows:
            body = json.loads(text)
            decisions.append(SpooledDecision(**{**body, "received_at": datetime.fromisoformat(body["received_at"])}))
        return decisions

    async def remove_decision(self, key: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM spooled_decisions WHERE key = ?", (key,)))
