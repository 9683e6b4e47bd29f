"""What the connect notifications say: the request to the owner, the answer to who asked."""

from __future__ import annotations

from typing import Any

from bot.domain.outbox import MessageKind
from bot.i18n import Messages
from bot.ports import OutboxMessage
from bot.services.connect import ConnectService
from cards.common import in_language
from cards.connect import answered_for_asker, asked_card

CONNECT_KINDS = frozenset({MessageKind.CONNECT_ASKED, MessageKind.CONNECT_ANSWERED})


class ConnectNotificationRenderer:
    def __init__(self, service: ConnectService) -> None:
        self.service = service

    async def __call__(self, message: OutboxMessage, m: Messages) -> tuple[dict[str, Any], str] | None:
        request = await self.service.request(str(message.payload.get("request", "")))
        if request is None:
            return None
        if message.kind == MessageKind.CONNECT_ASKED:
            return in_language(asked_card(m, request), m), m.t("connect.asked.title")
        return in_language(answered_for_asker(m, request), m), m.t(
            "connect.answered.summary", reference=request.idea_reference
        )
