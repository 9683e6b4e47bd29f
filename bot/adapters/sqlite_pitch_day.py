"""Pitch day's tables in the embedded SQLite store (mixed into SqliteStore: same file, same
transactions, so a panel change and its notifications are committed together or not at all).

A vote's primary key is (challenge, voter): one vote per person per challenge is the table's
rule, not the code's. Casting reads the current vote and upserts it inside one `BEGIN IMMEDIATE`
transaction, so concurrent clicks from any number of processes serialise on SQLite's write lock
and a move changes the one row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.adapters.pitch_day_serialization import (
    panel_from_dict,
    panel_to_dict,
    poll_from_dict,
    poll_to_dict,
    scorecard_from_dict,
    scorecard_to_dict,
)
from bot.adapters.sqlite_versioned import insert_new, update_versioned
from bot.domain.panel import Panel, Scorecard, ScoringClosed
from bot.domain.voting import Poll, Vote, VoteResult, VotingClosed, frozen_counts_hold
from bot.ports import ConcurrencyConflict, OutboxMessage

PITCH_DAY_SCHEMA = """
CREATE TABLE IF NOT EXISTS panels (
    challenge_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scorecards (
    challenge_id TEXT NOT NULL,
    finalist_id TEXT NOT NULL,
    judge_id TEXT NOT NULL,
    conflict TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (challenge_id, finalist_id, judge_id)
);
CREATE INDEX IF NOT EXISTS scorecards_judge ON scorecards (challenge_id, judge_id);
CREATE TABLE IF NOT EXISTS polls (
    challenge_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    challenge_id TEXT NOT NULL,
    voter_id TEXT NOT NULL,
    finalist_id TEXT NOT NULL,
    cast_at TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    moves INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (challenge_id, voter_id)
);
CREATE INDEX IF NOT EXISTS votes_finalist ON votes (challenge_id, finalist_id);
"""


class SqlitePitchDayTables:
    """Panels and Votes over the SqliteStore's connection (uses its one-hand-off helpers: each
    method's SQL is one synchronous function run on the connection's thread)."""

    # Provided by SqliteStore.
    _write: Callable
    _fetchone: Callable
    _fetchall: Callable
    _write_outbox: Callable

    async def _save_body(
        self,
        table: str,
        key: str,
        body: dict,
        version: int | str,
        outbox: Sequence[OutboxMessage],
        *,
        check: Callable[[sqlite3.Connection], None] | None = None,
    ) -> int:
        text = json.dumps(body)

        def save(db: sqlite3.Connection) -> None:
            if check is not None:
                check(db)
            if not version:
                insert_new(db, key, f"INSERT INTO {table} (challenge_id, version, body) VALUES (?, 1, ?)", (key, text))
            else:
                update_versioned(
                    db,
                    key,
                    f"UPDATE {table} SET version = version + 1, body = ? WHERE challenge_id = ? AND version = ?",
                    (text, key, version),
                )
            self._write_outbox(db, outbox)

        await self._write(save)
        return int(version or 0) + 1

    # ---- the panel ------------------------------------------------------------------------
    async def save_panel(self, panel: Panel, outbox: Sequence[OutboxMessage] = ()) -> None:
        panel.version = await self._save_body("panels", panel.challenge_id, panel_to_dict(panel), panel.version, outbox)

    async def get_panel(self, challenge_id: str) -> Panel | None:
        row = await self._fetchone("SELECT body, version FROM panels WHERE challenge_id = ?", (challenge_id,))
        return panel_from_dict(json.loads(row["body"]), version=row["version"]) if row else None

    async def save_scorecard(self, card: Scorecard, outbox: Sequence[OutboxMessage] = ()) -> None:
        body = json.dumps(scorecard_to_dict(card))

        def save(db: sqlite3.Connection) -> None:
            _require_scoring_open(db, card.challenge_id)
            if not card.version:
                insert_new(
                    db,
                    card.key,
                    "INSERT INTO scorecards (challenge_id, finalist_id, judge_id, conflict, version, body)"
                    " VALUES (?, ?, ?, ?, 1, ?)",
                    (card.challenge_id, card.finalist_id, card.judge_id, card.conflict.value, body),
                )
            else:
                update_versioned(
                    db,
                    card.key,
                    "UPDATE scorecards SET conflict = ?, version = version + 1, body = ?"
                    " WHERE challenge_id = ? AND finalist_id = ? AND judge_id = ? AND version = ?",
                    (card.conflict.value, body, card.challenge_id, card.finalist_id, card.judge_id, card.version),
                )
            self._write_outbox(db, outbox)

        await self._write(save)
        card.version = int(card.version or 0) + 1

    async def get_scorecard(self, challenge_id: str, finalist_id: str, judge_id: str) -> Scorecard | None:
        row = await self._fetchone(
            "SELECT body, version FROM scorecards WHERE challenge_id = ? AND finalist_id = ? AND judge_id = ?",
            (challenge_id, finalist_id, judge_id),
        )
        return scorecard_from_dict(json.loads(row["body"]), version=row["version"]) if row else None

    async def list_scorecards(self, challenge_id: str) -> list[Scorecard]:
        rows = await self._fetchall(
            "SELECT body, version FROM scorecards WHERE challenge_id = ? ORDER BY finalist_id, judge_id",
            (challenge_id,),
        )
        return [scorecard_from_dict(json.loads(r["body"]), version=r["version"]) for r in rows]

    # ---- People's Choice ----------------------------------------------------------------
    async def save_poll(self, poll: Poll, outbox: Sequence[OutboxMessage] = ()) -> None:
        """A poll closed by this write carries the counts it froze: they must be the votes stored
        when it commits (a vote cast since they were counted: ConcurrencyConflict, count again)."""
        check = _frozen_counts_check(poll) if not poll.is_open else None
        poll.version = await self._save_body("polls", poll.challenge_id, poll_to_dict(poll), poll.version, outbox,
                                             check=check)  # fmt: skip

    async def get_poll(self, challenge_id: str) -> Poll | None:
        row = await self._fetchone("SELECT body, version FROM polls WHERE challenge_id = ?", (challenge_id,))
        return poll_from_dict(json.loads(row["body"]), version=row["version"]) if row else None

    async def cast_vote(self, challenge_id: str, voter_id: str, finalist_id: str, now: datetime) -> VoteResult:
        moment = now.isoformat()
        key = (challenge_id, voter_id)

        def cast(db: sqlite3.Connection) -> VoteResult:
            if not _voting_open(db, challenge_id):  # closed (or never opened) when this write runs
                raise VotingClosed(challenge_id)
            row = db.execute("SELECT finalist_id FROM votes WHERE challenge_id = ? AND voter_id = ?", key).fetchone()
            previous = row["finalist_id"] if row else ""
            if previous != finalist_id:
                db.execute(
                    "INSERT INTO votes (challenge_id, voter_id, finalist_id, cast_at, changed_at, moves)"
                    " VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (challenge_id, voter_id) DO UPDATE SET"
                    " finalist_id = excluded.finalist_id, changed_at = excluded.changed_at, moves = moves + 1",
                    (challenge_id, voter_id, finalist_id, moment, moment),
                )
            stored = db.execute("SELECT * FROM votes WHERE challenge_id = ? AND voter_id = ?", key).fetchone()
            return VoteResult(_vote(stored), previous)

        return await self._write(cast)

    async def get_vote(self, challenge_id: str, voter_id: str) -> Vote | None:
        row = await self._fetchone(
            "SELECT * FROM votes WHERE challenge_id = ? AND voter_id = ?", (challenge_id, voter_id)
        )
        return _vote(row) if row else None

    async def count_votes(self, challenge_id: str) -> dict[str, int]:
        rows = await self._fetchall(
            "SELECT finalist_id, COUNT(*) AS n FROM votes WHERE challenge_id = ? GROUP BY finalist_id", (challenge_id,)
        )
        return {r["finalist_id"]: int(r["n"]) for r in rows}


def _vote(row: sqlite3.Row) -> Vote:
    return Vote(row["challenge_id"], row["voter_id"], row["finalist_id"], datetime.fromisoformat(row["cast_at"]),
                datetime.fromisoformat(row["changed_at"]), int(row["moves"]))  # fmt: skip


def _require_scoring_open(db: sqlite3.Connection, challenge_id: str) -> None:
    """Inside a scorecard's write: the panel's scoring must still be open (the chair may have
    closed it since the card was read)."""
    row = db.execute("SELECT json_extract(body, '$.scoringClosedAt') AS closed FROM panels WHERE challenge_id = ?",
                     (challenge_id,)).fetchone()  # fmt: skip
    if row is None or row["closed"]:
        raise ScoringClosed(challenge_id)


def _voting_open(db: sqlite3.Connection, challenge_id: str) -> bool:
    query = "SELECT 1 FROM polls WHERE challenge_id = ? AND json_extract(body, '$.closedAt') IS NULL"
    return db.execute(query, (challenge_id,)).fetchone() is not None


def _frozen_counts_check(poll: Poll) -> Callable[[sqlite3.Connection], None]:
    def check(db: sqlite3.Connection) -> None:
        if not _voting_open(db, poll.challenge_id):
            return  # closed before: this write only changes what the card shows
        rows = db.execute(
            "SELECT finalist_id, COUNT(*) AS n FROM votes WHERE challenge_id = ? GROUP BY finalist_id",
            (poll.challenge_id,),
        ).fetchall()
        if not frozen_counts_hold(poll, {r["finalist_id"]: int(r["n"]) for r in rows}):
            raise ConcurrencyConflict(f"{poll.challenge_id}: votes cast since they were counted")

    return check
