"""The approver's and submitter's extra moves: reassign, withdraw, a second look, comment,
"my approvals", the acting-approver form, and Universal Actions refresh of an old card."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.calendar import WorkCalendar
from bot.domain.limits import REASON_MAX, check_text
from bot.domain.model import Idea, IdeaStatus
from bot.services.approvals import ApprovalService
from bot.services.ideas import ActionStatus
from cards import approval_card, idea_status_card
from cards.approval_routes import (
    delegation_card,
    informed_card,
    my_approvals_card,
    step_holder,
    withdrawn_card,
)
from cards.common import local_day
from cards.idea import chain_view, pitch_summary
from dialogs.turn import Reply, Turn, as_int

MY_APPROVALS_LIMIT = 20


@dataclass
class ApprovalFlows:
    service: ApprovalService
    clock: Callable[[], datetime]
    calendar: WorkCalendar
    people: Callable[[], list[tuple[str, str]]] = lambda: []  # choices for the people picker (small orgs)

    # ---- my approvals ---------------------------------------------------------------------
    async def my_approvals(self, turn: Turn) -> Reply:
        ideas = await self.service.my_approvals(turn.user_id, MY_APPROVALS_LIMIT)
        now = self.clock()

        def days(idea: Idea) -> int:
            return self.calendar.business_days_between(idea.waiting_since, now)

        return Reply(card=my_approvals_card(turn.messages, ideas, now, waiting_days=days, viewer_id=turn.user_id))

    async def open_approval(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        idea = await self.service.store.get(str(data.get("ideaId", "")))
        if idea is None or not idea.involves(turn.user_id):  # nobody reads an idea they have no part in
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(card=self.card_for(turn, idea))

    # ---- an old card, shown again -----------------------------------------------------------
    def card_for(self, turn: Turn, idea: Idea, *, view: str = "approval") -> dict[str, Any]:
        """The card this viewer should see for the idea now."""
        m = turn.messages
        if view == "informed" and any(i.person_id == turn.user_id for i in idea.informed):
            return informed_card(m, idea, summary=pitch_summary(m, idea, full=False), chain=chain_view(m, idea))
        if idea.status == IdeaStatus.WITHDRAWN and turn.user_id != idea.submitter.id:
            return withdrawn_card(m, idea, summary=pitch_summary(m, idea, full=False), chain=chain_view(m, idea))
        if turn.user_id == idea.submitter.id:
            return idea_status_card(m, idea, second_look=self.service.routes.second_look)
        return approval_card(m, idea, viewer_id=turn.user_id)

    async def refresh(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        idea = await self.service.store.get(str(data.get("ideaId", "")))
        if idea is None or not idea.involves(turn.user_id):  # a forwarded card shows nothing to others
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(card=self.card_for(turn, idea, view=str(data.get("view", "approval"))))

    # ---- hand-overs and the submitter's moves --------------------------------------------------
    async def reassign(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        m = turn.messages
        too_long = _too_long(m, data, "reassignReason", "reassign.reason")
        if too_long is not None:
            return too_long
        result = await self.service.reassign(
            actor_id=turn.user_id,
            idea_id=str(data.get("ideaId", "")),
            step_index=as_int(data.get("step")),
            revision=as_int(data.get("revision")),
            to_id=str(data.get("reassignTo") or "").strip(),
            reason=str(data.get("reassignReason") or ""),
        )
        idea = result.idea
        if result.status == ActionStatus.NOT_FOUND or idea is None:
            return Reply(message=m.t("approval.not_found"))
        if result.status == ActionStatus.RECORDED:
            step = idea.current_approver
            name = step_holder(m, step) if step else ""
            return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, notice=m.t("reassign.done", name=name)))
        messages = {
            ActionStatus.UNKNOWN_PERSON: "reassign.unknown_person",
            ActionStatus.OWN_IDEA: "reassign.own_idea",
            ActionStatus.NOT_ALLOWED: "reassign.not_allowed",
            ActionStatus.COMMENT_REQUIRED: "reassign.reason_required",
        }
        if result.status in messages:
            return Reply(message=m.t(messages[result.status]))
        return self._not_yours_or_stale(turn, idea)

    async def withdraw(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        m = turn.messages
        too_long = _too_long(m, data, "withdrawReason", "withdraw.reason")
        if too_long is not None:
            return too_long
        result = await self.service.withdraw(
            actor_id=turn.user_id, idea_id=str(data.get("ideaId", "")), reason=str(data.get("withdrawReason") or "")
        )
        idea = result.idea
        if result.status == ActionStatus.NOT_FOUND or idea is None:
            return Reply(message=m.t("approval.not_found"))
        if result.status == ActionStatus.RECORDED:
            return Reply(card=idea_status_card(m, idea, headline=m.t("withdraw.done", reference=idea.reference)))
        if result.status == ActionStatus.NOT_YOURS:
            return Reply(message=m.t("withdraw.not_yours"))
        return Reply(message=m.t("withdraw.not_allowed"))

    async def second_look(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        m = turn.messages
        too_long = _too_long(m, data, "secondLookReason", "second_look.reason")
        if too_long is not None:
            return too_long
        result = await self.service.second_look(
            actor_id=turn.user_id, idea_id=str(data.get("ideaId", "")), reason=str(data.get("secondLookReason") or "")
        )
        idea = result.idea
        if result.status == ActionStatus.NOT_FOUND or idea is None:
            return Reply(message=m.t("approval.not_found"))
        if result.status == ActionStatus.RECORDED:
            step = idea.current_approver
            headline = m.t("second_look.done", name=step_holder(m, step) if step else "", reference=idea.reference)
            return Reply(card=idea_status_card(m, idea, headline=headline))
        messages = {
            ActionStatus.ALREADY_USED: "second_look.used",
            ActionStatus.SWITCHED_OFF: "second_look.off",
            ActionStatus.COMMENT_REQUIRED: "second_look.reason_required",
            ActionStatus.NOT_YOURS: "withdraw.not_yours",
        }
        return Reply(message=m.t(messages.get(result.status, "second_look.not_allowed")))

    async def comment(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        m = turn.messages
        too_long = _too_long(m, data, "comment", "informed.comment")
        if too_long is not None:
            return too_long
        result = await self.service.comment(
            actor_id=turn.user_id, idea_id=str(data.get("ideaId", "")), text=str(data.get("comment") or "")
        )
        idea = result.idea
        if result.status == ActionStatus.NOT_FOUND or idea is None:
            return Reply(message=m.t("approval.not_found"))
        if result.status == ActionStatus.RECORDED:
            card = informed_card(
                m,
                idea,
                summary=pitch_summary(m, idea, full=False),
                chain=chain_view(m, idea),
                notice=m.t("comment.done", name=idea.submitter.name),
            )
            if not any(i.person_id == turn.user_id for i in idea.informed):
                notice = m.t("comment.done", name=idea.submitter.name)
                card = approval_card(m, idea, viewer_id=turn.user_id, notice=notice)
            return Reply(card=card)
        if result.status == ActionStatus.COMMENT_REQUIRED:
            return Reply(message=m.t("comment.empty"))
        if result.status == ActionStatus.NOT_YOURS:
            return Reply(message=m.t("comment.not_yours"))
        return Reply(message=m.t("withdraw.not_allowed"))

    def _not_yours_or_stale(self, turn: Turn, idea: Idea) -> Reply:
        m = turn.messages
        step = idea.current_approver
        if step is None:
            return Reply(card=self.card_for(turn, idea))
        if not idea.may_decide(turn.user_id):
            return Reply(message=m.t("approval.not_yours", name=step_holder(m, step)))
        return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, notice=m.t("approval.stale")))

    # ---- acting approvers -----------------------------------------------------------------------
    async def delegation_form(self, turn: Turn, *, notice: str = "", problem: str = "") -> Reply:
        current = await self.service.delegation_of(turn.user_id)
        today = self.calendar.local_date(self.clock())
        return Reply(
            card=delegation_card(
                turn.messages, today=today, current=current, people=self.people(), notice=notice, problem=problem
            )
        )

    async def delegate(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        m = turn.messages
        try:
            last_day = date.fromisoformat(str(data.get("lastDay") or "").strip())
        except ValueError:
            return await self.delegation_form(turn, problem=m.t("delegate.problem.bad_date"))
        result = await self.service.delegate(
            actor_id=turn.user_id, delegate_id=str(data.get("delegateId") or "").strip(), last_day=last_day
        )
        if result.problem is not None or result.delegation is None:
            problem = result.problem.value if result.problem else "not_in_directory"
            return await self.delegation_form(turn, problem=m.t(f"delegate.problem.{problem}"))
        d = result.delegation
        notice = m.t("delegate.saved", name=d.delegate_name, day=local_day(d.last_day), count=result.steps_handed_over)
        return await self.delegation_form(turn, notice=notice)

    async def end_delegation(self, turn: Turn) -> Reply:
        m = turn.messages
        ended = await self.service.end_delegation(actor_id=turn.user_id)
        return await self.delegation_form(turn, notice=m.t("delegate.ended" if ended else "delegate.nothing_to_end"))


def decision_comment(data: Mapping[str, Any]) -> str:
    """The comment for a decision: from the card's own box, or (in "my approvals") the idea's box."""
    field = data.get("commentField") if isinstance(data.get("commentField"), str) else "comment"
    value = data.get(field) or data.get("comment") or ""
    return value if isinstance(value, str) else ""  # a number or an object is no comment


def _too_long(m, data: Mapping[str, Any], field: str, label_key: str) -> Reply | None:
    """A reason or note longer than its box allows (REASON_MAX): the same sentence as any form's,
    and nothing recorded. The card's maxLength is only a hint; this is the check."""
    checked = check_text(data.get(field), REASON_MAX)
    if checked.error != "too_long":
        return None
    return Reply(message=m.t("error.too_long", label=m.t(label_key), max=REASON_MAX, length=len(checked.value)))
