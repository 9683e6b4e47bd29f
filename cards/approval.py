"""The approver's card (one-click decisions) and what replaces it once they have decided."""

from __future__ import annotations

from typing import Any

from bot.domain.limits import COMMENT_MAX
from bot.domain.model import Decision, Idea
from bot.i18n import Messages
from cards import verbs
from cards.common import Element, attention, card, execute, good, heading, subtle, text
from cards.idea import chain_view, decision_line, pitch_summary
from cards.safe_text import plain


def _decision_data(idea: Idea) -> dict[str, Any]:
    return {"ideaId": idea.id, "step": idea.current_step, "revision": idea.revision}


def approval_parts(
    m: Messages, idea: Idea, *, viewer_id: str, notice: str = "", comment: str = ""
) -> tuple[Element, list[Element], list[Element]]:
    """The approver's card in three parts (title, body, buttons), so a reminder can put its own title on it."""
    step = idea.current_approver
    deciding = step is not None and step.approver_id == viewer_id
    if deciding:
        title = heading(m.t("approval.title"))
    else:
        title = heading(m.t("idea.reference_title", reference=idea.reference, title=m.t(f"status.{idea.status.value}")))
    body: list[Element] = []
    if notice:
        body.append(attention(notice) if deciding else text(notice, weight="Bolder"))
    body.append(subtle(m.t("approval.from", name=plain(idea.submitter.name))))
    if deciding:
        body.append(
            text(
                m.t(
                    "approval.step",
                    number=idea.current_step + 1,
                    total=len(idea.chain),
                    role=m.t(f"role.{step.role.value}"),
                )
            )
        )
    body.extend(pitch_summary(m, idea))
    body.append(chain_view(m, idea))
    actions: list[Element] = []
    if deciding:
        comment_input: Element = {
            "type": "Input.Text",
            "id": "comment",
            "label": m.t("approval.comment"),
            "placeholder": m.t("approval.comment.placeholder"),
            "isMultiline": True,
            "maxLength": COMMENT_MAX,
        }
        if comment:
            comment_input["value"] = comment
        body.append(comment_input)
        data = _decision_data(idea)
        actions = [
            execute(m.t("approval.approve"), verbs.APPROVE, data, style="positive"),
            execute(m.t("approval.return"), verbs.RETURN, data),
            execute(m.t("approval.reject"), verbs.REJECT, data, style="destructive"),
        ]
    return title, body, actions


def approval_card(m: Messages, idea: Idea, *, viewer_id: str, notice: str = "", comment: str = "") -> dict[str, Any]:
    """The approver's card. Buttons only while this viewer holds the open step."""
    title, body, actions = approval_parts(m, idea, viewer_id=viewer_id, notice=notice, comment=comment)
    return card([title, *body], actions)


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
    body.append(chain_view(m, idea))
    return card(body)
