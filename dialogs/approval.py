"""One-click decisions from the approver's card."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.limits import COMMENT_MAX, echo_back
from bot.domain.model import IdeaStatus, Outcome
from bot.i18n import Messages
from bot.services.ideas import ActionStatus, DecisionResult, IdeaService
from cards import approval_card
from cards.approval import decided_card
from cards.approval_routes import withdrawn_card
from cards.common import when
from cards.idea import chain_view, pitch_summary
from cards.safe_text import plain
from dialogs.approvals import decision_comment
from dialogs.turn import Reply, Turn, as_id, as_int


async def record(service: IdeaService, turn: Turn, outcome: Outcome, data: Mapping[str, Any]) -> DecisionResult:
    """The click's decision, recorded by the domain's rules (the answer is the caller's to shape)."""
    return await service.decide(
        actor_id=turn.user_id,
        idea_id=as_id(data.get("ideaId")),
        step_index=as_int(data.get("step")),
        revision=as_int(data.get("revision")),
        outcome=outcome,
        comment=decision_comment(data),
    )


def problem_in_list(m: Messages, result: DecisionResult, outcome: Outcome, comment: str) -> str:
    """What to say under an idea of "my approvals" when the click recorded nothing ("" when the
    idea is simply decided now, by this click or an earlier one, and is shown marked instead)."""
    idea = result.idea
    if result.status == ActionStatus.BEING_RECORDED:
        return m.t("approval.being_recorded", outcome=m.t(f"outcome.{outcome.value}"))
    if result.status == ActionStatus.NOT_FOUND or idea is None:
        return m.t("approval.not_found")
    if result.status == ActionStatus.INVALID:
        return m.t(f"error.{result.comment_error}", label=m.t("approval.comment"), max=COMMENT_MAX,
                   length=len(comment))  # fmt: skip
    if result.status == ActionStatus.COMMENT_REQUIRED:
        return m.t("approval.comment_required", name=plain(idea.submitter.name))
    if result.status == ActionStatus.NOT_YOURS and idea.current_approver is not None:
        return m.t("approval.not_yours", name=idea.current_approver.approver_name)
    return ""


async def decide(service: IdeaService, turn: Turn, outcome: Outcome, data: Mapping[str, Any]) -> Reply:
    m = turn.messages
    comment = decision_comment(data)
    result = await record(service, turn, outcome, data)
    idea = result.idea
    if result.status == ActionStatus.BEING_RECORDED:
        return Reply(message=m.t("approval.being_recorded", outcome=m.t(f"outcome.{outcome.value}")))
    if result.status == ActionStatus.NOT_FOUND or idea is None:
        return Reply(message=m.t("approval.not_found"))
    if result.status == ActionStatus.INVALID:  # too long: the same polite message as the pitch form's
        error = m.t(
            f"error.{result.comment_error}", label=m.t("approval.comment"), max=COMMENT_MAX, length=len(comment)
        )
        shown = echo_back(comment, COMMENT_MAX)
        return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, comment=shown, comment_error=error))
    if result.status == ActionStatus.RECORDED:
        return Reply(card=decided_card(m, idea, result.decision))
    if result.status == ActionStatus.ALREADY_DECIDED:
        d = result.decision
        notice = m.t(
            "approval.already_decided",
            outcome=m.t(f"outcome.{d.outcome.value}"),
            name=plain(d.approver_name),
            when=when(m, d.decided_at),
        )
        return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, notice=notice))
    if result.status == ActionStatus.COMMENT_REQUIRED:
        error = m.t("approval.comment_required", name=plain(idea.submitter.name))
        return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, comment=comment, comment_error=error))
    if idea.status == IdeaStatus.WITHDRAWN and idea.involves(turn.user_id):
        # The card was live when the idea was withdrawn: say so, and close it (nothing to decide).
        summary, chain = pitch_summary(m, idea, full=False), chain_view(m, idea, for_submitter=False)
        return Reply(card=withdrawn_card(m, idea, summary=summary, chain=chain))
    if result.status == ActionStatus.NOT_YOURS:
        step = idea.current_approver
        if step is None:
            return Reply(message=m.t("approval.not_yours_closed"))
        return Reply(message=m.t("approval.not_yours", name=step.approver_name))
    return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, notice=m.t("approval.stale")))
