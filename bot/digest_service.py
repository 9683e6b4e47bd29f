"""The weekly digest for deputy ministers: build, deliver exactly once, act on its buttons.

Exactly once per DM per week holds across restarts and instances because every delivery is
claimed in the store first (a row per DM and ISO week); a second run finds the claim and sends
nothing. Delivery retries 429 and 5xx with backoff and jitter, and stays under Teams' rate
limits (50 messages a second per app per tenant; each DM gets one message, far below the
7-a-second per conversation).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.background import conflict_retry
from bot.domain.calendar import DigestWeek, WorkCalendar
from bot.domain.digest import Digest, DigestRules, build_digest, scope_by_dm
from bot.domain.model import NotAllowed, Person, Role
from bot.i18n import Messages
from bot.notifications import Channel, DeliveryFailed
from bot.nudges import Nudger, reminder_id
from bot.ports import Directory, IdeaStore
from cards.digest import digest_card

log = logging.getLogger(__name__)

TEAMS_APP_MESSAGES_PER_SECOND = 50


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


class DigestService:
    def __init__(
        self,
        store: IdeaStore,
        directory: Directory,
        channel: Channel,
        nudger: Nudger,
        *,
        clock: Callable[[], datetime],
        calendar: WorkCalendar,
        rules: DigestRules = DigestRules(),
        report_url: str = "",
        retry_base_seconds: float = 1.0,
        attempts: int = 5,
    ) -> None:
        self.store = store
        self.directory = directory
        self.channel = channel
        self.nudger = nudger
        self.clock = clock
        self.calendar = calendar
        self.rules = rules
        self.report_url = report_url
        self._retry_base = retry_base_seconds
        self._attempts = attempts
        self._limiter = AsyncLimiter(TEAMS_APP_MESSAGES_PER_SECOND, 1)

    # ---- building -------------------------------------------------------------------------
    def current_week(self) -> DigestWeek:
        return DigestWeek.ending_at(self.clock(), self.calendar.tz)

    async def build_all(self, week: DigestWeek, dms: list[Person] | None = None) -> dict[str, Digest]:
        """Every DM's digest from one scan of the store (no query per idea, none per DM)."""
        dms = dms if dms is not None else await self.directory.deputy_ministers()
        now = self.clock()
        ideas = await self.store.list_for_digest(self.rules.challenge_start)
        grouped = scope_by_dm(dms, ideas, whole_ministry=self.rules.whole_ministry)
        return {
            dm.id: build_digest(
                dm, grouped.get(dm.id, []), week=week, now=now, calendar=self.calendar, rules=self.rules
            )
            for dm in dms
        }

    async def card_for(self, digest: Digest, locale: str | None = None) -> dict[str, Any]:
        today = self.calendar.local_date(self.clock()).isoformat()
        ids = {reminder_id(line.idea_id, line.revision, line.step, today): line.idea_id for line in digest.stalled}
        sent_today = await self.store.existing_outbox_ids(list(ids))
        nudged = {ids[i] for i in sent_today}
        return digest_card(
            Messages(locale),
            digest,
            nudged=nudged,
            report_url=self.report_url,
            stall_days=self.rules.stall_after_business_days,
        )

    async def preview(self, dm_id: str) -> dict[str, Any]:
        dm = await self._dm(dm_id)
        if dm is None:
            raise LookupError(f"{dm_id} is not a deputy minister in the directory")
        digest = (await self.build_all(self.current_week(), [dm]))[dm.id]
        return await self.card_for(digest)

    # ---- delivering -----------------------------------------------------------------------
    async def run(self, *, week: DigestWeek | None = None, dm_ids: list[str] | None = None) -> RunResult:
        week = week or self.current_week()
        dms = await self.directory.deputy_ministers()
        if dm_ids:
            dms = [dm for dm in dms if dm.id in dm_ids]
        digests = await self.build_all(week, dms)
        result = RunResult(week.key)
        outcomes = await asyncio.gather(*(self._deliver(digests[dm.id]) for dm in dms))
        result.deliveries.extend(outcomes)
        for outcome in outcomes:
            level = logging.WARNING if outcome.outcome in ("unreachable", "failed") else logging.INFO
            log.log(
                level,
                "digest delivery",
                extra={"dm_id": outcome.dm_id, "week": week.key, "outcome": outcome.outcome, "detail": outcome.detail},
            )
        return result

    async def _deliver(self, digest: Digest) -> DeliveryOutcome:
        dm, week = digest.dm, digest.week
        if not await self.store.claim_digest(dm.id, week.key, self.clock(), lease_seconds=600):
            return DeliveryOutcome(dm.id, dm.name, "already_sent")
        record = await self.store.get_conversation(dm.id)
        card = await self.card_for(digest, record.locale if record else None)
        summary = Messages(record.locale if record else None).t("digest.summary")
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_transient),
                stop=stop_after_attempt(self._attempts),
                wait=self._wait,
                reraise=True,
            ):
                with attempt:
                    async with self._limiter:
                        await self.channel.send_card(dm.id, card, summary=summary)
        except DeliveryFailed as failure:
            state = "unreachable" if failure.permanent else "failed"
            await self.store.record_digest(dm.id, week.key, state, failure.reason, self.clock())
            return DeliveryOutcome(dm.id, dm.name, state, failure.reason)
        await self.store.record_digest(dm.id, week.key, "sent", "", self.clock())
        return DeliveryOutcome(dm.id, dm.name, "sent")

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception()
        backoff = self._retry_base * 2 ** (state.attempt_number - 1) * random.uniform(0.5, 1.0)
        return max(backoff, getattr(failure, "retry_after", None) or 0.0)

    # ---- the digest's buttons -------------------------------------------------------------
    async def _dm(self, user_id: str) -> Person | None:
        person = await self.directory.get_person(user_id)
        return person if person is not None and person.role == Role.DM else None

    async def act(self, *, actor_id: str, verb: str, data: dict[str, Any], locale: str | None) -> tuple[str, Any]:
        """('card', card) to update the digest in place, or ('message', text) to refuse."""
        m = Messages(locale)
        dm = await self._dm(actor_id)
        if dm is None or data.get("dmId") != actor_id:
            log.warning("digest action refused", extra={"actor_id": actor_id, "verb": verb})
            return "message", m.t("digest.not_yours")
        try:
            week = DigestWeek(
                key=str(data["weekKey"]),
                start=datetime.fromisoformat(str(data["weekStart"])),
                end=datetime.fromisoformat(str(data["weekEnd"])),
            )
        except (KeyError, ValueError):
            return "message", m.t("error.unknown_action")
        idea = await self.store.get(str(data.get("ideaId", "")))
        if idea is None or dm.id not in idea.line_ids:
            return "message", m.t("approval.not_found")
        if verb == "digest.shortlist":
            await self._shortlist(idea.id, dm.id)
        else:
            await self.nudger.remind(idea, from_dm=dm.name)
        digest = (await self.build_all(week, [dm]))[dm.id]
        return "card", await self.card_for(digest, locale)

    async def _shortlist(self, idea_id: str, dm_id: str) -> None:
        async for attempt in conflict_retry():
            with attempt:
                idea = await self.store.get(idea_id)
                try:
                    if not idea.shortlist(dm_id=dm_id, now=self.clock()):
                        return
                except NotAllowed:
                    return
                await self.store.update(idea)
        log.info("idea shortlisted", extra={"idea_id": idea_id, "dm_id": dm_id})
