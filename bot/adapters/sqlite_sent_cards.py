"""The cards with buttons the bot posted (approval requests, reminders), in the embedded SQLite store,
so a withdrawn idea's cards can be replaced in place. Mixed into SqliteStore (same file)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.ports import SentCard

SENT_CARDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent_cards (
    message_id TEXT PRIMARY KEY,
    idea_id TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sent_cards_idea ON sent_cards (idea_id, recipient_id);
"""


class SqliteSentCards:
    """SentCards over the SqliteStore's connection."""

    # Provided by SqliteStore.
    _execute: Callable
    _fetchall: Callable

    async def remember_card(self, card: SentCard) -> None:
        await self._execute(
            "INSERT OR IGNORE INTO sent_cards (message_id, idea_id, recipient_id, activity_id, sent_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (card.message_id, card.idea_id, card.recipient_id, card.activity_id, card.sent_at.isoformat()),
        )

    async def cards_sent(self, idea_id: str, recipient_id: str) -> list[SentCard]:
        rows = await self._fetchall(
            "SELECT * FROM sent_cards WHERE idea_id = ? AND recipient_id = ? ORDER BY sent_at, message_id",
            (idea_id, recipient_id),
        )
        return [
            SentCard(r["message_id"], r["idea_id"], r["recipient_id"], r["activity_id"],
                     datetime.fromisoformat(r["sent_at"]))
            for r in rows
        ]  # fmt: skip
