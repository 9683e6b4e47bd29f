"""The Den challenge's tables in the embedded SQLite store (mixed into SqliteStore: same file, same
transactions, so a stage change and its notifications are committed together or not at all).

The JSON body of a challenge or a stage is the record; the history, funding and progress tables
repeat it row by row (keyed so a repeat is ignored) for anyone querying the file directly.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.adapters.den_serialization import challenge_from_dict, challenge_to_dict, stage_from_dict, stage_to_dict
from bot.adapters.serialization import idea_from_dict
from bot.adapters.sqlite_tab_index import set_stage
from bot.adapters.sqlite_versioned import insert_new, update_versioned
from bot.domain.challenge import Challenge
from bot.domain.den_report import IdeaSummary
from bot.domain.model import Idea, IdeaStatus
from bot.domain.stage import IdeaStage, Stage
from bot.ports import ChannelInfo, OutboxMessage

DEN_SCHEMA = """
CREATE TABLE IF NOT EXISTS challenges (
    id TEXT PRIMARY KEY,
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idea_stages (
    idea_id TEXT PRIMARY KEY,
    challenge_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idea_stages_challenge ON idea_stages (challenge_id);
CREATE INDEX IF NOT EXISTS idea_stages_stage ON idea_stages (stage);
CREATE TABLE IF NOT EXISTS stage_history (
    idea_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    challenge_id TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (idea_id, seq)
);
CREATE INDEX IF NOT EXISTS stage_history_challenge ON stage_history (challenge_id);
CREATE TABLE IF NOT EXISTS funding (
    idea_id TEXT PRIMARY KEY,
    challenge_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    branch TEXT NOT NULL,
    conditions TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS progress_updates (
    idea_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    PRIMARY KEY (idea_id, seq)
);
CREATE TABLE IF NOT EXISTS den_channels (
    key TEXT PRIMARY KEY,
    team_name TEXT NOT NULL,
    channel_name TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ideas_challenge ON ideas (json_extract(body, '$.challenge'));
"""


class SqliteDenTables:
    """Challenges and Stages over the SqliteStore's connection (uses its one-hand-off helpers:
    each method's SQL is one synchronous function run on the connection's thread)."""

    # Provided by SqliteStore.
    _write: Callable
    _fetchone: Callable
    _fetchall: Callable
    _execute: Callable
    _write_outbox: Callable

    # ---- challenges -----------------------------------------------------------------------
    async def add_challenge(self, challenge: Challenge, outbox: Sequence[OutboxMessage] = ()) -> None:
        row = (
            challenge.id,
            challenge.opens_at.isoformat(),
            challenge.closes_at.isoformat(),
            json.dumps(challenge_to_dict(challenge)),
        )

        def insert(db: sqlite3.Connection) -> None:
            sql = "INSERT INTO challenges (id, opens_at, closes_at, version, body) VALUES (?, ?, ?, 1, ?)"
            insert_new(db, challenge.id, sql, row)
            self._write_outbox(db, outbox)

        await self._write(insert)
        challenge.version = 1

    async def get_challenge(self, challenge_id: str) -> Challenge | None:
        row = await self._fetchone("SELECT body, version FROM challenges WHERE id = ?", (challenge_id,))
        return challenge_from_dict(json.loads(row["body"]), version=row["version"]) if row else None

    async def list_challenges(self) -> list[Challenge]:
        rows = await self._fetchall("SELECT body, version FROM challenges ORDER BY opens_at")
        return [challenge_from_dict(json.loads(r["body"]), version=r["version"]) for r in rows]

    async def update_challenge(self, challenge: Challenge, outbox: Sequence[OutboxMessage] = ()) -> None:
        write_challenge = _challenge_writer(challenge)

        def change(db: sqlite3.Connection) -> None:
            write_challenge(db)
            self._write_outbox(db, outbox)

        await self._write(change)
        challenge.version = int(challenge.version) + 1

    async def save_channel(self, channel: ChannelInfo) -> None:
        await self._execute(
            "INSERT INTO den_channels (key, team_name, channel_name, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET team_name = excluded.team_name,"
            " channel_name = excluded.channel_name, updated_at = excluded.updated_at",
            (channel.key, channel.team_name, channel.channel_name, channel.updated_at.isoformat()),
        )

    async def list_channels(self) -> list[ChannelInfo]:
        rows = await self._fetchall("SELECT * FROM den_channels ORDER BY team_name, channel_name")
        return [
            ChannelInfo(r["key"], r["team_name"], r["channel_name"], datetime.fromisoformat(r["updated_at"]))
            for r in rows
        ]

    # ---- stages ---------------------------------------------------------------------------
    async def get_stage(self, idea_id: str) -> IdeaStage | None:
        row = await self._fetchone("SELECT body, version FROM idea_stages WHERE idea_id = ?", (idea_id,))
        return stage_from_dict(json.loads(row["body"]), version=row["version"]) if row else None

    async def list_stages(self, challenge_id: str) -> list[IdeaStage]:
        return await self._stages("SELECT body, version FROM idea_stages WHERE challenge_id = ?", (challenge_id,))

    async def list_stages_in(self, stage: Stage) -> list[IdeaStage]:
        return await self._stages("SELECT body, version FROM idea_stages WHERE stage = ?", (stage.value,))

    async def _stages(self, sql: str, params: tuple) -> list[IdeaStage]:
        rows = await self._fetchall(sql, params)
        return [stage_from_dict(json.loads(r["body"]), version=r["version"]) for r in rows]

    async def list_challenge_ideas(self, challenge_id: str) -> list[Idea]:
        rows = await self._fetchall(
            "SELECT body, version FROM ideas WHERE json_extract(body, '$.challenge') = ?", (challenge_id,)
        )
        return [idea_from_dict(json.loads(r["body"]), version=r["version"]) for r in rows]

    async def list_challenge_summaries(self, challenge_id: str) -> list[IdeaSummary]:
        """The fields a report reads, extracted by SQLite itself: no JSON parsed in Python."""
        rows = await self._fetchall(
            "SELECT id, json_extract(body, '$.reference'), json_extract(body, '$.pitch.title'),"
            " json_extract(body, '$.submitter.id'), json_extract(body, '$.submitter.name'),"
            " json_extract(body, '$.submitter.branch'), json_extract(body, '$.submitter.role'),"
            " json_extract(body, '$.pitch.program_area'), status, json_extract(body, '$.createdAt'),"
            " json_extract(body, '$.decisions[#-1].decidedAt'), json_extract(body, '$.decisions[#-1].approverId')"
            " FROM ideas WHERE json_extract(body, '$.challenge') = ?",
            (challenge_id,),
        )
        return [
            IdeaSummary(
                id=r[0],
                reference=r[1] or "",
                title=r[2] or "",
                challenge=challenge_id,
                submitter_id=r[3] or "",
                submitter_name=r[4] or "",
                branch=r[5] or "",
                level=r[6] or "staff",
                program_area=r[7] or "",
                status=IdeaStatus(r[8]),
                created_at=datetime.fromisoformat(r[9]),
                last_decided_at=datetime.fromisoformat(r[10]) if r[10] else None,
                last_decided_by=r[11] or "",
            )
            for r in rows
        ]

    async def write_stages(
        self, challenge: Challenge, stages: Sequence[IdeaStage], outbox: Sequence[OutboxMessage] = ()
    ) -> None:
        write_challenge, writers = _challenge_writer(challenge), [_stage_writer(stage) for stage in stages]

        def change(db: sqlite3.Connection) -> None:
            write_challenge(db)
            for write_stage in writers:
                write_stage(db)
            self._write_outbox(db, outbox)

        await self._write(change)
        challenge.version = int(challenge.version) + 1
        for stage in stages:
            stage.version = int(stage.version) + 1

    async def update_stage(self, stage: IdeaStage, outbox: Sequence[OutboxMessage] = ()) -> None:
        write_stage = _stage_writer(stage)

        def change(db: sqlite3.Connection) -> None:
            write_stage(db)
            self._write_outbox(db, outbox)

        await self._write(change)
        stage.version = int(stage.version) + 1


def _challenge_writer(challenge: Challenge) -> Callable[[sqlite3.Connection], None]:
    """The conditional update of a challenge, its values taken now, to run inside a transaction."""
    values = (
        challenge.opens_at.isoformat(),
        challenge.closes_at.isoformat(),
        json.dumps(challenge_to_dict(challenge)),
        challenge.id,
        challenge.version,
    )

    def write(db: sqlite3.Connection) -> None:
        update_versioned(
            db,
            challenge.id,
            "UPDATE challenges SET opens_at = ?, closes_at = ?, version = version + 1, body = ?"
            " WHERE id = ? AND version = ?",
            values,
        )

    return write


def _stage_writer(stage: IdeaStage) -> Callable[[sqlite3.Connection], None]:
    """A stage's insert or conditional update and its history rows, to run inside a transaction."""
    body = json.dumps(stage_to_dict(stage))
    history = [
        (
            stage.idea_id,
            c.seq,
            stage.challenge_id,
            c.from_stage.value if c.from_stage else None,
            c.to_stage.value,
            c.at.isoformat(),
            c.by,
            c.reason,
        )
        for c in stage.history
    ]
    funding = None
    if stage.funding is not None:
        f = stage.funding
        funding = (
            stage.idea_id,
            stage.challenge_id,
            f.amount,
            f.branch,
            f.conditions,
            f.recorded_by,
            f.recorded_at.isoformat(),
        )
    updates = [(stage.idea_id, u.seq, u.status.value, u.note, u.at.isoformat(), u.by) for u in stage.updates]

    def write(db: sqlite3.Connection) -> None:
        if not stage.version:
            insert_new(
                db,
                stage.idea_id,
                "INSERT INTO idea_stages (idea_id, challenge_id, owner_id, stage, version, body)"
                " VALUES (?, ?, ?, ?, 1, ?)",
                (stage.idea_id, stage.challenge_id, stage.owner_id, stage.stage.value, body),
            )
        else:
            update_versioned(
                db,
                stage.idea_id,
                "UPDATE idea_stages SET stage = ?, version = version + 1, body = ? WHERE idea_id = ? AND version = ?",
                (stage.stage.value, body, stage.idea_id, stage.version),
            )
        set_stage(db, stage.idea_id, stage.stage.value)  # the Den tab's stage filter
        if history:
            db.executemany(
                "INSERT OR IGNORE INTO stage_history (idea_id, seq, challenge_id, from_stage, to_stage, changed_at,"
                " changed_by, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                history,
            )
        if funding is not None:
            db.execute(
                "INSERT OR IGNORE INTO funding (idea_id, challenge_id, amount, branch, conditions, recorded_by,"
                " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                funding,
            )
        if updates:
            db.executemany(
                "INSERT OR IGNORE INTO progress_updates (idea_id, seq, status, note, filed_at, filed_by)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                updates,
            )

    return write
