"""The outbox's vocabulary: what kinds of message the Den sends, their ids, and when one is moot.

A message's id is deterministic (built here, and only here), so a retried write, the daily
nudge pass, a DM's Nudge button and a second app instance can never queue the same message
twice. Whether a queued message is still worth sending is a business rule, so it lives here
too, next to the idea it reads.
"""

from __future__ import annotations

import enum

from bot.domain.model import Idea


class MessageKind(enum.StrEnum):
    APPROVAL_REQUEST = "approval_request"  # to the approver whose step it now is
    DECISION_UPDATE = "decision_update"  # to the submitter: a step was decided
    FILED_RECEIPT = "filed_receipt"  # to the submitter: a pitch spooled during an outage is filed
    REMINDER = "reminder"  # to an approver holding a step too long (at most one a day)
    WAITING = "waiting"  # to the submitter: where their idea waits, once per step


def message_id(kind: MessageKind, idea_id: str, *parts: object) -> str:
    """`<idea>:<kind>[:<part>...]`: the same notification always gets the same id."""
    return ":".join([idea_id, kind.value, *(str(part) for part in parts)])


def step_message_id(kind: MessageKind, idea_id: str, revision: int, step: int) -> str:
    """Approval requests, decision updates and waiting notes: one per step and revision."""
    return message_id(kind, idea_id, revision, step)


def reminder_id(idea_id: str, revision: int, step: int, local_day: str) -> str:
    """Reminders: one per step and revision per local calendar day."""
    return message_id(MessageKind.REMINDER, idea_id, revision, step, local_day)


def still_waiting_on(idea: Idea, step: object, revision: object) -> bool:
    """The idea is still open at this step of this revision: a request or reminder about it still matters."""
    return idea.is_open and idea.current_step == step and idea.revision == revision


def still_relevant(kind: MessageKind, idea: Idea, step: object, revision: object) -> bool:
    """Is a queued message of this kind, about this step and revision, still worth sending now?

    Asking an approver to decide, or reminding anyone, is moot once the step is decided or the
    idea withdrawn; a decision update needs the decision to exist; a receipt always matters.
    """
    if kind in (MessageKind.APPROVAL_REQUEST, MessageKind.REMINDER, MessageKind.WAITING):
        return still_waiting_on(idea, step, revision)
    if kind == MessageKind.DECISION_UPDATE:
        return isinstance(step, int) and isinstance(revision, int) and idea.decision_for(step, revision) is not None
    return kind == MessageKind.FILED_RECEIPT
