"""Reading an idea in full, from the "Read the full text" button of a card that was shortened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.services.ideas import IdeaService
from cards.full_text import full_text_card
from dialogs.turn import Reply, Turn, as_id, as_int


async def read(service: IdeaService, turn: Turn, data: Mapping[str, Any]) -> Reply:
    m = turn.messages
    idea, allowed = await service.readable_by(as_id(data.get("ideaId")), turn.user_id)
    if idea is None:
        return Reply(message=m.t("approval.not_found"))
    if not allowed:
        return Reply(message=m.t("read.not_allowed"))
    return Reply(card=full_text_card(m, idea, as_int(data.get("part"))))
