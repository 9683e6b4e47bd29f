"""The weekly digest for deputy ministers: build, deliver exactly once, shortlist and nudge.

Exactly once per DM per week holds across restarts and instances because every delivery is
claimed in the store first (a row per DM and ISO week); a second run finds the claim and sends
nothing. At most once holds even when things go wrong: a claim is a lease, and a delivery stops
before half of it has gone by (Retry-After waits are capped, each send has a timeout), so no
second instance can take the lease over while the first is still sending; a send that times out
may have arrived and is not tried again; and a run whose clock went back into an earlier week
sends nothing to a DM who already has a later week's digest.

Delivery retries 429 and 5xx with backoff and jitter, and stays under Teams' rate limits
through the same per-instance limiter as the outbox (50 messages a second per app per tenant,
shared with the notifications; each DM gets one message).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain.calendar import DigestWeek, WorkCalendar
from bot.domain.digest import BusinessDays, Digest, DigestQuery, DigestRules, digest_from_figures
from bot.domain.model import Idea, Person, Role
from bot.domain.outbox import reminder_id
from bot.ports import (
    Channel,
    Conversations,
    DeliveryFailed,
    DigestAggregates,
    DigestLedger,
    Directory,
    Ideas,
    Outbox,
    Preferences,
)
from bot.ports.rate_limits import TeamsRateLimiter
from bot.ports.retry import Backoff, retrying
from bot.services.language import Languages
from bot.services.nudges import Nudger

log = logging.getLogger(__name__)



@dataclass
class DeliveryOutcome:
    dm_id: str
    dm_name: str
    outcome: str  # sent | already_sent | unreachable | failed
    detail: str = ""


@dataclass
class RunResult:
    week_key: str
    deliveries: list[DeliveryOutcome] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "week": self.week_key,
            "results": [
                {"dmId": d.dm_id, "name": d.dm_name, "outcome": d.outcome, "detail": d.detail} for d in self.deliveries
            ],
        }


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryFailed) and not exc.permanent


async def _already(dm: Person, detail: str) -> DeliveryOutcome:
    return DeliveryOutcome(dm.id, dm.name, "already_sent", detail)


class _LeaseRunOut(Exception):
    """The delivery took too long: its claim may no longer be this run's to use."""


class _Lease:
    """A claim's usable time, by the wall clock (which the store's lease uses) and by a monotonic
    clock (which a clock change cannot fool): whichever says less time is left wins."""

    def __init__(self, claimed_at: datetime, budget_seconds: float, clock: Callable[[], datetime]) -> None:
        self._claimed_at = claimed_at
        self._budget = budget_seconds
        self._clock = clock
        self._started = time.monotonic()

    def remaining(self) -> float:
        wall = (self._clock() - self._claimed_at).total_seconds()
        used = max(time.monotonic() - self._started, wall)
        return self._budget - used

    def check(self) -> None:
        if self.remaining() <= 0:
            raise _LeaseRunOut()


class DigestRecords(Ideas, DigestAggregates, Outbox, Conversations, DigestLedger, Preferences, Protocol):
    """What the digest needs from the store: its figures, today's reminders, DMs' chats and languages, the ledger."""


DigestRenderer = Callable[[Digest, str | None, set[str]], tuple[dict[str, Any], str]]
"""(digest, locale, ideas nudged today) -> (card, summary). The presentation layer supplies it."""


class DigestService:
    def __init__(
        self,
        store: DigestRecords,
        directory: Directory,
        channel: Channel,
        nudger: Nudger,
        render: DigestRenderer,
        *,
        clock: Callable[[], datetime],
        calendar: WorkCalendar,
        rules: DigestRules = DigestRules(),
        retry_base_seconds: float = 1.0,
        attempts: int = 5,
        retry_after_cap: float = 60.0,
        lease_seconds: float = 600.0,
        limiter: TeamsRateLimiter | None = None,
        on_outcome: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.channel = channel
        self.nudger = nudger
        self.clock = clock
        self.calendar = calendar
        self.rules = rules
        self._render = render
        self._backoff = Backoff(first=retry_base_seconds, longest=60.0, retry_after_cap=retry_after_cap)
        self._attempts = attempts
        self._lease_seconds = lease_seconds
        # The same windows as the outbox's (one limiter per instance), so digests and notifications
        # together stay within Teams' per-tenant rate.
        self._limiter = limiter or TeamsRateLimiter()
        self.on_outcome = on_outcome or (lambda outcome: None)  # each DM's outcome (telemetry counts them)

    # ---- building -------------------------------------------------------------------------
    def current_week(self) -> DigestWeek:
        return DigestWeek.ending_at(self.clock(), self.calendar.tz)

    async def build_all(self, week: DigestWeek, dms: list[Person] | None = None) -> dict[str, Digest]:
        """Every DM's digest from figures the store aggregates for all of them at once (no query per
        idea, none per DM)."""
        dms = dms if dms is not None else await self.directory.deputy_ministers()
        query = DigestQuery(week=week, now=self.clock(), calendar=self.calendar, rules=self.rules)
        figures = await self.store.digest_figures([dm.id for dm in dms], query)
        days = BusinessDays(self.calendar)
        digests = {dm.id: digest_from_figures(dm, figures[dm.id], query, days) for dm in dms}
        await self._with_challenge_stages(digests.values())
        return digests

    async def _with_challenge_stages(self, digests: Iterable[Digest]) -> None:
        """Each approved idea listed (ten at most a digest) with its stage in its Den challenge now,
        so one that has since become a finalist, won or been funded says so, and one not selected
        offers no Shortlist. Read once per idea listed, whatever the number of DMs."""
        stage_of = getattr(self.store, "get_stage", None)  # stores without the Den challenge have none
        digests = list(digests)
        listed = list(dict.fromkeys(line.idea_id for d in digests for line in d.approved))
        if stage_of is None or not listed:
            return
        stages = {idea_id: await stage_of(idea_id) for idea_id in listed}
        for digest in digests:
            digest.approved = [
                replace(line, stage=stages[line.idea_id].stage.value) if stages.get(line.idea_id) else line
                for line in digest.approved
            ]

    async def build_for(self, dm: Person, week: DigestWeek) -> Digest:
        return (await self.build_all(week, [dm]))[dm.id]

    async def nudged_today(self, digest: Digest) -> set[str]:
        """The stalled ideas whose approver was already reminded today (their Nudge shows as done)."""
        today = self.calendar.local_date(self.clock()).isoformat()
        ids = {reminder_id(line.idea_id, line.revision, line.step, today): line.idea_id for line in digest.stalled}
        sent_today = await self.store.existing_outbox_ids(list(ids))
        return {ids[i] for i in sent_today}

    async def render(self, digest: Digest, locale: str | None = None) -> tuple[dict[str, Any], str]:
        """The digest's card as it stands now, and its notification summary."""
        return self._render(digest, locale, await self.nudged_today(digest))

    def week_so_far(self) -> DigestWeek:
        """This week up to today (the weekly run reports on the last complete week)."""
        return DigestWeek.so_far(self.clock(), self.calendar.tz)

    def week_named(self, name: str) -> DigestWeek:
        """'last' (what the weekly run sends) or 'current' (the week so far)."""
        if name == "current":
            return self.week_so_far()
        if name == "last":
            return self.current_week()
        raise ValueError(f"unknown week {name!r}: use 'last' or 'current'")

    async def preview(self, dm_id: str, week: str = "last") -> dict[str, Any]:
        dm = await self.deputy_minister(dm_id)
        if dm is None:
            raise LookupError(f"{dm_id} is not a deputy minister in the directory")
        card, _ = await self.render(await self.build_for(dm, self.week_named(week)))
        return card

    async def for_chat(self, dm: Person, locale: str | None) -> dict[str, Any]:
        """The DM's digest for the week so far, to post in their own chat (the `digest` command, when
        DEN_DIGEST_ON_REQUEST allows it): nothing is claimed, so the weekly delivery is unaffected."""
        card, _ = await self.render(await self.build_for(dm, self.week_so_far()), locale)
        return card

    # ---- delivering -----------------------------------------------------------------------
    async def run(
        self, *, week: DigestWeek | None = None, dm_ids: list[str] | None = None, resend: bool = False
    ) -> RunResult:
        """Send each DM's digest once per week. `resend` sends it again even if it went out already
        (local trials, when DEN_DIGEST_ON_REQUEST allows it); the delivery is recorded as usual."""
        week = week or self.current_week()
        dms = await self.directory.deputy_ministers()
        if dm_ids:
            dms = [dm for dm in dms if dm.id in dm_ids]
        digests = await self.build_all(week, dms)
        result = RunResult(week.key)
        later = set() if resend else await self._dms_with_a_later_digest(week, dms)
        outcomes = await asyncio.gather(
            *(
                self._deliver(digests[dm.id], resend=resend)
                if dm.id not in later
                else _already(dm, "a later week's digest was sent: the clock went back")
                for dm in dms
            )
        )
        result.deliveries.extend(outcomes)
        for outcome in outcomes:
            self.on_outcome(outcome.outcome)
            level = logging.WARNING if outcome.outcome in ("unreachable", "failed") else logging.INFO
            log.log(
                level,
                "digest delivery",
                extra={"dm_id": outcome.dm_id, "week": week.key, "outcome": outcome.outcome, "detail": outcome.detail},
            )
        return result

    async def _dms_with_a_later_digest(self, week: DigestWeek, dms: list[Person], weeks_ahead: int = 4) -> set[str]:
        """DMs whose digest for one of the next weeks was sent (or is being sent): the clock went back."""
        later = [
            DigestWeek.ending_at(week.end + timedelta(days=7 * ahead), self.calendar.tz).key
            for ahead in range(1, weeks_ahead + 1)
        ]
        found: set[str] = set()
        for dm in dms:
            states = await self.store.digest_states(dm.id, later)
            if any(state in ("sent", "sending") for state in states.values()):
                found.add(dm.id)
        return found

    async def _deliver(self, digest: Digest, *, resend: bool = False) -> DeliveryOutcome:
        dm, week = digest.dm, digest.week
        claimed_at = self.clock()
        if not resend and not await self.store.claim_digest(
            dm.id, week.key, claimed_at, lease_seconds=self._lease_seconds
        ):
            return DeliveryOutcome(dm.id, dm.name, "already_sent")
        lease = _Lease(claimed_at, self._lease_seconds / 2, self.clock)
        card, summary = await self.render(digest, await Languages(self.store, self.clock).locale_for(dm.id))
        try:
            async for attempt in retrying(self._backoff, attempts=self._attempts, retry_if=_transient):
                with attempt:
                    lease.check()
                    async with self._limiter.slot(dm.id):
                        await asyncio.wait_for(
                            self.channel.send_card(dm.id, card, summary=summary), timeout=lease.remaining()
                        )
        except _LeaseRunOut:
            # Not recorded: another run may hold the claim by now; if none does, the next run sends it.
            return DeliveryOutcome(dm.id, dm.name, "failed", "the claim ran out before the digest could be sent")
        except TimeoutError:
            # It may have arrived: at most once means never sending it again.
            detail = "the send timed out and may have arrived: not sent again"
            await self.store.record_digest(dm.id, week.key, "sent", detail, self.clock())
            return DeliveryOutcome(dm.id, dm.name, "sent", detail)
        except DeliveryFailed as failure:
            state = "unreachable" if failure.permanent else "failed"
            await self.store.record_digest(dm.id, week.key, state, failure.reason, self.clock())
            return DeliveryOutcome(dm.id, dm.name, state, failure.reason)
        await self.store.record_digest(dm.id, week.key, "sent", "", self.clock())
        return DeliveryOutcome(dm.id, dm.name, "sent")

    # ---- the digest's buttons -------------------------------------------------------------
    async def deputy_minister(self, user_id: str) -> Person | None:
        """The person, if the directory says they are a deputy minister (only DMs use digest buttons)."""
        person = await self.directory.get_person(user_id)
        return person if person is not None and person.role == Role.DM else None

    async def idea_in_scope(self, idea_id: str, dm: Person) -> Idea | None:
        """The idea, if it is in this DM's ministry (their digest could have shown it)."""
        idea = await self.store.get(idea_id)
        return idea if idea is not None and dm.id in idea.line_ids else None

    @staticmethod
    def log_refused(actor_id: str, verb: str) -> None:
        log.warning("digest action refused", extra={"actor_id": actor_id, "verb": verb})

    async def nudge(self, idea: Idea, dm: Person) -> bool:
        """The DM's Nudge button: remind the current approver now (at most once a day)."""
        return await self.nudger.remind(idea, from_dm=dm.name)
