"""The reminder an approver gets after holding a step too long: their approval card, with a reminder on top."""

from __future__ import annotations

from typing import Any

from bot.domain.model import Idea
from bot.i18n import Messages
from cards.approval import approval_parts
from cards.approval_routes import refresh
from cards.common import business_days, card, heading, subtle, text


def reminder_card(m: Messages, idea: Idea, *, viewer_id: str, days: int, from_dm: str = "") -> dict[str, Any]:
    """The approver's card again, with the one-click buttons, headed by a reminder (and who asked for it)."""
    _, body, actions = approval_parts(m, idea, viewer_id=viewer_id)
    header = [heading(m.t("reminder.title"))]
    if from_dm:
        header.append(text(m.t("reminder.from_dm", name=from_dm), weight="Bolder"))
    header.append(subtle(m.t("reminder.waiting", duration=business_days(m, days))))
    return {**card(m, header + body, actions), "refresh": refresh(idea)}  # an old reminder shows the idea now
