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
