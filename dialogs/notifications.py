"""What each queued notification says, rendered from the idea as it is when it is sent.

The outbox dispatcher calls this just before delivery. Whether a message still matters is the
domain's rule (`bot.domain.outbox.still_relevant`); this module only picks the card.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from bot.domain.model import IdeaStatus, Outcome
from bot.domain.outbox import MessageKind, still_relevant
from bot.i18n import Messages
from bot.ports import Conversations, Ideas, OutboxMessage
from cards import approval_card, returned_card, submitter_update_card
from cards.receipt import filed_card
from cards.reminder import reminder_card
from cards.waiting import waiting_card


class NotificationRecords(Ideas, Conversations, Protocol):
    """What rendering needs: the idea now, and the recipient's language."""


class NotificationRenderer:
    def __init__(self, store: NotificationRecords) -> None:
        self._store = store

    async def __call__(self, message: OutboxMessage) -> tuple[dict[str, Any], str] | None:
        idea = await self._store.get(message.idea_id)
        if idea is None:
            return None
        step, revision = message.payload.get("step"), message.payload.get("revision")
        if not still_relevant(message.kind, idea, step, revision):
            return None  # decided or withdrawn before we could deliver: nothing to say
        record = await self._store.get_conversation(message.recipient_id)
        m = Messages(record.locale if record else None)
        days = int(message.payload.get("days", 0))

        if message.kind == MessageKind.APPROVAL_REQUEST:
            return approval_card(m, idea, viewer_id=message.recipient_id), m.t("approval.title")
        if message.kind == MessageKind.FILED_RECEIPT:
            return filed_card(m, idea), m.t("spooled.filed_title", reference=idea.reference)
        if message.kind == MessageKind.REMINDER:
            from_dm = str(message.payload.get("fromDm", ""))
            card = reminder_card(m, idea, viewer_id=message.recipient_id, days=days, from_dm=from_dm)
            return card, m.t("reminder.title")
        if message.kind == MessageKind.WAITING:
            return waiting_card(m, idea, days=days), m.t("waiting.title", reference=idea.reference)
        if message.kind == MessageKind.DECISION_UPDATE:
            decision = idea.decision_for(step, revision)
            still_returned = idea.status == IdeaStatus.RETURNED and idea.revision == revision
            if decision.outcome == Outcome.RETURNED and still_returned:
                card = returned_card(m, idea, decision, form_id=str(uuid.uuid4()))
            else:
                card = submitter_update_card(m, idea, decision)
            return card, m.t(
                "idea.reference_title", reference=idea.reference, title=m.t(f"outcome.{decision.outcome.value}")
            )
        return None
