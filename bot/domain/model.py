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
from bot.domain.pitch import Pitch, PitchVersion, changed_fields


class IdeaStatus(enum.StrEnum):
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"


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
    """Someone in the directory. `id` is the Entra ID (AAD) object id."""

    id: str
    name: str
    role: Role = Role.STAFF
    job_title: str = ""
    email: str = ""
    branch: str = ""


@dataclass(frozen=True)
class ApprovalStep:
    """One link of the chain: who must decide, and at which level."""

    approver_id: str
    approver_name: str
    role: Role


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
    earlier_pitches: list[PitchVersion] = field(default_factory=list)  # what each revision replaced

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
    ) -> tuple[Idea, list[events.Event]]:
        if any(step.approver_id == submitter.id for step in chain):
            raise ValueError("an approval chain must never include the submitter")
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
        )
        raised: list[events.Event] = [events.IdeaSubmitted(idea_id)]
        if chain:
            raised.append(events.ApprovalRequested(idea_id, 0, 1, chain[0].approver_id))
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
        """Who may open the idea's details: its submitter, its approvers, and its line of management
        (which includes the deputy minister whose digest lists it)."""
        if not user_id:
            return False
        return (
            user_id == self.submitter.id
            or any(step.approver_id == user_id for step in self.chain)
            or any(d.approver_id == user_id for d in self.decisions)
            or user_id in self.line_ids
        )

    def decision_for(self, step_index: int, revision: int) -> Decision | None:
        for decision in self.decisions:
            if decision.step_index == step_index and decision.revision == revision:
                return decision
        return None

    @property
    def is_closed(self) -> bool:
        """Decided for good (approved or not approved): no step is still to come."""
        return self.status in (IdeaStatus.APPROVED, IdeaStatus.REJECTED)

    @property
    def revised_at(self) -> datetime:
        """When the current revision was sent (the idea's creation for the first)."""
        return self.earlier_pitches[-1].replaced_at if self.earlier_pitches else self.created_at

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
        comment = comment.strip()
        if not self.is_open or step_index != self.current_step or revision != self.revision:
            raise StaleCard(self.id)
        step = self.chain[self.current_step]
        if actor_id != step.approver_id:
            raise NotYourStep(self.id)
        if outcome in (Outcome.RETURNED, Outcome.REJECTED) and not comment:
            raise CommentRequired(self.id)

        decision = Decision(
            step_index=step_index,
            revision=revision,
            approver_id=step.approver_id,
            approver_name=step.approver_name,
            outcome=outcome,
            comment=comment,
            decided_at=now,
            requested_at=self.status_since or self.created_at,
        )
        self.decisions.append(decision)
        self.updated_at = now
        self.status_since = now
        raised: list[events.Event] = [events.StepDecided(self.id, step_index, revision, outcome.value)]

        if outcome == Outcome.APPROVED:
            if self.current_step + 1 < len(self.chain):
                self.current_step += 1
                nxt = self.chain[self.current_step]
                raised.append(events.ApprovalRequested(self.id, self.current_step, self.revision, nxt.approver_id))
            else:
                self.status = IdeaStatus.APPROVED
                raised.append(events.IdeaApproved(self.id))
        elif outcome == Outcome.RETURNED:
            self.status = IdeaStatus.RETURNED
            raised.append(events.ChangesRequested(self.id, step_index, revision))
        else:
            self.status = IdeaStatus.REJECTED
            raised.append(events.IdeaRejected(self.id))
        return raised

    def resubmit(self, *, actor_id: str, pitch: Pitch, revision: int, now: datetime) -> list[events.Event]:
        """The submitter revises a returned idea; the chain restarts at the step that returned it."""
        if actor_id != self.submitter.id:
            raise NotYourStep(self.id)
        if self.status != IdeaStatus.RETURNED:
            raise NotAllowed(self.id)
        if revision != self.revision:
            raise StaleCard(self.id)
        self.earlier_pitches.append(PitchVersion(self.revision, self.pitch, now))
        self.pitch = pitch
        self.revision += 1
        self.status = IdeaStatus.IN_REVIEW
        self.status_since = now
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
