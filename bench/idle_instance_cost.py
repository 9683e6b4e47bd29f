"""Benchmark: billed SharePoint requests a minute of a whole idle instance, as the app starts it.

The app as bootstrap builds and starts it on the SharePoint store (outbox dispatcher, the Den tab's
index fed by the Ideas list's delta query, the store's maintenance), through the real msgraph-sdk,
against the local Graph server, with nobody using it and the platform's health check (`/healthz`:
a probe write and the outbox backlog) every minute. Time runs SPEED times faster: every interval
the instance keeps (the outbox's idle poll, the tab index's poll, how long a good health write
stands, the dispatcher's poll) is divided by SPEED, so the count per simulated minute is the
count per real minute. Each request inside a `$batch` counts (SharePoint bills them one by one).
Printed beside the yardstick measured in the same run: the same instance with the intervals it
had before (idle poll and tab index every minute, a health write standing two minutes).
Aim (issue #22, and the README): at most 1 billed request a minute. Repeated runs: min/median/max.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.sharepoint_store import HEALTH_WRITE_SECONDS
from bot.bootstrap import bootstrap
from bot.ports import NoSending
from bot.settings import Settings
from tests.integration.test_sharepoint_app import seed_directory
from tests.support.fake_graph import FakeGraph
from tests.support.graph_fixtures import StaticCredential, provisioned_site
from tests.support.people import DANA, SAM, VALID_PITCH

SPEED = 20.0
MINUTES = 12
RUNS = 3
AIM = 1.0
BEFORE = {"sharepoint_idle_poll_seconds": 60.0, "tab_index_poll_seconds": 60.0, "health_write": 120.0}


async def per_minute(graph: FakeGraph, tmp: Path, run: str, *, before: bool) -> float:
    site = await provisioned_site(graph)
    defaults = Settings()
    idle_poll = BEFORE["sharepoint_idle_poll_seconds"] if before else defaults.sharepoint_idle_poll_seconds
    tab_poll = BEFORE["tab_index_poll_seconds"] if before else defaults.tab_index_poll_seconds
    health = BEFORE["health_write"] if before else HEALTH_WRITE_SECONDS
    settings = Settings(store="sharepoint", sharepoint_site=site, graph_base_url=graph.url, directory="entra",
                        organisation="Test Ministry", dm_ids=frozenset({DANA.aad_id}), digest_schedule=False,
                        sharepoint_idle_poll_seconds=idle_poll / SPEED, tab_index_poll_seconds=tab_poll / SPEED,
                        outbox_poll_seconds=defaults.outbox_poll_seconds / SPEED,
                        tab_index_path=str(tmp / f"tab-{run}.sqlite3"), spool_path=str(tmp / f"spool-{run}"))
    den = bootstrap(settings, clock=lambda: datetime.now(UTC), channel=NoSending(),
                    graph_credential=StaticCredential())
    await den.start()
    den.store.health_write_seconds = health / SPEED
    await den.ideas.submit_pitch(submitter_id=SAM.aad_id, submitter_name=SAM.name, form=VALID_PITCH)
    minute = 60 / SPEED
    for _ in range(2):  # warm-up: first look-ups, the tab index's first sync, the pitch's notification
        await den.store.probe_write()
        await den.store.outbox_backlog()
        await asyncio.sleep(minute)
    graph.reset_counts()
    for _ in range(MINUTES):
        await den.store.probe_write()  # what /healthz does
        await den.store.outbox_backlog()
        await asyncio.sleep(minute)
    count = graph.all_requests()
    await den.stop()
    return count / MINUTES


def spread(values: list[float]) -> str:
    return f"{min(values):4.2f} / {statistics.median(values):4.2f} / {max(values):4.2f}"


async def main() -> None:
    graph = FakeGraph()
    await graph.start()
    seed_directory(graph)
    tmp = Path(tempfile.mkdtemp())
    now, before = [], []
    for run in range(RUNS):
        now.append(await per_minute(graph, tmp, f"now-{run}", before=False))
        before.append(await per_minute(graph, tmp, f"before-{run}", before=True))
    await graph.stop()
    print(f"Billed SharePoint requests a minute, an idle instance with /healthz every minute "
          f"(min / median / max of {RUNS} runs of {MINUTES} minutes):")
    print(f"  now                      {spread(now)}   aim <= {AIM:.0f}")
    print(f"  as before (yardstick)    {spread(before)}")


if __name__ == "__main__":
    asyncio.run(main())
