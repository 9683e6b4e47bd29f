"""Where an idea stands, told to the submitter: after each decision, and the form to revise a returned idea."""

from __future__ import annotations

from typing import Any

from bot.domain.model import Decision, Idea, IdeaStatus, Outcome
from bot.i18n import Messages
from cards import verbs
from cards.common import attention, card, execute, good, subtle, text
from cards.idea import chain_view, pitch_summary, where_now
from cards.pitch_form import pitch_form_card
from cards.safe_text import plain


def idea_status_card(m: Messages, idea: Idea, *, headline: str = "", comment: str = "") -> dict[str, Any]:
    """Where an idea stands. `comment` is the approver's comment on the decision the headline reports."""
    body: list[dict[str, Any]] = []
    if headline:
        body.append(text(headline, weight="Bolder", size="Medium"))
    if comment:
        body.append(text(m.t("chain.comment", comment=plain(comment))))
    body.append(good(where_now(m, idea)) if idea.status != IdeaStatus.REJECTED else attention(where_now(m, idea)))
    body.extend(pitch_summary(m, idea, full=False))
    body.append(chain_view(m, idea))
    return card(body, [execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS, {"ideaId": idea.id})])


def submitter_update_card(m: Messages, idea: Idea, decision: Decision) -> dict[str, Any]:
    """Tell the submitter what was decided (for a return, see `returned_card`)."""
    role = m.t(f"role.{idea.chain[decision.step_index].role.value}")
    if decision.outcome == Outcome.REJECTED:
        headline = m.t("update.rejected", name=plain(decision.approver_name), role=role, reference=idea.reference)
    elif idea.status == IdeaStatus.APPROVED and decision.step_index == len(idea.chain) - 1:
        headline = m.t("update.final", reference=idea.reference)
    else:
        headline = m.t("update.approved_step", name=plain(decision.approver_name), role=role, reference=idea.reference)
    return idea_status_card(m, idea, headline=headline, comment=decision.comment)


def returned_card(m: Messages, idea: Idea, decision: Decision, *, form_id: str) -> dict[str, Any]:
    """The comment, then the pitch as a form filled in with what was sent, ready to revise."""
    role = m.t(f"role.{idea.chain[decision.step_index].role.value}")
    header = [
        text(
            m.t("update.returned", name=plain(decision.approver_name), role=role, reference=idea.reference),
            weight="Bolder",
        ),
        text(m.t("chain.comment", comment=plain(decision.comment))),
        subtle(m.t("update.returned_hint", name=plain(decision.approver_name))),
    ]
    return pitch_form_card(
        m,
        form_id=form_id,
        values=idea.pitch.as_dict(),
        revise=(idea.id, idea.revision, idea.reference, decision.approver_name),
        preface=header,
    )
