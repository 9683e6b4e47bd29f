"""The cards with buttons the bot posted (approval requests, reminders), on the DenSentCards list, so a
withdrawn idea's cards can be replaced in place. Mixed into the SharePoint store; read by IdeaId, an
indexed column, so the query holds past 5,000 items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.adapters.graph_client import odata_string
from bot.adapters.sharepoint_store import _dt, _fields, _iso
from bot.ports import SentCard

FIELDS = ("MessageId", "IdeaId", "RecipientId", "ActivityId", "SentAt")


class SharePointSentCards:
    """SentCards over a SharePoint list."""

    # Provided by SharePointStore.
    _api: Any

    async def remember_card(self, card: SentCard) -> None:
        values = {
            "MessageId": card.message_id,
            "IdeaId": card.idea_id,
            "RecipientId": card.recipient_id,
            "ActivityId": card.activity_id[:255],
            "SentAt": _iso(card.sent_at),
        }
        # A row already there with this MessageId is this card remembered before: nothing to do.
        await self._api("sent_cards").create_or_read(values, "MessageId")

    async def cards_sent(self, idea_id: str, recipient_id: str) -> list[SentCard]:
        items = await self._api("sent_cards").query(f"fields/IdeaId eq {odata_string(idea_id)}", FIELDS)
        found = [
            SentCard(f["MessageId"], f["IdeaId"], f.get("RecipientId") or "", f.get("ActivityId") or "",
                     _dt(f.get("SentAt")) or datetime.min.replace(tzinfo=UTC))
            for f in (_fields(item) for item in items)
            if f.get("RecipientId") == recipient_id
        ]  # fmt: skip
        return sorted(found, key=lambda c: (c.sent_at, c.message_id))
