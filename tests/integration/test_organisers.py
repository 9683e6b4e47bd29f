"""Who the Den organisers are: by id, by Entra group (through the real msgraph-sdk against the local
Graph server's checkMemberGroups, nested groups included), or by the org file's groups."""

from __future__ import annotations

import json

from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.organisers import OrganiserRoster
from bot.settings import Settings
from tests.integration.test_sharepoint_app import seed_directory
from tests.support.graph_fixtures import graph_client
from tests.support.people import DANA, MAYA, SAM
from tests.support.running_app import DEMO_ORG

ORGANISERS = "7f1e2d3c-0000-4000-8000-0000000000aa"
INNOVATION_OFFICE = "7f1e2d3c-0000-4000-8000-0000000000bb"


async def test_organisers_by_entra_group_nested_groups_included_and_cached(fake_graph):
    seed_directory(fake_graph)
    fake_graph.add_group(ORGANISERS, MAYA.aad_id, INNOVATION_OFFICE)
    fake_graph.add_group(INNOVATION_OFFICE, SAM.aad_id)
    directory = GraphDirectory(graph_client(fake_graph), RoleRules.parse(dm_ids=frozenset({DANA.aad_id})))
    roster = OrganiserRoster((), ORGANISERS, directory)
    assert await roster.is_organiser(MAYA.aad_id) and await roster.is_organiser(SAM.aad_id)
    assert not await roster.is_organiser(DANA.aad_id)
    assert not await roster.is_organiser("00000000-0000-0000-0000-000000000000"), "unknown user: not an organiser"
    fake_graph.reset_counts()
    assert await roster.is_organiser(SAM.aad_id)
    assert fake_graph.count() == 0, "cached like the rest of the directory"


async def test_organisers_by_id_need_no_directory():
    """DEN_ORGANISER_IDS, parsed once at start-up (spaces and blanks dropped), names them alone."""
    roster = OrganiserRoster(Settings.from_env({"DEN_ORGANISER_IDS": f" {DANA.aad_id} , x ,"}).organiser_ids)
    assert await roster.is_organiser(DANA.aad_id) and await roster.is_organiser("x")
    assert not await roster.is_organiser(SAM.aad_id) and not await roster.is_organiser("")


async def test_the_demo_org_names_its_organiser_in_the_innovation_office():
    data = json.loads(DEMO_ORG.read_text(encoding="utf-8"))
    group = next(g for g in data["groups"] if g["name"] == "Den organisers")
    roster = OrganiserRoster((), group["id"], OrgFileDirectory.from_dict(data))
    organisers = [p for p in data["people"] if await roster.is_organiser(p["id"])]
    assert [(p["name"], p["branch"]) for p in organisers] == [("Olga Kowalski", "Innovation Office")]
