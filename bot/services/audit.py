"""The audit trail: every decision, stage change, acting arrangement, hand-over (reassignment,
escalation, acting), panel action, permission refusal, correction and disposal, for a date range.

Most of it is read from the records themselves (an idea's decisions and history, a stage's dated
changes, a panel's and a poll's who-and-when), so the trail can never disagree with them. Permission
refusals leave no record of their own (nothing changed), so the app keeps them in the records register
as they are logged: `RefusalTap` is a logging handler that turns every "... refused" log line (ids
only, as every log line) into a register entry.

Ids and outcomes only: no text anyone typed (a comment, a reason) enters the trail.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from bot.domain.model import HistoryKind
from bot.ports.records import EntryKind, RegisterEntry

log = logging.getLogger(__name__)

COLUMNS = ("at", "event", "actor_id", "actor", "subject", "challenge", "detail")
HANDOVERS = {
    HistoryKind.REASSIGNED: "reassignment",
    HistoryKind.ESCALATED: "escalation",
    HistoryKind.ACTING: "acting",
    HistoryKind.MOVED_ON: "moved_on",
    HistoryKind.SECOND_LOOK: "second_look",
    HistoryKind.WITHDRAWN: "withdrawal",
    HistoryKind.CORRECTED: "correction",
}
IDS = ("actor_id", "idea_id", "challenge_id", "reason", "verb", "tenant_id", "path")


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


class AuditService:
    def __init__(self, store, *, clock: Callable[[], datetime]) -> None:
        self.store = store  # Ideas + Stages + Challenges + Panels + Votes + Delegations + the register
        self.clock = clock

    async def events(
        self, since: datetime, until: datetime, *, challenge_ids: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """Every audited event in [since, until), oldest first. With `challenge_ids` (an organiser's
        console), only what happened in those challenges and to their ideas."""
        only = set(challenge_ids) if challenge_ids is not None else None
        found: list[dict[str, Any]] = []

        def add(at: datetime | None, event: str, actor_id: str = "", actor: str = "", subject: str = "",
                challenge: str = "", detail: str = "") -> None:  # fmt: skip
            if at is not None and since <= at < until and (only is None or challenge in only):
                found.append({"at": _iso(at), "event": event, "actor_id": actor_id, "actor": actor, "subject": subject,
                              "challenge": challenge, "detail": detail})  # fmt: skip

        ideas = await self.store.list_for_digest(None)
        for idea in ideas:
            for d in idea.decisions:
                level = idea.chain[d.step_index].role.value if d.step_index < len(idea.chain) else ""
                acting = f"; acting for {d.on_behalf_of_id}" if d.on_behalf_of_id else ""
                add(d.decided_at, f"decision:{d.outcome.value}", d.approver_id, d.approver_name, idea.reference,
                    idea.challenge, f"revision {d.revision}, {level}{acting}")  # fmt: skip
            for h in idea.history:
                if h.kind in HANDOVERS:
                    detail = _handover_detail(h)
                    add(h.at, HANDOVERS[h.kind], h.actor_id, h.actor_name, idea.reference, idea.challenge, detail)
        references = {i.id: i.reference for i in ideas}
        for challenge in await self.store.list_challenges():
            if only is not None and challenge.id not in only:
                continue
            for stage in await self.store.list_stages(challenge.id):
                for change in stage.history:
                    before = change.from_stage.value if change.from_stage else "-"
                    add(change.at, "stage_change", change.by, "", references.get(stage.idea_id, stage.idea_id),
                        challenge.id, f"{before} -> {change.to_stage.value}")  # fmt: skip
            panel = await self.store.get_panel(challenge.id)
            if panel is not None:
                add(panel.named_at, "panel_named", panel.named_by, "", "", challenge.id,
                    f"{len(panel.judge_ids)} judges, chair {panel.chair_id}")  # fmt: skip
                add(panel.scoring_closed_at, "scoring_closed", panel.scoring_closed_by, "", "", challenge.id)
            for card in await self.store.list_scorecards(challenge.id):
                add(card.declared_at, f"declaration:{card.conflict.value}", card.judge_id, "",
                    references.get(card.finalist_id, card.finalist_id), challenge.id)  # fmt: skip
            poll = await self.store.get_poll(challenge.id)
            if poll is not None:
                add(poll.opened_at, "voting_opened", poll.opened_by, "", "", challenge.id)
                add(poll.closed_at, "voting_closed", poll.closed_by, "", "", challenge.id,
                    f"{poll.total} votes")  # fmt: skip
        if only is None:
            # Each approver's latest arrangement is kept; every step it handed on is in the trail as "acting".
            for d in (await self.store.delegations_in_force(self.clock())).values():
                add(d.created_at, "acting_arrangement", d.principal_id, d.principal_name, "", "",
                    f"{d.delegate_id} acts until {d.last_day}")  # fmt: skip
        for entry in await self.store.register_entries(EntryKind.REFUSAL, since, until):
            b = entry.body
            add(entry.at, f"refused:{b.get('action', '')}", b.get("actor_id", ""), "",
                references.get(b.get("idea_id", ""), b.get("idea_id", "")), b.get("challenge_id", ""),
                "; ".join(f"{k}={b[k]}" for k in ("reason", "verb", "tenant_id", "path") if b.get(k)))  # fmt: skip
        if only is None:
            for kind in (EntryKind.AUTHORIZATION, EntryKind.DISPOSAL):
                for entry in await self.store.register_entries(kind, since, until):
                    add(entry.at, kind.value, "", entry.by, entry.record_class, "",
                        f"{entry.body.get('count', 0)} records, item {entry.body.get('item', '')}")  # fmt: skip
        return sorted(found, key=lambda e: (e["at"], e["event"], e["subject"]))


# Codes the Den writes as a hand-over's reason (what a person typed is never in the trail).
REASON_CODES = {"delegation", "away", "back", "no_decision"}


def _handover_detail(entry) -> str:
    moved = f"{entry.from_id} -> {entry.to_id}" if entry.to_id or entry.from_id else ""
    code = entry.reason if entry.reason in REASON_CODES else ""
    field = entry.to_name if entry.kind == HistoryKind.CORRECTED else ""
    return "; ".join(x for x in (moved if entry.kind != HistoryKind.CORRECTED else "", code, field) if x)


def as_csv(events: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(events)
    return buffer.getvalue()


def as_json(events: list[dict[str, Any]], since: datetime, until: datetime) -> str:
    return json.dumps({"from": _iso(since), "to": _iso(until), "events": events}, ensure_ascii=False, indent=2) + "\n"


class RefusalTap(logging.Handler):
    """Keeps every logged permission refusal in the records register (ids only), written in the
    background so a refused click answers as fast as before. Two instances in one process (tests)
    keep one entry: the key is the log record's own identity."""

    def __init__(self, store, clock: Callable[[], datetime]) -> None:
        super().__init__(level=logging.WARNING)
        self.store = store
        self.clock = clock
        self._writes: set[asyncio.Task] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.endswith("refused"):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        body = {"action": message.removesuffix(" refused").replace(" ", "_")}
        body |= {key: str(getattr(record, key)) for key in IDS if getattr(record, key, "")}
        identity = f"{record.created}:{record.process}:{record.thread}:{sorted(body.items())}"
        key = "refusal:" + hashlib.sha256(identity.encode()).hexdigest()[:32]
        entry = RegisterEntry(key, EntryKind.REFUSAL, self.clock(), body.get("actor_id", ""), body=body)
        task = loop.create_task(self._write(entry))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, entry: RegisterEntry) -> None:
        try:
            await self.store.add_entry(entry)
        except Exception:  # the store is down: the log line stands; nothing else to do
            log.debug("refusal not kept in the register", exc_info=True)

    async def settle(self) -> None:
        """Wait for the entries being written (at shutdown)."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
