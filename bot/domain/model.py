"""The idea aggregate and its approval state machine.

Pure business rules: no Teams, no Graph, no storage, no clock. Every operation takes
`now` and returns the events it caused, so the service layer decides what to persist
and whom to notify (cosmicpython's aggregate + events pattern).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import events
from bot.domain.inputs import clean_text
from bot.domain.pitch import Pitch, PitchVersion, changed_fields


class IdeaStatus(enum.StrEnum):
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Outcome(enum.StrEnum):
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"


class Role(enum.StrEnum):
    STAFF = "staff"
    MANAGER = "manager"
    DIRECTOR = "director"
    ADM = "adm"
    DM = "dm"


@dataclass(frozen=True)
class Person:
    """Someone in the directory. `id` is the Entra ID (AAD) object id. `branch` is their branch as the
    directory names it (in English); `branch_fr` its French name, where the directory has one."""

    id: str
    name: str
    role: Role = Role.STAFF
    job_title: str = ""
    email: str = ""
    branch: str = ""
    branch_fr: str = ""

    def branch_in(self, language: str) -> str:
        """The branch's name in the reader's language: French where the directory gives it, else English."""
        return self.branch_fr if language == "fr" and self.branch_fr else self.branch


@dataclass(frozen=True)
class ApprovalStep:
    """One link of the chain: who must decide, and at which level.

    `on_behalf_of_*` names the approver this person acts for (a delegation, or an approver
    who is away); either of the two may decide, and the record says "Diane for Maya".
    """

    approver_id: str
    approver_name: str
    role: Role
    on_behalf_of_id: str = ""
    on_behalf_of_name: str = ""
    # The holder's own level when the step was passed to someone outside it (reassigned, escalated):
    # Amir, an ADM, holding a manager's step is shown as "(ADM)", never "(Manager)".
    holder_role: Role | None = None

    @property
    def shown_role(self) -> Role:
        """The level shown beside the holder's (or, when acting, their principal's) name."""
        return self.holder_role or self.role


@dataclass(frozen=True)
class InformedStep:
    """A level the routing rule keeps informed: a read-only card once the idea reaches them."""

    person_id: str
    person_name: str
    role: Role
    after_step: int  # told when the chain gets past this many deciding steps (all of them: on approval)


class HistoryKind(enum.StrEnum):
    ACTING = "acting"  # the step went to someone acting for the approver (delegation, or away)
    REASSIGNED = "reassigned"
    ESCALATED = "escalated"
    MOVED_ON = "moved_on"  # the step was passed without a decision (approver away, or no decision in N days)
    WITHDRAWN = "withdrawn"
    SECOND_LOOK = "second_look"
    INFORMED = "informed"
    COMMENTED = "commented"
    CORRECTED = "corrected"  # an administrator corrected the pitch at the submitter's request (FIPPA s. 47(2))


HANDOVER_KINDS = frozenset(
    {HistoryKind.ACTING, HistoryKind.REASSIGNED, HistoryKind.ESCALATED, HistoryKind.MOVED_ON, HistoryKind.SECOND_LOOK}
)


@dataclass(frozen=True)
class HistoryEntry:
    """Something that happened to an idea besides a decision: who, when, why.

    `reason` is what a person typed (a reassignment's reason) or a code the cards turn
    into a sentence (`away`, `delegation`, `no_decision`); `days` goes with `no_decision`.
    """

    kind: HistoryKind
    at: datetime
    actor_id: str = ""  # empty when the Den itself acted (escalation, out of office)
    actor_name: str = ""
    step_index: int = -1
    revision: int = 0
    from_id: str = ""
    from_name: str = ""
    to_id: str = ""
    to_name: str = ""
    reason: str = ""
    days: int = 0


@dataclass(frozen=True)
class Decision:
    """A recorded decision. (revision, step_index) identifies it: one per step per revision."""

    step_index: int
    revision: int
    approver_id: str
    approver_name: str
    outcome: Outcome
    comment: str
    decided_at: datetime
    requested_at: datetime | None = None  # when the step started waiting: gives time-to-decision
    on_behalf_of_id: str = ""  # the decider acted for this approver
    on_behalf_of_name: str = ""


def _level(role: Role) -> Role:
    return role if role in (Role.MANAGER, Role.DIRECTOR, Role.ADM, Role.DM) else Role.MANAGER


class DecisionRefused(Exception):
    """Base class: the click changes nothing, and the caller shows why."""


class NotYourStep(DecisionRefused):
    """Someone other than the current step's approver tried to decide it."""


class StaleCard(DecisionRefused):
    """The card is for a step or revision that is no longer open."""


class CommentRequired(DecisionRefused):
    """Reject and return need a reason the submitter can act on."""


class NotAllowed(DecisionRefused):
    """The action does not apply to the idea in its current state (e.g. resubmitting an approved idea)."""


class NothingChanged(DecisionRefused):
    """A revision identical to the pitch that was returned: sending it again would ask the approver
    to read the same words twice."""


class OwnIdea(DecisionRefused):
    """Nobody approves their own idea, directly, as a delegate or by being handed the step."""


class AlreadyUsed(DecisionRefused):
    """A second look is asked for once per idea."""


LESSON_MAX = 1000


@dataclass(frozen=True)
class Lesson:
    """What the submitter learned from an idea that did not go ahead; `shared`: shown, with the idea, to
    the whole public service (the Den tab's Lessons), by the submitter's consent."""

    text: str
    shared: bool
    written_at: datetime


@dataclass
class Idea:
    """The aggregate: a pitch, its chain, and everything decided on it.

    `version` is the optimistic-concurrency token the store checks on update (a SharePoint
    eTag plays this role in production); the domain only carries it.
    """

    id: str
    reference: str
    submitter: Person
    pitch: Pitch
    chain: list[ApprovalStep]
    created_at: datetime
    status: IdeaStatus = IdeaStatus.IN_REVIEW
    current_step: int = 0
    revision: int = 1
    decisions: list[Decision] = field(default_factory=list)
    status_since: datetime | None = None
    updated_at: datetime | None = None
    version: int | str = 0  # the store's concurrency token, opaque here (a number, or a SharePoint eTag)
    challenge: str = ""
    line_ids: list[str] = field(default_factory=list)  # the submitter's line of management, for digests
    shortlisted_by: str = ""
    shortlisted_at: datetime | None = None
    informed: list[InformedStep] = field(default_factory=list)
    route_rule: str = ""  # the routing rule that chose the chain, and why (language -> text)
    route_why: dict[str, str] = field(default_factory=dict)
    # No level the rule asks to decide was above the submitter, so their nearest manager decides:
    # the rule's own reason does not describe this route, and the cards say what happened instead.
    route_nearest_decides: bool = False
    history: list[HistoryEntry] = field(default_factory=list)
    second_look_used: bool = False
    held_since: datetime | None = None  # when the current holder got the step (reminders, escalation)
    earlier_pitches: list[PitchVersion] = field(default_factory=list)  # what each revision replaced
    # The submitter's consent: once approved for the Den, the whole public service may find it (off by default).
    shared: bool = False
    lesson: Lesson | None = None  # what was learned, if the idea ended without going ahead

    # ---- creation -------------------------------------------------------------------
    @classmethod
    def submit(
        cls,
        *,
        idea_id: str,
        reference: str,
        submitter: Person,
        pitch: Pitch,
        chain: list[ApprovalStep],
        now: datetime,
        line_ids: list[str] | None = None,
        informed: list[InformedStep] | None = None,
        route_rule: str = "",
        route_why: dict[str, str] | None = None,
        route_nearest_decides: bool = False,
    ) -> tuple[Idea, list[events.Event]]:
        if any(step.approver_id == submitter.id for step in chain):
            raise ValueError("an approval chain must never include the submitter")
        informed = [i for i in informed or [] if i.person_id != submitter.id]
        idea = cls(
            id=idea_id,
            reference=reference,
            submitter=submitter,
            pitch=pitch,
            chain=list(chain),
            created_at=now,
            status_since=now,
            updated_at=now,
            line_ids=list(line_ids or []),
            informed=informed,
            route_rule=route_rule,
            route_why=dict(route_why or {}),
            route_nearest_decides=route_nearest_decides,
            held_since=now,
        )
        raised: list[events.Event] = [events.IdeaSubmitted(idea_id)]
        if chain:
            raised.append(events.ApprovalRequested(idea_id, 0, 1, chain[0].approver_id))
            raised.extend(idea._inform_up_to(0, now))
        else:
            # Nobody above the submitter (e.g. the DM pitching): nothing to wait for.
            idea.status = IdeaStatus.APPROVED
            raised.append(events.IdeaApproved(idea_id))
        return idea, raised

    # ---- queries --------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status == IdeaStatus.IN_REVIEW

    @property
    def current_approver(self) -> ApprovalStep | None:
        if self.status != IdeaStatus.IN_REVIEW:
            return None
        return self.chain[self.current_step]

    @property
    def holder_id(self) -> str:
        """Who has to act next: the approver, or the submitter when changes were asked."""
        if self.status == IdeaStatus.IN_REVIEW:
            return self.chain[self.current_step].approver_id
        if self.status == IdeaStatus.RETURNED:
            return self.submitter.id
        return ""

    def visible_to(self, user_id: str) -> bool:
        """Who may open the idea's details: its submitter, everyone on its route (approvers, those
        acting for them, informed levels) and its line of management (which includes the deputy
        minister whose digest lists it)."""
        if not user_id:
            return False
        return (
            user_id == self.submitter.id
            or any(user_id in (step.approver_id, step.on_behalf_of_id) for step in self.chain)
            or any(d.approver_id == user_id for d in self.decisions)
            or any(i.person_id == user_id for i in self.informed)
            or any(user_id in (h.from_id, h.to_id) for h in self.history)
            or user_id in self.line_ids
        )

    def set_shared(self, *, actor_id: str, shared: bool, now: datetime) -> bool:
        """The submitter gives or withdraws consent to share the idea. Returns False if nothing changed."""
        if actor_id != self.submitter.id:
            raise NotYourStep(self.id)
        if self.shared == shared:
            return False
        self.shared = shared
        self.updated_at = now
        return True

    def record_lesson(self, *, actor_id: str, text: str, shared: bool, now: datetime) -> None:
        """The submitter writes (or rewrites) what was learned. Refused unless the idea ended without
        going ahead as far as the idea itself knows (not approved, or withdrawn); a challenge's "not
        selected" is checked by the caller, which knows the stage."""
        if actor_id != self.submitter.id:
            raise NotYourStep(self.id)
        text = text.strip()
        if not text:
            raise CommentRequired(self.id)
        self.lesson = Lesson(text[:LESSON_MAX], shared, now)
        self.updated_at = now

    def forget_lesson(self) -> None:
        """The lesson destroyed under the retention schedule (its own item); the idea stays as it was."""
        self.lesson = None

    def decision_for(self, step_index: int, revision: int) -> Decision | None:
        for decision in self.decisions:
            if decision.step_index == step_index and decision.revision == revision:
                return decision
        return None

    @property
    def is_closed(self) -> bool:
        """Over for good (approved, not approved or withdrawn): no step is still to come."""
        return self.status in (IdeaStatus.APPROVED, IdeaStatus.REJECTED, IdeaStatus.WITHDRAWN)

    def changes_in(self, revision: int) -> list[str]:
        """The fields revision `revision` changed compared with the one before (none for the first)."""
        versions = {v.revision: v.pitch for v in self.earlier_pitches} | {self.revision: self.pitch}
        if revision - 1 not in versions or revision not in versions:
            return []
        return changed_fields(versions[revision - 1], versions[revision])

    def return_before(self, revision: int) -> Decision | None:
        """The decision that sent revision `revision - 1` back for changes (what the revision answers)."""
        for decision in reversed(self.decisions):
            if decision.revision == revision - 1 and decision.outcome == Outcome.RETURNED:
                return decision
        return None

    def days_in_status(self, now: datetime) -> int:
        since = self.status_since or self.created_at
        return max(0, (now - since).days)

    @property
    def waiting_since(self) -> datetime:
        """When the current holder got the step: reminders and escalation count from here."""
        return self.held_since or self.status_since or self.created_at

    def may_decide(self, actor_id: str) -> bool:
        """The step's holder, or the approver they act for; never the submitter."""
        step = self.current_approver
        if step is None or not actor_id or actor_id == self.submitter.id:
            return False
        return actor_id in (step.approver_id, step.on_behalf_of_id)

    def involves(self, user_id: str) -> bool:
        """Whether this person has a part in the idea: its submitter, anyone on its route (acting
        approvers and informed levels included), or anyone who decided or handed it on."""
        if not user_id:
            return False
        people = {self.submitter.id} | {i.person_id for i in self.informed}
        people |= {s.approver_id for s in self.chain} | {s.on_behalf_of_id for s in self.chain}
        people |= {d.approver_id for d in self.decisions} | {d.on_behalf_of_id for d in self.decisions}
        people |= {who for h in self.history for who in (h.actor_id, h.from_id, h.to_id)}
        return user_id in people

    def history_for(self, step_index: int) -> list[HistoryEntry]:
        return [h for h in self.history if h.step_index == step_index]

    # ---- transitions ----------------------------------------------------------------
    def decide(
        self,
        *,
        actor_id: str,
        step_index: int,
        revision: int,
        outcome: Outcome,
        comment: str,
        now: datetime,
    ) -> list[events.Event]:
        """Record the current approver's decision, or raise why the click changes nothing."""
        comment = clean_text(comment, multiline=True)
        if not self.is_open or step_index != self.current_step or revision != self.revision:
            raise StaleCard(self.id)
        step = self.chain[self.current_step]
        if not self.may_decide(actor_id):
            raise NotYourStep(self.id)
        if outcome in (Outcome.RETURNED, Outcome.REJECTED) and not comment:
            raise CommentRequired(self.id)

        if actor_id == step.approver_id:
            name, behalf_id, behalf_name = step.approver_name, step.on_behalf_of_id, step.on_behalf_of_name
        else:  # the approver decided themselves although someone was acting for them
            name, behalf_id, behalf_name = step.on_behalf_of_name, "", ""
        decision = Decision(
            step_index=step_index,
            revision=revision,
            approver_id=actor_id,
            approver_name=name,
            outcome=outcome,
            comment=comment,
            decided_at=now,
            requested_at=self.status_since or self.created_at,  # the whole step's wait, hand-overs included
            on_behalf_of_id=behalf_id,
            on_behalf_of_name=behalf_name,
        )
        self.decisions.append(decision)
        self.updated_at = now
        self.status_since = now
        raised: list[events.Event] = [events.StepDecided(self.id, step_index, revision, outcome.value)]

        if outcome == Outcome.APPROVED:
            raised.extend(self._advance(now))
        elif outcome == Outcome.RETURNED:
            self.status = IdeaStatus.RETURNED
            raised.append(events.ChangesRequested(self.id, step_index, revision))
        else:
            self.status = IdeaStatus.REJECTED
            raised.append(events.IdeaRejected(self.id))
        return raised

    def _advance(self, now: datetime) -> list[events.Event]:
        """The current step is done: ask the next decider, or the idea is approved."""
        raised: list[events.Event] = []
        self.held_since = now
        if self.current_step + 1 < len(self.chain):
            self.current_step += 1
            nxt = self.chain[self.current_step]
            raised.append(
                events.ApprovalRequested(
                    self.id, self.current_step, self.revision, nxt.approver_id, handoff=self._handoff_number()
                )
            )
            raised.extend(self._inform_up_to(self.current_step, now))
        else:
            self.status = IdeaStatus.APPROVED
            self.status_since = now
            raised.append(events.IdeaApproved(self.id))
            raised.extend(self._inform_up_to(len(self.chain), now))
        return raised

    def _handoff_number(self) -> int:
        """Distinguishes a second request for the same step (after a hand-over) from the first."""
        return sum(1 for h in self.history if h.kind in HANDOVER_KINDS)

    def _inform_up_to(self, after_step: int, now: datetime) -> list[events.Event]:
        """Tell the informed levels the idea has now reached (once each, across revisions)."""
        told = {h.to_id for h in self.history if h.kind == HistoryKind.INFORMED}
        raised: list[events.Event] = []
        for index, informed in enumerate(self.informed):
            if informed.after_step <= after_step and informed.person_id not in told:
                told.add(informed.person_id)
                self.history.append(
                    HistoryEntry(
                        HistoryKind.INFORMED,
                        now,
                        step_index=self.current_step,
                        revision=self.revision,
                        to_id=informed.person_id,
                        to_name=informed.person_name,
                    )
                )
                raised.append(events.Informed(self.id, informed.person_id, index))
        return raised

    def _hand_to(
        self,
        kind: HistoryKind,
        step: ApprovalStep,
        *,
        reason: str,
        now: datetime,
        days: int = 0,
        actor_id: str = "",
        actor_name: str = "",
        from_id: str = "",
        from_name: str = "",
    ) -> list[events.Event]:
        """Give the current step to someone else, recorded once as `kind`; the old holder's card
        goes stale. The record says it came from the current holder unless `from_id` names someone
        else (an acting arrangement is recorded from the approver it is held for)."""
        if step.approver_id == self.submitter.id:
            raise OwnIdea(self.id)
        old = self.chain[self.current_step]
        self.history.append(
            HistoryEntry(
                kind,
                now,
                actor_id=actor_id,
                actor_name=actor_name,
                step_index=self.current_step,
                revision=self.revision,
                from_id=from_id or old.approver_id,
                from_name=from_name if from_id else old.approver_name,
                to_id=step.approver_id,
                to_name=step.approver_name,
                reason=reason,
                days=days,
            )
        )
        self.chain[self.current_step] = step
        self.held_since = now
        self.updated_at = now
        return [
            events.StepHandedOver(self.id, self.current_step, self.revision, old.approver_id, step.approver_id),
            events.ApprovalRequested(
                self.id, self.current_step, self.revision, step.approver_id, handoff=self._handoff_number()
            ),
        ]

    def act_for(self, delegate: Person, *, reason: str, now: datetime) -> list[events.Event]:
        """Someone acts for the current approver: their delegate, or (when they are away) the next
        level up. `reason` is `delegation` or `away`. The approver may still decide themselves."""
        if not self.is_open:
            raise NotAllowed(self.id)
        old = self.chain[self.current_step]
        principal_id = old.on_behalf_of_id or old.approver_id
        principal_name = old.on_behalf_of_name or old.approver_name
        if delegate.id in (old.approver_id, principal_id):
            raise NotAllowed(self.id)
        step = ApprovalStep(delegate.id, delegate.name, old.role, principal_id, principal_name, old.holder_role)
        return self._hand_to(
            HistoryKind.ACTING, step, reason=reason, now=now, from_id=principal_id, from_name=principal_name
        )

    def hand_back(self, *, now: datetime) -> list[events.Event]:
        """The acting arrangement ended: the step goes back to the approver it was held for."""
        if not self.is_open:
            raise NotAllowed(self.id)
        old = self.chain[self.current_step]
        if not old.on_behalf_of_id:
            raise NotAllowed(self.id)
        principal = ApprovalStep(old.on_behalf_of_id, old.on_behalf_of_name, old.role, holder_role=old.holder_role)
        return self._hand_to(HistoryKind.ACTING, principal, reason="back", now=now)

    def acting_reason(self) -> str:
        """Why the current step is with someone acting for its approver ('' if it is not)."""
        step = self.current_approver
        if step is None or not step.on_behalf_of_id:
            return ""
        for entry in reversed(self.history_for(self.current_step)):
            if entry.kind == HistoryKind.ACTING and entry.to_id == step.approver_id:
                return entry.reason
        return ""

    def reassign(self, *, actor_id: str, actor_name: str, to: Person, reason: str, now: datetime) -> list[events.Event]:
        """The current approver passes the step to a named colleague, with a reason."""
        reason = clean_text(reason, multiline=True)
        if not self.is_open:
            raise StaleCard(self.id)
        if not self.may_decide(actor_id):
            raise NotYourStep(self.id)
        if not reason:
            raise CommentRequired(self.id)
        old = self.chain[self.current_step]
        if to.id == self.submitter.id:
            raise OwnIdea(self.id)
        if to.id in (old.approver_id, actor_id):
            raise NotAllowed(self.id)
        step = ApprovalStep(to.id, to.name, old.role, holder_role=to.role)
        return self._hand_to(
            HistoryKind.REASSIGNED, step, reason=reason, now=now, actor_id=actor_id, actor_name=actor_name
        )

    def escalate(self, *, to: Person | None, days: int, now: datetime) -> list[events.Event]:
        """No decision in `days` business days: the step goes to `to` (the approver's manager), or,
        with nobody to send it to, moves on with the silence recorded."""
        if not self.is_open:
            raise NotAllowed(self.id)
        old = self.chain[self.current_step]
        if to is None or to.id == self.submitter.id or to.id == old.approver_id:
            return self.move_on(reason="no_decision", days=days, now=now)
        if any(step.approver_id == to.id for step in self.chain[self.current_step + 1 :]):
            # The manager decides at a later step anyway: asking them twice helps nobody.
            return self.move_on(reason="no_decision", days=days, now=now)
        step = ApprovalStep(to.id, to.name, old.role, holder_role=to.role)
        return self._hand_to(HistoryKind.ESCALATED, step, reason="no_decision", days=days, now=now)

    def move_on(self, *, reason: str, now: datetime, days: int = 0) -> list[events.Event]:
        """Pass the current step without a decision (`away` or `no_decision`), recorded."""
        if not self.is_open:
            raise NotAllowed(self.id)
        old = self.chain[self.current_step]
        self.history.append(
            HistoryEntry(
                HistoryKind.MOVED_ON,
                now,
                step_index=self.current_step,
                revision=self.revision,
                from_id=old.approver_id,
                from_name=old.approver_name,
                reason=reason,
                days=days,
            )
        )
        self.updated_at = now
        self.status_since = now
        raised: list[events.Event] = [
            events.StepHandedOver(self.id, self.current_step, self.revision, old.approver_id, "")
        ]
        raised.extend(self._advance(now))
        return raised

    def withdraw(self, *, actor_id: str, reason: str, now: datetime) -> list[events.Event]:
        """The submitter takes back an idea still in review (or waiting for their revision)."""
        if actor_id != self.submitter.id:
            raise NotYourStep(self.id)
        if self.status not in (IdeaStatus.IN_REVIEW, IdeaStatus.RETURNED):
            raise NotAllowed(self.id)
        holder = self.chain[self.current_step] if self.status == IdeaStatus.IN_REVIEW else None
        self.history.append(
            HistoryEntry(
                HistoryKind.WITHDRAWN,
                now,
                actor_id=actor_id,
                actor_name=self.submitter.name,
                step_index=self.current_step,
                revision=self.revision,
                reason=clean_text(reason, multiline=True),
            )
        )
        self.status = IdeaStatus.WITHDRAWN
        self.status_since = now
        self.updated_at = now
        return [events.IdeaWithdrawn(self.id, self.current_step, self.revision, holder.approver_id if holder else "")]

    def second_look_reviewer(self) -> ApprovalStep | None:
        """Who a second look would go to: the next deciding level above the rejection, if any."""
        rejection = self._rejection()
        index = self._second_look_step(rejection) if rejection else None
        return self.chain[index] if index is not None else None

    def _second_look_step(self, rejection: Decision) -> int | None:
        """The first later step held by someone other than whoever rejected it."""
        for index in range(rejection.step_index + 1, len(self.chain)):
            if self.chain[index].approver_id != rejection.approver_id:
                return index
        return None

    def _rejection(self) -> Decision | None:
        if self.status != IdeaStatus.REJECTED or not self.decisions:
            return None
        last = self.decisions[-1]
        return last if last.outcome == Outcome.REJECTED else None

    def ask_second_look(
        self, *, actor_id: str, reason: str, now: datetime, above: Person | None = None
    ) -> list[events.Event]:
        """The submitter asks the next level up to look again, once. `above` is the rejecting
        approver's own manager, used when the rejection came at the last step."""
        reason = clean_text(reason, multiline=True)
        if actor_id != self.submitter.id:
            raise NotYourStep(self.id)
        rejection = self._rejection()
        if rejection is None:
            raise NotAllowed(self.id)
        if self.second_look_used:
            raise AlreadyUsed(self.id)
        if not reason:
            raise CommentRequired(self.id)
        index = self._second_look_step(rejection)
        if index is not None:
            reviewer = self.chain[index]
        elif above is not None and above.id != self.submitter.id and above.id != rejection.approver_id:
            reviewer = ApprovalStep(above.id, above.name, _level(above.role))
            self.chain.append(reviewer)
            index = len(self.chain) - 1
        else:
            raise NotAllowed(self.id)  # nobody above the last approver
        self.current_step = index
        self.status = IdeaStatus.IN_REVIEW
        self.status_since = now
        self.held_since = now
        self.updated_at = now
        self.second_look_used = True
        self.history.append(
            HistoryEntry(
                HistoryKind.SECOND_LOOK,
                now,
                actor_id=actor_id,
                actor_name=self.submitter.name,
                step_index=self.current_step,
                revision=self.revision,
                from_id=rejection.approver_id,
                from_name=rejection.approver_name,
                to_id=reviewer.approver_id,
                to_name=reviewer.approver_name,
                reason=reason,
            )
        )
        return [
            events.SecondLookRequested(self.id, self.current_step, self.revision, reviewer.approver_id),
            events.ApprovalRequested(
                self.id, self.current_step, self.revision, reviewer.approver_id, handoff=self._handoff_number()
            ),
        ]

    def comment(self, *, actor_id: str, actor_name: str, text: str, now: datetime) -> list[events.Event]:
        """Someone on the route (an informed level, or an approver) leaves a comment."""
        text = clean_text(text, multiline=True)
        on_route = {i.person_id for i in self.informed} | {s.approver_id for s in self.chain}
        on_route |= {s.on_behalf_of_id for s in self.chain if s.on_behalf_of_id}
        if actor_id not in on_route or actor_id == self.submitter.id:
            raise NotYourStep(self.id)
        if not text:
            raise CommentRequired(self.id)
        if self.status == IdeaStatus.WITHDRAWN:
            raise NotAllowed(self.id)
        self.history.append(
            HistoryEntry(
                HistoryKind.COMMENTED,
                now,
                actor_id=actor_id,
                actor_name=actor_name,
                step_index=self.current_step,
                revision=self.revision,
                reason=text,
            )
        )
        self.updated_at = now
        return [events.CommentAdded(self.id, actor_id, len(self.history))]

    def resubmit(self, *, actor_id: str, pitch: Pitch, revision: int, now: datetime) -> list[events.Event]:
        """The submitter revises a returned idea; the chain restarts at the step that returned it."""
        if actor_id != self.submitter.id:
            raise NotYourStep(self.id)
        if self.status != IdeaStatus.RETURNED:
            raise NotAllowed(self.id)
        if revision != self.revision:
            raise StaleCard(self.id)
        if pitch == self.pitch:
            raise NothingChanged(self.id)
        self.earlier_pitches.append(PitchVersion(self.revision, self.pitch, now))
        self.pitch = pitch
        self.revision += 1
        self.status = IdeaStatus.IN_REVIEW
        self.status_since = now
        self.held_since = now
        self.updated_at = now
        step = self.chain[self.current_step]
        return [
            events.IdeaResubmitted(self.id, self.revision),
            events.ApprovalRequested(self.id, self.current_step, self.revision, step.approver_id),
        ]

    def shortlist(self, *, dm_id: str, now: datetime) -> bool:
        """A DM shortlists an approved idea for the Den. Returns False if it already was."""
        if self.status != IdeaStatus.APPROVED:
            raise NotAllowed(self.id)
        if self.shortlisted_by:
            return False
        self.shortlisted_by = dm_id
        self.shortlisted_at = now
        self.updated_at = now
        return True
