"""`python -m bot.admin.provision` against the local Graph server, through the real msgraph-sdk."""

from __future__ import annotations

from azure.core.exceptions import ClientAuthenticationError

from bot.adapters.graph_client import GraphSettings, make_graph_client
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
    assert ideas["Status"]["choice"]["choices"] == ["in_review", "returned", "approved", "rejected", "withdrawn"]
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


async def test_a_choice_added_by_a_newer_release_is_added_to_an_existing_list(fake_graph):
    """A site provisioned before ideas could be withdrawn gets the new status, keeping the others."""
    site_id = fake_graph.add_site(SITE_HOST, SITE_PATH)
    client = graph_client(fake_graph)
    await run(client, site_id, dry_run=False, out=lambda _: None)
    ideas = next(sp for sp in fake_graph.sites[site_id].values() if sp.name == "DenIdeas")
    ideas.columns["Status"]["choice"]["choices"] = ["in_review", "returned", "approved", "rejected"]

    out: list[str] = []
    assert await run(client, site_id, dry_run=False, out=out.append) == 0
    assert "  - add choices to DenIdeas.Status: withdrawn" in out
    assert ideas.columns["Status"]["choice"]["choices"][-1] == "withdrawn"
    assert len(ideas.columns["Status"]["choice"]["choices"]) == 5
    assert await run(client, site_id, dry_run=False, out=lambda _: None) == 0


class NoSignIn:
    """A credential with nothing configured, as on a laptop without `az login` or secrets."""

    async def get_token(self, *scopes, **kwargs):
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    async def get_token_info(self, *scopes, options=None):
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    async def close(self) -> None:
        pass


async def test_a_dry_run_without_credentials_says_what_to_do_in_one_sentence(fake_graph):
    """Issue #14: `--dry-run` without credentials printed a 60-line traceback."""
    site_id = fake_graph.add_site(SITE_HOST, SITE_PATH)
    client = make_graph_client(GraphSettings(base_url=fake_graph.url), NoSignIn())
    out: list[str] = []

    assert await run(client, site_id, dry_run=True, out=out.append) == 2

    assert len(out) == 1 and out[0].startswith("Could not sign in to Microsoft Graph: set DEN_GRAPH_CLIENT_ID")
