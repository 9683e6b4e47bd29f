"""An idea's details: the pitch, its route with every decision (comment and date beside it), the
revision history with what each revision changed, the stage it is at now, and (once it is in a Den
challenge) where it stands there: pool, shortlist, finalist, winner, funding and its monthly updates.

Reached from "my ideas", the digest and every notification; posted as a new card, so the card
the reader came from (a receipt, a digest) stays as it was.
"""

from __future__ import annotations

from typing import Any

from bot.domain.model import Idea, IdeaStatus
from bot.domain.stage import Stage, Standing
from bot.i18n import Messages
from cards import verbs
from cards.approval_routes import route_why
from cards.common import Element, card, container, good, heading, navigate, subtle, text, when
from cards.idea import chain_view, pitch_summary, submitter_moves, where_now
from cards.safe_text import plain
from cards.standing import standing_section

BEFORE_LIMIT = 200  # characters of an earlier answer shown in the history; the rest is summarised


def _shown(m: Messages, name: str, value: str) -> str:
    """An earlier answer as the history shows it: a choice in words, long text shortened, empty said so."""
    if not value:
        return m.t("revision.was_empty")
    if name in ("beneficiaries", "program_area", "cost_band"):
        return m.t(f"choice.{name}.{value}")
    return value if len(value) <= BEFORE_LIMIT else value[:BEFORE_LIMIT].rstrip() + "…"


def _history(m: Messages, idea: Idea) -> list[Element]:
    """Newest revision first: when it was sent, what it changed, and the comment it answered."""
    if idea.revision < 2:
        return []
    items: list[Element] = [text(m.t("details.history"), weight="Bolder", spacing="Medium")]
    sent = {1: idea.created_at} | {v.revision + 1: v.replaced_at for v in idea.earlier_pitches}
    versions = {v.revision: v.pitch for v in idea.earlier_pitches}
    for revision in range(idea.revision, 0, -1):
        lines: list[Element] = [
            text(m.t("details.revision_sent", revision=revision, when=when(m, sent[revision])), weight="Bolder")
        ]
        if revision > 1:
            names = idea.changes_in(revision)
            changed = [m.t(f"idea.label.{name}") for name in names]
            lines.append(
                subtle(m.t("revision.changed", fields=", ".join(changed)) if changed else m.t("revision.unchanged"))
            )
            before = versions[revision - 1].as_dict()
            for name in names:
                lines.append(
                    text(
                        m.t("revision.before", label=m.t(f"idea.label.{name}"), text=_shown(m, name, before[name])),
                        spacing="None",
                    )
                )
            answered = idea.return_before(revision)
            if answered is not None:
                lines.append(
                    text(
                        m.t(
                            "revision.their_comment",
                            name=plain(answered.approver_name),
                            comment=plain(answered.comment),
                        ),
                        spacing="None",
                    )
                )
        items.append(container(lines, spacing="Small"))
    return [container(items, separator=True)]


def idea_details_card(
    m: Messages, idea: Idea, standing: Standing | None = None, *, viewer_id: str | None = None, tab_link: str = ""
) -> dict[str, Any]:
    """`standing`: where the idea stands in the Den challenge it was pitched to, if any. `viewer_id`:
    who reads it (None: its submitter), so what comes next is said to them, and only the submitter
    is offered what they can do now (revise a returned idea, withdraw one still in review).
    `tab_link`: the idea's page in the Den tab (a Teams deep link), offered beside My ideas."""
    submitter = viewer_id is None or viewer_id == idea.submitter.id
    body: list[Element] = [
        heading(m.t("details.title", reference=idea.reference)),
        text(m.t("details.stage"), weight="Bolder", spacing="Small"),
        good(where_now(m, idea)),
    ]
    if idea.status == IdeaStatus.APPROVED and idea.shortlisted_by:
        body.append(text(m.t("details.shortlisted")))
    if standing is not None:
        body.extend(standing_section(m, idea, standing))
    body.extend(pitch_summary(m, idea, full=True))
    body.append(subtle(m.t("details.submitted", name=plain(idea.submitter.name), when=when(m, idea.created_at))))
    body.extend(route_why(m, idea))  # why this route: the rule's reason, or who decides instead
    if idea.chain:
        # Once it is further along in its challenge than the pool, the standing above says what is next.
        in_pool = standing is None or standing.stage is None or standing.stage.stage == Stage.POOL
        body.append(chain_view(m, idea, for_submitter=submitter, what_next=in_pool))
    body.extend(_history(m, idea))
    actions = [navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)]
    if submitter:
        actions += submitter_moves(m, idea)
    if tab_link:
        actions.append({"type": "Action.OpenUrl", "title": m.t("tab.open_in_tab"), "url": tab_link})
    return card(m, body, actions)
