"""Benchmark: what keeping the Den tab's index fresh on SharePoint costs in Graph requests.

The real SharePoint store and the tab's delta-fed index (bot/adapters/sharepoint_tab_index.py),
through the real msgraph-sdk, against the local Graph server, which counts every request. A list
of 2,000 ideas is read once (the first sync, in pages); then the index syncs once a simulated minute
(DEN_TAB_INDEX_POLL_SECONDS' default) for ten idle minutes, then for ten minutes in which another
instance changes five ideas a minute. Printed against the yardstick of the same run: re-reading
the whole list each minute, what an index without the delta query would cost. Three runs.
Aim: idle, at most 1 billed request a minute.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sharepoint_tab_index import SharePointTabIndex
from tests.support.fake_graph import FakeGraph
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.tab_ideas import a_pitch, an_idea

IDEAS = int(os.environ.get("DEN_BENCH_TAB_INDEX_IDEAS", "2000"))  # fewer for a quick look
MINUTES = 10
RUNS = 3


async def one_run() -> tuple[int, float, float, float]:
    fake = FakeGraph()
    await fake.start()
    try:
        store = SharePointDenStore(graph_client(fake), await provisioned_site(fake), page_size=500)
        await store.open()
        for number in range(1, IDEAS + 1):
            await store.add(an_idea(number, a_pitch(f"Idea {number}"), approved=True, shared=True))
        index = SharePointTabIndex(store.ideas_items, Path(tempfile.mkdtemp()) / "tab-index.sqlite3")
        await index.open()
        fake.reset_counts()
        await index.sync()
        first = fake.all_requests()
        fake.reset_counts()
        for _ in range(MINUTES):
            await index.sync()
        idle = fake.all_requests() / MINUTES
        busy_requests = 0
        for minute in range(MINUTES):
            for n in range(5):
                idea = await store.get(an_idea(1 + (minute * 5 + n) % IDEAS, a_pitch("x")).id)
                idea.pitch = a_pitch(f"Changed {minute} {n}")
                await store.update(idea)
            fake.reset_counts()
            await index.sync()
            busy_requests += fake.all_requests()
        fake.reset_counts()
        await store.list_for_digest(None)  # the yardstick: the whole list read once
        rereading = fake.all_requests()
        await index.close()
        await store.close()
        return first, idle, busy_requests / MINUTES, rereading
    finally:
        await fake.stop()


async def main() -> None:
    runs = [await one_run() for _ in range(RUNS)]

    def line(name: str, values: list[float]) -> str:
        return f"{name}: min {min(values):.1f} / median {statistics.median(values):.1f} / max {max(values):.1f}"

    print(line(f"first sync of {IDEAS:,} ideas, requests", [r[0] for r in runs]))
    idle = [r[1] for r in runs]
    print(line("idle, requests a minute", idle) + f" (aim <= 1: {'met' if max(idle) <= 1 else 'NOT met'})")
    print(line("five ideas changed a minute, requests a minute", [r[2] for r in runs]))
    print(line("yardstick: re-reading the list each minute, requests a minute", [r[3] for r in runs]))


if __name__ == "__main__":
    asyncio.run(main())
