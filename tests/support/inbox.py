"""What a person's Teams chat received, as the HTTP tests read it: the cards the Bot Connector
stand-in was sent for them, and a wait for the one saying a phrase (deliveries are asynchronous)."""

from __future__ import annotations

from typing import Any

from tests.support.fake_connector import FakeConnector
from tests.support.teams_client import User, texts


def cards_to(connector: FakeConnector, user: User, phrase: str = "") -> list[dict[str, Any]]:
    """Every card sent to the person's chat, oldest first (only those saying `phrase`, if given)."""
    return [card for sent in connector.to(user.conversation_id) for card in sent.cards if phrase in texts(card)]


async def card_saying(connector: FakeConnector, user: User, phrase: str, count: int = 1) -> dict[str, Any]:
    """The latest card saying `phrase`, once at least `count` of them have arrived."""

    def ready(c: FakeConnector) -> dict[str, Any] | None:
        found = cards_to(c, user, phrase)
        return found[-1] if len(found) >= count else None

    return await connector.wait_for(ready)
