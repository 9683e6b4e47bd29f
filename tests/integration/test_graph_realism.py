"""A real tenant's awkward behaviours, as Microsoft documents them (or documents nothing), each
switched on in the local Graph server, and the app coping with them.

The server learns: requests inside a $batch throttled one by one with their own Retry-After (and
counted one by one); a unique-column clash answered with a status other than 409; site paths
by id and by host and path; `$expand=manager($levels=max)` refused for application permission;
the `write` role unable to create lists; RateLimit headers past 80% of the quota.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from yarl import URL

from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.adapters.graph_pressure import RateLimitGauge
from bot.adapters.sharepoint_store import SharePointStore
from bot.admin.provision import run as provision
from bot.domain.model import Idea, Outcome
from bot.ports import ConcurrencyConflict, OutboxMessage, StoreBusy, StoreUnavailable
from bot.services.ideas import outbox_for
from tests.integration.test_sharepoint_app import seed_directory
from tests.integration.test_store_contract import add
from tests.support.graph_fixtures import SITE_HOST, SITE_PATH, graph_client, provisioned_site
from tests.support.people import AMIR, DANA, DIANE, MAYA, PRIYA, SAM

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
IDEA_1 = "00000000-0000-4000-8000-000000000001"


async def call(method: str, url: str, **kwargs) -> tuple[int, dict, dict]:
    async with aiohttp.ClientSession() as session, session.request(method, url, **kwargs) as response:
        body = await response.json(content_type=None) if response.status != 204 else {}
        return response.status, body or {}, dict(response.headers)


# ---- the local Graph server learns the behaviours -------------------------------------------
async def test_requests_inside_a_batch_are_throttled_and_counted_one_by_one(fake_graph):
    site = await provisioned_site(fake_graph)
    fake_graph.behaviours.quota_units = 10
    fake_graph.reset_counts()
    reads = {"requests": [{"id": str(n), "method": "GET", "url": f"/sites/{site}/lists/DenIdeas"} for n in range(15)]}
    status, answer, _ = await call("POST", f"{fake_graph.url}/$batch", json=reads)
    assert status == 200, "the envelope succeeds even when requests inside it are throttled"
    statuses = [r["status"] for r in answer["responses"]]
    assert statuses.count(200) == 10 and statuses.count(429) == 5
    throttled = [r for r in answer["responses"] if r["status"] == 429]
    assert all(int(r["headers"]["Retry-After"]) >= 1 for r in throttled), "each with its own Retry-After"
    assert throttled[0]["body"]["error"]["code"] == "TooManyRequests"
    assert len(fake_graph.requests) == 1 and fake_graph.all_requests() == 15, "one round trip, fifteen requests"


async def test_ratelimit_headers_appear_past_80_percent_of_the_quota(fake_graph):
    site = await provisioned_site(fake_graph)
    fake_graph.behaviours.quota_units = 10
    url = f"{fake_graph.url}/sites/{site}/lists/DenIdeas"
    seen = [(await call("GET", url))[2] for _ in range(11)]
    assert "RateLimit-Remaining" not in seen[6]
    assert seen[7]["RateLimit-Limit"] == "10" and seen[7]["RateLimit-Remaining"] == "2"
    assert "Retry-After" in seen[10] and seen[10]["RateLimit-Remaining"] == "0"
    fake_graph.behaviours.rate_limit_headers = False
    fake_graph.behaviours.quota_window_seconds = 0.0
    assert "RateLimit-Remaining" not in (await call("GET", url))[2]


@pytest.mark.parametrize("clash", [400, 409, 500])
async def test_a_unique_column_clash_status_is_a_behaviour(fake_graph, clash):
    site = await provisioned_site(fake_graph)
    fake_graph.behaviours.unique_clash_status = clash
    items = f"{fake_graph.url}/sites/{site}/lists/DenCounters/items"
    assert (await call("POST", items, json={"fields": {"Name": "n", "Value": 1}}))[0] == 201
    status, body, _ = await call("POST", items, json={"fields": {"Name": "n", "Value": 2}})
    assert status == clash and "duplicate values were found" in body["error"]["message"]


async def test_sites_by_id_and_by_host_and_path_but_not_percent_encoded(fake_graph):
    site = await provisioned_site(fake_graph)
    status, found, _ = await call("GET", f"{fake_graph.url}/sites/{SITE_HOST}:{SITE_PATH}?$select=id")
    assert status == 200 and found["id"] == site
    assert (await call("GET", f"{fake_graph.url}/sites/{site}/lists/DenIdeas"))[0] == 200
    assert (await call("GET", f"{fake_graph.url}/sites/{SITE_HOST}:{SITE_PATH}:/lists/DenIdeas"))[0] == 200
    encoded = URL(f"{fake_graph.url}/sites/{SITE_HOST}%3A%2Fsites%2Fdeputys-den%3A/lists/DenIdeas", encoded=True)
    assert (await call("GET", encoded))[0] == 400, "a form Graph does not document"
    fake_graph.behaviours.strict_site_paths = False
    assert (await call("GET", encoded))[0] == 200


async def test_the_write_role_cannot_create_lists(fake_graph):
    site = fake_graph.add_site(SITE_HOST, SITE_PATH)
    fake_graph.behaviours.site_role = "write"
    status, body, _ = await call("POST", f"{fake_graph.url}/sites/{site}/lists", json={"displayName": "X"})
    assert status == 403 and body["error"]["code"] == "accessDenied"


async def maya_approves(store: SharePointStore) -> tuple[Idea, list[OutboxMessage]]:
    """Idea 1 (as `add` stores it), approved by Maya at its first step: what a click would write."""
    idea = await store.get(IDEA_1)
    raised = idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    return idea, outbox_for(idea, raised, T0)


# ---- the store copes ------------------------------------------------------------------------
async def test_a_site_url_is_resolved_once_and_the_id_used_after(fake_graph):
    site = await provisioned_site(fake_graph)
    store = SharePointStore(graph_client(fake_graph), f"https://{SITE_HOST}{SITE_PATH}/")
    await store.open()
    try:
        fake_graph.reset_counts()
        await add(store, 1)
        await store.get(IDEA_1)
        assert store.site_id == site
        paths = [p for _, p in fake_graph.requests + fake_graph.inner_requests if p.startswith("/sites/")]
        assert paths and all(p.startswith(f"/sites/{site}/") for p in paths)
    finally:
        await store.close()


async def test_a_decision_is_one_sequential_batch_after_one_read(fake_graph):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph))
    await add(store, 1)
    fake_graph.reset_counts()
    fake_graph.batches.clear()
    idea, outbox = await maya_approves(store)
    await store.update(idea, outbox)
    assert [m for m, _ in fake_graph.requests] == ["GET", "POST"], "two round trips"
    [batch] = fake_graph.batches
    # The idea, its decision, and the two notifications (Sam told, Diane asked) in one row of the outbox.
    assert len(batch) == 3 and "dependsOn" not in batch[0]
    [group] = [r["body"]["fields"] for r in batch if "DenOutbox" in r["url"]]
    assert sorted(m["kind"] for m in json.loads(group["Payload"])["messages"]) == ["approval_request",
                                                                                   "decision_update"]
    assert all(r["dependsOn"] == [batch[n]["id"]] for n, r in enumerate(batch[1:])), "fully sequential"


async def test_an_inner_throttle_is_retried_after_its_own_retry_after_within_the_budget(fake_graph):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph), click_budget_seconds=3)
    await add(store, 1)
    idea, outbox = await maya_approves(store)
    fake_graph.fail_next(1, status=429, retry_after="1", path_part="/lists/DenIdeas/items/", method="PATCH")
    started = time.monotonic()
    await store.update(idea, outbox)
    assert 1.0 <= time.monotonic() - started < 3, "waited for the inner Retry-After, not longer"
    assert (await store.get(IDEA_1)).current_step == 1
    assert len(fake_graph.batches) == 3, "the add, then the decision twice"


async def test_past_the_budget_a_throttled_update_writes_nothing_and_says_busy(fake_graph):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph), click_budget_seconds=1)
    await add(store, 1)
    idea, outbox = await maya_approves(store)
    fake_graph.fail_next(1, status=429, retry_after="30", path_part="/lists/DenIdeas/items/", method="PATCH")
    started = time.monotonic()
    with pytest.raises(StoreBusy) as busy:
        await store.update(idea, outbox)
    assert time.monotonic() - started < 1, "answers at once: no point waiting 30 s"
    assert busy.value.retry_after == 30
    assert (await store.get(IDEA_1)).current_step == 0
    assert await store.existing_outbox_ids([f"{IDEA_1}:decision_update:1:0"]) == set(), "nothing after the idea"


async def test_rows_throttled_past_the_budget_after_the_idea_are_written_in_the_background_once(
    fake_graph, tmp_path
):
    from bot.adapters.pending_writes import PendingWrites

    pending = PendingWrites(tmp_path / "spool.sqlite3")
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph), click_budget_seconds=1,
                            pending=pending)
    await add(store, 1)
    idea, outbox = await maya_approves(store)
    fake_graph.fail_next(2, status=429, retry_after="2", path_part="/lists/DenOutbox", method="POST")
    started = time.monotonic()
    await store.update(idea, outbox)
    assert time.monotonic() - started < 1.5, "the click answers: the decision itself is written"
    assert (await store.get(IDEA_1)).current_step == 1
    waiting = await PendingWrites(tmp_path / "spool.sqlite3").waiting()
    [owed] = waiting  # the decision's two notifications, one row (throttled twice), kept on disk
    told = {f"{IDEA_1}:approval_request:1:1", f"{IDEA_1}:decision_update:1:0"}
    assert {m["id"] for m in json.loads(owed.fields["Payload"])["messages"]} == told, "kept on disk"
    await asyncio.sleep(2)
    assert await store.write_owed() == 0
    assert await store.write_owed() == 0, "written once"
    rows = [i.fields["MessageId"] for sp in fake_graph.sites[store.site_id].values() if sp.name == "DenOutbox"
            for i in sp.items.values()]
    assert sorted(rows) == sorted([f"{IDEA_1}:approval_request:1:0", owed.key_value])
    assert await store.existing_outbox_ids(sorted(told)) == told
    assert [r.key_value for r in await pending.waiting()] == []


@pytest.mark.parametrize("clash", [400, 500])
async def test_a_create_whose_answer_was_lost_is_recognised_as_ours(fake_graph, clash):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph))
    fake_graph.behaviours.unique_clash_status = clash
    fake_graph.fail_next(1, status=503, retry_after="0", path_part="/lists/DenIdeas/items", method="POST",
                         applied=True)
    idea = await add(store, 1)
    assert idea.version.startswith("1|"), "the row written by the first try is ours"
    assert await store.existing_outbox_ids([f"{IDEA_1}:approval_request:1:0"]) == {f"{IDEA_1}:approval_request:1:0"}
    with pytest.raises(ConcurrencyConflict):
        await add(store, 1)  # someone else's (another write): a duplicate, whatever the status


async def test_racing_first_references_of_a_year_stay_unique_when_the_clash_is_a_500(fake_graph):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph))
    other = SharePointStore(graph_client(fake_graph), store.site_id)
    fake_graph.behaviours.unique_clash_status = 500
    refs = await asyncio.gather(*(s.next_reference(2031) for s in (store, other, store, other)))
    assert sorted(refs) == [f"DEN-2031-{n:04d}" for n in range(1, 5)]


async def test_a_reference_is_one_conditional_write_and_another_instance_counting_between_is_never_repeated(
    fake_graph,
):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph))
    other = SharePointStore(graph_client(fake_graph), store.site_id)
    assert await store.next_reference(2032) == "DEN-2032-0001"
    fake_graph.reset_counts()
    assert await store.next_reference(2032) == "DEN-2032-0002"
    assert fake_graph.requests == [("PATCH", fake_graph.requests[0][1])], "the counter kept: no read first"
    assert await other.next_reference(2032) == "DEN-2032-0003"
    # The counter this instance kept is now stale: its PATCH is refused (412), it reads and counts on.
    refs = await asyncio.gather(*(s.next_reference(2032) for s in (store, other, store, other, store)))
    assert sorted(refs) == [f"DEN-2032-{n:04d}" for n in range(4, 9)]


async def test_a_digest_claim_holds_when_the_clash_is_not_a_409(fake_graph):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph))
    fake_graph.behaviours.unique_clash_status = 400
    claims = await asyncio.gather(*(store.claim_digest("dana", "2026-W48", T0, 600) for _ in range(3)))
    assert sorted(claims) == [False, False, True]


async def test_an_idle_instance_rarely_asks_graph_for_the_outbox(fake_graph):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph), idle_poll_seconds=60)
    fake_graph.reset_counts()
    for second in range(0, 120, 5):  # a dispatcher polling every 5 s for two minutes
        assert await store.claim_due(T0 + timedelta(seconds=second), 60, 20) == []
    assert len(fake_graph.requests) == 2


async def test_what_an_instance_writes_it_delivers_from_memory_leased_to_itself(fake_graph):
    site = await provisioned_site(fake_graph)
    store = SharePointStore(graph_client(fake_graph), site, idle_poll_seconds=60)
    other = SharePointStore(graph_client(fake_graph), site, idle_poll_seconds=60)
    kicks = []
    store.deliver_own_writes(lambda: kicks.append(1))
    await add(store, 1)
    assert kicks, "the dispatcher is woken"
    fake_graph.reset_counts()
    [message] = await store.claim_due(T0, 60, 20)
    assert message.id == f"{IDEA_1}:approval_request:1:0" and len(fake_graph.requests) == 0
    assert await other.claim_due(T0 + timedelta(seconds=30), 60, 20) == [], "leased to the writer"
    await store.complete(message.id)
    assert len(fake_graph.requests) == 2, "the other's poll, then one PATCH to complete"
    assert await other.claim_due(T0 + timedelta(minutes=5), 60, 20) == []


async def test_ratelimit_headers_hold_back_background_polls(fake_graph):
    gauge = RateLimitGauge()
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph), idle_poll_seconds=0,
                            gauge=gauge)
    await store.claim_due(T0, 60, 20)
    gauge.observe({"RateLimit-Limit": "1200", "RateLimit-Remaining": "100", "RateLimit-Reset": "30"})
    fake_graph.reset_counts()
    assert await store.claim_due(T0 + timedelta(seconds=5), 60, 20) == []
    assert fake_graph.count() == 0, "the idle poll waits for the quota window to reset"
    gauge.reset_at = 0
    await store.claim_due(T0 + timedelta(seconds=10), 60, 20)
    assert fake_graph.count() == 1


# ---- the directory copes --------------------------------------------------------------------
@pytest.mark.parametrize("refusal", [400, 403])
async def test_a_refused_manager_expand_falls_back_to_walking_one_level_at_a_time(fake_graph, refusal):
    seed_directory(fake_graph)
    fake_graph.behaviours.manager_expand_refused = True
    fake_graph.behaviours.manager_expand_status = refusal
    directory = GraphDirectory(graph_client(fake_graph), RoleRules.parse(dm_ids=DANA.aad_id))
    line = await directory.line_of_management(SAM.aad_id)
    assert [p.id for p in line] == [MAYA.aad_id, DIANE.aad_id, AMIR.aad_id, DANA.aad_id]
    assert directory.expand_refused == refusal
    fake_graph.reset_counts()
    await directory.line_of_management(SAM.aad_id)
    assert fake_graph.count() == 0, "the second pitch costs nothing"
    assert [p.id for p in await directory.line_of_management(PRIYA.aad_id)][0] == DIANE.aad_id
    assert fake_graph.count() == 1, "a colleague shares the walk: only her own manager is asked"
    assert fake_graph.count(path_part="$levels") == 0 and "manager" in fake_graph.requests[0][1]


# ---- provisioning rights ----------------------------------------------------------------------
async def test_provisioning_with_the_write_role_says_why_in_one_sentence(fake_graph):
    fake_graph.add_site(SITE_HOST, SITE_PATH)
    fake_graph.behaviours.site_role = "write"
    out: list[str] = []
    assert await provision(graph_client(fake_graph), f"https://{SITE_HOST}{SITE_PATH}", dry_run=False,
                           out=out.append) == 2
    assert "fullcontrol" in out[-1] and "403" in out[-1] and "\n" not in out[-1]
    assert not any("Traceback" in line for line in out)


def test_provisioning_without_credentials_says_so_in_one_sentence(monkeypatch, capsys):
    from azure.core.exceptions import ClientAuthenticationError

    import bot.adapters.graph_client
    from bot.admin import provision as command

    class NoCredential:
        async def get_token(self, *scopes, **kwargs):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

        async def get_token_info(self, *scopes, options=None):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

        async def close(self):
            pass

    monkeypatch.setattr(bot.adapters.graph_client, "make_credential", lambda settings: NoCredential())
    monkeypatch.setenv("DEN_GRAPH_BASE_URL", "http://127.0.0.1:9/v1.0")
    code = command.main(["--site", f"https://{SITE_HOST}{SITE_PATH}", "--dry-run"])
    printed = capsys.readouterr()
    assert code == 2
    assert printed.out.count("\n") == 1 and "Could not sign in to Microsoft Graph" in printed.out
    assert "Traceback" not in printed.err


async def test_health_checks_of_an_idle_instance_cost_little_and_never_hide_a_failure(fake_graph):
    site = await provisioned_site(fake_graph)
    store = SharePointStore(graph_client(fake_graph, max_retries=0), site, idle_poll_seconds=60)
    assert await store.probe_write()
    await store.claim_due(T0, 60, 20)  # the first poll
    await store.claim_due(T0 + timedelta(seconds=60), 60, 20)  # an idle poll: reads the backlog too
    fake_graph.reset_counts()
    assert await store.probe_write() and (await store.outbox_backlog()).pending == 0
    assert fake_graph.count() == 0, "a health check a minute after a good write and an idle poll asks nothing"
    fake_graph.down = True
    with pytest.raises(StoreUnavailable):
        await store.claim_due(T0 + timedelta(seconds=120), 60, 20)
    assert not await store.probe_write(), "once Graph has failed, the probe writes again, and says so"
    fake_graph.down = False
    assert await store.probe_write()


async def test_an_update_whose_answer_was_lost_is_recognised_and_its_notifications_written(fake_graph):
    store = SharePointStore(graph_client(fake_graph), await provisioned_site(fake_graph))
    await add(store, 1)
    idea, outbox = await maya_approves(store)
    # The idea's update is carried out, but its answer inside the batch is a 503: sent again, it gets 412.
    fake_graph.fail_next(1, status=503, retry_after="0", path_part="/lists/DenIdeas/items/", method="PATCH",
                         applied=True)
    await store.update(idea, outbox)
    assert (await store.get(IDEA_1)).current_step == 1
    ids = {f"{IDEA_1}:approval_request:1:1", f"{IDEA_1}:decision_update:1:0"}
    assert await store.existing_outbox_ids(sorted(ids)) == ids, "the notifications are not lost"
    decisions = next(sp for sp in fake_graph.sites[store.site_id].values() if sp.name == "DenDecisions")
    assert len(decisions.items) == 1
