"""The dashboard's reads, on every store: the embedded store's narrowed read gives exactly the digest's
projection, and the dashboard (for a challenge and for a year) is the same on SQLite, on SharePoint and on
SharePoint lists past the list view threshold (where a challenge has more ideas than the threshold and
every query must be narrowed by an index: the local Graph server refuses any other)."""

from __future__ import annotations

import pytest

from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.calendar import WorkCalendar
from bot.domain.visibility import Viewer
from bot.services.dashboard import DashboardService
from tests.support.den_dashboard import NOW, pitched, seed_challenge
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.large_lists import THRESHOLD, fill_past_threshold
from tests.support.running_app import DEMO_ORG

IDEAS = THRESHOLD + 10  # the challenge alone is past the threshold on "sharepoint-large"


async def test_a_challenges_projections_from_the_columns_equal_the_digests_scan(tmp_path):
    for path in (":memory:", str(tmp_path / "den.sqlite3")):
        store = SqliteStore(path)
        await store.open()
        challenge, _ = await seed_challenge(store, count=30)
        await store.add(pitched(99, challenge="another-challenge"))
        scanned = {i.id: i async for page in store.scan_for_digest(None) for i in page if i.challenge == challenge.id}
        narrowed = {i.id: i async for page in store.scan_challenge(challenge.id) for i in page}
        await store.close()
        assert narrowed == scanned and len(narrowed) == 30
        assert any(i.is_open and i.holder_name for i in narrowed.values())  # who holds what waits
        assert any(i.shortlisted for i in narrowed.values()) and any(len(i.decisions) == 3 for i in narrowed.values())


def figures(view):
    d = view.dashboard
    return (d.funnel, d.stage_times, d.level_times, d.waiting, d.by_branch, d.by_program_area, d.by_level,
            d.by_week, d.funded, d.staff_pitched)


def service_on(store) -> DashboardService:
    return DashboardService(store, OrgFileDirectory.from_file(DEMO_ORG), calendar=WorkCalendar.of("America/Toronto"),
                            clock=lambda: NOW)


async def dashboards(store):
    await seed_challenge(store, count=IDEAS)
    service, organiser = service_on(store), Viewer("olga", organiser=True)
    challenge = await service.view(organiser, challenge_id="c-tell-us-once")
    year = await service.view(organiser, year=NOW.year)
    return figures(challenge), figures(year)


@pytest.mark.parametrize("kind", ["sharepoint", "sharepoint-large"])
async def test_the_dashboard_on_sharepoint_is_the_embedded_stores_even_past_the_list_view_threshold(
    kind, tmp_path, fake_graph
):
    sqlite = SqliteStore(tmp_path / "den.sqlite3")
    await sqlite.open()
    expected = await dashboards(sqlite)
    await sqlite.close()
    site = await provisioned_site(fake_graph)
    if kind == "sharepoint-large":
        fill_past_threshold(fake_graph, site)  # and a past year's challenge, outside both scopes
    store = SharePointDenStore(graph_client(fake_graph), site, page_size=50)
    await store.open()
    got = await dashboards(store)
    earlier = await service_on(store).view(Viewer("olga", organiser=True), year=NOW.year - 1)
    await store.close()
    assert got == expected
    challenge, year = got
    assert challenge[0][0].count == IDEAS and year[0][0].count == IDEAS
    assert any(row.holder_name for row in challenge[3]) and challenge[8]  # what waits, with its holder; funded
    if kind == "sharepoint-large":
        # the challenge's ideas and the year's were refused whole, then read range by range; the year
        # before holds the filler's past challenge, also past the threshold
        assert fake_graph.threshold_refusals.count("the indexed clause does not narrow below the threshold") >= 2
        assert earlier.dashboard.funnel[0].count == THRESHOLD + 10
    else:
        assert earlier.dashboard.funnel[0].count == 0
