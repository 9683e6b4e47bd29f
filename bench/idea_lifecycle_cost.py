"""Benchmark: billed SharePoint requests for one idea's whole approval, notifications included.

The app as bootstrap builds it on the SharePoint store and the Entra ID directory, through the real
msgraph-sdk, against the local Graph server: Sam pitches, Maya, Diane and Amir approve (three
decisions), and the outbox delivers every notification the four actions queued (to a channel that
reads the conversation reference as the Teams channel does, and delivers to nobody). Every Graph
request is counted as SharePoint bills it: each request inside a `$batch` is one. Printed with the
breakdown by request, warm (directory and conversations cached by an earlier idea) and cold.
Aim (issue #22): at most 20 billed requests warm (39 when it was filed). The ceiling reached so far
is held by tests/integration/test_billed_requests.py.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.bootstrap import bootstrap
from bot.domain.model import Outcome
from bot.ports import ConversationRecord
from bot.settings import Settings
from tests.integration.test_sharepoint_app import seed_directory
from tests.support.fake_graph import FakeGraph
from tests.support.graph_fixtures import StaticCredential, provisioned_site
from tests.support.people import AMIR, DANA, DIANE, MAYA, SAM, VALID_PITCH

RUNS = 3
AIM = 20


class NobodyChannel:
    """Delivers to nobody, reading the conversation reference first as the Teams channel does."""

    def __init__(self) -> None:
        self.store: Any = None
        self.sent = 0

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> None:
        await self.store.get_conversation(recipient_id)
        self.sent += 1

    def __getattr__(self, name: str):  # channel posts and updates: none in this walk
        raise AttributeError(name)


def _label(method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    if "lists" in parts:
        name = parts[parts.index("lists") + 1]
        tail = "fields" if parts[-1] == "fields" else ("item" if parts[-1] != "items" else "query/create")
        return f"{method} {name} {tail}"
    return f"{method} {'/'.join(p for p in parts[:1] + parts[2:3])}"


async def one_idea(graph: FakeGraph, den, channel: NobodyChannel, title: str) -> tuple[int, Counter]:
    graph.reset_counts()
    result = await den.ideas.submit_pitch(submitter_id=SAM.aad_id, submitter_name=SAM.name,
                                          form={**VALID_PITCH, "title": title,
                                                "problem": f"{title}: {VALID_PITCH['problem']}"})
    assert result.idea is not None, result
    idea = result.idea
    for step, approver in enumerate((MAYA, DIANE, AMIR)):
        await _delivered(graph, den)
        await den.ideas.decide(actor_id=approver.aad_id, idea_id=idea.id, step_index=step, revision=1,
                               outcome=Outcome.APPROVED, comment="")
    await _delivered(graph, den)
    labels = Counter(_label(m, p) for m, p in graph.requests if p != "/$batch")
    labels.update(_label(m, p) for m, p in graph.inner_requests)
    return graph.all_requests(), labels


async def _delivered(graph: FakeGraph, den, seconds: float = 20.0) -> None:
    """Until every outbox row is delivered and marked sent (read from the server's state: asking the
    store would add requests of its own)."""
    deadline = time.monotonic() + seconds
    den.dispatcher.kick()
    site = den.store.site_id
    box = next(sp for sp in graph.sites[site].values() if sp.name == "DenOutbox")
    while time.monotonic() < deadline:
        if all(i.fields.get("State") == "sent" for i in box.items.values()) and not den.dispatcher.in_flight:
            await asyncio.sleep(0.2)  # anything the last send still records
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("the outbox did not deliver in time")


async def started_den(graph: FakeGraph, folder: str, run: int):
    """The app as bootstrap builds it on a freshly provisioned site, started (it delivers what it
    writes), with the four people's conversations stored."""
    site = await provisioned_site(graph)
    settings = Settings(store="sharepoint", sharepoint_site=site, graph_base_url=graph.url, directory="entra",
                        organisation="Test Ministry", dm_ids=DANA.aad_id, digest_schedule=False,
                        outbox_poll_seconds=0.05, tab_index_poll_seconds=3600,  # the tab's delta: idle cost
                        tab_index_path=str(Path(folder) / f"tab-{run}.sqlite3"),
                        spool_path=str(Path(folder) / "spool"))
    channel = NobodyChannel()
    den = bootstrap(settings, clock=lambda: datetime.now(UTC), channel=channel, graph_credential=StaticCredential())
    channel.store = den.store
    await den.start()  # as the app starts: this instance delivers what it writes
    for person in (SAM, MAYA, DIANE, AMIR):
        await den.store.save_conversation(ConversationRecord(
            person.aad_id, person.name, f"a:{person.aad_id}", "https://smba.example", "t", "msteams", "28:bot",
            "Den", f"29:{person.aad_id}"))
    return den, channel


async def main() -> None:
    graph = FakeGraph()
    await graph.start()
    seed_directory(graph)
    warm, cold, breakdown = [], [], Counter()
    tmp = tempfile.mkdtemp()
    for run in range(RUNS):
        den, channel = await started_den(graph, tmp, run)
        count, _ = await one_idea(graph, den, channel, f"Cold idea {run}")
        cold.append(count)
        count, labels = await one_idea(graph, den, channel, f"Warm idea {run}")
        warm.append(count)
        breakdown = labels
        await den.stop()
    await graph.stop()
    print("Billed SharePoint requests: one idea, pitch + 3 approvals + every notification delivered")
    print(f"  warm (directory cached)   min / median / max {min(warm)} / {statistics.median(warm):.0f} / {max(warm)}"
          f"   aim <= {AIM}")
    print(f"  cold (first idea)         min / median / max {min(cold)} / {statistics.median(cold):.0f} / {max(cold)}")
    print("  warm, by request:")
    for label, n in breakdown.most_common():
        print(f"    {n:>3}  {label}")


if __name__ == "__main__":
    asyncio.run(main())
