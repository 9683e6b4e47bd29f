"""The instances' heartbeats in the embedded SQLite store (several processes on one host share the
file). Mixed into SqliteStore. A beat reads the others and writes its own in one write transaction,
so two instances deciding their shares at once see each other's choice."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.budget import InstanceBeat
from bot.ports.instances import Decide

INSTANCES_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL,
    share REAL NOT NULL
);
"""
FORGET_AFTER = timedelta(days=1)  # rows of instances long gone are removed by the next beat


class SqliteInstances:
    """Instances over the SqliteStore's connection."""

    # Provided by SqliteStore.
    _write: Callable
    _execute: Callable

    async def heartbeat(self, instance_id: str, now: datetime, decide: Decide) -> tuple[float, list[InstanceBeat]]:
        def beat(db: sqlite3.Connection) -> tuple[float, list[InstanceBeat]]:
            db.execute("DELETE FROM instances WHERE seen_at < ?", ((now - FORGET_AFTER).isoformat(),))
            rows = db.execute("SELECT instance_id, seen_at, share FROM instances").fetchall()
            beats = [InstanceBeat(r[0], datetime.fromisoformat(r[1]), float(r[2])) for r in rows]
            share = decide([b for b in beats if b.instance_id != instance_id])
            db.execute(
                "INSERT INTO instances (instance_id, seen_at, share) VALUES (?, ?, ?) ON CONFLICT(instance_id) "
                "DO UPDATE SET seen_at = excluded.seen_at, share = excluded.share",
                (instance_id, now.isoformat(), share),
            )
            mine = InstanceBeat(instance_id, now, share)
            return share, [b for b in beats if b.instance_id != instance_id] + [mine]

        return await self._write(beat)

    async def leave(self, instance_id: str) -> None:
        await self._execute("DELETE FROM instances WHERE instance_id = ?", (instance_id,))
