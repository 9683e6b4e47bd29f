"""Benchmark: People's Choice, 500 distinct voters clicking *Vote* within 10 seconds on one card.

Drives the real app (`python app.py`, its own process, embedded SQLite store) over HTTP on
loopback, with the local Bot Connector stand-in. Each round, 500 new voters click a Vote button
of the channel's card, their clicks spread over 8 seconds (about 62 a second, up to the client's
100 connections in flight); then the store is checked: exactly one vote per voter, for the
finalist they clicked, nothing lost and nothing doubled. The yardstick, measured in the same run
against the same process: the approval click (an approver's one-click decision). Prints p50/p95
of both and their ratio, per round and as min/median/max over the rounds. Run: `make bench`.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bench.harness import free_port, percentile, python, start_server
from bot.adapters.sqlite_store import SqliteStore
from bot.ports.service_urls import LOCAL_SERVICE_URLS
from bot.settings import ROOT
from cards import verbs
from tests.support.fake_connector import FakeConnector
from tests.support.people import MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.pitch_day import CHANNEL_KEY, OLGA_ID, seed
from tests.support.running_app import DEMO_ORG
from tests.support.store_probes import pending_outbox
from tests.support.teams_client import TeamsClient, User, action, nodes

VOTERS = 500
SPREAD_SECONDS = 8.0  # every click starts within this; the aim is all done within 10 s
ROUNDS = 3
APPROVALS = 100
OLGA = User(OLGA_ID, "Olga Kowalski")


async def start_den(db: Path):
    port = free_port()
    env = {"PORT": str(port), "DEN_HOST": "127.0.0.1", "DEN_SQLITE_PATH": str(db), "DEN_ORG_FILE": str(DEMO_ORG),
           "DEN_LOG_LEVEL": "WARNING", "MicrosoftAppId": "", "DEN_ORGANISER_IDS": OLGA_ID,
           "DEN_DIGEST_SCHEDULE": "off", "DEN_DAILY_PITCH_CAP": str(APPROVALS * 2),
           "DEN_ALLOWED_SERVICE_URLS": LOCAL_SERVICE_URLS}  # the connector stand-in on loopback  # fmt: skip
    return await start_server("Deputy's Den", python(str(ROOT / "app.py")), port=port, env=env)


async def approval_latencies(den: TeamsClient, connector: FakeConnector, store: SqliteStore) -> list[float]:
    await den.install(SAM)
    await den.install(MAYA)
    await den.say(SAM, "pitch")
    submit = action(connector.sent[-1].cards[0], verbs.PITCH_SUBMIT)
    for i in range(APPROVALS):
        form = {**VALID_PITCH, "title": f"Idea {i}", "confirm": "duplicate"}  # one idea, filed many times
        receipt = await den.click(SAM, {**submit, "data": {"formId": None}}, form)
        assert receipt.status == 200
    while await pending_outbox(store):  # noqa: ASYNC110 - let the submissions go out first
        await asyncio.sleep(0.1)
    latencies = []
    for idea in await store.list_by_holder(MAYA.aad_id, limit=APPROVALS):
        started = time.perf_counter()
        result = await den.click(MAYA, {"verb": verbs.APPROVE, "data": {"ideaId": idea.id, "step": 0, "revision": 1}})
        latencies.append((time.perf_counter() - started) * 1000)
        assert result.status == 200
    return latencies


async def vote_round(den: TeamsClient, buttons: dict[str, dict], rng: random.Random) -> tuple[list[float], float, dict]:
    voters = [User(str(uuid.UUID(int=rng.getrandbits(128))), f"Voter {n}") for n in range(VOTERS)]
    choice = {v.aad_id: rng.choice(list(buttons)) for v in voters}
    thread = {"conversation": {"conversationType": "channel", "tenantId": TENANT_ID, "isGroup": True,
                               "id": f"{CHANNEL_KEY};messageid=1"}}  # fmt: skip
    latencies: list[float] = []
    failures: list[str] = []
    start = time.perf_counter()

    async def click(n: int, voter: User) -> None:
        await asyncio.sleep(n * SPREAD_SECONDS / VOTERS)
        began = time.perf_counter()
        result = await den.click(voter, buttons[choice[voter.aad_id]], **thread)
        latencies.append((time.perf_counter() - began) * 1000)
        if result.status != 200 or "Your vote is recorded." not in str(result.body):
            failures.append(f"{voter.aad_id}: {result.status}")

    await asyncio.gather(*(click(n, v) for n, v in enumerate(voters)))
    wall = time.perf_counter() - start
    assert not failures, failures[:5]
    return latencies, wall, choice


async def main() -> None:
    connector = FakeConnector()
    await connector.start()
    connector.add_to_team(CHANNEL_KEY)
    rng = random.Random(2026)
    rounds: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "den.sqlite3"
        store = SqliteStore(db)
        await store.open()
        challenge, ideas = await seed(store, connector_url=connector.url)
        server = await start_den(db)
        den_url = f"{server.url}/api/messages"
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        try:
            den = TeamsClient(den_url, connector.url, TENANT_ID, session=session)
            approvals = await approval_latencies(den, connector, store)
            opened = await den.click(OLGA, {"verb": verbs.VOTING_OPEN, "data": {"challengeId": challenge.id}})
            assert opened.status == 200
            posted = await connector.wait_for(lambda c: next((s for s in c.in_channel(CHANNEL_KEY) if s.cards), None))
            buttons = {n["data"]["finalistId"]: n for n in nodes(posted.cards[0]) if n.get("verb") == verbs.VOTE}
            expected: dict[str, str] = {}
            for number in range(1, ROUNDS + 1):
                votes, wall, choice = await vote_round(den, buttons, rng)
                expected.update(choice)
                stored = await store.count_votes(challenge.id)
                lost_or_double = sum(stored.values()) - len(expected)
                for voter_id in rng.sample(list(choice), 50):  # spot-check: each voter's one vote is what they clicked
                    assert (await store.get_vote(challenge.id, voter_id)).finalist_id == choice[voter_id]
                by_finalist = {f: list(expected.values()).count(f) for f in buttons}
                assert stored == {f: c for f, c in by_finalist.items() if c}, (stored, by_finalist)
                rounds.append((percentile(votes, 95), statistics.median(votes), wall))
                print(f"round {number}: {VOTERS} voters in {wall:5.2f} s (aim: within 10 s); stored votes "
                      f"{sum(stored.values())} for {len(expected)} voters: {lost_or_double:+d} lost or doubled; "
                      f"vote click p50 {statistics.median(votes):6.1f} ms, "
                      f"p95 {percentile(votes, 95):6.1f} ms")  # fmt: skip
        finally:
            await session.close()
            await store.close()
            server.stop()
            await connector.stop()

    approval_p95 = percentile(approvals, 95)
    p95s = sorted(r[0] for r in rounds)
    print(f"approval click (yardstick, same process, {len(approvals)} sequential clicks): "
          f"p50 {statistics.median(approvals):6.1f} ms   p95 {approval_p95:6.1f} ms")  # fmt: skip
    print(f"vote click p95 over {ROUNDS} rounds of {VOTERS} concurrent voters: min {p95s[0]:6.1f} ms   "
          f"median {statistics.median(p95s):6.1f} ms   max {p95s[-1]:6.1f} ms")  # fmt: skip
    print(f"  ratio vote p95 / approval p95 (median round): {statistics.median(p95s) / approval_p95:5.2f}x"
          f"   (votes arrive ~{VOTERS / SPREAD_SECONDS:.0f} a second, overlapping; approvals one by one)")


if __name__ == "__main__":
    asyncio.run(main())
