"""'My ideas': each idea, its status, who holds it and for how many business days, where it stands in
its Den challenge once it is there (cards/standing.py); a View button each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.calendar import WorkCalendar
from bot.domain.model import Idea, IdeaStatus
from bot.domain.stage import Standing
from bot.i18n import Messages
from cards import verbs
from cards.common import business_days, card, container, execute, good, heading, subtle, text, when
from cards.idea import reference_title, submitter_moves, view_button, where_now
from cards.standing import standing_lines


def _holder_line(m: Messages, idea: Idea, now: datetime, calendar: WorkCalendar) -> str:
    days = calendar.business_days_between(idea.status_since or idea.created_at, now)
    if idea.status == IdeaStatus.IN_REVIEW:
        name = idea.chain[idea.current_step].approver_name
        return m.t("my_ideas.holder", name=name, duration=business_days(m, days))
    if idea.status == IdeaStatus.RETURNED:
        return m.t("my_ideas.holder_you", duration=business_days(m, days))
    return m.t("my_ideas.closed", when=when(m, idea.shortlisted_at or idea.status_since or idea.created_at))


def _standing(m: Messages, idea: Idea, standings: Mapping[str, Standing]) -> list[str]:
    return standing_lines(m, idea, standings[idea.id]) if idea.id in standings else []


def share_button(m: Messages, idea: Idea) -> dict[str, Any]:
    """Share the idea with the whole public service (once approved for the Den), or stop sharing it."""
    if idea.shared:
        return execute(
            m.t("my_ideas.unshare", reference=idea.reference), verbs.IDEA_SHARE, {"ideaId": idea.id, "shared": False}
        )
    return execute(
        m.t("my_ideas.share", reference=idea.reference), verbs.IDEA_SHARE, {"ideaId": idea.id, "shared": True}
    )


def my_ideas_card(
    m: Messages,
    ideas: list[Idea],
    now: datetime,
    *,
    limit: int,
    calendar: WorkCalendar | None = None,
    standings: Mapping[str, Standing] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """`standings`: for ideas pitched to a Den challenge, where each stands in it (by idea id).
    `notice`: what just happened (an idea withdrawn from this list), above the list.
    A returned idea offers Revise (its form, posted as a new card); one in review or returned, Withdraw."""
    calendar = calendar or WorkCalendar.of()
    standings = standings or {}
    body: list[dict[str, Any]] = [heading(m.t("my_ideas.title"))]
    if notice:
        body.append(good(notice))
    if not ideas:
        body.append(text(m.t("my_ideas.empty")))
        return card(m, body, [execute(m.t("welcome.pitch"), verbs.PITCH_OPEN, style="positive")])
    for n, idea in enumerate(ideas[:limit]):
        status = where_now(m, idea) if idea.status != IdeaStatus.IN_REVIEW else m.t("status.in_review")
        title = reference_title(m, idea.reference, idea.pitch.title)
        body.append(
            container(
                [
                    text(title, weight="Bolder"),
                    subtle(f"{status}. {_holder_line(m, idea, now, calendar)}"),
                    *[subtle(line) for line in _standing(m, idea, standings)],
                    *([subtle(m.t("my_ideas.shared"))] if idea.shared else []),
                    {
                        "type": "ActionSet",
                        "actions": [
                            view_button(m, idea),
                            *submitter_moves(m, idea, reason_field=f"withdrawReason{n}", view="my_ideas"),
                            share_button(m, idea),
                        ],
                    },
                ],
                separator=True,
            )
        )
    if len(ideas) >= limit:
        body.append(subtle(m.t("my_ideas.more", count=limit)))
    return card(m, body, [execute(m.t("welcome.pitch"), verbs.PITCH_OPEN, style="positive")])
