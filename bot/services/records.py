"""Disposal under the retention schedule, with the head's authorization (FIPPA, R.R.O. 1990, Reg. 459).

Three steps, each an administrator's command (bot/admin/records.py):
1. `due`: what the schedule makes due, per class (count, oldest and newest event);
2. `authorize`: an administrator records who authorized the disposal of a class's due records, under
   which schedule item, and when; the authorization covers what was due at that moment;
3. `dispose`: only with an authorization, those records are destroyed, on whichever store the Den
   runs on, and a disposal record is kept (class, count, date range, authorization, when, by whom)
   in the records register, which the Den never disposes of. A dry run shows the same and changes
   nothing. An authorization is used once.

Before a challenge's ideas, stage records or funding are destroyed, its report's figures are kept
(the closed challenge's funnel stays what it was). When votes are destroyed, the poll keeps the
counts frozen at closing and forgets the voters it kept for the card's refresh list: nothing then
links a voter to a choice.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.correction import CorrectionRefused, correct_pitch
from bot.domain.den_report import frozen_figures, frozen_report_key
from bot.domain.model import HistoryKind
from bot.domain.outbox import MessageKind, message_id
from bot.domain.retention import (
    CARRIED_BY,
    DueSummary,
    Event,
    RecordClass,
    RetentionRule,
    RetentionSchedule,
    StoredRecord,
    is_due,
    summarize,
)
from bot.ports.records import EntryKind, RegisterEntry
from bot.ports.retry import conflict_retry
from bot.ports.store import OutboxMessage, StoredSetting
from bot.services.in_force import InForce

log = logging.getLogger(__name__)
ROUND_KEY = "retention-round"  # the stored setting: when the daily disposal round last finished every class

# Classes whose destruction must first keep a challenge's report figures.
REPORTED = frozenset({RecordClass.IDEAS, RecordClass.STAGE_HISTORY, RecordClass.FUNDING})
# Records kept only to deliver messages: an administrator may authorize their disposal once for all
# (a standing authorization), and the app then destroys them daily as they fall due.
TRANSITORY = (RecordClass.NOTIFICATIONS, RecordClass.DIGESTS, RecordClass.DELIVERY_LOGS)


class DisposalRefused(Exception):
    """Nothing was destroyed; the message says why (for the administrator)."""


@dataclass(frozen=True)
class DisposalPlan:
    """What a disposal destroys (or, in a dry run, would destroy)."""

    authorization: RegisterEntry
    summary: DueSummary
    records: list[StoredRecord]
    destroyed: int = 0
    dry_run: bool = True
    entry: RegisterEntry | None = None  # the disposal record, once written


class RecordsService:
    def __init__(
        self,
        store,
        schedule: InForce[RetentionSchedule],
        *,
        clock: Callable[[], datetime],
        report: Callable | None = None,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.on_outbox = on_outbox  # wakes the dispatcher: a correction tells the person at once
        self.store = store  # RecordsStore + StoredSettings + Challenges + Votes
        self._schedule = schedule  # the file's, or the copy uploaded to the records
        self.clock = clock
        self.report = report  # ChallengeService.report: the figures kept before a challenge's records go
        self.unfinished: set[RecordClass] = set()  # classes the last round could not finish
        self._last_round: datetime | None = None  # when a round last finished every class

    @property
    def schedule(self) -> RetentionSchedule:
        """The retention schedule in force."""
        return self._schedule.now()

    # ---- what is due --------------------------------------------------------------------------
    async def due_records(self, record_class: RecordClass, at: datetime) -> list[StoredRecord]:
        rule = self.schedule.rule(record_class)
        records = await self.store.stored_records(record_class)
        anchored = await self._anchored(rule, records)
        return [r for r in anchored if is_due(rule, r, at)]

    async def due(self, at: datetime | None = None) -> list[DueSummary]:
        at = at or self.clock()
        return [summarize(c, self.schedule.rule(c), await self.due_records(c, at)) for c in RecordClass]

    async def _anchored(self, rule: RetentionRule, records: list[StoredRecord]) -> list[StoredRecord]:
        """Each record with the moment its schedule counts from (`event_at`), or open if that has not come."""
        closes = await self._challenge_closings()
        if rule.since is Event.CHALLENGE_CLOSED:
            return [_counted_from(r, closes.get(r.challenge_id)) for r in records]
        if rule.since is Event.VOTING_CLOSED:
            voting = {cid: await self._voting_closed(cid) for cid in {r.challenge_id for r in records}}
            return [_counted_from(r, voting.get(r.challenge_id)) for r in records]
        if rule.record_class is RecordClass.IDEAS:
            return [_idea_closed(r, closes) for r in records]
        if rule.record_class is RecordClass.DECISIONS:
            # Decisions are kept as their idea is: due with it; a row whose idea is gone was due with it.
            parent = self.schedule.rule(CARRIED_BY[RecordClass.DECISIONS])
            ideas = {i.key: i for i in await self._anchored(parent, await self.store.stored_records(RecordClass.IDEAS))}
            return [_as_idea(r, ideas.get(r.idea_id)) for r in records]
        return records

    async def _challenge_closings(self) -> dict[str, datetime | None]:
        now = self.clock()
        return {c.id: c.closed_at if c.closed_at <= now else None for c in await self.store.list_challenges()}

    async def _voting_closed(self, challenge_id: str) -> datetime | None:
        poll = await self.store.get_poll(challenge_id)
        return poll.closed_at if poll is not None else None

    # ---- authorization --------------------------------------------------------------------------
    async def authorize(
        self, record_class: RecordClass, *, by: str, item: str, note: str = "", standing: bool = False
    ) -> RegisterEntry:
        """Record the authorization to destroy the class's records due now (under schedule item `item`);
        `standing`: transitory records only, destroyed as they fall due until it is revoked."""
        rule = self.schedule.rule(record_class)
        if not by.strip():
            raise DisposalRefused("say who authorizes the disposal (--by)")
        if item.strip() != rule.item:
            raise DisposalRefused(
                f"{record_class.value} are kept under schedule item {rule.item}, not {item.strip() or '(none)'}"
            )
        if standing and record_class not in TRANSITORY:
            raise DisposalRefused(
                "only transitory records (" + ", ".join(c.value for c in TRANSITORY) + ") take a standing authorization"
            )
        now = self.clock()
        summary = summarize(record_class, rule, await self.due_records(record_class, now))
        if summary.count == 0 and not standing:
            raise DisposalRefused(f"no {record_class.value} are due for disposal: nothing to authorize")
        entry = RegisterEntry(
            key=f"authorization:{uuid.uuid4()}",
            kind=EntryKind.AUTHORIZATION,
            at=now,
            by=by.strip(),
            record_class=record_class.value,
            body={
                "item": rule.item,
                "schedule": self.schedule.title,
                "rule": rule.describe(),
                "dueAsOf": now.isoformat(),
                "count": summary.count,
                "oldest": _iso(summary.oldest),
                "newest": _iso(summary.newest),
                "note": note.strip()[:500],
                "standing": standing,
            },
        )
        await self.store.add_entry(entry)
        log.info("disposal authorized", extra={"record_class": record_class.value, "count": summary.count})
        return entry

    async def authorizations(self) -> list[tuple[RegisterEntry, RegisterEntry | None]]:
        """Every authorization, with the disposal that used it (None while unused)."""
        used = {d.body.get("authorization"): d for d in await self.store.register_entries(EntryKind.DISPOSAL)}
        given = [a for a in await self.store.register_entries(EntryKind.AUTHORIZATION) if not a.body.get("revokes")]
        return [(a, used.get(a.key)) for a in given]

    async def disposals(self) -> list[RegisterEntry]:
        return await self.store.register_entries(EntryKind.DISPOSAL)

    # ---- disposal -------------------------------------------------------------------------------
    async def dispose(self, authorization_key: str, *, by: str, dry_run: bool = False) -> DisposalPlan:
        """Destroy what the authorization covers: records of its class due when it was given (for a
        standing authorization, those due now)."""
        found = {a.key: (a, d) for a, d in await self.authorizations()}
        if not authorization_key or authorization_key not in found:
            raise DisposalRefused(
                "nothing is destroyed without an authorization: record one with --authorize, then give its id"
            )
        authorization, used = found[authorization_key]
        standing = bool(authorization.body.get("standing"))
        if authorization.key in await self._revoked():
            raise DisposalRefused(f"that authorization was revoked ({authorization.key})")
        if used is not None and not standing:
            raise DisposalRefused(f"that authorization was used on {used.at:%Y-%m-%d %H:%M} UTC ({used.key})")
        if not by.strip():
            raise DisposalRefused("say who carries out the disposal (--by)")
        record_class = RecordClass(authorization.record_class)
        covered = self.clock() if standing else datetime.fromisoformat(authorization.body["dueAsOf"])
        records = await self.due_records(record_class, covered)
        plan = DisposalPlan(authorization, summarize(record_class, self.schedule.rule(record_class), records), records)
        return plan if dry_run else await self._carry_out(plan, by.strip())

    async def _carry_out(self, plan: DisposalPlan, by: str) -> DisposalPlan:
        record_class, records, summary = plan.summary.record_class, plan.records, plan.summary
        rule = self.schedule.rule(record_class)
        if record_class in REPORTED:
            await self._keep_reports({r.challenge_id for r in records if r.challenge_id})
        if record_class is RecordClass.VOTES:
            await self._forget_voters({r.challenge_id for r in records if r.challenge_id})
        destroyed = await self.store.destroy_records(record_class, records)
        authorization = plan.authorization
        entry = RegisterEntry(
            key=f"disposal:{uuid.uuid4()}",
            kind=EntryKind.DISPOSAL,
            at=self.clock(),
            by=by,
            record_class=record_class.value,
            body={
                "authorization": authorization.key,
                "authorizedBy": authorization.by,
                "authorizedAt": authorization.at.isoformat(),
                "standing": bool(authorization.body.get("standing")),
                "item": rule.item,
                "schedule": self.schedule.title,
                "rule": rule.describe(),
                "count": destroyed,
                "notDestroyed": summary.count - destroyed,
                "oldest": _iso(summary.oldest),
                "newest": _iso(summary.newest),
                "kept": "the counts" if rule.then == "counts" else "",
            },
        )
        await self.store.add_entry(entry)
        log.info("records disposed of", extra={"record_class": record_class.value, "count": destroyed})
        return replace(plan, destroyed=destroyed, dry_run=False, entry=entry)

    # ---- standing authorizations: transitory records, disposed of as they fall due -----------------
    async def _revoked(self) -> set[str]:
        entries = await self.store.register_entries(EntryKind.AUTHORIZATION)
        return {e.body["revokes"] for e in entries if e.body.get("revokes")}

    async def revoke(self, authorization_key: str, *, by: str) -> RegisterEntry:
        """End a standing authorization (from now on, nothing more goes under it)."""
        standing = {a.key: a for a, _ in await self.authorizations() if a.body.get("standing")}
        if authorization_key not in standing or authorization_key in await self._revoked():
            raise DisposalRefused(f"{authorization_key or '(none)'} is not a standing authorization in force")
        if not by.strip():
            raise DisposalRefused("say who revokes it (--by)")
        record_class = standing[authorization_key].record_class
        entry = RegisterEntry(f"authorization:{uuid.uuid4()}", EntryKind.AUTHORIZATION, self.clock(), by.strip(),
                              record_class, body={"revokes": authorization_key})  # fmt: skip
        await self.store.add_entry(entry)
        return entry

    async def standing_authorization(self, record_class: RecordClass) -> RegisterEntry | None:
        """The latest standing authorization in force for the class, if any."""
        revoked = await self._revoked()
        found = [a for a, _ in await self.authorizations() if a.record_class == record_class.value
                 and a.body.get("standing") and a.key not in revoked]  # fmt: skip
        return found[-1] if found else None

    async def routine(self) -> list[DisposalPlan]:
        """The daily round: transitory records due under a standing authorization are destroyed, each
        class's disposal recorded (nothing without a standing authorization in force). Each class on its
        own: one that fails (its list refused, Graph down) is noted in `unfinished` and never stops the
        others."""
        done = []
        self.unfinished = set()
        for record_class in TRANSITORY:
            try:
                authorization = await self.standing_authorization(record_class)
                if authorization is None:
                    continue
                records = await self.due_records(record_class, self.clock())
                if records:
                    rule = self.schedule.rule(record_class)
                    plan = DisposalPlan(authorization, summarize(record_class, rule, records), records)
                    done.append(await self._carry_out(plan, "Deputy's Den (standing authorization)"))
            except Exception:
                self.unfinished.add(record_class)
                log.warning("a class's disposal failed; it is tried again at the next check",
                            extra={"record_class": record_class.value}, exc_info=True)  # fmt: skip
        return done

    async def routine_when_due(self, daily_at: Callable[[datetime], datetime]) -> list[DisposalPlan] | None:
        """Checked every hour: the daily round runs once the day's moment (`daily_at`) has passed since
        the last round that finished every class, kept with the records (setting ROUND_KEY), so a
        round missed while no instance was running runs at the next check, whatever the host's
        uptime; a round that left a class unfinished runs again at the next check. None: not due."""
        now = self.clock()
        if self._last_round is None and hasattr(self.store, "get_setting"):
            stored = await self.store.get_setting(ROUND_KEY)
            self._last_round = _parsed(stored.text) if stored is not None else None
        latest_moment = daily_at(now) - timedelta(days=1)
        if not self.unfinished and self._last_round is not None and self._last_round >= latest_moment:
            return None
        done = await self.routine()
        if not self.unfinished:
            self._last_round = now
            if hasattr(self.store, "put_setting"):
                await self.store.put_setting(StoredSetting(ROUND_KEY, _iso(now) or "", now, "Deputy's Den"))
        return done

    # ---- corrections -----------------------------------------------------------------------------
    async def correct(
        self, idea_ref: str, *, field: str, value: str, requested_by: str, by: str, reason: str
    ) -> RegisterEntry:
        """Correct a field of an idea's pitch at its submitter's request: the change, the submitter's
        notification and the history line in one conditional write, then the original in the register."""
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                idea = await self._find_idea(idea_ref)
                if idea is None:
                    raise CorrectionRefused(f"no idea has the reference or id {idea_ref}")
                now = self.clock()
                original = correct_pitch(idea, field=field, value=value, requested_by=requested_by,
                                         corrected_by=by, reason=reason, now=now)  # fmt: skip
                number = sum(1 for h in idea.history if h.kind == HistoryKind.CORRECTED)
                facts = {"field": field, "original": original, "corrected": getattr(idea.pitch, field),
                         "reason": reason.strip(), "at": now.isoformat()}  # fmt: skip
                note = OutboxMessage.due_now(message_id(MessageKind.CORRECTED, idea.id, number),
                                             recipient_id=idea.submitter.id, kind=MessageKind.CORRECTED,
                                             idea_id=idea.id, now=now, payload=facts)  # fmt: skip
                await self.store.update(idea, [note])
        entry = RegisterEntry(
            key=f"correction:{idea.id}:{number}",
            kind=EntryKind.CORRECTION,
            at=now,
            by=by.strip(),
            record_class="ideas",
            subject_id=idea.submitter.id,
            body={"idea": idea.reference, **facts, "requestedBy": requested_by, "correctedBy": by.strip()},
        )
        await self.store.add_entry(entry)
        if self.on_outbox is not None:
            self.on_outbox()
        log.info("record corrected", extra={"idea_id": idea.id, "field": field})
        return entry

    async def _find_idea(self, idea_ref: str):
        idea = await self.store.get(idea_ref)
        if idea is not None:
            return idea
        wanted = idea_ref.strip().upper()
        found = [i for i in await self.store.list_for_digest(None) if i.reference.upper() == wanted]
        return await self.store.get(found[0].id) if found else None

    async def _keep_reports(self, challenge_ids: set[str]) -> None:
        """Keep each challenge's report figures (once: the first disposal's are the true ones)."""
        if self.report is None:
            return
        for challenge_id in sorted(challenge_ids):
            key = frozen_report_key(challenge_id)
            if await self.store.get_setting(key) is not None:
                continue
            report = await self.report(challenge_id)
            if report is not None:
                text = json.dumps(frozen_figures(report))
                await self.store.put_setting(StoredSetting(key, text, self.clock(), "records disposal"))

    async def _forget_voters(self, challenge_ids: set[str]) -> None:
        """The poll's refresh list names its first voters: drop it with the votes (the counts stay)."""
        for challenge_id in sorted(challenge_ids):
            async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
                with attempt:
                    poll = await self.store.get_poll(challenge_id)
                    if poll is None or poll.is_open or not poll.refresh_ids:
                        break
                    poll.refresh_ids = []
                    await self.store.save_poll(poll)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _counted_from(record: StoredRecord, moment: datetime | None) -> StoredRecord:
    return replace(record, event_at=moment, open=record.open or moment is None)


def _idea_closed(record: StoredRecord, closes: dict[str, datetime | None]) -> StoredRecord:
    """An idea's file closes when its route ended and, if it entered a challenge, that challenge closed."""
    if record.open or record.event_at is None:
        return replace(record, open=True)
    if not record.challenge_id or record.challenge_id not in closes:
        return record
    closed = closes[record.challenge_id]
    return _counted_from(record, max(record.event_at, closed) if closed else None)


def _as_idea(record: StoredRecord, idea: StoredRecord | None) -> StoredRecord:
    if idea is None:
        return replace(record, open=False, parent_gone=True)  # its idea went under the same rule: due
    return replace(record, event_at=idea.event_at, open=idea.open, challenge_id=idea.challenge_id)


def _parsed(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
