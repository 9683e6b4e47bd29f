"""Who actually holds a step: the approver, someone acting for them, or the next level up.

Run whenever a step starts waiting (a new idea, an approval moving up, a resubmission, a
hand-over). An approver with a delegation in force is acted for by their delegate, recorded
as "Diane Tremblay for Maya Singh"; an approver who is away (out of office) and named nobody
is acted for by their own manager, or, when that manager decides a later step anyway, the
step moves on with the absence recorded. The submitter is never handed their own idea.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from bot.domain import events
from bot.domain.delegation import Delegation, acting_for
from bot.domain.model import Idea, Person
from bot.ports import Availability, Delegations, Directory


class StepAssigner:
    def __init__(
        self,
        delegations: Delegations,
        availability: Availability,
        directory: Directory,
        *,
        cache_seconds: float = 60.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.delegations = delegations
        self.availability = availability
        self.directory = directory
        # The delegations in force are read at most once a minute per instance (one Graph request on
        # SharePoint); a delegation set on this instance is seen at once (`forget_delegations`), one set
        # on another within the minute, and the daily pass catches anything missed.
        self._cache_seconds = cache_seconds
        self._timer = timer
        self._cached: tuple[float, dict[str, Delegation]] | None = None

    async def delegations_in_force(self, now: datetime) -> dict[str, Delegation]:
        if self._cached is None or self._timer() - self._cached[0] > self._cache_seconds:
            self._cached = (self._timer(), await self.delegations.delegations_in_force(now))
        return {p: d for p, d in self._cached[1].items() if d.active(now)}

    def forget_delegations(self) -> None:
        self._cached = None

    async def manager_of(self, user_id: str) -> Person | None:
        """The person's nearest manager in post (vacant positions skipped)."""
        for person in await self.directory.line_of_management(user_id):
            if person is not None:
                return person
        return None

    async def may_settle(self, idea: Idea, now: datetime, *, in_force: dict[str, Delegation] | None = None) -> bool:
        """Whether `settle` could change this idea (its step's approver has someone acting for them,
        or is away), read without touching the idea: most ideas need nothing, and callers that try
        `settle` on a copy need not copy them."""
        step = idea.current_approver
        if step is None or step.on_behalf_of_id:
            return False
        if in_force is None:
            in_force = await self.delegations_in_force(now)
        if acting_for(step.approver_id, in_force, now, excluded={idea.submitter.id}) is not None:
            return True
        return await self.availability.absence(step.approver_id, now) is not None

    async def settle(
        self, idea: Idea, now: datetime, *, in_force: dict[str, Delegation] | None = None
    ) -> list[events.Event]:
        """Hand the current step to whoever should act on it now; the events it caused.
        `in_force`: the delegations in force, when the caller already has them (a daily pass)."""
        raised: list[events.Event] = []
        for _ in range(len(idea.chain) + 1):
            step = idea.current_approver
            if step is None or step.on_behalf_of_id:
                break  # closed, or already with someone acting for the approver
            if in_force is None:
                in_force = await self.delegations_in_force(now)
            away = await self.availability.absence(step.approver_id, now) is not None
            acting = acting_for(step.approver_id, in_force, now, excluded={idea.submitter.id})
            if acting is not None:
                reason = "away_delegate" if away else "delegation"
                raised += idea.act_for(Person(acting[0], acting[1]), reason=reason, now=now)
                break
            if not away:
                break
            above = await self.manager_of(step.approver_id)
            if above is None or above.id == idea.submitter.id:
                break  # nobody to pass it to: it waits, and escalation keeps it moving
            if any(later.approver_id == above.id for later in idea.chain[idea.current_step + 1 :]):
                raised += idea.move_on(reason="away", now=now)
                continue  # the next step may be with someone away too
            raised += idea.act_for(above, reason="away_next_level", now=now)
            break
        return raised
