"""Records management in the embedded SQLite store: the register, and each class's records as disposal
sees them (mixed into SqliteStore: same file). A class's records are destroyed in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot.adapters.carried_lessons import forget_lessons
from bot.domain.retention import RecordClass, StoredRecord, people_records, week_start
from bot.ports.records import EntryKind, MessageRecord, RegisterEntry

RECORDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS records_register (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    record_class TEXT NOT NULL DEFAULT '',
    subject_id TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_register_kind ON records_register (kind, at);
"""

CLOSED = "('approved', 'rejected', 'withdrawn')"

# Each class: the query listing its records (key, event, open, idea, challenge), and what destroying
# one record deletes (statements taking the record's key).
_LISTS: dict[RecordClass, str] = {
    RecordClass.IDEAS: (
        "SELECT id, json_extract(body, '$.statusSince'), status NOT IN " + CLOSED + ", id,"
        " coalesce(json_extract(body, '$.challenge'), '') FROM ideas"
    ),
    RecordClass.DECISIONS: (
        "SELECT idea_id || ':' || revision || ':' || step_index, decided_at, 0, idea_id, '' FROM decisions"
    ),
    RecordClass.STAGE_HISTORY: (
        "SELECT idea_id, NULL, 0, idea_id, challenge_id FROM idea_stages"
        " UNION SELECT idea_id, NULL, 0, idea_id, challenge_id FROM stage_history"
    ),
    RecordClass.FUNDING: (
        "SELECT idea_id, recorded_at, 0, idea_id, challenge_id FROM funding"
        " UNION SELECT p.idea_id, p.filed_at, 0, p.idea_id, coalesce(s.challenge_id, '') FROM progress_updates p"
        " LEFT JOIN idea_stages s ON s.idea_id = p.idea_id WHERE p.idea_id NOT IN (SELECT idea_id FROM funding)"
    ),
    RecordClass.SCORECARDS: (
        "SELECT challenge_id || ':' || finalist_id || ':' || judge_id, NULL, 0, finalist_id, challenge_id"
        " FROM scorecards"
    ),
    RecordClass.VOTES: "SELECT challenge_id || ':' || voter_id, NULL, 0, '', challenge_id FROM votes",
    RecordClass.NOTIFICATIONS: "SELECT id, not_before, state = 'pending', idea_id, '' FROM outbox",
    RecordClass.DIGESTS: (
        "SELECT dm_id || '|' || week_key, updated_at, state = 'sending', week_key, '' FROM digest_deliveries"
    ),
    RecordClass.DELIVERY_LOGS: "SELECT message_id, sent_at, 0, idea_id, '' FROM sent_cards",
    # a lesson lives in its idea's body; the idea's key, since there is one lesson per idea
    RecordClass.LESSONS: (
        "SELECT id, json_extract(body, '$.lesson.writtenAt'), 0, id, coalesce(json_extract(body, '$.challenge'), '')"
        " FROM ideas WHERE json_extract(body, '$.lesson') IS NOT NULL"
    ),
    # counted from the answer; a request never answered, from when it was asked
    RecordClass.CONNECTION_REQUESTS: (
        "SELECT id, coalesce(json_extract(body, '$.answeredAt'), created_at), 0, idea_id, '' FROM connect_requests"
    ),
    # counted from the end; the key names the end too, so a new arrangement the approver makes meanwhile stays
    RecordClass.ACTING_ARRANGEMENTS: "SELECT principal_id || '|' || ends_at, ends_at, 0, '', '' FROM delegations",
}
# A person's contact and language choice count from their last contact with the Den: the latest of the
# chat recorded, the language chosen and a message sent to them. A message still to send keeps both.
_PEOPLE: dict[RecordClass, str] = {
    RecordClass.CONTACTS: "SELECT c.user_id, c.updated_at, p.updated_at FROM conversations c"
    " LEFT JOIN preferences p ON p.user_id = c.user_id",
    RecordClass.PREFERENCES: "SELECT p.user_id, c.updated_at, p.updated_at FROM preferences p"
    " LEFT JOIN conversations c ON c.user_id = p.user_id",
}
_DESTROY: dict[RecordClass, tuple[str, ...]] = {
    RecordClass.IDEAS: (
        # the tab's search index holds the idea's words: they go with it
        "DELETE FROM tab_fts WHERE rowid IN (SELECT doc FROM tab_ideas WHERE idea_id = ?)",
        "DELETE FROM tab_audience WHERE idea_id = ?",
        "DELETE FROM tab_text WHERE doc IN (SELECT doc FROM tab_ideas WHERE idea_id = ?)",
        "DELETE FROM tab_ideas WHERE idea_id = ?",
        "DELETE FROM idea_lines WHERE idea_id = ?",
        "DELETE FROM ideas WHERE id = ?",
    ),
    RecordClass.DECISIONS: (
        "DELETE FROM decisions WHERE idea_id || ':' || revision || ':' || step_index = ?",
    ),
    RecordClass.STAGE_HISTORY: (
        "DELETE FROM stage_history WHERE idea_id = ?",
        "DELETE FROM idea_stages WHERE idea_id = ?",
    ),
    RecordClass.FUNDING: ("DELETE FROM progress_updates WHERE idea_id = ?", "DELETE FROM funding WHERE idea_id = ?"),
    RecordClass.SCORECARDS: (
        "DELETE FROM scorecards WHERE challenge_id || ':' || finalist_id || ':' || judge_id = ?",
    ),
    RecordClass.VOTES: ("DELETE FROM votes WHERE challenge_id || ':' || voter_id = ?",),
    RecordClass.NOTIFICATIONS: ("DELETE FROM outbox WHERE id = ? AND state != 'pending'",),
    RecordClass.DIGESTS: ("DELETE FROM digest_deliveries WHERE dm_id || '|' || week_key = ? AND state != 'sending'",),
    RecordClass.DELIVERY_LOGS: ("DELETE FROM sent_cards WHERE message_id = ?",),
    RecordClass.CONNECTION_REQUESTS: ("DELETE FROM connect_requests WHERE id = ?",),
    RecordClass.CONTACTS: ("DELETE FROM conversations WHERE user_id = ?",),
    RecordClass.PREFERENCES: ("DELETE FROM preferences WHERE user_id = ?",),
    RecordClass.ACTING_ARRANGEMENTS: ("DELETE FROM delegations WHERE principal_id || '|' || ends_at = ?",),
}


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SqliteRecords:
    """RecordsStore over the SqliteStore's connection."""

    # Provided by SqliteStore.
    _write: Callable
    _fetchall: Callable
    _execute: Callable

    async def add_entry(self, entry: RegisterEntry) -> None:
        await self._execute(
            "INSERT OR IGNORE INTO records_register (key, kind, at, by, record_class, subject_id, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entry.key, entry.kind.value, entry.at.astimezone(UTC).isoformat(), entry.by, entry.record_class,
             entry.subject_id, json.dumps(entry.body, ensure_ascii=False)),
        )  # fmt: skip

    async def register_entries(
        self, kind: EntryKind, since: datetime | None = None, until: datetime | None = None
    ) -> list[RegisterEntry]:
        sql, params = "SELECT * FROM records_register WHERE kind = ?", [kind.value]
        if since is not None:
            sql, params = sql + " AND at >= ?", [*params, since.astimezone(UTC).isoformat()]
        if until is not None:
            sql, params = sql + " AND at < ?", [*params, until.astimezone(UTC).isoformat()]
        rows = await self._fetchall(sql + " ORDER BY at, key", tuple(params))
        return [
            RegisterEntry(r["key"], EntryKind(r["kind"]), _moment(r["at"]), r["by"], r["record_class"],
                          r["subject_id"], json.loads(r["body"]))
            for r in rows
        ]  # fmt: skip

    async def stored_records(self, record_class: RecordClass) -> list[StoredRecord]:
        if record_class in _PEOPLE:
            return await self._people_records(record_class)
        sql = _LISTS.get(record_class)
        if sql is None:
            return []
        rows = await self._fetchall(sql)
        found: dict[str, StoredRecord] = {}
        for key, moment, is_open, idea_id, challenge_id in rows:
            at = week_start(idea_id) if record_class is RecordClass.DIGESTS else _moment(moment)
            if record_class is RecordClass.DIGESTS:
                idea_id = ""
            found.setdefault(key, StoredRecord(record_class, key, at, bool(is_open), idea_id, challenge_id))
        return list(found.values())

    async def _people_records(self, record_class: RecordClass) -> list[StoredRecord]:
        rows = await self._fetchall(_PEOPLE[record_class])
        messages = await self._fetchall("SELECT recipient_id, created_at, state FROM outbox")
        return people_records(record_class, [(r[0], [_moment(r[1]), _moment(r[2])]) for r in rows],
                              [(m[0], _moment(m[1]), m[2] == "pending") for m in messages])  # fmt: skip

    async def destroy_records(self, record_class: RecordClass, records: Sequence[StoredRecord]) -> int:
        if record_class is RecordClass.LESSONS:
            return await forget_lessons(self, records)
        statements = _DESTROY.get(record_class, ())
        keys = sorted({r.key for r in records})

        def destroy(db: sqlite3.Connection) -> int:
            destroyed = 0
            for key in keys:
                rows = sum(db.execute(statement, (key,)).rowcount for statement in statements)
                destroyed += rows > 0
            return destroyed

        return await self._write(destroy) if statements and keys else 0

    async def messages_to(self, person_id: str) -> list[MessageRecord]:
        rows = await self._fetchall(
            "SELECT id, kind, idea_id, created_at, state FROM outbox WHERE recipient_id = ? ORDER BY created_at, id",
            (person_id,),
        )
        return [MessageRecord(r["id"], r["kind"], r["idea_id"], _moment(r["created_at"]), r["state"]) for r in rows]
