"""The benchmark's yardstick answers a click with the card the Den itself answers with."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bench.yardstick import create_app, sample_decided_card
from tests.support.teams_client import texts


async def test_the_yardstick_returns_the_dens_decided_card_as_plain_json():
    card = sample_decided_card()
    assert "You decided: Approved" in texts(card)
    async with TestClient(TestServer(create_app())) as client:
        response = await client.post("/api/messages", json={"type": "invoke", "name": "adaptiveCard/action"})
        body = await response.json()
    assert response.status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"] == card
