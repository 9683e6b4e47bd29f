"""The dashboard's read on the embedded store: one challenge's ideas as the digest projects them.

The same projection as the digest's scan (`DigestIdea`), narrowed in SQL to one challenge's ideas,
and read from the columns the digest keeps beside each idea (bot/adapters/sqlite_digest.py: times as
epoch seconds, branch, area, level of the step held, each decision's times and level) plus one
multi-path `json_extract` per idea for the few fields only its record holds, so no idea's record is
parsed in Python. Two statements whatever the number of ideas, on a connection of the read's own in
a worker thread (WAL: clicks go on writing meanwhile).
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

_IDEAS = (
    "SELECT i.id, i.status, i.created_ts, i.since_ts, i.submitter_id, i.submitter_branch, i.program_area,"
    " i.chain_length, i.holder_role, " + shortlisted_sql("i") + ","
    " json_extract(i.body, '$.reference', '$.pitch.title', '$.submitter.name', '$.submitter.role', '$.revision',"
    " '$.currentStep', '$.lineIds', '$.chain')"
    " FROM ideas i WHERE json_extract(i.body, '$.challenge') = ? ORDER BY i.rowid"
)
_DECISIONS = (
    "SELECT d.idea_id, d.step_index, d.outcome, d.decided_ts, d.requested_ts, d.role FROM decisions d"
    " JOIN ideas i ON i.id = d.idea_id WHERE json_extract(i.body, '$.challenge') = ?"
    " ORDER BY d.idea_id, d.decided_ts, d.revision, d.step_index"
)
_STATUS = {s.value: s for s in IdeaStatus}
_OUTCOME = {o.value: o for o in Outcome}
_ROLE = {r.value: r for r in Role}


def _moment(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def challenge_projections(db: sqlite3.Connection, challenge_id: str) -> list[DigestIdea]:
    decisions: dict[str, list[DigestDecision]] = defaultdict(list)
    for idea_id, step, outcome, decided, requested, role in db.execute(_DECISIONS, (challenge_id,)):
        decisions[idea_id].append(
            DigestDecision(step, _OUTCOME[outcome], _moment(decided), _moment(requested), _ROLE[role])
        )
    found = []
    for row in db.execute(_IDEAS, (challenge_id,)):
        (idea_id, status, created, since, submitter, branch, area, chain_length, holder_role, shortlisted,
         extracted) = row
        reference, title, name, level, revision, current, line_ids, chain = json.loads(extracted)
        in_review = status == "in_review" and chain and 0 <= current < len(chain)
        found.append(
            DigestIdea(
                id=idea_id, reference=reference or "", title=title or "", submitter_id=submitter,
                submitter_name=name or "", submitter_branch=branch or "", program_area=area or "",
                status=_STATUS[status], created_at=_moment(created), status_since=_moment(since),
                revision=revision, current_step=current, chain_length=chain_length,
                holder_name=chain[current]["approverName"] if in_review else "",
                holder_role=_ROLE[holder_role] if holder_role else None, shortlisted=bool(shortlisted),
                line_ids=tuple(line_ids or ()), decisions=tuple(decisions.get(idea_id, ())),
                challenge=challenge_id, submitter_level=level or "staff",
            )
        )
    return found


class SqliteDashboardReads:
    """Mixed into SqliteStore (it provides `_path`, `_thread` and `_busy_timeout_ms`)."""

    async def scan_challenge(self, challenge_id: str):
        """One page: the challenge's ideas (an async iterator of pages, as the digest's scan is)."""
        if self._path == ":memory:":
            yield await self._thread.run(lambda db: challenge_projections(db, challenge_id))
            return
        connection = sqlite3.connect(self._path, timeout=self._busy_timeout_ms / 1000, check_same_thread=False)
        try:
            yield await asyncio.to_thread(challenge_projections, connection, challenge_id)
        finally:
            connection.close()
