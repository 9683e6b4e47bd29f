"""Benchmark: the Graph requests of the deputy ministers' digest on the SharePoint store.

The SharePoint store, through the real msgraph-sdk, against the local Graph server with its list view
threshold set low (THRESHOLD) and the lists filled past it with PAST earlier ideas (a year of use, as
tests/support/large_lists.py writes them), plus this week's ideas: the figures of every DM's digest
(`digest_figures`), once since the beginning (no DEN_CHALLENGE_START) and once since a challenge
start a month ago. Printed: requests (round trips), billed requests (each one inside a `$batch`
counts) and ideas read, min/median/max over RUNS runs. Issue #22 asks the digest to read only what
the week needs; this prints how far it is from that.
"""

from __future__ import annotations

import asyncio
import statistics
from datetime import UTC, datetime, timedelta

from bot.adapters.sharepoint_den import SharePointDenStore
from bot.domain.calendar import DigestWeek, WorkCalendar
from bot.domain.digest import DigestQuery, DigestRules
from tests.integration.test_store_contract import new_idea
from tests.support.fake_graph import FakeGraph
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.large_lists import fill_past_threshold

THRESHOLD = 200
PAST = 1_000
THIS_WEEK = 20
RUNS = 1
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class CountingStore(SharePointDenStore):
    """Counts the ideas the digest's scan parses."""

    read = 0

    async def scan_for_digest(self, since, page_size=2000):
        async for page in super().scan_for_digest(since, page_size):
            CountingStore.read += len(page)
            yield page


async def one_run(graph: FakeGraph) -> dict[str, tuple[int, int, int]]:
    site = await provisioned_site(graph)
    fill_past_threshold(graph, site, threshold=THRESHOLD, extra=PAST - THRESHOLD)
    store = CountingStore(graph_client(graph), site)
    for n in range(THIS_WEEK):
        idea, _ = new_idea(n, created=NOW - timedelta(hours=n + 1))
        await store.add(idea)
    calendar = WorkCalendar.of("America/Toronto")
    week = DigestWeek.so_far(NOW, calendar.tz)
    found = {}
    for label, start in (("since the beginning", None), ("since a challenge start a month ago",
                                                         NOW - timedelta(days=30))):  # fmt: skip
        query = DigestQuery(week=week, now=NOW, calendar=calendar, rules=DigestRules(challenge_start=start))
        graph.reset_counts()
        CountingStore.read = 0
        figures = await store.digest_figures(["dana"], query)
        assert figures["dana"].this_week.new_pitches == THIS_WEEK
        found[label] = (len(graph.requests), graph.all_requests(), CountingStore.read)
    return found


async def main() -> None:
    graph = FakeGraph()
    await graph.start()
    try:
        runs = [await one_run(graph) for _ in range(RUNS)]
    finally:
        await graph.stop()
    print(f"The DMs' digest on SharePoint: {PAST:,} earlier ideas (threshold {THRESHOLD}) and {THIS_WEEK} this week")
    for label in runs[0]:
        for n, what in enumerate(("requests", "billed requests", "ideas read")):
            values = [run[label][n] for run in runs]
            print(f"  {label:<38} {what:<16} min / median / max {min(values)} / "
                  f"{statistics.median(values):.0f} / {max(values)}")


if __name__ == "__main__":
    asyncio.run(main())
