"""Where an idea stands, told to the submitter: after each decision, and the form to revise a returned idea."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.model import Decision, Idea, IdeaStatus
from bot.i18n import Messages
from cards import verbs
from cards.approval_routes import comments_view, level, second_look_action
from cards.common import card, good, heading, navigate, subtle, text
from cards.idea import chain_view, pitch_summary, submitter_moves, view_button, where_now
from cards.pitch_form import pitch_form_card
from cards.safe_text import plain


def idea_status_card(
    m: Messages, idea: Idea, *, headline: str = "", comment: str = "", second_look: bool = True
) -> dict[str, Any]:
    """Where an idea stands. `comment` is the approver's comment on the decision the headline reports;
    `second_look`: whether a rejected idea may ask the next level up (the routing file says)."""
    body: list[dict[str, Any]] = []
    if headline:
        body.append(text(headline, weight="Bolder", size="Medium"))
    if comment:
        body.append(text(m.t("chain.comment", comment=comment)))
    body.append(good(where_now(m, idea)))
    body.extend(pitch_summary(m, idea, full=False))
    body.append(chain_view(m, idea))
    body.extend(comments_view(m, idea))
    actions = [view_button(m, idea), navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)]
    actions += submitter_moves(m, idea)
    if second_look and idea.status == IdeaStatus.REJECTED and not idea.second_look_used:
        actions.append(second_look_action(m, idea))
    return card(m, body, actions)


def returned_card(
    m: Messages,
    idea: Idea,
    decision: Decision,
    *,
    form_id: str,
    values: Mapping[str, str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """The comment, then the pitch as a form filled in with what was sent, ready to revise.
    `values`: what the person typed, when the form comes back to them (with `notice`, why)."""
    role = level(m, idea.chain[decision.step_index].shown_role)
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
        values=idea.pitch.as_dict() if values is None else values,
        revise=(idea.id, idea.revision, idea.reference, decision.approver_name),
        preface=header,
        notice=notice,
    )


def shortlisted_card(m: Messages, idea: Idea) -> dict[str, Any]:
    """Tell the submitter a deputy minister shortlisted their idea for the Den, and what comes next."""
    body = [
        heading(m.t("shortlisted.title", reference=idea.reference)),
        text(m.t("shortlisted.body")),
        *pitch_summary(m, idea, full=False),
    ]
    return card(m, body, [view_button(m, idea), navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)])
