"""What each queued notification says, rendered from the idea as it is when it is sent."""

from __future__ import annotations

import uuid
from typing import Any

from bot.domain.model import IdeaStatus, Outcome
from bot.i18n import Messages
from bot.nudges import REMINDER, WAITING
from bot.ports import IdeaStore, OutboxMessage
from bot.services import APPROVAL_REQUEST, DECISION_UPDATE, FILED_RECEIPT
from cards import approval_card, returned_card, submitter_update_card
from cards.digest import reminder_card, waiting_card
from cards.idea import filed_card


class NotificationRenderer:
    def __init__(self, store: IdeaStore) -> None:
        self._store = store

    async def __call__(self, message: OutboxMessage) -> tuple[dict[str, Any], str] | None:
        idea = await self._store.get(message.idea_id)
        if idea is None:
            return None
        record = await self._store.get_conversation(message.recipient_id)
        m = Messages(record.locale if record else None)
        step, revision = message.payload.get("step"), message.payload.get("revision")

        if message.kind == APPROVAL_REQUEST:
            still_waiting = idea.is_open and idea.current_step == step and idea.revision == revision
            if not still_waiting:
                return None  # decided or withdrawn before we could deliver: nothing to ask
            return approval_card(m, idea, viewer_id=message.recipient_id), m.t("approval.title")

        if message.kind == FILED_RECEIPT:
            return filed_card(m, idea), m.t("spooled.filed_title", reference=idea.reference)

        if message.kind in (REMINDER, WAITING):
            if not (idea.is_open and idea.current_step == step and idea.revision == revision):
                return None  # decided since: no reminder needed
            days = int(message.payload.get("days", 0))
            if message.kind == REMINDER:
                card = reminder_card(
                    m, idea, viewer_id=message.recipient_id, days=days, from_dm=message.payload.get("fromDm", "")
                )
                return card, m.t("reminder.title")
            return waiting_card(m, idea, days=days), m.t("waiting.title", reference=idea.reference)

        if message.kind == DECISION_UPDATE:
            decision = idea.decision_for(step, revision)
            if decision is None:
                return None
            if (
                decision.outcome == Outcome.RETURNED
                and idea.status == IdeaStatus.RETURNED
                and idea.revision == revision
            ):
                card = returned_card(m, idea, decision, form_id=str(uuid.uuid4()))
            else:
                card = submitter_update_card(m, idea, decision)
            return card, m.t(
                "idea.reference_title", reference=idea.reference, title=m.t(f"outcome.{decision.outcome.value}")
            )
        return None
