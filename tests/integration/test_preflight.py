"""`python -m bot.admin.provision --check` against the local Graph server, each awkward behaviour
switched on and off: the table reports what the server did, and nothing is left behind."""

from __future__ import annotations

import pytest

from bot.admin.preflight import FAIL, INFO, OK, SKIP, WARN, Preflight, run_check
from tests.integration.test_sharepoint_app import seed_directory
from tests.support.graph_fixtures import SITE_HOST, SITE_PATH, graph_client, provisioned_site
from tests.support.people import SAM

SITE_URL = f"https://{SITE_HOST}{SITE_PATH}"


async def check(fake_graph, site: str = SITE_URL, user: str | None = SAM.aad_id) -> dict[str, tuple[str, str, str]]:
    findings = await Preflight(graph_client(fake_graph), site, user=user).run()
    return {f.check: (f.result, f.detail, f.fix) for f in findings}


def leftovers(fake_graph, site: str) -> dict[str, int]:
    return {sp.name: len(sp.items) for sp in fake_graph.sites[site].values() if sp.items or "Preflight" in sp.name}


@pytest.fixture
async def site(fake_graph) -> str:
    seed_directory(fake_graph)
    return await provisioned_site(fake_graph)


async def test_a_tenant_that_does_what_the_app_relies_on_passes_and_is_left_clean(fake_graph, site):
    out: list[str] = []
    assert await run_check(graph_client(fake_graph), SITE_URL, user=SAM.aad_id, out=out.append) == 0
    report = await check(fake_graph)
    assert report["Site address"][0] == OK and site in report["Site address"][1]
    for name in ("Lists and columns", "Create and read back", "Unique-column clash", "If-Match conflict",
                 "$batch shape", "Manager chain", "Clean-up"):
        assert report[name][0] == OK, (name, report[name])
    assert "HTTP 409" in report["Unique-column clash"][1]
    assert report["Sending as the bot"][0] == SKIP
    assert leftovers(fake_graph, site) == {}, "everything it created is removed"
    assert out[0].startswith("Check") and out[-1].endswith("works here.")


@pytest.mark.parametrize("clash", [409, 400, 500])
async def test_the_clash_status_is_reported_whatever_it_is(fake_graph, site, clash):
    fake_graph.behaviours.unique_clash_status = clash
    result, detail, _ = (await check(fake_graph))["Unique-column clash"]
    assert result == OK and f"HTTP {clash}" in detail


async def test_a_list_without_its_uniqueness_rule_fails_with_the_fix(fake_graph, site):
    counters = next(sp for sp in fake_graph.sites[site].values() if sp.name == "DenCounters")
    counters.columns["Name"]["enforceUniqueValues"] = False
    report = await check(fake_graph)
    assert report["Lists and columns"][0] == FAIL and "enforce unique values in DenCounters.Name" in report[
        "Lists and columns"][1]
    assert report["Unique-column clash"][0] == SKIP
    assert leftovers(fake_graph, site) == {}


@pytest.mark.parametrize("throttled", [False, True])
async def test_inner_throttling_is_tried_when_the_tenant_throttles(fake_graph, site, throttled):
    if throttled:
        fake_graph.behaviours.inner_throttle_every = 3
        fake_graph.behaviours.inner_retry_after = "0"
    result, detail, _ = (await check(fake_graph))["Throttling inside $batch"]
    if throttled:
        assert result == OK and "throttled inside the batch" in detail and "with their own Retry-After" in detail
    else:
        assert result == INFO and "were not throttled" in detail


@pytest.mark.parametrize("headers", [False, True])
async def test_ratelimit_headers_are_reported_when_sent(fake_graph, site, headers):
    if headers:
        fake_graph.behaviours.quota_units = 70  # the check costs about 62 units: past 80%, never throttled
        fake_graph.behaviours.quota_window_seconds = 600
    report = await check(fake_graph)
    assert report["RateLimit headers"][0] == (OK if headers else INFO)


@pytest.mark.parametrize("refused", [False, True])
async def test_the_manager_chain_expanded_or_walked(fake_graph, site, refused):
    fake_graph.behaviours.manager_expand_refused = refused
    result, detail, _ = (await check(fake_graph))["Manager chain"]
    assert result == OK and "Maya Singh > Diane Tremblay > Amir Haddad > Dana Morel" in detail
    assert ("walking /manager level by level works" in detail) is refused


async def test_without_a_user_the_chain_is_skipped_with_the_fix(fake_graph, site):
    result, _, fix = (await check(fake_graph, user=None))["Manager chain"]
    assert result == SKIP and "--user" in fix


@pytest.mark.parametrize("role", ["fullcontrol", "write"])
async def test_the_site_role_is_reported(fake_graph, site, role):
    fake_graph.behaviours.site_role = role
    report = await check(fake_graph)
    result, detail, fix = report["Provisioning rights"]
    if role == "write":
        assert result == OK and "cannot create lists" in detail
    else:
        assert result == WARN and "back to `write`" in fix
    assert leftovers(fake_graph, site) == {}, "the probe list is removed too"


async def test_a_site_by_id_or_by_url(fake_graph, site):
    assert "resolves to id" in (await check(fake_graph, SITE_URL))["Site address"][1]
    assert (await check(fake_graph, site))["Site address"] == (OK, f"site id {site} (the app uses the id for "
                                                               "every request after)", "")


async def test_no_grant_on_the_site_is_one_failing_row_with_the_fix(fake_graph, site):
    fake_graph.behaviours.site_role = "none"
    out: list[str] = []
    assert await run_check(graph_client(fake_graph), SITE_URL, out=out.append) == 1
    report = await check(fake_graph)
    assert report["Site address"][0] == FAIL and "403" in report["Site address"][1]


async def test_unprovisioned_lists_are_reported_and_item_checks_skipped(fake_graph):
    seed_directory(fake_graph)
    fake_graph.add_site(SITE_HOST, SITE_PATH)
    report = await check(fake_graph)
    assert report["Lists and columns"][0] == FAIL and "bot.admin.provision" in report["Lists and columns"][2]
    assert report["Create and read back"][0] == SKIP
