"""Delivery over real HTTP: late notifications say what happened, and /healthz tells the truth.

The app runs on a loopback port with the local Bot Connector stand-in; the store is SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import aiohttp

from cards import verbs
from tests.e2e.test_core_loop import (
    _asks_decision,
    approval_card_for,
    install_approvers,
    last_card_with,
    pitch,
    update_saying,
)
from tests.support.edges import both_edges
from tests.support.inbox import card_saying
from tests.support.people import DIANE, MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import settings_for_test, start_app
from tests.support.teams_client import TeamsClient, action, texts

pytestmark = both_edges


async def health(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}healthz") as response:
        return response.status, await response.json()


async def test_a_return_delivered_after_the_resubmission_still_says_returned(teams, connector, app):
    await install_approvers(teams)
    await pitch(teams, connector)
    maya_card = await approval_card_for(connector, MAYA)
    # Sam's chat is throttled: the news of the return waits (Retry-After), while Sam resubmits.
    connector.fail_conversation(SAM.conversation_id, 3, status=429, retry_after="1")
    returned = await teams.click(MAYA, action(maya_card, verbs.RETURN), {"comment": "Add the pilot's cost."})
    assert returned.status == 200
    [idea] = await app.store.list_by_submitter(SAM.aad_id)
    resubmit = {"verb": verbs.PITCH_RESUBMIT, "data": {"ideaId": idea.id, "revision": 1}}
    sent = await teams.click(SAM, resubmit, {**VALID_PITCH, "first_steps": "Pilot costs $30k over 3 months."})
    assert "Revision sent" in texts(sent.card) and "Now with Maya Singh" in texts(sent.card)
    await card_saying(connector, SAM, "Your revised pitch is on its way")  # the receipt, posted as a new card
    await approval_card_for(connector, MAYA, count=2)  # revision 2 is already with Maya
    resubmitted = await app.store.get(idea.id)
    assert resubmitted.revision == 2 and resubmitted.is_open

    late = await update_saying(connector, SAM, "Maya Singh (Manager) asked for changes")
    shown = texts(late)
    assert "Add the pilot's cost." in shown
    assert "approved" not in shown.lower(), "a late 'returned' must not read as an approval"
    assert not any(node.get("verb") == verbs.PITCH_RESUBMIT for node in late.get("actions", [])), (
        "the return was already answered: no second form to resubmit"
    )
    assert connector.conversation_failures[SAM.conversation_id] == [], "it was throttled, then delivered"


async def test_an_approval_request_for_a_closed_step_is_dropped_not_sent(teams, connector, app, caplog):
    caplog.set_level(logging.INFO, logger="bot.services.outbox")
    await install_approvers(teams)
    await pitch(teams, connector)
    connector.fail_conversation(DIANE.conversation_id, 2, status=429, retry_after="1")
    await teams.click(MAYA, action(await approval_card_for(connector, MAYA), verbs.APPROVE), {"comment": ""})
    [idea] = await app.store.list_by_submitter(SAM.aad_id)
    # While Diane's request waits out the throttling, her step is closed (she decides from elsewhere).
    reject = {"verb": verbs.REJECT, "data": {"ideaId": idea.id, "step": 1, "revision": 1}}
    decided = await teams.click(DIANE, reject, {"comment": "Out of scope this year."})
    assert decided.status == 200 and (await app.store.get(idea.id)).status.value == "rejected"
    await update_saying(connector, SAM, "did not approve")
    for _ in range(60):
        if not connector.conversation_failures[DIANE.conversation_id] and not (
            await app.store.outbox_backlog()
        ).pending:
            break
        await asyncio.sleep(0.1)
    assert (await app.store.outbox_backlog()).pending == 0
    asked = [c for s in connector.to(DIANE.conversation_id) for c in s.cards if _asks_decision(c)]
    assert asked == [], "the request for a step already decided is not sent"
    assert any("no longer applies" in r.getMessage() for r in caplog.records)


async def test_healthz_reports_the_outbox_backlog_when_healthy(app):
    status, body = await health(app.url)
    assert status == 200
    assert body["status"] == "ok" and body["store"] == "ok"
    assert body["outbox"]["pending"] == 0 and body["outbox"]["state"] == "ok"


async def test_healthz_is_unhealthy_while_the_store_cannot_be_written(app, tmp_path):
    # Another process holds SQLite's write lock (as a stuck writer or a full disk would stop writes).
    # (In a thread: waiting for the lock must not block the event loop the app's store runs on.)
    blocker = sqlite3.connect(tmp_path / "den.sqlite3", isolation_level=None, timeout=10, check_same_thread=False)
    await asyncio.to_thread(blocker.execute, "BEGIN IMMEDIATE")
    try:
        status, body = await health(app.url)
    finally:
        await asyncio.to_thread(blocker.execute, "ROLLBACK")
        blocker.close()
    assert status == 503
    assert body["status"] == "unhealthy" and body["store"] == "not writable"
    status, body = await health(app.url)
    assert status == 200, "healthy again once the store takes writes"


async def test_healthz_is_unhealthy_when_the_outbox_stalls(tmp_path, connector, teams_edge):
    settings = settings_for_test(tmp_path / "den.sqlite3", health_outbox_max_age_seconds=1.0, teams_edge=teams_edge)
    running = await start_app(settings)
    try:
        teams = TeamsClient(running.messages_url, connector.url, TENANT_ID)
        await install_approvers(teams)
        await teams.install(SAM)
        await teams.say(SAM, "pitch")
        form = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.PITCH_SUBMIT))
        connector.fail_next(10_000, status=503, retry_after=None)  # the connector goes down
        assert (await teams.click(SAM, action(form, verbs.PITCH_SUBMIT), VALID_PITCH)).status == 200
        status, body = await health(running.url)
        assert status == 200 and body["outbox"]["pending"] == 1, "queued moments ago: not stalled yet"
        await asyncio.sleep(1.5)
        status, body = await health(running.url)
        assert status == 503
        assert body["status"] == "unhealthy" and body["store"] == "ok"
        assert body["outbox"]["state"] == "stalled" and body["outbox"]["pending"] == 1
        assert body["outbox"]["oldestAgeSeconds"] > 1.0
        connector.failures.clear()  # the connector is back: the backlog drains and health returns
        await approval_card_for(connector, MAYA)
        for _ in range(50):
            status, body = await health(running.url)
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200 and body["outbox"]["pending"] == 0
    finally:
        await running.stop()
