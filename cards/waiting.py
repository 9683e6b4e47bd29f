"""The note a submitter gets when their idea has waited too long at one step: who holds it, for how long."""

from __future__ import annotations

from typing import Any

from bot.domain.model import Idea
from bot.i18n import Messages
from cards import verbs
from cards.approval_routes import level, step_holder
from cards.common import business_days, card, heading, navigate, text
from cards.idea import view_button


def waiting_card(m: Messages, idea: Idea, *, days: int) -> dict[str, Any]:
    step = idea.chain[idea.current_step]
    return card(
        m,
        [
            heading(m.t("waiting.title", reference=idea.reference)),
            text(
                m.t(
                    "waiting.body",
                    name=step_holder(m, step),
                    role=level(m, step.shown_role),
                    duration=business_days(m, days),
                )
            ),
        ],
        [view_button(m, idea), navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)],
    )
