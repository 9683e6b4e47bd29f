"""`python -m bot.admin.provision` against the local Graph server, through the real msgraph-sdk."""

from __future__ import annotations

from bot.adapters.sharepoint_schema import LISTS
from bot.admin.provision import run
from tests.support.graph_fixtures import SITE_HOST, SITE_PATH, graph_client


async def test_provisioning_creates_every_list_with_typed_indexed_columns(fake_graph):
    site_id = fake_graph.add_site(SITE_HOST, SITE_PATH)
    out: list[str] = []

    assert await run(graph_client(fake_graph), f"https://{SITE_HOST}{SITE_PATH}", dry_run=False, out=out.append) == 0

    lists = {sp.name: sp for sp in fake_graph.sites[site_id].values()}
    assert sorted(lists) == sorted(spec.name for spec in LISTS)
    ideas = lists["DenIdeas"].columns
    assert ideas["IdeaId"]["indexed"] and ideas["IdeaId"]["enforceUniqueValues"]
    assert ideas["Status"]["choice"]["choices"] == ["in_review", "returned", "approved", "rejected"]
    assert ideas["Body"]["text"]["allowMultipleLines"] is True
    assert ideas["CreatedAt"]["dateTime"]["format"] == "dateTime"
    assert ideas["IdeaTitle"]["text"]["maxLength"] == 255
    assert lists["DenDecisions"].columns["Revision"]["number"]["decimalPlaces"] == "none"
    assert out[-1] == f"Done: {len(LISTS)} change(s) made."


async def test_a_second_run_changes_nothing_and_says_so(fake_graph):
    site_id = fake_graph.add_site(SITE_HOST, SITE_PATH)
    client = graph_client(fake_graph)
    await run(client, site_id, dry_run=False, out=lambda _: None)
    fake_graph.reset_counts()
    out: list[str] = []

    assert await run(client, site_id, dry_run=False, out=out.append) == 0

    assert out == ["Nothing to change: every list, column and index is in place."]
    assert fake_graph.count("POST") == 0 and fake_graph.count("PATCH") == 0


async def test_a_missing_column_is_added_an_index_restored_and_a_wrong_type_reported(fake_graph):
    site_id = fake_graph.add_site(SITE_HOST, SITE_PATH)
    client = graph_client(fake_graph)
    await run(client, site_id, dry_run=False, out=lambda _: None)
    ideas = next(sp for sp in fake_graph.sites[site_id].values() if sp.name == "DenIdeas")
    del ideas.columns["HolderId"]
    ideas.columns["UpdatedAt"]["indexed"] = False
    ideas.columns["Reference"] = {**ideas.columns["Reference"], "text": None, "number": {}}

    dry: list[str] = []
    assert await run(client, site_id, dry_run=True, out=dry.append) == 1
    assert dry == [
        "Plan (dry run, nothing changed):",
        "  - PROBLEM: DenIdeas.Reference is number, expected text; fix it by hand (not changed)",
        "  - add column DenIdeas.HolderId (text)",
        "  - index column DenIdeas.UpdatedAt",
    ]
    assert "HolderId" not in ideas.columns, "a dry run changes nothing"

    out: list[str] = []
    assert await run(client, site_id, dry_run=False, out=out.append) == 1
    assert ideas.columns["HolderId"]["indexed"] is True
    assert ideas.columns["UpdatedAt"]["indexed"] is True
    assert "number" in ideas.columns["Reference"], "the wrong type is reported, never changed"
    assert out[-1] == "Done: 2 change(s) made."


async def test_traffic_is_decorated_for_sharepoint(fake_graph):
    site_id = fake_graph.add_site(SITE_HOST, SITE_PATH)
    await run(graph_client(fake_graph), site_id, dry_run=True, out=lambda _: None)
    assert fake_graph.user_agents
    assert all(ua.startswith("NONISV|TestMinistry|DeputysDen/") for ua in fake_graph.user_agents), (
        fake_graph.user_agents[0]
    )
