"""The organiser console's judges with Entra ID: the directory offers the deputy ministers, and anyone a
people search finds (Graph's `$search` on users, through msgraph-sdk, against the local Graph server that
refuses it without `ConsistencyLevel: eventual`, as Graph does), guests included as the panel card's
people picker finds them; the judges already named stay offered by name."""

from __future__ import annotations

from types import SimpleNamespace

from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.tab.wiring import people_to_choose
from tests.support.graph_fixtures import graph_client

DM, SAM, MAYA, GUEST = "dm-1", "sam-1", "maya-1", "guest-1"


def directory_on(fake_graph) -> GraphDirectory:
    fake_graph.add_user(DM, "Dana Morel", "Deputy Minister", "dana.morel@ministry.example")
    fake_graph.add_user(SAM, "Sam Chen", "Policy Analyst", "sam.chen@ministry.example")
    fake_graph.add_user(MAYA, "Maya Singh", "Manager, Client Services", "maya.singh@ministry.example")
    fake_graph.add_user(GUEST, "Sam Guest", "", "sam@partner.example")
    fake_graph.users[GUEST]["userType"] = "Guest"
    return GraphDirectory(graph_client(fake_graph), RoleRules.parse(dm_ids=frozenset({DM})))


async def test_a_search_finds_people_by_a_word_of_their_name_or_their_address(fake_graph):
    directory = directory_on(fake_graph)
    assert [p.id for p in await directory.search_people("sam")] == [SAM, GUEST]  # a guest judge too
    assert [p.id for p in await directory.search_people("Che")] == [SAM]  # the surname's start
    assert [p.id for p in await directory.search_people("maya.singh")] == [MAYA]  # the address
    assert await directory.search_people("s") == []  # too short to ask
    assert await directory.search_people('sam" OR "displayName:') == []  # quotes are not query
    assert (await directory.get_person(SAM)).name == "Sam Chen"


async def test_the_console_offers_the_deputy_ministers_the_found_people_first_and_the_judges_named(fake_graph):
    people = people_to_choose(SimpleNamespace(directory=directory_on(fake_graph)))
    offered, found = await people("", [])
    assert offered == [(DM, "Dana Morel")] and found == 0  # without a search: the deputy ministers
    offered, found = await people("singh", [SAM])
    assert offered == [(MAYA, "Maya Singh"), (SAM, "Sam Chen"), (DM, "Dana Morel")] and found == 1
    offered, found = await people("nobody", [])
    assert offered == [(DM, "Dana Morel")] and found == 0
