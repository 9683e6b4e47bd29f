"""Things that happened to an idea. Handlers turn them into notifications."""

from __future__ import annotations

from dataclasses import dataclass


class Event:
    """Marker base class for domain events."""


@dataclass(frozen=True)
class IdeaSubmitted(Event):
    idea_id: str


@dataclass(frozen=True)
class ApprovalRequested(Event):
    idea_id: str
    step_index: int
    revision: int
    approver_id: str
    handoff: int = 0  # >0: the same step asked again of someone else (delegation, reassignment...)


@dataclass(frozen=True)
class StepDecided(Event):
    idea_id: str
    step_index: int
    revision: int
    outcome: str


@dataclass(frozen=True)
class ChangesRequested(Event):
    idea_id: str
    step_index: int
    revision: int


@dataclass(frozen=True)
class IdeaResubmitted(Event):
    idea_id: str
    revision: int


@dataclass(frozen=True)
class IdeaApproved(Event):
    idea_id: str


@dataclass(frozen=True)
class IdeaRejected(Event):
    idea_id: str


@dataclass(frozen=True)
class Informed(Event):
    """A level the route keeps informed gets its read-only card."""

    idea_id: str
    person_id: str
    index: int


@dataclass(frozen=True)
class StepHandedOver(Event):
    """The current step changed hands (`to_id` empty: it moved on without a decision)."""

    idea_id: str
    step_index: int
    revision: int
    from_id: str
    to_id: str


@dataclass(frozen=True)
class IdeaWithdrawn(Event):
    idea_id: str
    step_index: int
    revision: int
    approver_id: str  # who held the step when it was withdrawn ("" if it was with the submitter)


@dataclass(frozen=True)
class SecondLookRequested(Event):
    idea_id: str
    step_index: int
    revision: int
    reviewer_id: str


@dataclass(frozen=True)
class CommentAdded(Event):
    idea_id: str
    author_id: str
    number: int  # the history entry's position: one notification per comment
