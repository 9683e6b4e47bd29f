"""Parts every card about an idea shows: the pitch, its chain of approvers, and where it is now."""

from __future__ import annotations

from typing import Any

from bot.domain.model import Decision, Idea, IdeaStatus
from bot.i18n import Messages
from cards.common import container, facts, subtle, text, when
from cards.safe_text import plain


def pitch_summary(m: Messages, idea: Idea, *, full: bool = True) -> list[dict[str, Any]]:
    p = idea.pitch
    items: list[dict[str, Any]] = [text(plain(p.title), size="Medium", weight="Bolder")]
    items.append(
        facts(
            [
                (m.t("receipt.reference"), idea.reference),
                (m.t("idea.label.beneficiaries"), m.t(f"choice.beneficiaries.{p.beneficiaries}")),
                (m.t("idea.label.program_area"), m.t(f"choice.program_area.{p.program_area}")),
                (m.t("idea.label.cost_band"), m.t(f"choice.cost_band.{p.cost_band}")),
                (m.t("idea.label.status"), m.t(f"status.{idea.status.value}")),
            ]
        )
    )
    if full:
        for label, value in (
            ("idea.label.problem", p.problem),
            ("idea.label.solution", p.solution),
            ("idea.label.first_steps", p.first_steps),
            ("idea.label.people", p.people),
        ):
            if value:
                items.append(text(m.t(label), weight="Bolder", spacing="Medium"))
                items.append(text(plain(value), spacing="Small"))
    return items


def decision_line(m: Messages, d: Decision) -> str:
    return m.t(
        "chain.decided", outcome=m.t(f"outcome.{d.outcome.value}"), name=plain(d.approver_name), when=when(d.decided_at)
    )


def chain_view(m: Messages, idea: Idea) -> dict[str, Any]:
    """Every step with what was decided there (all revisions), and where the idea is now."""
    items: list[dict[str, Any]] = [text(m.t("chain.title"), weight="Bolder", spacing="Medium")]
    for index, step in enumerate(idea.chain):
        who = m.t("chain.step", name=plain(step.approver_name), role=m.t(f"role.{step.role.value}"))
        decided = [d for d in idea.decisions if d.step_index == index]
        lines = [decision_line(m, d) for d in decided]
        comments = [m.t("chain.comment", comment=plain(d.comment)) for d in decided if d.comment]
        if idea.status == IdeaStatus.IN_REVIEW and index == idea.current_step:
            lines.append(m.t("chain.current"))
        elif not decided or (idea.is_open and index > idea.current_step):
            lines.append(m.t("chain.upcoming"))
        items.append(
            {
                "type": "ColumnSet",
                "spacing": "Small",
                "columns": [
                    {"type": "Column", "width": "auto", "items": [text(f"{index + 1}.", weight="Bolder")]},
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [text(who, weight="Bolder")]
                        + [subtle(line) for line in lines]
                        + [text(c, spacing="Small") for c in comments],
                    },
                ],
            }
        )
    return container(items, separator=True)


def where_now(m: Messages, idea: Idea) -> str:
    if idea.status == IdeaStatus.IN_REVIEW:
        step = idea.chain[idea.current_step]
        return m.t("receipt.now_with", name=plain(step.approver_name), role=m.t(f"role.{step.role.value}"))
    return m.t(f"status.{idea.status.value}")
