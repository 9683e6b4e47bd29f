"""The note a submitter gets when their pitch was corrected at their request: what changed, why, and
that the original is kept (FIPPA s. 47(2): the person is told of the correction)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.model import Idea
from bot.i18n import Messages
from cards.common import card, facts, heading, subtle, text, when
from cards.idea import view_button
from cards.safe_text import plain

CHOICES = ("program_area", "cost_band")


def _shown(m: Messages, field: str, value: str) -> str:
    return m.t(f"choice.{field}.{value}") if field in CHOICES and m.has(f"choice.{field}.{value}") else plain(value)


def corrected_card(m: Messages, idea: Idea, correction: Mapping[str, Any]) -> dict[str, Any]:
    field = str(correction.get("field", ""))
    at = datetime.fromisoformat(str(correction["at"]))
    label = m.t(f"idea.label.{field}") if m.has(f"idea.label.{field}") else plain(field)
    return card(
        m,
        [
            heading(m.t("correction.title", reference=idea.reference)),
            text(m.t("correction.body", field=label, reference=idea.reference, when=when(m, at))),
            facts([
                (m.t("correction.before"), _shown(m, field, str(correction.get("original", "")))),
                (m.t("correction.after"), _shown(m, field, str(correction.get("corrected", "")))),
                (m.t("correction.why"), plain(str(correction.get("reason", "")))),
            ]),  # fmt: skip
            subtle(m.t("correction.kept")),
        ],
        [view_button(m, idea)],
    )
