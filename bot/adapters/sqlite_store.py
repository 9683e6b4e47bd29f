"""The embedded store: one SQLite file, safe to share between several app processes.

WAL mode lets readers and one writer work together; every update is conditional on the
row's version (as SharePoint's If-Match is), and the outbox rows that a change causes are
written in the same transaction, so a decision and its notifications stand or fall together.
Each operation is one synchronous function run on the thread that owns the connection
(bot/adapters/sqlite_thread.py): one hand-off from the event loop per operation, whatever
number of statements it takes.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot.adapters.serialization import (
    DIGEST_UNREAD_PATHS,
    delegation_from_dict,
    delegation_to_dict,
    digest_idea_from_dict,
    idea_from_dict,
    idea_to_dict,
)
from bot.adapters.sqlite_connect import CONNECT_SCHEMA, SqliteConnectTables
from bot.adapters.sqlite_dashboard import SqliteDashboardReads
from bot.adapters.sqlite_den import DEN_SCHEMA, SqliteDenTables
from bot.adapters.sqlite_digest import (
    DECISIONS_UPSERT,
    IDEA_COLUMN_NAMES,
    LINES_INSERT,
    add_digest_columns,
    backfill_digest_columns,
    digest_figures,
    digest_rows,
    shortlisted_sql,
)
from bot.adapters.sqlite_instances import INSTANCES_SCHEMA, SqliteInstances
from bot.adapters.sqlite_pitch_day import PITCH_DAY_SCHEMA, SqlitePitchDayTables
from bot.adapters.sqlite_records import RECORDS_SCHEMA, SqliteRecords
from bot.adapters.sqlite_sent_cards import SENT_CARDS_SCHEMA, SqliteSentCards
from bot.adapters.sqlite_tab_index import SqliteTabIndexReads, backfill_tab_index, index_idea
from bot.adapters.sqlite_thread import SqliteThread, in_transaction
from bot.adapters.sqlite_versioned import insert_new, update_versioned, versioned_table
from bot.domain.delegation import (
    Delegation,
    DelegationProblem,
    DelegationRefused,
    closes_a_loop,
    onward_of,
)
from bot.domain.digest import DigestFigures, DigestIdea, DigestQuery, in_challenge_shortlist
from bot.domain.model import Idea
from bot.ports import (
    ConversationRecord,
    OutboxBacklog,
    OutboxMessage,
    StoredSetting,
    StoreUnavailable,
)
from bot.ports.store import due_since, full_recipients, pick_fairly

T = TypeVar("T")

SCHEMA = versioned_table(
    "ideas", "reference TEXT NOT NULL UNIQUE", "submitter_id TEXT NOT NULL", "holder_id TEXT NOT NULL",
    "status TEXT NOT NULL", "created_at TEXT NOT NULL", "updated_at TEXT NOT NULL",
) + """
CREATE INDEX IF NOT EXISTS ideas_submitter ON ideas (submitter_id, created_at);
CREATE INDEX IF NOT EXISTS ideas_holder ON ideas (holder_id, status);
CREATE INDEX IF NOT EXISTS ideas_status ON ideas (status, updated_at);

CREATE TABLE IF NOT EXISTS decisions (
    idea_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    step_index INTEGER NOT NULL,
    approver_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (idea_id, revision, step_index)
);
CREATE INDEX IF NOT EXISTS decisions_when ON decisions (decided_at);

CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS conversations (
    user_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    idea_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    not_before TEXT NOT NULL,
    due_at TEXT,  -- when it became due (UTC, comparable as text): what the health check's lateness counts from
    claimed_until TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'pending'
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, not_before);

CREATE TABLE IF NOT EXISTS health_probes (
    instance TEXT PRIMARY KEY,
    written_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS delegations (
    principal_id TEXT PRIMARY KEY,
    delegate_id TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS delegations_end ON delegations (ends_at);

CREATE TABLE IF NOT EXISTS digest_deliveries (
    dm_id TEXT NOT NULL,
    week_key TEXT NOT NULL,
    state TEXT NOT NULL,
    claimed_until TEXT,
    detail TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (dm_id, week_key)
);

CREATE TABLE IF NOT EXISTS preferences (
    user_id TEXT PRIMARY KEY,
    language TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


def _iso(value: datetime) -> str:
    return value.isoformat()


def _utc(value: datetime) -> str:
    """Comparable as text: every moment in UTC, one format."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqliteStore(
    SqliteDenTables, SqlitePitchDayTables, SqliteSentCards, SqliteRecords, SqliteTabIndexReads, SqliteConnectTables,
    SqliteInstances,
    SqliteDashboardReads,
):
    """IdeaStore over a local SQLite file (the default, so `make run` needs no tenant)."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 10_000) -> None:
        self._path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        # One connection serves this instance, used only by its own thread: that thread runs one
        # operation at a time, so no transaction interleaves with another. Other processes are
        # kept out by SQLite's own lock.
        self._thread = SqliteThread(
            self._path,
            busy_timeout_ms=busy_timeout_ms,
            schema=SCHEMA + DEN_SCHEMA + PITCH_DAY_SCHEMA + SENT_CARDS_SCHEMA + RECORDS_SCHEMA + CONNECT_SCHEMA
            + INSTANCES_SCHEMA,
        )
        self._instance = f"{socket.gethostname()}:{os.getpid()}"  # the health probe's row

    # ---- lifecycle --------------------------------------------------------------------
    async def open(self) -> None:
        await self._thread.open()
        # The digest's columns: added to a file written before them, and filled in from the bodies.
        await self._thread.run(add_digest_columns)
        await self._thread.run(backfill_digest_columns)
        await self._thread.run(outbox_times_in_utc)
        await self._thread.run(add_outbox_due_column)
        await self._thread.run(lambda db: backfill_tab_index(db, idea_from_dict))

    async def close(self) -> None:
        await self._thread.close()

    async def ping(self) -> bool:
        try:
            return (await self._fetchone("SELECT 1")) is not None
        except (sqlite3.Error, StoreUnavailable, ValueError):
            return False

    async def set_trace_callback(self, callback) -> None:
        """Report each SQL statement the connection runs to `callback` (None stops): for benchmarks
        that count statements from outside the store."""
        await self._thread.run(lambda db: db.set_trace_callback(callback))

    # ---- ideas --------------------------------------------------------------------------
    async def next_reference(self, year: int) -> str:
        name = f"reference-{year}"

        def count(db: sqlite3.Connection) -> int:
            return db.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
                (name,),
            ).fetchall()[0][0]

        return f"DEN-{year}-{await self._write(count):04d}"

    async def add(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        data = idea_to_dict(idea)
        digest = digest_rows(data)
        row = (
            idea.id,
            idea.reference,
            idea.submitter.id,
            idea.holder_id,
            idea.status.value,
            _iso(idea.created_at),
            _iso(idea.updated_at or idea.created_at),
            1,
            json.dumps(data),
            *digest.idea,
        )
        messages = _outbox_rows(outbox)

        def insert(db: sqlite3.Connection) -> None:
            insert_new(
                db,
                idea.id,
                "INSERT INTO ideas (id, reference, submitter_id, holder_id, status, created_at, updated_at,"
                f" version, body, {', '.join(IDEA_COLUMN_NAMES)})"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?{', ?' * len(IDEA_COLUMN_NAMES)})",
                row,
            )
            db.executemany(LINES_INSERT, digest.lines)
            _insert_decisions(db, digest.decisions)
            _insert_outbox(db, messages)
            index_idea(db, idea)

        await self._write(insert)
        idea.version = 1

    async def get(self, idea_id: str) -> Idea | None:
        row = await self._fetchone("SELECT body, version FROM ideas WHERE id = ?", (idea_id,))
        return idea_from_dict(json.loads(row["body"]), version=row["version"]) if row else None

    async def update(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        expected = idea.version
        data = idea_to_dict(idea)
        digest = digest_rows(data)
        values = (
            idea.holder_id,
            idea.status.value,
            _iso(idea.updated_at or idea.created_at),
            json.dumps(data),
            *digest.idea,
            idea.id,
            expected,
        )
        messages = _outbox_rows(outbox)

        def change(db: sqlite3.Connection) -> None:
            update_versioned(
                db,
                idea.id,
                "UPDATE ideas SET holder_id = ?, status = ?, updated_at = ?, version = version + 1, body = ?,"
                f" {', '.join(f'{name} = ?' for name in IDEA_COLUMN_NAMES)} WHERE id = ? AND version = ?",
                values,
            )
            _insert_decisions(db, digest.decisions)
            _insert_outbox(db, messages)
            index_idea(db, idea)

        await self._write(change)
        idea.version = expected + 1

    async def list_by_submitter(self, user_id: str, limit: int = 50) -> list[Idea]:
        return await self._list(
            "SELECT body, version FROM ideas WHERE submitter_id = ? ORDER BY created_at DESC LIMIT ?", (user_id, limit)
        )

    async def list_by_holder(self, user_id: str, limit: int = 50) -> list[Idea]:
        """Open ideas whose current step this person holds (my approvals; steps to hand to a delegate)."""
        return await self._list(
            "SELECT body, version FROM ideas WHERE holder_id = ? AND status = 'in_review' ORDER BY updated_at LIMIT ?",
            (user_id, limit),
        )

    async def list_for_digest(self, since: datetime | None) -> list[Idea]:
        """Everything still open, and everything touched since `since` (all ideas when None)."""
        if since is None:
            return await self._list("SELECT body, version FROM ideas", ())
        return await self._list(
            "SELECT body, version FROM ideas WHERE status = 'in_review' OR updated_at >= ?", (_iso(since),)
        )

    async def scan_for_digest(self, since: datetime | None, page_size: int = 2000) -> AsyncIterator[list[DigestIdea]]:
        """Pages of projections, read on a connection of the scan's own in a worker thread: WAL lets
        it read while clicks write, and the parts of each record the digest never reads are left out
        by SQLite (json_remove) before Python parses the rest."""
        where, params = "", ()
        if since is not None:
            where, params = " WHERE status = 'in_review' OR updated_at >= ?", (_iso(since),)
        paths = ", ".join("?" * len(DIGEST_UNREAD_PATHS))
        # With whether the idea is shortlisted, by its old flag or in its challenge (one projection).
        sql = f"SELECT json_remove(body, {paths}), {shortlisted_sql('i')} FROM ideas i{where} ORDER BY rowid"
        if self._path == ":memory:":
            rows = await self._fetchall(sql, (*DIGEST_UNREAD_PATHS, *params))
            for start in range(0, len(rows), page_size):
                yield _projected(rows[start : start + page_size])
            return
        connection = sqlite3.connect(self._path, timeout=self._busy_timeout_ms / 1000, check_same_thread=False)
        try:
            cursor = await asyncio.to_thread(connection.execute, sql, (*DIGEST_UNREAD_PATHS, *params))
            while page := await asyncio.to_thread(_project_page, cursor, page_size):
                yield page
        finally:
            connection.close()

    async def list_open(self) -> list[Idea]:
        return await self._list("SELECT body, version FROM ideas WHERE status = 'in_review' ORDER BY updated_at", ())

    async def digest_figures(self, dm_ids: Sequence[str], query: DigestQuery) -> dict[str, DigestFigures]:
        """Aggregated in SQL (bot/adapters/sqlite_digest.py), on a connection of its own in a worker
        thread: WAL lets it read one snapshot while clicks go on writing on the store's connection."""
        if self._path == ":memory:":
            return await self._thread.run(lambda db: digest_figures(db, dm_ids, query))
        return await asyncio.to_thread(self._digest_figures_apart, dm_ids, query)

    def _digest_figures_apart(self, dm_ids: Sequence[str], query: DigestQuery) -> dict[str, DigestFigures]:
        connection = sqlite3.connect(self._path, timeout=self._busy_timeout_ms / 1000, isolation_level=None)
        try:
            connection.execute("PRAGMA cache_size = -32768")  # 32 MiB: its sorts stay in memory
            return digest_figures(connection, dm_ids, query)
        finally:
            connection.close()

    # ---- digest deliveries: exactly once per DM per week -----------------------------------
    async def claim_digest(self, dm_id: str, week_key: str, now: datetime, lease_seconds: float) -> bool:
        """True if this run may send this DM's digest for this week (nobody sent it or is sending it)."""
        until, moment = _iso(now + timedelta(seconds=lease_seconds)), _iso(now)

        def claim(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT state, claimed_until FROM digest_deliveries WHERE dm_id = ? AND week_key = ?",
                (dm_id, week_key),
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO digest_deliveries (dm_id, week_key, state, claimed_until, updated_at)"
                    " VALUES (?, ?, 'sending', ?, ?)",
                    (dm_id, week_key, until, moment),
                )
                return True
            retryable = row["state"] == "failed" or (row["state"] == "sending" and row["claimed_until"] <= moment)
            if not retryable:
                return False
            db.execute(
                "UPDATE digest_deliveries SET state = 'sending', claimed_until = ?, updated_at = ?"
                " WHERE dm_id = ? AND week_key = ?",
                (until, moment, dm_id, week_key),
            )
            return True

        return await self._write(claim)

    async def digest_states(self, dm_id: str, week_keys: list[str]) -> dict[str, str]:
        if not week_keys:
            return {}
        marks = ",".join("?" for _ in week_keys)
        rows = await self._fetchall(
            f"SELECT week_key, state FROM digest_deliveries WHERE dm_id = ? AND week_key IN ({marks})",
            (dm_id, *week_keys),
        )
        return {r["week_key"]: r["state"] for r in rows}

    async def record_digest(self, dm_id: str, week_key: str, state: str, detail: str, now: datetime) -> None:
        await self._execute(
            "UPDATE digest_deliveries SET state = ?, detail = ?, claimed_until = NULL, updated_at = ?"
            " WHERE dm_id = ? AND week_key = ?",
            (state, detail[:500], _iso(now), dm_id, week_key),
        )

    async def _list(self, sql: str, params: tuple) -> list[Idea]:
        rows = await self._fetchall(sql, params)
        return [idea_from_dict(json.loads(r["body"]), version=r["version"]) for r in rows]

    # ---- conversation references ----------------------------------------------------
    async def save_conversation(self, record: ConversationRecord) -> None:
        body = asdict(record)
        body["updated_at"] = _iso(record.updated_at) if record.updated_at else None
        await self._execute(
            "INSERT INTO conversations (user_id, body, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            (record.user_id, json.dumps(body), body["updated_at"] or ""),
        )

    async def get_conversation(self, user_id: str) -> ConversationRecord | None:
        row = await self._fetchone("SELECT body FROM conversations WHERE user_id = ?", (user_id,))
        return _conversation_from_json(row["body"]) if row else None

    async def any_conversation(self) -> ConversationRecord | None:
        row = await self._fetchone("SELECT body FROM conversations ORDER BY updated_at DESC LIMIT 1")
        return _conversation_from_json(row["body"]) if row else None

    # ---- preferences ----------------------------------------------------------------
    async def get_language(self, user_id: str) -> str | None:
        row = await self._fetchone("SELECT language FROM preferences WHERE user_id = ?", (user_id,))
        return row["language"] if row else None

    async def language_and_locale(self, user_id: str) -> tuple[str | None, str | None]:
        def read(db: sqlite3.Connection) -> tuple[str | None, str | None]:
            chosen = db.execute("SELECT language FROM preferences WHERE user_id = ?", (user_id,)).fetchall()
            seen = db.execute(
                "SELECT json_extract(body, '$.locale') FROM conversations WHERE user_id = ?", (user_id,)
            ).fetchall()
            return (chosen[0][0] if chosen else None), (seen[0][0] if seen else None)

        return await self._thread.run(read)

    async def set_language(self, user_id: str, language: str, now: datetime) -> None:
        await self._execute(
            "INSERT INTO preferences (user_id, language, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
            (user_id, language, _iso(now)),
        )

    # ---- outbox ---------------------------------------------------------------------
    def _write_outbox(self, db: sqlite3.Connection, outbox: Sequence[OutboxMessage]) -> None:
        """Queue `outbox` on `db`, inside the caller's transaction (runs on the connection's thread)."""
        _insert_outbox(db, _outbox_rows(outbox))

    async def enqueue(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue notifications that no idea change carries (reminders)."""
        rows = _outbox_rows(messages)
        await self._write(lambda db: _insert_outbox(db, rows))

    async def existing_outbox_ids(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        rows = await self._fetchall(f"SELECT id FROM outbox WHERE id IN ({marks})", tuple(ids))
        return {r[0] for r in rows}

    async def claim_due(
        self,
        now: datetime,
        lease_seconds: float,
        limit: int,
        *,
        per_recipient: int | None = None,
        holding: Mapping[str, int] | None = None,
    ) -> list[OutboxMessage]:
        """Lease due messages so that two app instances never send the same one at once."""
        lease_until, moment = _utc(now + timedelta(seconds=lease_seconds)), _utc(now)
        due = "state = 'pending' AND not_before <= ? AND (claimed_until IS NULL OR claimed_until <= ?)"
        full = full_recipients(per_recipient, holding)
        if full:  # people the caller holds enough of already: their later messages wait in the store
            due += f" AND recipient_id NOT IN ({','.join('?' for _ in full)})"
        # With a cap per person, read a few times `limit` in order and keep each person's first ones.
        reading = limit if per_recipient is None else limit * 4

        def lease(db: sqlite3.Connection) -> list[sqlite3.Row]:
            sql = f"SELECT * FROM outbox WHERE {due} ORDER BY not_before LIMIT ?"
            found = db.execute(sql, (moment, moment, *full, reading)).fetchall()
            rows = pick_fairly(found, lambda r: r["recipient_id"], limit, per_recipient, holding)
            if rows:
                leases = [(lease_until, r["id"]) for r in rows]
                db.executemany("UPDATE outbox SET claimed_until = ? WHERE id = ?", leases)
            return rows

        def poll(db: sqlite3.Connection) -> list[sqlite3.Row]:
            if db.execute(f"SELECT 1 FROM outbox WHERE {due} LIMIT 1", (moment, moment, *full)).fetchone() is None:
                return []  # a poll that finds nothing takes no write lock
            return in_transaction(db, lease)

        rows = await self._thread.run(poll)
        return [
            OutboxMessage(
                id=r["id"],
                recipient_id=r["recipient_id"],
                kind=r["kind"],
                idea_id=r["idea_id"],
                created_at=datetime.fromisoformat(r["created_at"]),
                not_before=datetime.fromisoformat(r["not_before"]),
                payload=json.loads(r["payload"]),
                attempts=r["attempts"],
                last_error=r["last_error"],
            )
            for r in rows
        ]

    async def complete(self, message_id: str) -> None:
        await self._execute("UPDATE outbox SET state = 'sent', claimed_until = NULL WHERE id = ?", (message_id,))

    async def complete_many(self, message_ids: Sequence[str]) -> None:
        if not message_ids:
            return
        rows = [(message_id,) for message_id in message_ids]
        await self._write(
            lambda db: db.executemany("UPDATE outbox SET state = 'sent', claimed_until = NULL WHERE id = ?", rows)
        )

    async def reschedule(self, message_id: str, not_before: datetime, attempts: int, error: str) -> None:
        await self._execute(
            "UPDATE outbox SET not_before = ?, attempts = ?, last_error = ?, claimed_until = NULL WHERE id = ?",
            (_utc(not_before), attempts, error[:500], message_id),
        )

    async def give_up(self, message_id: str, error: str) -> None:
        await self._execute(
            "UPDATE outbox SET state = 'failed', last_error = ?, claimed_until = NULL WHERE id = ?",
            (error[:500], message_id),
        )

    async def renew_leases(self, message_ids: Sequence[str], until: datetime) -> None:
        if not message_ids:
            return
        rows = [(_utc(until), message_id) for message_id in message_ids]
        await self._write(
            lambda db: db.executemany("UPDATE outbox SET claimed_until = ? WHERE id = ? AND state = 'pending'", rows)
        )

    async def release(self, message_ids: Sequence[str], now: datetime) -> None:
        if not message_ids:
            return
        rows = [(message_id,) for message_id in message_ids]
        await self._write(
            lambda db: db.executemany("UPDATE outbox SET claimed_until = NULL WHERE id = ? AND state = 'pending'", rows)
        )

    # ---- health -----------------------------------------------------------------------
    async def outbox_backlog(self, now: datetime | None = None) -> OutboxBacklog:
        at = _utc(now or datetime.now(UTC))
        row = await self._fetchone(
            "SELECT COUNT(*), COUNT(CASE WHEN due_at <= ? THEN 1 END), MIN(CASE WHEN due_at <= ? THEN due_at END) "
            "FROM outbox WHERE state = 'pending'",
            (at, at),
        )
        return OutboxBacklog(int(row[0]), int(row[1]), datetime.fromisoformat(row[2]) if row[2] else None)

    async def probe_write(self, timeout_seconds: float = 2.0) -> bool:
        """A real write on a connection of its own, with a short busy timeout.

        Not on the shared connection: a write that waits on another process's lock would hold
        up every operation queued behind it on the connection's thread.
        """
        if self._path == ":memory:":
            return self._thread.is_open
        return await asyncio.to_thread(_probe_write, self._path, timeout_seconds, self._instance)

    # ---- configuration kept with the records --------------------------------------------------
    async def get_setting(self, key: str) -> StoredSetting | None:
        row = await self._fetchone("SELECT key, body, updated_at, updated_by FROM settings WHERE key = ?", (key,))
        if row is None:
            return None
        return StoredSetting(row["key"], row["body"], datetime.fromisoformat(row["updated_at"]), row["updated_by"])

    async def put_setting(self, setting: StoredSetting) -> None:
        await self._execute(
            "INSERT INTO settings (key, body, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO "
            "UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            (setting.key, setting.text, setting.updated_at.isoformat(), setting.updated_by),
        )

    # ---- acting approvers ------------------------------------------------------------------
    async def save_delegation(self, delegation: Delegation, *, now: datetime | None = None) -> None:
        """One delegation per approver: a new one replaces the old (ending it early is a save too).
        The loop check runs inside the transaction (BEGIN IMMEDIATE), on what is stored then."""
        row = (delegation.principal_id, delegation.delegate_id, _utc(delegation.ends_at),
               json.dumps(delegation_to_dict(delegation)))  # fmt: skip

        def save(db: sqlite3.Connection) -> None:
            if now is not None and delegation.active(now):
                stored = db.execute(
                    "SELECT body FROM delegations WHERE ends_at > ? AND principal_id <> ?",
                    (_utc(now), delegation.principal_id),
                ).fetchall()
                in_force = [delegation_from_dict(json.loads(r["body"])) for r in stored]
                if closes_a_loop(delegation.principal_id, delegation.delegate_id,
                                 onward_of({d.principal_id: d for d in in_force}, now)):  # fmt: skip
                    raise DelegationRefused(DelegationProblem.LOOP)
            db.execute(
                "INSERT INTO delegations (principal_id, delegate_id, ends_at, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(principal_id) DO UPDATE SET delegate_id = excluded.delegate_id, "
                "ends_at = excluded.ends_at, body = excluded.body",
                row,
            )

        await self._write(save)

    async def get_delegation(self, principal_id: str) -> Delegation | None:
        row = await self._fetchone("SELECT body FROM delegations WHERE principal_id = ?", (principal_id,))
        return delegation_from_dict(json.loads(row["body"])) if row else None

    async def delegations_in_force(self, now: datetime) -> dict[str, Delegation]:
        rows = await self._fetchall("SELECT body FROM delegations WHERE ends_at > ?", (_utc(now),))
        found = [delegation_from_dict(json.loads(r["body"])) for r in rows]
        return {d.principal_id: d for d in found if d.active(now)}

    async def delegations_involving(self, person_id: str) -> list[Delegation]:
        rows = await self._fetchall(
            "SELECT body FROM delegations WHERE principal_id = ? OR delegate_id = ? ORDER BY ends_at",
            (person_id, person_id),
        )
        return [delegation_from_dict(json.loads(r["body"])) for r in rows]

    # ---- one hand-off per operation ------------------------------------------------------
    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on failure) on the
        connection's thread. `work` is plain synchronous code: build its rows before calling."""
        return await self._thread.write(work)

    async def _fetchone(self, sql: str, params: tuple = ()) -> sqlite3.Row | None:
        return await self._thread.run(lambda db: db.execute(sql, params).fetchone())

    async def _fetchall(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        return await self._thread.run(lambda db: db.execute(sql, params).fetchall())

    async def _execute(self, sql: str, params: tuple = ()) -> None:
        """One statement in its own (autocommit) transaction."""
        await self._thread.run(lambda db: db.execute(sql, params).close())


def _insert_decisions(db: sqlite3.Connection, rows: list[tuple]) -> None:
    """Rows from sqlite_digest.digest_rows: the decision and what the digest reads of it."""
    if rows:
        db.executemany(DECISIONS_UPSERT, rows)


def outbox_times_in_utc(db: sqlite3.Connection) -> None:
    """Rows queued by an earlier version kept their local offset ("09:00:00-05:00"), which compares
    as text against UTC hours too early: rewrite the pending ones in the one comparable form."""
    rows = db.execute(
        "SELECT id, not_before, claimed_until FROM outbox WHERE state = 'pending' AND (not_before NOT LIKE '%Z'"
        " OR (claimed_until IS NOT NULL AND claimed_until NOT LIKE '%Z'))"
    ).fetchall()
    if rows:
        fixed = [(_utc(datetime.fromisoformat(due)), _utc(datetime.fromisoformat(lease)) if lease else None, key)
                 for key, due, lease in rows]  # fmt: skip
        in_transaction(db, lambda d: d.executemany("UPDATE outbox SET not_before = ?, claimed_until = ? WHERE id = ?",
                                                   fixed))  # fmt: skip


def _outbox_rows(outbox: Sequence[OutboxMessage]) -> list[tuple]:
    return [
        (
            m.id,
            m.recipient_id,
            str(m.kind),
            m.idea_id,
            json.dumps(m.payload),
            _iso(m.created_at),
            _utc(m.not_before),  # compared as text with the clock: one zone, one format
            _utc(due_since(m.created_at, m.not_before)),
            m.attempts,
        )
        for m in outbox
    ]


def _insert_outbox(db: sqlite3.Connection, rows: list[tuple]) -> None:
    if rows:
        db.executemany(
            # OR IGNORE: message ids are deterministic, so a message queued twice is one message.
            "INSERT OR IGNORE INTO outbox"
            " (id, recipient_id, kind, idea_id, payload, created_at, not_before, due_at, attempts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def add_outbox_due_column(db: sqlite3.Connection) -> None:
    """A file written before `outbox.due_at` gains it, filled in for the rows still pending: their
    scheduled time if never retried (a lease here is `claimed_until`, so `not_before` is still the
    one they were queued with), else when they were queued (a retry moved `not_before`)."""
    if "due_at" in {row[1] for row in db.execute("PRAGMA table_info(outbox)")}:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if "due_at" not in {row[1] for row in db.execute("PRAGMA table_info(outbox)")}:
            db.execute("ALTER TABLE outbox ADD COLUMN due_at TEXT")
            rows = db.execute("SELECT id, created_at, not_before, attempts FROM outbox WHERE state = 'pending'")
            filled = [(_utc(_legacy_due(*row[1:])), row[0]) for row in rows.fetchall()]
            db.executemany("UPDATE outbox SET due_at = ? WHERE id = ?", filled)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _legacy_due(created_at: str, not_before: str, attempts: int) -> datetime:
    created = datetime.fromisoformat(created_at)
    return due_since(created, datetime.fromisoformat(not_before)) if attempts == 0 else created


def _projected(rows: Sequence[Sequence[Any]]) -> list[DigestIdea]:
    """(trimmed body, shortlisted) rows as the digest's projections."""
    page = [digest_idea_from_dict(json.loads(row[0])) for row in rows]
    return in_challenge_shortlist(page, {idea.id for idea, row in zip(page, rows, strict=True) if row[1]})


def _project_page(cursor: sqlite3.Cursor, size: int) -> list[DigestIdea]:
    return _projected(cursor.fetchmany(size))


def _probe_write(path: str, timeout_seconds: float, instance: str) -> bool:
    try:
        connection = sqlite3.connect(path, timeout=timeout_seconds, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        now = datetime.now(UTC)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("DELETE FROM health_probes WHERE written_at < ?", ((now - timedelta(days=1)).isoformat(),))
        connection.execute(
            "INSERT INTO health_probes (instance, written_at) VALUES (?, ?)"
            " ON CONFLICT(instance) DO UPDATE SET written_at = excluded.written_at",
            (instance, now.isoformat()),
        )
        connection.execute("COMMIT")
        return True
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def _conversation_from_json(text: str) -> ConversationRecord:
    data = json.loads(text)
    updated = data.pop("updated_at", None)
    return ConversationRecord(**data, updated_at=datetime.fromisoformat(updated) if updated else None)
