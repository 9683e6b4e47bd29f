"""What each queued notification says, rendered from the idea as it is when it is sent.

The outbox dispatcher calls this just before delivery. Whether a message still matters is the
domain's rule (`bot.domain.outbox.still_relevant`); this module only picks the card.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.domain.model import IdeaStatus, Outcome
from bot.domain.outbox import MessageKind, still_relevant
from bot.i18n import Messages
from bot.ports import Conversations, Ideas, OutboxMessage
from cards import approval_card, returned_card, submitter_update_card
from cards.approval_routes import comment_card, informed_card, withdrawn_card
from cards.idea import chain_view, pitch_summary
from cards.receipt import filed_card
from cards.reminder import reminder_card
from cards.waiting import waiting_card


class NotificationRecords(Ideas, Conversations, Protocol):
    """What rendering needs: the idea now, and the recipient's language."""


class NotificationRenderer:
    def __init__(
        self,
        store: NotificationRecords,
        *,
        second_look: bool = True,
        before_request: Callable[[OutboxMessage], Awaitable[bool]] | None = None,
    ) -> None:
        self._store = store
        # Hands a step on (acting approver, someone away) before its request is sent; True: handed on.
        self.before_request = before_request
        self.second_look = second_look  # whether a rejection card offers a second look (the routing rules say)

    async def __call__(self, message: OutboxMessage) -> tuple[dict[str, Any], str] | None:
        if self.before_request is not None and await self.before_request(message):
            return None  # the step went to someone else, whose own request is now queued
        idea = await self._store.get(message.idea_id)
        if idea is None:
            return None
        step, revision = message.payload.get("step"), message.payload.get("revision")
        if not still_relevant(message.kind, idea, step, revision, message.recipient_id):
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
                card = submitter_update_card(m, idea, decision, second_look=self.second_look)
            return card, m.t(
                "idea.reference_title", reference=idea.reference, title=m.t(f"outcome.{decision.outcome.value}")
            )
        if message.kind == MessageKind.INFORMED:
            chain, summary = chain_view(m, idea), pitch_summary(m, idea, full=False)
            return informed_card(m, idea, summary=summary, chain=chain), m.t("informed.title", reference=idea.reference)
        if message.kind == MessageKind.WITHDRAWN:
            chain, summary = chain_view(m, idea), pitch_summary(m, idea, full=False)
            card = withdrawn_card(m, idea, summary=summary, chain=chain)
            return card, m.t("withdraw.approver_title", reference=idea.reference)
        if message.kind == MessageKind.COMMENT:
            number = int(message.payload.get("number", 0))
            if not 0 < number <= len(idea.history):
                return None
            entry = idea.history[number - 1]
            card = comment_card(m, idea, entry, chain=chain_view(m, idea))
            return card, m.t("comments.new_title", name=entry.actor_name, reference=idea.reference)
        return None
