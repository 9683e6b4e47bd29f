"""SharePoint's list view threshold, as the local Graph server applies it, and the store's queries past it.

The server refuses (500, SPQueryThrottledException) a query on a list past the threshold unless
its first clause is an indexed column that narrows below it; the store's views on hot keys (a
challenge with more ideas, stages or votes than the threshold, a person with more ideas) read
them range by range of another indexed column, and the digest never sends an OR.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sharepoint_schema import LISTS_BY_KEY
from bot.adapters.sharepoint_store import ListViewThresholdExceeded
from bot.domain.model import Idea, Person
from bot.domain.pitch import Pitch
from bot.domain.stage import IdeaStage
from bot.services.ideas import outbox_for
from tests.support.cast import DIANE, MAYA
from tests.support.chains import build_chain
from tests.support.fake_graph import HONOR_NON_INDEXED, FakeGraph, Item
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.large_lists import fill_past_threshold
from tests.support.people import VALID_PITCH

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
HOT = "hot-challenge"
THRESHOLD = 50
MANY = 64  # more than the threshold


@pytest.fixture
async def large(fake_graph: FakeGraph):
    site = await provisioned_site(fake_graph)
    fill_past_threshold(fake_graph, site, threshold=THRESHOLD)
    store = SharePointDenStore(graph_client(fake_graph), site, page_size=20)
    await store.open()
    yield fake_graph, site, store
    await store.close()


async def _get(graph: FakeGraph, site: str, list_key: str, params: dict[str, str], headers=None):
    url = f"{graph.url}/sites/{site}/lists/{LISTS_BY_KEY[list_key].name}/items"
    async with aiohttp.ClientSession() as session:
        async with session.get(url, params={"$expand": "fields", **params}, headers=headers or {}) as response:
            return response.status, await response.json()


# ---- the server --------------------------------------------------------------------------------
async def test_the_server_refuses_what_sharepoint_refuses_past_the_threshold(large):
    graph, site, _ = large
    prefer = {"Prefer": HONOR_NON_INDEXED}
    refused = [
        ({"$filter": "fields/ChallengeId eq 'past-challenge'"}, {}),  # indexed, but does not narrow below it
        ({"$filter": "fields/ChallengeId eq 'past-challenge'", "$top": "5"}, prefer),  # $top and Prefer do not help
        ({"$filter": "fields/IdeaTitle eq 'x'"}, prefer),  # the first clause is not indexed
        ({"$filter": "fields/IdeaId eq 'x' or fields/SubmitterId eq 'y'"}, {}),  # an OR at the top
        ({"$orderby": "fields/IdeaTitle"}, prefer),  # ordered by a column that is not indexed
    ]
    for params, headers in refused:
        status, body = await _get(graph, site, "ideas", params, headers)
        assert status == 500, params
        assert body["error"]["code"] == "-2147024860, Microsoft.SharePoint.SPQueryThrottledException"
        assert "exceeds the list view threshold" in body["error"]["message"]
    allowed = [
        {"$filter": "fields/SubmitterId eq 'former-3'"},  # narrows to one
        {"$filter": "fields/CreatedAt ge '2025-03-03T15:00:00Z' and fields/CreatedAt lt '2025-03-04T15:00:00Z' "
                    "and fields/ChallengeId eq 'past-challenge'"},  # a range of 24 first, then the hot key
        {"$top": "20"},  # no filter: pages through the list's own index
        {"$orderby": "fields/CreatedAt desc", "$top": "5"},
    ]
    for params in allowed:
        status, body = await _get(graph, site, "ideas", params)
        assert status == 200, (params, body)
    assert (await _get(graph, site, "ideas", allowed[1]))[1]["value"].__len__() == 24


async def test_under_the_threshold_a_list_answers_every_indexed_query(fake_graph):
    site = await provisioned_site(fake_graph)
    fill_past_threshold(fake_graph, site)
    fake_graph.behaviours.list_view_threshold = 5000  # SharePoint Online's: 60 items are far below it
    status, body = await _get(fake_graph, site, "ideas", {"$filter": "fields/ChallengeId eq 'past-challenge'"})
    assert status == 200 and len(body["value"]) == 60


async def test_the_store_says_when_a_query_is_refused_for_the_threshold(large):
    graph, _, store = large
    with pytest.raises(ListViewThresholdExceeded):
        await store._api("ideas").query("fields/ChallengeId eq 'past-challenge'", ("IdeaId",))


# ---- hot keys ------------------------------------------------------------------------------------
def _idea(n: int, submitter: Person, challenge: str = "") -> Idea:
    idea, _ = Idea.submit(
        idea_id=str(uuid.uuid4()), reference=f"DEN-2026-{n:04d}", submitter=submitter,
        pitch=Pitch(**{**VALID_PITCH, "title": f"Idea {n}"}), chain=build_chain(submitter, [MAYA, DIANE]),
        now=T0 + timedelta(hours=n), line_ids=["maya", "diane", "dana"],
    )
    idea.challenge = challenge
    return idea


async def test_my_ideas_for_someone_with_more_ideas_than_the_threshold(large):
    graph, _, store = large
    sam = Person("sam", "Sam Chen")
    for n in range(MANY):
        idea = _idea(n, sam)
        await store.add(idea)
    graph.threshold_refusals.clear()
    newest = await store.list_by_submitter("sam", limit=5)
    assert [i.pitch.title for i in newest] == [f"Idea {n}" for n in range(MANY - 1, MANY - 6, -1)]
    assert graph.threshold_refusals, "the plain query was refused, and the view read by creation date"
    every = await store.list_by_submitter("sam", limit=1000)
    assert len(every) == MANY and len({i.id for i in every}) == MANY
    assert [i.pitch.title for i in every][-1] == "Idea 0"


async def test_a_challenge_with_more_ideas_stages_and_votes_than_the_threshold(large):
    graph, site, store = large
    ideas = []
    for n in range(MANY):
        idea = _idea(n, Person(f"staff-{n}", f"Staff {n}"), HOT)
        await store.add(idea)
        ideas.append(idea)
        stage = IdeaStage.enter_pool(idea_id=idea.id, challenge_id=HOT, owner_id=idea.submitter.id,
                                     at=T0 + timedelta(hours=n), by="dana")
        await store.update_stage(stage)
    votes = next(sp for sp in graph.sites[site].values() if sp.name == LISTS_BY_KEY["votes"].name)
    for n in range(MANY):  # People's Choice: more voters than the threshold
        voter = str(uuid.uuid4())
        item_id = str(next(votes.ids))
        votes.items[item_id] = Item(item_id, {"VoteKey": f"{HOT}:{voter}", "ChallengeId": HOT, "VoterId": voter,
                                              "FinalistId": ideas[n % 2].id, "Moves": 0})
    graph.threshold_refusals.clear()
    assert {i.id for i in await store.list_challenge_ideas(HOT)} == {i.id for i in ideas}  # the sponsor's pool
    assert len(await store.list_challenge_summaries(HOT)) == MANY  # the report
    assert {s.idea_id for s in await store.list_stages(HOT)} == {i.id for i in ideas}
    assert await store.count_votes(HOT) == {ideas[0].id: MANY // 2, ideas[1].id: MANY // 2}  # closing voting
    assert len(graph.threshold_refusals) >= 4, "each view was refused whole, then read in ranges"


async def test_the_digest_never_sends_an_or_and_reads_every_open_idea_past_the_threshold(large):
    graph, _, store = large
    sam = Person("sam", "Sam Chen")
    ideas = [_idea(n, sam) for n in range(MANY)]
    for idea in ideas:
        await store.add(idea, outbox_for(idea, [], idea.created_at))
    graph.threshold_refusals.clear()
    since = T0 + timedelta(days=30)
    scanned = [d.id async for page in store.scan_for_digest(since) for d in page]
    assert sorted(scanned) == sorted(i.id for i in ideas), "every open idea, each once"
    assert "an or at the top" not in graph.threshold_refusals
    assert {i.id for i in await store.list_for_digest(since)} == {i.id for i in ideas}
    assert {i.id for i in await store.list_open()} == {i.id for i in ideas}
