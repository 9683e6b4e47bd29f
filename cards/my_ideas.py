"""'My ideas': each idea, its status, who holds it and for how long."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.model import Idea, IdeaStatus
from bot.i18n import Messages
from cards import verbs
from cards.common import card, container, execute, heading, subtle, text, when
from cards.safe_text import plain


def _holder_line(m: Messages, idea: Idea, now: datetime) -> str:
    days = idea.days_in_status(now)
    if idea.status == IdeaStatus.IN_REVIEW:
        return m.t("my_ideas.holder", name=plain(idea.chain[idea.current_step].approver_name), days=days)
    if idea.status == IdeaStatus.RETURNED:
        return m.t("my_ideas.holder_you", days=days)
    return m.t("my_ideas.closed", when=when(idea.status_since or idea.created_at))


def my_ideas_card(m: Messages, ideas: list[Idea], now: datetime, *, limit: int) -> dict[str, Any]:
    body: list[dict[str, Any]] = [heading(m.t("my_ideas.title"))]
    if not ideas:
        body.append(text(m.t("my_ideas.empty")))
        return card(body, [execute(m.t("welcome.pitch"), verbs.PITCH_OPEN, style="positive")])
    for idea in ideas[:limit]:
        body.append(
            container(
                [
                    text(
                        m.t("idea.reference_title", reference=idea.reference, title=plain(idea.pitch.title)),
                        weight="Bolder",
                    ),
                    subtle(
                        m.t(
                            "my_ideas.line",
                            status=m.t(f"status.{idea.status.value}"),
                            holder=_holder_line(m, idea, now),
                        )
                    ),
                ],
                separator=True,
            )
        )
    if len(ideas) >= limit:
        body.append(subtle(m.t("my_ideas.more", count=limit)))
    return card(body, [execute(m.t("welcome.pitch"), verbs.PITCH_OPEN, style="positive")])
