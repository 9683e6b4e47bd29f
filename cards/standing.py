"""Where an idea stands in the Den challenge it was pitched to, for "my ideas" and the details card:
the challenge and the idea's stage (pool, shortlisted, finalist, winner, funded, implemented, or not
selected and how far it got), and once funded, whether its monthly implementation update is due or
what the last one said. The submitter never has to ask anyone where their idea is."""

from __future__ import annotations

from bot.domain.model import Idea, IdeaStatus
from bot.domain.stage import Stage, Standing
from bot.i18n import Messages
from cards.challenge import funding_facts, stage_label
from cards.common import Element, good, subtle, text, when
from cards.safe_text import plain


def standing_lines(m: Messages, idea: Idea, standing: Standing) -> list[str]:
    """The stage line ("Tell us once: Finalist"), then what implementation needs now, if funded."""
    name = plain(standing.challenge_name)
    stage = standing.stage
    if stage is None:
        if idea.status in (IdeaStatus.IN_REVIEW, IdeaStatus.RETURNED):
            return [m.t("den.my_ideas.stage", challenge=name, stage=m.t("den.stage.in_review"))]
        return [m.t("den.standing.pitched_to", challenge=name)]  # not approved or withdrawn: never entered
    lines = [m.t("den.my_ideas.stage", challenge=name, stage=stage_label(m, stage))]
    latest = stage.latest_update
    if stage.stage == Stage.IMPLEMENTING:
        if standing.update_due:
            lines.append(m.t("den.standing.update_due"))
        elif latest is not None:
            status = m.t(f"den.progress.{latest.status.value}")
            lines.append(m.t("den.standing.last_update", status=status, when=when(m, latest.at)))
        else:
            lines.append(m.t("den.standing.funded", when=when(m, stage.since)))
    elif stage.stage == Stage.IMPLEMENTED:
        lines.append(m.t("den.standing.implemented", when=when(m, stage.since)))
    else:
        lines.append(m.t("den.standing.since", when=when(m, stage.since)))
    return lines


def standing_section(m: Messages, idea: Idea, standing: Standing) -> list[Element]:
    """The details card's part: a heading, the stage in bold, the rest, and the funding once recorded."""
    first, *rest = standing_lines(m, idea, standing)
    part: list[Element] = [text(m.t("den.standing.title"), weight="Bolder", spacing="Medium"), good(first)]
    part += [subtle(line) for line in rest]
    if standing.stage is not None and standing.stage.funding is not None:
        part.append(funding_facts(m, standing.stage))
    return part
