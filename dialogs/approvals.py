"""The approver's and submitter's extra moves: reassign, withdraw, a second look, comment,
"my approvals", the acting-approver form, and Universal Actions refresh of an old card."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from bot.domain.calendar import WorkCalendar
from bot.domain.inputs import parse_day
from bot.domain.limits import REASON_MAX, check_text
from bot.domain.model import Idea, IdeaStatus
from bot.i18n import Messages
from bot.services.approvals import ApprovalResult, ApprovalService
from bot.services.ideas import ActionStatus
from cards import approval_card, idea_status_card
from cards.approval_routes import (
    delegation_card,
    informed_card,
    my_approvals_card,
    step_holder,
    withdrawn_card,
)
from cards.idea import chain_view, pitch_summary
from cards.lesson import invite_action
from dialogs.turn import Reply, Turn, as_int, as_key, as_text

MY_APPROVALS_LIMIT = 20


@dataclass(frozen=True)
class ReasonBox:
    """Where a move's typed reason sits on the card (`field`) and what the form calls it (`label_key`)."""

    field: str
    label_key: str

    def too_long(self, m: Messages, data: Mapping[str, Any]) -> Reply | None:
        """A reason or note longer than its box allows (REASON_MAX): the same sentence as any form's,
        and nothing recorded. The card's maxLength is only a hint; this is the check."""
        checked = check_text(data.get(self.field), REASON_MAX)
        if checked.error != "too_long":
            return None
        label = m.t(self.label_key)
        return Reply(message=m.t("error.too_long", label=label, max=REASON_MAX, length=len(checked.value)))


REASSIGN_REASON = ReasonBox("reassignReason", "reassign.reason")
WITHDRAW_REASON = ReasonBox("withdrawReason", "withdraw.reason")
SECOND_LOOK_REASON = ReasonBox("secondLookReason", "second_look.reason")
COMMENT_TEXT = ReasonBox("comment", "informed.comment")


class ReasonedMove(Protocol):
    """A service move that records what the person typed (the idea and who acts come from the turn)."""

    def __call__(self, *, actor_id: str, idea_id: str, reason: str) -> Awaitable[ApprovalResult]: ...


@dataclass
class ApprovalFlows:
    service: ApprovalService
    clock: Callable[[], datetime]
    calendar: WorkCalendar
    people: Callable[[], list[tuple[str, str]]] = lambda: []  # choices for the people picker (small orgs)

    # ---- my approvals ---------------------------------------------------------------------
    async def my_approvals(
        self,
        turn: Turn,
        *,
        decided_ids: Sequence[str] = (),
        problems: Mapping[str, str] | None = None,
        comments: Mapping[str, str] | None = None,
    ) -> Reply:
        """The list; after a decision taken from it, the same list with the decided ideas marked."""
        ideas = await self.service.my_approvals(turn.user_id, MY_APPROVALS_LIMIT)
        now = self.clock()
        waiting = {i.id for i in ideas}
        decided = [i for i in [await self.service.store.get(d) for d in dict.fromkeys(decided_ids) if d not in waiting]
                   if i is not None and i.involves(turn.user_id)]  # fmt: skip

        def days(idea: Idea) -> int:
            return self.calendar.business_days_between(idea.waiting_since, now)

        return Reply(card=my_approvals_card(turn.messages, ideas, now, waiting_days=days, viewer_id=turn.user_id,
                                            decided=decided, problems=dict(problems or {}),
                                            comments=dict(comments or {})))  # fmt: skip

    async def decided_from_list(self, turn: Turn, problem: str, data: Mapping[str, Any]) -> Reply:
        """A decision clicked in "my approvals": the list again, this idea marked if it is decided,
        or the reason nothing was recorded under it (with the comment typed kept)."""
        idea_id = str(data.get("ideaId") or "")
        earlier = [str(i) for i in data.get("decided") or [] if isinstance(i, str)][:MY_APPROVALS_LIMIT]
        if problem:
            return await self.my_approvals(turn, decided_ids=earlier, problems={idea_id: problem},
                                           comments={idea_id: decision_comment(data)})  # fmt: skip
        return await self.my_approvals(turn, decided_ids=[idea_id, *earlier])

    async def open_approval(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        idea = await self.service.store.get(as_key(data.get("ideaId")))
        if idea is None or not idea.involves(turn.user_id):  # nobody reads an idea they have no part in
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(card=self.card_for(turn, idea))

    # ---- an old card, shown again -----------------------------------------------------------
    def card_for(self, turn: Turn, idea: Idea, *, view: str = "approval") -> dict[str, Any]:
        """The card this viewer should see for the idea now."""
        m = turn.messages
        summary, chain = pitch_summary(m, idea, full=False), chain_view(m, idea, for_submitter=False)
        if view == "informed" and any(i.person_id == turn.user_id for i in idea.informed):
            return informed_card(m, idea, summary=summary, chain=chain)
        if idea.status == IdeaStatus.WITHDRAWN and turn.user_id != idea.submitter.id:
            return withdrawn_card(m, idea, summary=summary, chain=chain)
        if turn.user_id == idea.submitter.id:
            return idea_status_card(m, idea, second_look=self.service.routes.second_look)
        return approval_card(m, idea, viewer_id=turn.user_id)

    async def refresh(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        idea = await self.service.store.get(as_key(data.get("ideaId")))
        if idea is None or not idea.involves(turn.user_id):  # a forwarded card shows nothing to others
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(card=self.card_for(turn, idea, view=str(data.get("view", "approval"))))

    # ---- hand-overs and the submitter's moves --------------------------------------------------
    async def reassign(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        move = partial(
            self.service.reassign,
            step_index=as_int(data.get("step")),
            revision=as_int(data.get("revision")),
            to_id=as_key(data.get("reassignTo")),
        )
        return await self._with_reason(turn, data, REASSIGN_REASON, move, self._reassigned)

    def _reassigned(self, turn: Turn, status: ActionStatus, idea: Idea) -> Reply:
        m = turn.messages
        if status == ActionStatus.RECORDED:
            step = idea.current_approver
            name = step_holder(m, step) if step else ""
            return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, notice=m.t("reassign.done", name=name)))
        messages = {
            ActionStatus.UNKNOWN_PERSON: "reassign.unknown_person",
            ActionStatus.OWN_IDEA: "reassign.own_idea",
            ActionStatus.NOT_ALLOWED: "reassign.not_allowed",
            ActionStatus.COMMENT_REQUIRED: "reassign.reason_required",
        }
        if status in messages:
            return Reply(message=m.t(messages[status]))
        return self._not_yours_or_stale(turn, idea)

    async def withdraw(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        field = data.get("reasonField")  # a list of ideas names each idea's reason box apart
        if isinstance(field, str) and re.fullmatch(r"withdrawReason\d{1,3}", field):
            data = {**data, WITHDRAW_REASON.field: data.get(field)}
        return await self._with_reason(turn, data, WITHDRAW_REASON, self.service.withdraw, self._withdrawn)

    def _withdrawn(self, turn: Turn, status: ActionStatus, idea: Idea) -> Reply:
        m = turn.messages
        if status == ActionStatus.RECORDED:
            done = idea_status_card(m, idea, headline=m.t("withdraw.done", reference=idea.reference))
            done["actions"].append(invite_action(m, idea))  # the invitation to share what was learned, once
            return Reply(card=done)
        if status == ActionStatus.NOT_YOURS:
            return Reply(message=m.t("withdraw.not_yours"))
        return Reply(message=m.t("withdraw.not_allowed"))

    async def second_look(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        return await self._with_reason(
            turn, data, SECOND_LOOK_REASON, self.service.second_look, self._second_look_asked
        )

    def _second_look_asked(self, turn: Turn, status: ActionStatus, idea: Idea) -> Reply:
        m = turn.messages
        if status == ActionStatus.RECORDED:
            step = idea.current_approver
            headline = m.t("second_look.done", name=step_holder(m, step) if step else "", reference=idea.reference)
            return Reply(card=idea_status_card(m, idea, headline=headline))
        messages = {
            ActionStatus.ALREADY_USED: "second_look.used",
            ActionStatus.SWITCHED_OFF: "second_look.off",
            ActionStatus.COMMENT_REQUIRED: "second_look.reason_required",
            ActionStatus.NOT_YOURS: "withdraw.not_yours",
        }
        return Reply(message=m.t(messages.get(status, "second_look.not_allowed")))

    async def comment(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        def move(*, actor_id: str, idea_id: str, reason: str) -> Awaitable[ApprovalResult]:
            return self.service.comment(actor_id=actor_id, idea_id=idea_id, text=reason)

        return await self._with_reason(turn, data, COMMENT_TEXT, move, self._commented)

    def _commented(self, turn: Turn, status: ActionStatus, idea: Idea) -> Reply:
        m = turn.messages
        if status == ActionStatus.RECORDED:
            notice = m.t("comment.done", name=idea.submitter.name)
            if any(i.person_id == turn.user_id for i in idea.informed):
                summary, chain = pitch_summary(m, idea, full=False), chain_view(m, idea, for_submitter=False)
                return Reply(card=informed_card(m, idea, summary=summary, chain=chain, notice=notice))
            return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, notice=notice))
        if status == ActionStatus.COMMENT_REQUIRED:
            return Reply(message=m.t("comment.empty"))
        if status == ActionStatus.NOT_YOURS:
            return Reply(message=m.t("comment.not_yours"))
        return Reply(message=m.t("withdraw.not_allowed"))

    async def _with_reason(
        self,
        turn: Turn,
        data: Mapping[str, Any],
        box: ReasonBox,
        move: ReasonedMove,
        answer: Callable[[Turn, ActionStatus, Idea], Reply],
    ) -> Reply:
        """What every move with a typed reason shares, so each is checked the same way: a reason
        too long for its box records nothing, and an idea that is not there is "not found"."""
        too_long = box.too_long(turn.messages, data)
        if too_long is not None:
            return too_long
        reason = as_text(data.get(box.field))
        result = await move(actor_id=turn.user_id, idea_id=as_key(data.get("ideaId")), reason=reason)
        if result.status == ActionStatus.NOT_FOUND or result.idea is None:
            return Reply(message=turn.messages.t("approval.not_found"))
        return answer(turn, result.status, result.idea)

    def _not_yours_or_stale(self, turn: Turn, idea: Idea) -> Reply:
        m = turn.messages
        step = idea.current_approver
        if step is None:
            return Reply(card=self.card_for(turn, idea))
        if not idea.may_decide(turn.user_id):
            return Reply(message=m.t("approval.not_yours", name=step_holder(m, step)))
        return Reply(card=approval_card(m, idea, viewer_id=turn.user_id, notice=m.t("approval.stale")))

    # ---- acting approvers -----------------------------------------------------------------------
    async def delegation_form(
        self, turn: Turn, *, notice: str = "", problem: str = "", handed_over: int | None = None
    ) -> Reply:
        current = await self.service.delegation_of(turn.user_id)
        today = self.calendar.local_date(self.clock())
        return Reply(
            card=delegation_card(
                turn.messages,
                today=today,
                current=current,
                people=self.people(),
                notice=notice,
                problem=problem,
                handed_over=handed_over,
            )
        )

    async def delegate(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        m = turn.messages
        parsed = parse_day(data.get("lastDay"), today=self.calendar.local_date(self.clock()))
        if not parsed.ok:
            problem = "too_long" if parsed.error == "date_out_of_range" else "bad_date"
            return await self.delegation_form(turn, problem=m.t(f"delegate.problem.{problem}"))
        result = await self.service.delegate(
            actor_id=turn.user_id, delegate_id=as_key(data.get("delegateId")), last_day=parsed.value
        )
        if result.problem is not None or result.delegation is None:
            problem = result.problem.value if result.problem else "not_in_directory"
            return await self.delegation_form(turn, problem=m.t(f"delegate.problem.{problem}"))
        return await self.delegation_form(turn, handed_over=result.steps_handed_over)

    async def end_delegation(self, turn: Turn) -> Reply:
        m = turn.messages
        ended = await self.service.end_delegation(actor_id=turn.user_id)
        return await self.delegation_form(turn, notice=m.t("delegate.ended" if ended else "delegate.nothing_to_end"))


def decision_comment(data: Mapping[str, Any]) -> str:
    """The comment for a decision: from the card's own box, or (in "my approvals") the idea's box."""
    field = data.get("commentField") if isinstance(data.get("commentField"), str) else "comment"
    value = data.get(field) or data.get("comment") or ""
    return value if isinstance(value, str) else ""  # a number or an object is no comment
