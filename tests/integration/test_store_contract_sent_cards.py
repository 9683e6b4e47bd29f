"""The store contract for the cards posted with buttons (SentCards): kept once per message, read
back by idea and person, across two instances (the `stores` fixture), on SQLite, SharePoint and
the in-memory store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.ports import SentCard

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
IDEA = "00000000-0000-4000-8000-000000000001"
MAYA = "5c3f0a1e-0000-4000-8000-000000000002"


def sent(n: int, recipient: str = MAYA, idea: str = IDEA) -> SentCard:
    return SentCard(f"{idea}:approval_request:1:{n}", idea, recipient, f"1:activity-{n}", T0 + timedelta(minutes=n))


async def test_cards_are_kept_once_and_read_back_by_idea_and_person(stores):
    first, second = stores
    await asyncio.gather(first.remember_card(sent(0)), second.remember_card(sent(0)))  # the same send, twice
    await first.remember_card(sent(1))
    await first.remember_card(sent(2, recipient="diane"))
    await first.remember_card(sent(3, idea="00000000-0000-4000-8000-000000000009"))
    assert await second.cards_sent(IDEA, MAYA) == [sent(0), sent(1)]
    assert await second.cards_sent(IDEA, "diane") == [sent(2, recipient="diane")]
    assert await second.cards_sent(IDEA, "o'brien") == []
    assert await second.cards_sent("i'x", MAYA) == []
