"""People's Choice on the production store: two app instances on the same SharePoint lists (real
msgraph-sdk, local Graph server), voters double-clicking on both, some moving their vote. The
list's unique VoteKey keeps one row per voter; the counts are exact."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter

from cards import verbs
from tests.integration.test_sharepoint_app import items, site, start  # noqa: F401 - `site` is a fixture
from tests.support.people import TENANT_ID
from tests.support.pitch_day import CHANNEL_KEY, OLGA_ID, seed
from tests.support.teams_client import TeamsClient, User, nodes, texts

OLGA = User(OLGA_ID, "Olga Kowalski")
IN_THREAD = {"conversation": {"conversationType": "channel", "tenantId": TENANT_ID, "isGroup": True,
                              "id": f"{CHANNEL_KEY};messageid=1"}}  # fmt: skip


async def test_two_instances_on_sharepoint_keep_one_vote_per_person(tmp_path, fake_graph, site, connector):  # noqa: F811
    first = await start(tmp_path, fake_graph, site, organiser_ids=frozenset({OLGA_ID}), outbox_poll_seconds=1.0)
    second = await start(tmp_path, fake_graph, site, organiser_ids=frozenset({OLGA_ID}), outbox_poll_seconds=1.0)
    try:
        connector.add_to_team(CHANNEL_KEY)
        challenge, ideas = await seed(first.store, connector_url=connector.url, count=3)
        one = TeamsClient(first.messages_url, connector.url, TENANT_ID)
        two = TeamsClient(second.messages_url, connector.url, TENANT_ID)
        opened = await one.click(OLGA, {"verb": verbs.VOTING_OPEN, "data": {"challengeId": challenge.id}})
        assert "People's Choice voting is open" in texts(opened.card)
        posted = await connector.wait_for(lambda c: next((s for s in c.in_channel(CHANNEL_KEY) if s.cards), None))
        buttons = {n["data"]["finalistId"]: n for n in nodes(posted.cards[0]) if n.get("verb") == verbs.VOTE}

        rng = random.Random(7)
        voters = [User(str(uuid.UUID(int=rng.getrandbits(128))), f"Voter {n}") for n in range(16)]
        choice = {v: rng.choice(list(buttons)) for v in voters}
        # Each voter double-clicks, once on each instance, at the same moment.
        clicks = [c.click(v, buttons[choice[v]], **IN_THREAD) for v in voters for c in (one, two)]
        answers = await asyncio.gather(*clicks)
        assert all(a.status == 200 for a in answers)
        movers = voters[:5]
        for v in movers:
            choice[v] = next(f for f in buttons if f != choice[v])
        moved = await asyncio.gather(*(two.click(v, buttons[choice[v]], **IN_THREAD) for v in movers))
        assert all("Your vote has moved." in texts(m.card) for m in moved)

        rows = items(fake_graph, site, "DenVotes")
        assert len(rows) == len(voters) and len({r["VoteKey"] for r in rows}) == len(voters)
        assert Counter(r["FinalistId"] for r in rows) == Counter(choice.values())
        assert sorted(r["Moves"] for r in rows).count(1) == len(movers)
        closed = await one.click(OLGA, {"verb": verbs.VOTING_CLOSE, "data": {"challengeId": challenge.id}})
        assert "Voting is closed." in texts(closed.card)
        poll = await second.store.get_poll(challenge.id)
        assert poll.counts == {f: Counter(choice.values()).get(f, 0) for f in buttons} and poll.total == len(voters)
    finally:
        await first.stop()
        await second.stop()
