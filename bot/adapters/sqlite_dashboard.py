"""The dashboard's read on the embedded store: one challenge's ideas as the digest projects them.

The same projection as the digest's scan (`DigestIdea`), narrowed in SQL to one challenge's ideas,
and read from the columns the digest keeps beside each idea (bot/adapters/sqlite_digest.py: times as
epoch seconds, branch, area, level of the step held, each decision's times and level) plus one
multi-path `json_extract` per idea for the few fields only its record holds (and the holder's name for
an idea in review), so no idea's record is parsed in Python. Two statements whatever the number of
ideas, narrowed by an index (the challenge's, or the creation time for a year), on a connection of the
read's own in a worker thread (WAL: clicks go on writing meanwhile).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime

from bot.adapters.sqlite_digest import shortlisted_sql
from bot.domain.digest import DigestDecision, DigestIdea
from bot.domain.model import IdeaStatus, Outcome, Role

_CHALLENGE = "json_extract(i.body, '$.challenge') = ?"  # the expression the ideas_challenge index holds
_CREATED = "i.created_ts >= ? AND i.created_ts < ?"  # a year's ideas (the ideas_created index)
_IDEAS = (
    "SELECT i.id, i.status, i.created_ts, i.since_ts, i.submitter_id, i.submitter_branch, i.program_area,"
    " i.chain_length, i.holder_role, " + shortlisted_sql("i") + ","
    " json_extract(i.body, '$.reference', '$.pitch.title', '$.submitter.name', '$.submitter.role', '$.revision',"
    " '$.currentStep', '$.lineIds', '$.challenge'),"
    # the holder's name alone (not the whole chain, re-serialized and parsed), for the ideas in review only
    " CASE WHEN i.status = 'in_review' THEN json_extract(i.body, printf('$.chain[%d].approverName',"
    " json_extract(i.body, '$.currentStep'))) END"
    " FROM ideas i WHERE {where}"
)
_DECISIONS = (
    "SELECT d.idea_id, d.step_index, d.outcome, d.decided_ts, d.requested_ts, d.role FROM decisions d"
    " JOIN ideas i ON i.id = d.idea_id WHERE {where} ORDER BY d.idea_id, d.decided_ts, d.revision, d.step_index"
)
_STATUS = {s.value: s for s in IdeaStatus}
_OUTCOME = {o.value: o for o in Outcome}
_ROLE = {r.value: r for r in Role}


def _moment(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def projections(db: sqlite3.Connection, where: str, params: tuple) -> list[DigestIdea]:
    """The digest's projection of the ideas `where` selects (`i` is the ideas table), in two statements."""
    decisions: dict[str, list[DigestDecision]] = defaultdict(list)
    for idea_id, step, outcome, decided, requested, role in db.execute(_DECISIONS.format(where=where), params):
        decisions[idea_id].append(
            DigestDecision(step, _OUTCOME[outcome], _moment(decided), _moment(requested), _ROLE[role])
        )
    found = []
    for row in db.execute(_IDEAS.format(where=where), params):
        (idea_id, status, created, since, submitter, branch, area, chain_length, holder_role, shortlisted,
         extracted, holder_name) = row
        reference, title, name, level, revision, current, line_ids, challenge = json.loads(extracted)
        found.append(
            DigestIdea(
                id=idea_id, reference=reference or "", title=title or "", submitter_id=submitter,
                submitter_name=name or "", submitter_branch=branch or "", program_area=area or "",
                status=_STATUS[status], created_at=_moment(created), status_since=_moment(since),
                revision=revision, current_step=current, chain_length=chain_length,
                holder_name=holder_name or "",
                holder_role=_ROLE[holder_role] if holder_role else None, shortlisted=bool(shortlisted),
                line_ids=tuple(line_ids or ()),
                decisions=tuple(decisions.get(idea_id, ())),
                challenge=challenge or "", submitter_level=level or "staff",
            )
        )
    return found


def challenge_projections(db: sqlite3.Connection, challenge_id: str) -> list[DigestIdea]:
    return projections(db, _CHALLENGE, (challenge_id,))


def created_projections(db: sqlite3.Connection, start: datetime, end: datetime) -> list[DigestIdea]:
    return projections(db, _CREATED, (start.timestamp(), end.timestamp()))


class SqliteDashboardReads:
    """Mixed into SqliteStore (it provides `_path`, `_thread` and `_busy_timeout_ms`)."""

    async def scan_challenge(self, challenge_id: str):
        """One page: the challenge's ideas (an async iterator of pages, as the digest's scan is)."""
        async for page in self._scan(challenge_projections, challenge_id):
            yield page

    async def scan_created(self, start: datetime, end: datetime):
        """One page: the ideas pitched from `start` until `end` (a year's)."""
        async for page in self._scan(created_projections, start, end):
            yield page

    async def _scan(self, read, *args):
        if self._path == ":memory:":
            yield await self._thread.run(lambda db: read(db, *args))
            return
        connection = sqlite3.connect(self._path, timeout=self._busy_timeout_ms / 1000, check_same_thread=False)
        try:
            yield await asyncio.to_thread(read, connection, *args)
        finally:
            connection.close()
