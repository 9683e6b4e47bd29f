"""The outbox's vocabulary: what kinds of message the Den sends, their ids, and when one is moot.

A message's id is deterministic (built here, and only here), so a retried write, the daily
nudge pass, a DM's Nudge button and a second app instance can never queue the same message
twice. Whether a queued message is still worth sending is a business rule, so it lives here
too, next to the idea it reads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.model import Decision, Idea, IdeaStatus, Outcome, Role


class MessageKind(enum.StrEnum):
    APPROVAL_REQUEST = "approval_request"  # to the approver whose step it now is
    DECISION_UPDATE = "decision_update"  # to the submitter: a step was decided
    FILED_RECEIPT = "filed_receipt"  # to the submitter: a pitch spooled during an outage is filed
    REMINDER = "reminder"  # to an approver holding a step too long (at most one a day)
    WAITING = "waiting"  # to the submitter: where their idea waits, once per step
    # The Den challenge (bot/domain/den_outbox.py says when each still matters)
    CALL_FOR_IDEAS = "call_for_ideas"  # to the challenge's channel, when its window opens
    WINDOW_CLOSED = "window_closed"  # to the channel, when the window closes
    POOL_READY = "pool_ready"  # to the sponsors, when the window closes: the pool to review
    PITCH_FORM = "pitch_form"  # to a person who pressed "Pitch an idea" in a channel: the form, in 1:1
    STAGE_UPDATE = "stage_update"  # to the submitter and their approvers: the idea's stage changed
    FINALISTS_ANNOUNCED = "finalists_announced"  # to the channel
    WINNERS_ANNOUNCED = "winners_announced"  # to the channel
    FOLLOW_UP = "follow_up"  # to a funded idea's owner, monthly: how is implementation going?
    CHALLENGE_DIGEST = "challenge_digest"  # to each sponsor, weekly: the funnel and funded ideas' status
    INFORMED = "informed"  # to a level the route only keeps informed: a read-only card
    INFORMED_OUTCOME = "informed_outcome"  # to each level told of the idea earlier: how it ended (once)
    WITHDRAWN = "withdrawn"  # to the approver who held a step when the submitter withdrew the idea
    COMMENT = "comment"  # to the submitter: someone on the route commented
    SHORTLISTED = "shortlisted"  # to the submitter: a deputy minister shortlisted their idea for the Den
    CORRECTED = "corrected"  # to the submitter: their pitch was corrected at their request (before and after)
    # Asking to connect (bot/domain/connect.py)
    CONNECT_ASKED = "connect_asked"  # to a shared idea's submitter: someone in <branch> would like to talk
    CONNECT_ANSWERED = "connect_answered"  # to who asked: accepted (with the name) or not this time
    # Pitch day (bot/domain/pitch_day_outbox.py says when each still matters)
    PANEL_NAMED = "panel_named"  # to each judge: you are on the panel, pitch day is on ...
    SCORECARD = "scorecard"  # to each judge, one per finalist: declare, then score
    PANEL_REMINDER = "panel_reminder"  # to a judge with scoring left at the set time (once)
    PANEL_RESULTS = "panel_results"  # to the chair, organisers and sponsors, when scoring closes
    PEOPLES_CHOICE_RESULT = "peoples_choice_result"  # to the channel, when voting closes


def message_id(kind: MessageKind, idea_id: str, *parts: object) -> str:
    """`<idea>:<kind>[:<part>...]`: the same notification always gets the same id."""
    return ":".join([idea_id, kind.value, *(str(part) for part in parts)])


def step_message_id(kind: MessageKind, idea_id: str, revision: int, step: int) -> str:
    """Approval requests, decision updates and waiting notes: one per step and revision."""
    return message_id(kind, idea_id, revision, step)


def handoff_message_id(kind: MessageKind, idea_id: str, revision: int, step: int, handoff: int) -> str:
    """A step asked again of someone else (delegation, reassignment, escalation): one per hand-over."""
    base = step_message_id(kind, idea_id, revision, step)
    return f"{base}:h{handoff}" if handoff else base


def reminder_id(idea_id: str, revision: int, step: int, local_day: str) -> str:
    """Reminders: one per step and revision per local calendar day."""
    return message_id(MessageKind.REMINDER, idea_id, revision, step, local_day)


def still_waiting_on(idea: Idea, step: object, revision: object) -> bool:
    """The idea is still open at this step of this revision: a request or reminder about it still matters."""
    return idea.is_open and idea.current_step == step and idea.revision == revision


def still_relevant(kind: MessageKind, idea: Idea, step: object, revision: object, recipient_id: str = "") -> bool:
    """Is a queued message of this kind, about this step and revision, still worth sending now?

    Asking an approver to decide, or reminding anyone, is moot once the step is decided or the
    idea withdrawn; a decision update needs the decision to exist; a receipt always matters.
    """
    if kind in (MessageKind.APPROVAL_REQUEST, MessageKind.REMINDER):
        # After a hand-over, a request still queued for the old holder is moot too.
        holds = not recipient_id or idea.may_decide(recipient_id)
        return still_waiting_on(idea, step, revision) and holds
    if kind == MessageKind.WAITING:
        return still_waiting_on(idea, step, revision)
    if kind == MessageKind.WITHDRAWN:
        return idea.status == IdeaStatus.WITHDRAWN
    if kind in (MessageKind.INFORMED, MessageKind.COMMENT, MessageKind.CORRECTED):
        return True
    if kind == MessageKind.INFORMED_OUTCOME:
        # How it ended, while it still has: a rejection a second look reopened is not news any more.
        return idea.is_closed and idea.current_step == step and idea.revision == revision
    if kind == MessageKind.DECISION_UPDATE:
        return isinstance(step, int) and isinstance(revision, int) and idea.decision_for(step, revision) is not None
    if kind == MessageKind.SHORTLISTED:
        return bool(idea.shortlisted_by)
    return kind == MessageKind.FILED_RECEIPT


@dataclass(frozen=True)
class DecisionFacts:
    """What a decision update says: the decision as it was made, never the idea as it is when sent.

    Written into the outbox row with the decision itself, so a notification delivered late, or
    twice, still tells what happened then (a step returned stays "returned" after a resubmission).
    """

    reference: str
    title: str
    step: int
    revision: int
    outcome: Outcome
    approver_name: str
    role: Role
    comment: str
    decided_at: datetime
    final: bool = False  # the last step approved: the idea goes to the Den
    next_name: str = ""  # who it went on to, when approved at an earlier step
    next_role: Role | None = None
    on_behalf_name: str = ""  # the approver the decider acted for

    @classmethod
    def of(cls, idea: Idea, decision: Decision, *, just_decided: bool = False) -> DecisionFacts:
        """The facts of `decision`. With `just_decided`, `idea` is as the decision left it, so where it
        went next is known; otherwise (an old row read later) only the decision itself is stated."""
        approved = decision.outcome == Outcome.APPROVED
        following = idea.current_approver if just_decided and approved else None
        if just_decided:
            final = approved and idea.status == IdeaStatus.APPROVED
        else:
            final = approved and decision.step_index == len(idea.chain) - 1
        return cls(
            reference=idea.reference,
            title=idea.pitch.title,
            step=decision.step_index,
            revision=decision.revision,
            outcome=decision.outcome,
            approver_name=decision.approver_name,
            role=idea.chain[decision.step_index].shown_role,
            comment=decision.comment,
            decided_at=decision.decided_at,
            final=final,
            next_name=following.approver_name if following else "",
            next_role=following.shown_role if following else None,
            on_behalf_name=decision.on_behalf_of_name if decision.on_behalf_of_id else "",
        )

    def as_payload(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "title": self.title,
            "step": self.step,
            "revision": self.revision,
            "outcome": self.outcome.value,
            "approver": self.approver_name,
            "role": self.role.value,
            "comment": self.comment,
            "decidedAt": self.decided_at.isoformat(),
            "final": self.final,
            "next": {"name": self.next_name, "role": self.next_role.value} if self.next_role else None,
            "onBehalfOf": self.on_behalf_name,
        }

    @classmethod
    def from_payload(cls, data: Any) -> DecisionFacts | None:
        """None for a row queued before rows carried their facts (the caller reads the history instead)."""
        if not isinstance(data, dict):
            return None
        try:
            following = data.get("next") or {}
            return cls(
                reference=str(data["reference"]),
                title=str(data["title"]),
                step=int(data["step"]),
                revision=int(data["revision"]),
                outcome=Outcome(data["outcome"]),
                approver_name=str(data["approver"]),
                role=Role(data["role"]),
                comment=str(data.get("comment", "")),
                decided_at=datetime.fromisoformat(str(data["decidedAt"])),
                final=bool(data.get("final", False)),
                next_name=str(following.get("name", "")),
                next_role=Role(following["role"]) if following.get("role") else None,
                on_behalf_name=str(data.get("onBehalfOf", "")),
            )
        except (KeyError, ValueError, TypeError):
            return None


def request_facts(idea: Idea, step: int) -> dict[str, Any]:
    """What an approval request is about, as it was asked (kept with the row for the record and the logs)."""
    asked = idea.chain[step]
    return {
        "reference": idea.reference,
        "title": idea.pitch.title,
        "submitter": idea.submitter.name,
        "approver": asked.approver_name,
        "role": asked.role.value,
        "step": step,
        "revision": idea.revision,
        "total": len(idea.chain),
    }
