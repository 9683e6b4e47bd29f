"""Approvals that fit how a ministry works: acting approvers, reassignment, withdrawal,
escalation, a second look, comments from informed levels, and "my approvals".

Each use case is a read, a domain decision and one conditional write carrying its
notifications (retried when another click or another instance wrote first), like the idea
use cases. Every hand-over, withdrawal and second look lands in the idea's history.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from bot.domain import events
from bot.domain.calendar import WorkCalendar
from bot.domain.delegation import Delegation, DelegationProblem, DelegationRefused, new_delegation
from bot.domain.escalation import escalation_due
from bot.domain.model import (
    AlreadyUsed,
    CommentRequired,
    DecisionRefused,
    Idea,
    NotAllowed,
    NotYourStep,
    OwnIdea,
    StaleCard,
)
from bot.domain.outbox import MessageKind
from bot.domain.routing import EscalationAction, RoutingRules
from bot.ports import Approvals, Delegations, Directory, Ideas, Outbox, OutboxMessage
from bot.ports.retry import conflict_retry
from bot.services.assignment import StepAssigner
from bot.services.ideas import ActionStatus, outbox_for

log = logging.getLogger(__name__)

REFUSALS: dict[type[DecisionRefused], ActionStatus] = {
    StaleCard: ActionStatus.STALE,
    NotYourStep: ActionStatus.NOT_YOURS,
    CommentRequired: ActionStatus.COMMENT_REQUIRED,
    NotAllowed: ActionStatus.NOT_ALLOWED,
    OwnIdea: ActionStatus.OWN_IDEA,
    AlreadyUsed: ActionStatus.ALREADY_USED,
}

Change = Callable[[Idea, datetime], list[events.Event]]


class ApprovalRecords(Ideas, Outbox, Approvals, Delegations, Protocol):
    """What these use cases need from the store."""


@dataclass
class ApprovalResult:
    status: ActionStatus
    idea: Idea | None = None


@dataclass
class DelegationResult:
    delegation: Delegation | None = None
    problem: DelegationProblem | None = None
    steps_handed_over: int = 0


class ApprovalService:
    def __init__(
        self,
        store: ApprovalRecords,
        directory: Directory,
        assigner: StepAssigner,
        *,
        clock: Callable[[], datetime],
        calendar: WorkCalendar,
        routes: RoutingRules,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.assigner = assigner
        self.clock = clock
        self.calendar = calendar
        self.routes = routes
        self._on_outbox = on_outbox or (lambda: None)

    # ---- the one way every change here is made --------------------------------------------
    async def _change(self, idea_id: str, change: Change | None, read: Idea | None = None) -> ApprovalResult:
        """Apply `change` (None: only hand the current step to whoever should act on it now). `read`:
        the idea as just read beside something else (a conflict reads it again)."""
        async for attempt in conflict_retry():
            with attempt:
                idea, read = read or await self.store.get(idea_id), None
                if idea is None:
                    return ApprovalResult(ActionStatus.NOT_FOUND)
                now = self.clock()
                try:
                    raised = change(idea, now) if change else []
                except DecisionRefused as refused:
                    return ApprovalResult(REFUSALS.get(type(refused), ActionStatus.NOT_ALLOWED), idea)
                if change and not raised:
                    return ApprovalResult(ActionStatus.STALE, idea)
                raised += await self.assigner.settle(idea, now)
                if not raised:
                    return ApprovalResult(ActionStatus.STALE, idea)
                await self.store.update(idea, outbox_for(idea, raised, now))
        self._on_outbox()
        return ApprovalResult(ActionStatus.RECORDED, idea)

    # ---- what waits for me ------------------------------------------------------------------
    async def my_approvals(self, user_id: str, limit: int = 20) -> list[Idea]:
        """Everything waiting for this approver's decision, oldest first."""
        ideas = await self.store.list_by_holder(user_id, limit=200)
        delegation = await self.store.get_delegation(user_id)
        if delegation is not None:  # steps their acting approver holds for them: they may still decide
            held = await self.store.list_by_holder(delegation.delegate_id, limit=200)
            ideas += [i for i in held if i.current_approver and i.current_approver.on_behalf_of_id == user_id]
        waiting = [i for i in ideas if i.may_decide(user_id)]
        return sorted(waiting, key=lambda i: i.waiting_since)[:limit]

    async def decides_steps(self, user_id: str) -> bool:
        """Whether the person takes part in approvals whatever their directory role: a step waits
        with them (passed to them, or held while acting for someone), or someone acts for them."""
        if await self.store.list_by_holder(user_id, limit=1):
            return True
        return await self.store.get_delegation(user_id) is not None

    # ---- acting approvers ---------------------------------------------------------------------
    async def delegation_of(self, user_id: str) -> Delegation | None:
        """The person's delegation, if one is in force now."""
        delegation = await self.store.get_delegation(user_id)
        return delegation if delegation and delegation.active(self.clock()) else None

    async def delegate(self, *, actor_id: str, delegate_id: str, last_day: date) -> DelegationResult:
        """`actor` names someone to act for them until the end of `last_day`; their waiting steps move now."""
        now = self.clock()
        principal, delegate, active = await asyncio.gather(  # looked up together
            self.directory.get_person(actor_id), self.directory.get_person(delegate_id) if delegate_id else _none(),
            self.store.delegations_in_force(now),
        )
        if principal is None:
            return DelegationResult(problem=DelegationProblem.NOT_IN_DIRECTORY)
        try:
            delegation = new_delegation(
                principal=principal,
                delegate=delegate,
                last_day=last_day,
                now=now,
                calendar=self.calendar,
                active=active,
            )
            await self.store.save_delegation(delegation, now=now)  # the loop check again, inside the write
        except DelegationRefused as refused:
            return DelegationResult(problem=refused.problem)
        self.assigner.forget_delegations()
        log.info("delegation set", extra={"principal_id": actor_id, "delegate_id": delegation.delegate_id})
        moved = 0
        for idea in await self.store.list_by_holder(actor_id, limit=500):
            result = await self._change(idea.id, None)
            moved += result.status == ActionStatus.RECORDED
        return DelegationResult(delegation, steps_handed_over=moved)

    async def end_delegation(self, *, actor_id: str) -> Delegation | None:
        """Back early: the delegation ends now, and the steps held for the approver come back to them."""
        delegation = await self.delegation_of(actor_id)
        if delegation is None:
            return None
        ended = replace(delegation, ends_at=self.clock())
        await self.store.save_delegation(ended)
        self.assigner.forget_delegations()
        log.info("delegation ended", extra={"principal_id": actor_id})
        await self._hand_back(await self.store.list_by_holder(ended.delegate_id, limit=500))
        return ended

    async def _hand_back(self, ideas: list[Idea]) -> int:
        """Give each step held under a delegation that is no longer in force back to its approver."""
        in_force = await self.store.delegations_in_force(self.clock())

        def ended(idea: Idea) -> bool:
            step = idea.current_approver
            return (
                step is not None
                and idea.acting_reason() in ("delegation", "away_delegate")
                and step.on_behalf_of_id not in in_force
            )

        returned = 0
        for idea in ideas:
            if not ended(idea):
                continue
            result = await self._change(idea.id, lambda fresh, now: fresh.hand_back(now=now) if ended(fresh) else [])
            returned += result.status == ActionStatus.RECORDED
        return returned

    # ---- before a request is delivered, and the daily pass ------------------------------------------
    async def settle_before_delivery(self, message: OutboxMessage, idea: Idea) -> bool:
        """Just before an approval request goes out: if its approver has someone acting for them, or
        is away, hand the step on now (a new request is queued) and say so, so this one is dropped.
        Tried in memory first on the idea the renderer read, so the usual case costs no request."""
        if message.kind != MessageKind.APPROVAL_REQUEST or not idea.is_open:
            return False
        now = self.clock()
        if not await self.assigner.may_settle(idea, now):
            return False  # the usual case: no copy made, nothing to write
        if not await self.assigner.settle(copy.deepcopy(idea), now):
            return False
        result = await self._change(message.idea_id, None)
        return result.status == ActionStatus.RECORDED

    async def daily_pass(self) -> int:
        """Steps whose delegation ended go back to their approver; steps whose approver has since gone
        away, or named someone to act for them, move on; then escalation. Returns escalations."""
        open_ideas = await self.store.list_open()
        returned = await self._hand_back(open_ideas)
        now = self.clock()
        in_force = await self.store.delegations_in_force(now)
        moved = 0
        for idea in open_ideas:
            if not await self.assigner.may_settle(idea, now, in_force=in_force):
                continue  # most ideas need nothing
            trial = copy.deepcopy(idea)  # try it in memory first
            if await self.assigner.settle(trial, now, in_force=in_force):
                moved += (await self._change(idea.id, None)).status == ActionStatus.RECORDED
        if returned or moved:
            log.info("daily hand-overs", extra={"handed_back": returned, "handed_on": moved})
        return await self.escalate_waiting()

    # ---- hand-overs -----------------------------------------------------------------------------
    async def reassign(
        self, *, actor_id: str, idea_id: str, step_index: int, revision: int, to_id: str, reason: str
    ) -> ApprovalResult:
        actor, target, read = await asyncio.gather(  # the people looked up while the idea is read
            self.directory.get_person(actor_id), self.directory.get_person(to_id) if to_id else _none(),
            self.store.get(idea_id),
        )
        if target is None:
            return ApprovalResult(ActionStatus.UNKNOWN_PERSON if read else ActionStatus.NOT_FOUND, read)

        def change(idea: Idea, now: datetime) -> list[events.Event]:
            if idea.current_step != step_index or idea.revision != revision:
                raise StaleCard(idea.id)
            name = actor.name if actor else ""
            return idea.reassign(actor_id=actor_id, actor_name=name, to=target, reason=reason, now=now)

        result = await self._change(idea_id, change, read)
        if result.status == ActionStatus.RECORDED:
            log.info("step reassigned", extra={"idea_id": idea_id, "step": step_index})
        return result

    async def withdraw(self, *, actor_id: str, idea_id: str, reason: str = "") -> ApprovalResult:
        result = await self._change(idea_id, lambda idea, now: idea.withdraw(actor_id=actor_id, reason=reason, now=now))
        if result.status == ActionStatus.RECORDED:
            log.info("idea withdrawn", extra={"idea_id": idea_id})
        return result

    async def second_look(self, *, actor_id: str, idea_id: str, reason: str) -> ApprovalResult:
        if not self.routes.second_look:
            return ApprovalResult(ActionStatus.SWITCHED_OFF, await self.store.get(idea_id))
        idea = await self.store.get(idea_id)
        above = None
        if idea is not None and idea.decisions and idea.second_look_reviewer() is None:
            above = await self.assigner.manager_of(idea.decisions[-1].approver_id)
        result = await self._change(
            idea_id, lambda i, now: i.ask_second_look(actor_id=actor_id, reason=reason, now=now, above=above)
        )
        if result.status == ActionStatus.RECORDED:
            log.info("second look asked", extra={"idea_id": idea_id})
        return result

    async def comment(self, *, actor_id: str, idea_id: str, text: str) -> ApprovalResult:
        actor = await self.directory.get_person(actor_id)
        name = actor.name if actor else ""
        return await self._change(
            idea_id, lambda idea, now: idea.comment(actor_id=actor_id, actor_name=name, text=text, now=now)
        )

    # ---- escalation (after the nudger's reminders) -----------------------------------------------
    async def escalate_waiting(self) -> int:
        """Escalate every step waiting past the policy's business days. Returns how many moved."""
        policy = self.routes.escalation
        now = self.clock()
        if not policy.enabled or not self.calendar.is_business_day(self.calendar.local_date(now)):
            return 0
        escalated = 0
        for idea in await self.store.list_open():
            days = escalation_due(idea, now, self.calendar, policy)
            if days is None:
                continue
            holder = idea.holder_id
            to = None
            if policy.action == EscalationAction.MANAGER:
                to = await self.assigner.manager_of(idea.current_approver.on_behalf_of_id or holder)

            def change(fresh: Idea, at: datetime, holder=holder, to=to) -> list[events.Event]:
                due = escalation_due(fresh, at, self.calendar, policy)
                if due is None or fresh.holder_id != holder:
                    return []  # decided, or escalated by another instance meanwhile
                return fresh.escalate(to=to, days=due, now=at)

            result = await self._change(idea.id, change)
            if result.status == ActionStatus.RECORDED:
                escalated += 1
                log.info("step escalated", extra={"idea_id": idea.id, "days": days, "action": policy.action.value})
        return escalated


async def _none() -> None:
    """Nothing to look up (an empty field), in a gather beside what is."""
    return None
