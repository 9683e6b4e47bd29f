"""The approver's card (one-click decisions) and what replaces it once they have decided."""

from __future__ import annotations

from typing import Any

from bot.domain.limits import COMMENT_MAX
from bot.domain.model import Decision, Idea
from bot.i18n import Messages
from cards import verbs
from cards.approval_routes import handover_notice, holder_now, reassign_action, refresh
from cards.common import Element, attention, card, execute, field_error, good, heading, subtle, text
from cards.idea import chain_view, decision_line, pitch_summary, revision_notes, view_button
from cards.safe_text import plain


def _decision_data(idea: Idea) -> dict[str, Any]:
    return {"ideaId": idea.id, "step": idea.current_step, "revision": idea.revision}


def approval_parts(
    m: Messages, idea: Idea, *, viewer_id: str, notice: str = "", comment: str = "", comment_error: str = ""
) -> tuple[Element, list[Element], list[Element]]:
    """The approver's card in three parts (title, body, buttons), so a reminder can put its own title on it.

    A revised pitch says which revision it is, what it changed (marked in words on each changed
    field) and the comment it answers. `comment_error` is shown right under the comment box it is
    about, not at the top of a tall card.
    """
    step = idea.current_approver
    deciding = idea.may_decide(viewer_id)
    notice = notice or handover_notice(m, idea, viewer_id)
    if deciding:
        title = heading(m.t("approval.title"))
    else:
        title = heading(m.t("idea.reference_title", reference=idea.reference, title=m.t(f"status.{idea.status.value}")))
    body: list[Element] = []
    if notice:
        body.append(attention(notice) if deciding else text(notice, weight="Bolder"))
    if not deciding:
        body.append(good(holder_now(m, idea)))  # a stale card says who holds the idea now
    body.append(subtle(m.t("approval.from", name=plain(idea.submitter.name))))
    if deciding:
        body.append(
            text(
                m.t(
                    "approval.step",
                    number=idea.current_step + 1,
                    total=len(idea.chain),
                    role=m.t(f"level.step.{step.role.value}"),
                )
            )
        )
    body.extend(revision_notes(m, idea, viewer_id))
    body.extend(pitch_summary(m, idea, changed=idea.changes_in(idea.revision)))
    body.append(chain_view(m, idea, for_submitter=False))
    actions: list[Element] = []
    if deciding:
        comment_input: Element = {
            "type": "Input.Text",
            "id": "comment",
            "label": m.t("approval.comment"),
            "placeholder": m.t("approval.comment.placeholder"),
            "isMultiline": True,
            "maxLength": COMMENT_MAX,
            "errorMessage": comment_error or m.t("approval.comment_required", name=idea.submitter.name),
        }
        if comment:
            comment_input["value"] = comment
        body.append(comment_input)
        if comment_error:
            body.append(field_error(comment_error))
        data = _decision_data(idea)
        actions = [
            execute(m.t("approval.approve"), verbs.APPROVE, data, style="positive"),
            execute(m.t("approval.return"), verbs.RETURN, data),
            execute(m.t("approval.reject"), verbs.REJECT, data, style="destructive"),
            reassign_action(m, idea),
            view_button(m, idea),
        ]
    else:
        actions = [view_button(m, idea)]
    return title, body, actions


def approval_card(
    m: Messages, idea: Idea, *, viewer_id: str, notice: str = "", comment: str = "", comment_error: str = ""
) -> dict[str, Any]:
    """The approver's card. Decision buttons only while this viewer holds the open step."""
    title, body, actions = approval_parts(
        m, idea, viewer_id=viewer_id, notice=notice, comment=comment, comment_error=comment_error
    )
    return {**card(m, [title, *body], actions), "refresh": refresh(idea)}


def decided_card(m: Messages, idea: Idea, decision: Decision) -> dict[str, Any]:
    """What the approver sees in place of the buttons once they have decided."""
    body = [
        heading(m.t("approval.decided_title", outcome=m.t(f"outcome.{decision.outcome.value}"))),
        good(m.t("approval.recorded", name=plain(idea.submitter.name))),
        subtle(decision_line(m, decision)),
    ]
    if decision.comment:
        body.append(text(m.t("chain.comment", comment=plain(decision.comment))))
    body.extend(pitch_summary(m, idea, full=False))
    body.append(chain_view(m, idea, for_submitter=False))
    return card(m, body, [view_button(m, idea)])
