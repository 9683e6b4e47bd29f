"""The local Graph server answers as the documentation says (so the store tests mean something),
and the store copes with what it says: inner $batch failures, eTags, the non-indexed filter rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp

from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.adapters.sharepoint_store import SharePointStore
from bot.domain.model import Outcome, Role
from bot.services.ideas import outbox_for
from tests.integration.test_sharepoint_app import seed_directory
from tests.integration.test_store_contract import add
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.people import AMIR, DANA, DIANE, MAYA, PRIYA, SAM

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


async def call(method: str, url: str, **kwargs) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.request(method, url, **kwargs) as response:
        return response.status, await response.json(content_type=None) if response.status != 204 else {}


async def test_filtering_on_a_column_that_is_not_indexed_needs_the_prefer_header(fake_graph):
    site = await provisioned_site(fake_graph)
    items = f"{fake_graph.url}/sites/{site}/lists/DenIdeas/items"
    status, body = await call("GET", items, params={"$filter": "fields/IdeaTitle eq 'x'"})
    assert status == 400 and "is not indexed" in body["error"]["message"]
    status, _ = await call(
        "GET", items, params={"$filter": "fields/IdeaTitle eq 'x'"},
        headers={"Prefer": "HonorNonIndexedQueriesWarningMayFailRandomly"},
    )
    assert status == 200
    status, _ = await call("GET", items, params={"$filter": "fields/SubmitterId eq 'x'"})
    assert status == 200, "indexed columns filter freely"


async def test_etags_are_guid_comma_version_and_a_stale_one_gets_412(fake_graph):
    site = await provisioned_site(fake_graph)
    items = f"{fake_graph.url}/sites/{site}/lists/DenCounters/items"
    status, created = await call("POST", items, json={"fields": {"Name": "n", "Value": 1}})
    assert status == 201 and re.fullmatch(r'"[0-9a-f-]{36},1"', created["eTag"])
    fields = f"{items}/{created['id']}/fields"
    status, updated = await call("PATCH", fields, json={"Value": 2}, headers={"If-Match": created["eTag"]})
    assert status == 200 and updated["@odata.etag"].endswith(',2"')
    status, body = await call("PATCH", fields, json={"Value": 3}, headers={"If-Match": created["eTag"]})
    assert status == 412


async def test_pages_of_200_with_a_next_link_and_batches_of_at_most_20(fake_graph):
    site = await provisioned_site(fake_graph)
    items = f"{fake_graph.url}/sites/{site}/lists/DenCounters/items"
    for n in range(205):
        await call("POST", items, json={"fields": {"Name": f"n{n}", "Value": n}})
    status, first = await call("GET", items)
    assert len(first["value"]) == 200 and "@odata.nextLink" in first
    status, second = await call("GET", first["@odata.nextLink"])
    assert len(second["value"]) == 5 and "@odata.nextLink" not in second

    too_many = {"requests": [{"id": str(n), "method": "GET", "url": "/sites/x"} for n in range(21)]}
    assert (await call("POST", f"{fake_graph.url}/$batch", json=too_many))[0] == 400
    dependent = {"requests": [
        {"id": "1", "method": "PATCH", "url": f"/sites/{site}/lists/DenCounters/items/1/fields",
         "headers": {"If-Match": '"stale,1"', "Content-Type": "application/json"}, "body": {"Value": 9}},
        {"id": "2", "method": "POST", "url": f"/sites/{site}/lists/DenCounters/items", "dependsOn": ["1"],
         "headers": {"Content-Type": "application/json"}, "body": {"fields": {"Name": "never"}}},
    ]}
    status, answer = await call("POST", f"{fake_graph.url}/$batch", json=dependent)
    assert {r["id"]: r["status"] for r in answer["responses"]} == {"1": 412, "2": 424}


async def test_an_inner_batch_failure_after_the_idea_is_written_is_retried(fake_graph):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph))
    await add(store, 1)
    idea = await store.get("00000000-0000-4000-8000-000000000001")
    raised = idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    fake_graph.fail_next(1, status=429, retry_after="1", path_part="/lists/DenOutbox")  # inside the $batch
    await store.update(idea, outbox_for(idea, raised, T0))
    assert not fake_graph.faults
    ids = {"00000000-0000-4000-8000-000000000001:approval_request:1:1",
           "00000000-0000-4000-8000-000000000001:decision_update:1:0"}
    assert await store.existing_outbox_ids(sorted(ids)) == ids
    assert (await store.get(idea.id)).current_step == 1


async def test_the_chain_and_roles_come_from_entra_id_and_are_cached(fake_graph):
    seed_directory(fake_graph)
    clock = [0.0]
    directory = GraphDirectory(
        graph_client(fake_graph),
        RoleRules.parse(dm_ids=frozenset({DANA.aad_id})),
        cache_seconds=60,
        timer=lambda: clock[0],
    )
    line = await directory.line_of_management(SAM.aad_id)
    assert [(p.id, p.role) for p in line] == [
        (MAYA.aad_id, Role.MANAGER), (DIANE.aad_id, Role.DIRECTOR), (AMIR.aad_id, Role.ADM), (DANA.aad_id, Role.DM),
    ]
    assert [p.name for p in await directory.line_of_management(PRIYA.aad_id)][0] == "Diane Tremblay"
    assert [p.name for p in await directory.deputy_ministers()] == ["Dana Morel"]
    fake_graph.reset_counts()
    await directory.line_of_management(SAM.aad_id)
    assert fake_graph.count() == 0, "cached"
    clock[0] = 61
    await directory.line_of_management(SAM.aad_id)
    assert fake_graph.count() == 1, "the cache has a time limit"
    assert await directory.get_person("00000000-0000-0000-0000-000000000000") is None


def test_role_patterns_are_configurable():
    rules = RoleRules.parse("adm=associate deputy|ADM;director=executive director", dm_ids=frozenset({"dm-1"}))
    assert rules.role_of("x", "Associate Deputy Minister, Policy") == Role.ADM
    assert rules.role_of("x", "Executive Director, Digital") == Role.DIRECTOR
    assert rules.role_of("x", "Director, Finance") == Role.STAFF
    assert rules.role_of("dm-1", "anything") == Role.DM
    assert rules.role_of("x", "Manager, Programs") == Role.MANAGER
