"""Benchmark: what the outbox costs in Microsoft Graph requests, idle and per notification.

Runs the real outbox dispatcher on the real SharePoint store, through the real msgraph-sdk,
against the local Graph server, and counts every Graph request (each one inside a `$batch`
counted on its own, as SharePoint counts them):
- idle: an instance with nothing to send, for four simulated minutes (the dispatcher's clock runs
  20 times faster than the wall clock; its 5-second poll is kept), answering a health check
  (`/healthz`: a probe write and the outbox backlog) every minute, as Azure App Service does,
  after a first minute of warm-up (first look-ups) that is not counted;
- per delivered notification: approval clicks write notifications (the writes are part of the
  click, not counted here); the outbox's requests from then to having delivered them all
  (claiming, rendering, reading the conversation, marking sent), divided by how many.
Each figure is printed beside the yardstick measured in the same run: the same store set up as
it behaved before (every dispatcher poll asks Graph; rows written unleased, then claimed; no
conversation cache). Aim: idle under 2 a minute per instance; a notification under 3.
Repeated runs: min / median / max.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.adapters.sharepoint_store import SharePointStore
from bot.domain.model import Outcome
from bot.services.ideas import IdeaService
from bot.services.outbox import OutboxDispatcher
from dialogs.notifications import NotificationRenderer
from tests.integration.test_sharepoint_app import seed_directory
from tests.support.fake_graph import FakeGraph
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.people import DANA, DIANE, MAYA, SAM, VALID_PITCH

SPEED = 20.0  # simulated seconds per real second
IDLE_MINUTES = 4
POLL_SECONDS = 5.0  # the dispatcher's poll (DEN_OUTBOX_POLL_SECONDS default), in simulated time
RUNS = 3
CLICKS = 6


class ScaledClock:
    def __init__(self) -> None:
        self.start, self.t0 = datetime.now(UTC), time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.t0) * SPEED)


class CountingChannel:
    """Delivers to nobody, but reads the conversation reference as the Teams channel does."""

    def __init__(self, store: SharePointStore) -> None:
        self.store, self.sent = store, 0

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> None:
        await self.store.get_conversation(recipient_id)
        self.sent += 1


def make_store(client, site: str, *, before: bool) -> SharePointStore:
    if before:
        store = SharePointStore(client, site, idle_poll_seconds=0, conversation_cache_seconds=0)
        store.health_write_seconds = 0  # every health check wrote, and read the backlog
        return store
    return SharePointStore(client, site, idle_poll_seconds=60)


async def idle_per_minute(graph: FakeGraph, site: str, *, before: bool) -> float:
    store = make_store(graph_client(graph), site, before=before)
    clock = ScaledClock()
    dispatcher = OutboxDispatcher(store, CountingChannel(store), NotificationRenderer(store), clock=clock,
                                  poll_seconds=POLL_SECONDS / SPEED)
    if not before:
        store.deliver_own_writes(dispatcher.kick)
    dispatcher.start()
    await store.probe_write()  # a first minute to warm up (first look-ups), not counted
    await store.outbox_backlog()
    await asyncio.sleep(60 / SPEED)
    graph.reset_counts()
    for _ in range(IDLE_MINUTES):
        await store.probe_write()  # the platform's health check, once a minute
        await store.outbox_backlog()
        await asyncio.sleep(60 / SPEED)
    await dispatcher.stop()
    return graph.all_requests() / IDLE_MINUTES


async def per_notification(graph: FakeGraph, site: str, *, before: bool) -> tuple[float, int]:
    client = graph_client(graph)
    store = make_store(client, site, before=before)
    channel = CountingChannel(store)
    dispatcher = OutboxDispatcher(store, channel, NotificationRenderer(store), clock=lambda: datetime.now(UTC),
                                  poll_seconds=POLL_SECONDS)
    if not before:
        store.deliver_own_writes(dispatcher.kick)
    service = IdeaService(store, GraphDirectory(client, RoleRules.parse(dm_ids=frozenset({DANA.aad_id}))),
                          clock=lambda: datetime.now(UTC), on_outbox=dispatcher.kick)
    for person in (SAM, MAYA, DIANE):
        from bot.ports import ConversationRecord

        await store.save_conversation(ConversationRecord(person.aad_id, person.name, f"a:{person.aad_id}",
                                                         "https://smba.example", "t", "msteams", "28:bot", "Den",
                                                         f"29:{person.aad_id}"))
    ideas = []
    for n in range(CLICKS):
        result = await service.submit_pitch(submitter_id=SAM.aad_id, submitter_name=SAM.name,
                                            form={**VALID_PITCH, "title": f"Idea {n}",
                                                  "problem": f"Idea {n}: {VALID_PITCH['problem']}"})
        ideas.append(result.idea)
    dispatcher.start()
    await _until(lambda: all_sent(graph, site, CLICKS))
    await dispatcher.stop()
    sent_before = channel.sent
    for idea in ideas:  # the clicks write 2 notifications each (the next approver, the submitter)
        await service.decide(actor_id=MAYA.aad_id, idea_id=idea.id, step_index=0, revision=1,
                             outcome=Outcome.APPROVED, comment="")
    graph.reset_counts()  # from here on, only the outbox's own requests
    dispatcher.start()
    dispatcher.kick()
    await _until(lambda: all_sent(graph, site, 3 * CLICKS))
    await dispatcher.stop()
    delivered = channel.sent - sent_before
    return graph.all_requests() / delivered, delivered


def all_sent(graph: FakeGraph, site: str, count: int) -> bool:
    """Every outbox row delivered and marked sent (not merely handed to the channel)."""
    box = next(sp for sp in graph.sites[site].values() if sp.name == "DenOutbox")
    return len(box.items) == count and all(i.fields.get("State") == "sent" for i in box.items.values())


async def _until(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the outbox did not deliver in time")
        await asyncio.sleep(0.01)


def spread(values: list[float]) -> str:
    return f"{min(values):5.1f} / {statistics.median(values):5.1f} / {max(values):5.1f}"


async def main() -> None:
    graph = FakeGraph()
    await graph.start()
    seed_directory(graph)
    figures: dict[str, list[float]] = {k: [] for k in ("idle now", "idle before", "note now", "note before")}
    for _ in range(RUNS):  # each measurement on a fresh site: nothing left over from another
        figures["idle now"].append(await idle_per_minute(graph, await provisioned_site(graph), before=False))
        figures["idle before"].append(await idle_per_minute(graph, await provisioned_site(graph), before=True))
        now, _ = await per_notification(graph, await provisioned_site(graph), before=False)
        before, _ = await per_notification(graph, await provisioned_site(graph), before=True)
        figures["note now"].append(now)
        figures["note before"].append(before)
    await graph.stop()
    print(f"Graph requests made by the outbox (SharePoint store), min / median / max of {RUNS} runs:")
    print(f"  {'':<38}{'now':>21}   {'as before (yardstick)':>21}")
    print(f"  {'idle instance (with /healthz), a minute':<38}{spread(figures['idle now']):>21}   "
          f"{spread(figures['idle before']):>21}   aim < 2")
    print(f"  {'per delivered notification':<38}{spread(figures['note now']):>21}   "
          f"{spread(figures['note before']):>21}   aim < 3")
    ratio = statistics.median(figures["idle before"]) / max(statistics.median(figures["idle now"]), 0.01)
    print(f"  idle: {ratio:.0f}x fewer requests; a notification: "
          f"{statistics.median(figures['note before']) / statistics.median(figures['note now']):.1f}x fewer")


if __name__ == "__main__":
    asyncio.run(main())
