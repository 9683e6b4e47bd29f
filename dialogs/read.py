"""Reading an idea in full, from the "Read the full text" button of a card that was shortened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.services.ideas import IdeaService
from cards.full_text import full_text_card
from dialogs.turn import Reply, Turn, as_id, as_int


async def read(service: IdeaService, turn: Turn, data: Mapping[str, Any]) -> Reply:
    """Page `part` of the idea's text, for those who may see the idea (Idea.visible_to); others
    are told it cannot be found, as for any idea they may not see."""
    idea = await service.view(turn.user_id, as_id(data.get("ideaId")))
    if idea is None:
        return Reply(message=turn.messages.t("approval.not_found"))
    return Reply(card=full_text_card(turn.messages, idea, as_int(data.get("part"))))
