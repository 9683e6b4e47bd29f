"""Authentication, tenant isolation, and two app instances behind one store."""

from __future__ import annotations

import asyncio

import aiohttp

from cards import verbs
from tests.support.edges import both_edges
from tests.support.people import AUTHENTICATED, MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import settings_for_test, start_app
from tests.support.teams_client import TeamsClient, action, texts

pytestmark = both_edges


async def test_with_an_app_id_a_request_without_a_token_gets_401(tmp_path, connector, teams_edge):
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", **AUTHENTICATED, teams_edge=teams_edge))
    try:
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        assert await teams.say(SAM, "pitch") == 401
        # (A request *with* a token is checked against Bot Framework's published signing keys,
        # which this loopback-only machine cannot fetch; that path is botbuilder's own.)
        assert connector.sent == [], "nothing reaches the bot's logic"
    finally:
        await app.stop()


async def test_activities_from_another_tenant_are_refused(tmp_path, connector, teams_edge):
    app = await start_app(
        settings_for_test(tmp_path / "den.sqlite3", allowed_tenant_id=TENANT_ID, teams_edge=teams_edge)
    )
    try:
        stranger = TeamsClient(app.messages_url, connector.url, "11111111-2222-3333-4444-555555555555")
        await stranger.say(SAM, "pitch")
        refused = await stranger.click(SAM, {"verb": verbs.PITCH_SUBMIT, "data": {}}, VALID_PITCH)
        assert refused.status == 403
        await asyncio.sleep(0.1)
        assert connector.sent == []
        assert await app.store.list_by_submitter(SAM.aad_id) == []

        ours = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        await ours.say(SAM, "pitch")
        await connector.wait_for(lambda c: c.sent or None)
    finally:
        await app.stop()


async def test_two_instances_on_one_store_record_one_decision(tmp_path, connector, teams_edge):
    """Scale-out: two app processes' worth of state (adapter, dispatcher, store connection)."""
    db = tmp_path / "den.sqlite3"
    first = await start_app(settings_for_test(db, teams_edge=teams_edge))
    second = await start_app(settings_for_test(db, teams_edge=teams_edge))
    try:
        one = TeamsClient(first.messages_url, connector.url, TENANT_ID)
        two = TeamsClient(second.messages_url, connector.url, TENANT_ID)
        await one.install(MAYA)
        await one.install(SAM)
        await one.say(SAM, "pitch")
        form = await connector.wait_for(
            lambda c: next(
                (
                    card
                    for s in c.to(SAM.conversation_id)
                    for card in s.cards
                    if card.get("actions") and card["actions"][0]["verb"] == verbs.PITCH_SUBMIT
                ),
                None,
            )
        )
        receipt = await two.click(SAM, action(form, verbs.PITCH_SUBMIT), VALID_PITCH)  # submitted via the other one
        assert "Thanks, your idea is in!" in texts(receipt.card)

        ask = await connector.wait_for(
            lambda c: next(
                (
                    card
                    for s in c.to(MAYA.conversation_id)
                    for card in s.cards
                    if any(a["verb"] == verbs.APPROVE for a in card.get("actions", []))
                ),
                None,
            )
        )
        approve = action(ask, verbs.APPROVE)
        results = await asyncio.gather(
            *[one.click(MAYA, approve, {}) for _ in range(3)], *[two.click(MAYA, approve, {}) for _ in range(3)]
        )
        assert sum("You decided: Approved" in texts(r.card) for r in results) == 1
        idea = await first.store.get(approve["data"]["ideaId"])
        assert len(idea.decisions) == 1 and idea.current_step == 1

        await asyncio.sleep(0.5)
        asks = [s for s in connector.sent if s.cards and "An idea needs your decision" in texts(s.cards[0])]
        assert len(asks) == 2, "each approval request sent once (Maya, then Diane), not once per instance"
    finally:
        await first.stop()
        await second.stop()


async def test_a_body_that_is_not_json_is_refused_politely(tmp_path, teams_edge):
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", teams_edge=teams_edge))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(app.messages_url, data="hello", headers={"Content-Type": "text/plain"}) as r:
                assert r.status == 415
    finally:
        await app.stop()
