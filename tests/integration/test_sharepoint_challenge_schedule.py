"""On SharePoint, a challenge's notices come when they are due, not when they are written.

Notices written within a click are delivered from the instance's memory. They used to be
treated as due at once: a challenge opened ahead of its window had its call for ideas posted
straight away, and its closing notice and the sponsor's pool, found moot then, were dropped, so
nobody heard when pitching closed. Here the window opens in two days: nothing is posted before
then, the call comes when it opens, and the closing notice and the pool come when it closes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from cards import verbs
from tests.integration.test_sharepoint_app import items, sharepoint_settings, site  # noqa: F401 - a fixture
from tests.support.graph_fixtures import StaticCredential
from tests.support.people import DANA, TENANT_ID
from tests.support.running_app import FakeClock, start_app
from tests.support.teams_client import BOT_ID, BOT_NAME, TeamsClient, User, button, texts

TORONTO = ZoneInfo("America/Toronto")
CHANNEL = "19:den-schedule@thread.tacv2"
OLGA = User("c9e8f1a2-d3e5-46f7-8c13-8e9f0a1b2c09", "Olga Kowalski")


def posted(connector, summary: str) -> list:
    return [s for s in connector.in_channel(CHANNEL) if s.activity.get("summary", "").startswith(summary)]


async def test_a_challenge_opened_ahead_of_its_window_is_announced_when_it_opens_and_closes(
    tmp_path,
    fake_graph,
    site,  # noqa: F811
    connector,
):
    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=TORONTO))  # a Monday
    settings = sharepoint_settings(
        tmp_path, fake_graph, site, organiser_ids=frozenset({OLGA.aad_id}), outbox_poll_seconds=0.05
    )
    app = await start_app(settings, clock, graph_credential=StaticCredential())
    try:
        connector.add_to_team(CHANNEL)
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        for person in (OLGA, DANA):
            await teams.install(person)
        added = teams._base(OLGA, "conversationUpdate")
        added["conversation"] = {"conversationType": "channel", "tenantId": TENANT_ID, "id": CHANNEL, "isGroup": True}
        added["channelData"] = {"tenant": {"id": TENANT_ID}, "eventType": "teamMemberAdded",
                                "team": {"id": CHANNEL, "name": "Innovation Office"},
                                "channel": {"id": CHANNEL, "name": "General"}}  # fmt: skip
        added["membersAdded"] = [{"id": BOT_ID, "name": BOT_NAME}]
        assert (await teams.post(added))[0] in (200, 201)

        form = (await teams.click(OLGA, {"verb": verbs.CHALLENGE_NEW})).card
        fields = {"name": "Green operations", "question": "How could we use less paper?", "sponsors": DANA.aad_id,
                  "opens_on": "2026-11-25", "closes_on": "2026-11-27", "program_areas": "", "finalist_count": "3",
                  "pitch_day": "2026-12-10", "peoples_choice": "false", "channel": CHANNEL}  # fmt: skip
        opened = await teams.click(OLGA, button(form, verbs.CHALLENGE_OPEN), fields)
        assert "Challenge opened." in texts(opened.card), texts(opened.card)
        kinds = {r["Kind"] for r in items(fake_graph, site, "DenOutbox")}
        assert {"call_for_ideas", "window_closed", "pool_ready"} <= kinds

        # Wednesday, just after midnight: the window has opened, and the call is posted.
        clock.now = datetime(2026, 11, 25, 0, 5, tzinfo=TORONTO)
        call = await connector.wait_for(lambda c: posted(c, "Call for ideas: Green operations") or None, 15)
        assert len(call) == 1 and not posted(connector, "Pitches are closed: Green operations")

        # Saturday: the window (through Friday) has closed: the channel and the sponsor are told.
        clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=TORONTO)
        closed = await connector.wait_for(lambda c: posted(c, "Pitches are closed: Green operations") or None, 15)
        assert len(closed) == 1
        pool = await connector.wait_for(
            lambda c: (
                [s for s in c.to(DANA.conversation_id) if s.activity.get("summary") == "The pool: Green operations"]
                or None
            ),
            15,
        )
        assert len(pool) == 1
        for _ in range(300):  # each delivery is then recorded as sent in the list
            if {r["State"] for r in items(fake_graph, site, "DenOutbox")} == {"sent"}:
                break
            await asyncio.sleep(0.05)
        assert {r["State"] for r in items(fake_graph, site, "DenOutbox")} == {"sent"}
    finally:
        await app.stop()
