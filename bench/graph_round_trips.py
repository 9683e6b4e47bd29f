"""Benchmark: Microsoft Graph round trips per operation on the SharePoint store.

Runs the use cases, built by the app's bootstrap, on the real SharePoint store and Entra ID directory, through the real
msgraph-sdk, against the local Graph server (tests/support/fake_graph.py), and counts the HTTP
requests each operation makes before its answer is ready (notifications, which the outbox
sends afterwards, are not counted). Aim: an approval click at most 2 sequential round trips;
"My ideas" one query per page.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from bot.bootstrap import bootstrap
from bot.domain.model import Outcome
from bot.ports import NoSending
from bot.settings import Settings
from tests.integration.test_sharepoint_app import seed_directory
from tests.support.fake_graph import FakeGraph
from tests.support.graph_fixtures import StaticCredential, provisioned_site
from tests.support.people import DANA, MAYA, SAM, VALID_PITCH


async def main() -> None:
    graph = FakeGraph()
    await graph.start()
    seed_directory(graph)
    site = await provisioned_site(graph)
    settings = Settings(
        store="sharepoint",
        sharepoint_site=site,
        graph_base_url=graph.url,
        graph_page_size=100,
        organisation="Test Ministry",
        directory="entra",
        dm_ids=frozenset({DANA.aad_id}),
        daily_pitch_cap=0,  # (0: no cap) the bench files 120 ideas for one person
    )
    den = bootstrap(settings, clock=lambda: datetime.now(UTC), channel=NoSending(), graph_credential=StaticCredential())
    service = den.ideas  # the use cases alone: notifications are queued, and not sent, here

    def measure(label: str, count: int, note: str = "") -> None:
        print(f"  {label:<44} {count:>3} round trip(s) {note}")

    print("Graph round trips per operation (SharePoint store, Entra ID directory):")
    graph.reset_counts()
    result = await service.submit_pitch(submitter_id=SAM.aad_id, submitter_name=SAM.name, form=VALID_PITCH)
    measure("submit a pitch (cold directory cache)", len(graph.requests), f"{graph.requests_summary()}")

    graph.reset_counts()
    second = {**VALID_PITCH, "title": "A second idea", "problem": f"A second idea: {VALID_PITCH['problem']}"}
    await service.submit_pitch(submitter_id=SAM.aad_id, submitter_name=SAM.name, form=second)
    measure("submit a pitch (directory cached)", len(graph.requests), graph.requests_summary())

    graph.reset_counts()
    started = time.perf_counter()
    decided = await service.decide(
        actor_id=MAYA.aad_id, idea_id=result.idea.id, step_index=0, revision=1, outcome=Outcome.APPROVED, comment=""
    )
    elapsed = (time.perf_counter() - started) * 1000
    assert decided.status.value == "recorded"
    measure("approval click, before the card answers", len(graph.requests), f"{graph.requests_summary()} (aim: <= 2)")
    print(f"  {'':<44} {elapsed:6.1f} ms on loopback")

    for n in range(120):
        await service.submit_pitch(
            submitter_id=SAM.aad_id, submitter_name=SAM.name,
            form={**VALID_PITCH, "title": f"Idea {n}", "problem": f"Idea {n}: {VALID_PITCH['problem']}"},
        )
    graph.reset_counts()
    ideas = await service.my_ideas(SAM.aad_id, limit=1000)
    pages = -(-len(ideas) // 100)
    measure(
        f"'My ideas' for {len(ideas)} ideas, 100 a page", len(graph.requests), f"({pages} pages: one query per page)"
    )
    await graph.stop()


if __name__ == "__main__":
    asyncio.run(main())
