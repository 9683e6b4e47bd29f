"""The instances' heartbeats, on every store: each beat declares a share decided from the others' last
beats, and returns them all; leaving frees the share. On SharePoint a beat is one Graph request."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.budget import after_answer, next_share
from tests.integration.test_store_contract import T0
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.memory_store import MemoryStore

BUDGET = 50.0


@pytest.fixture(params=["sqlite", "sharepoint", "memory"])
async def two_stores(request, tmp_path, fake_graph):
    """Two instances' views of one store (two connections; two SharePoint stores on one site)."""
    if request.param == "sqlite":
        made = [SqliteStore(tmp_path / "den.sqlite3"), SqliteStore(tmp_path / "den.sqlite3")]
    elif request.param == "memory":
        shared = MemoryStore()
        made = [shared, shared]
    else:
        site = await provisioned_site(fake_graph)
        made = [SharePointDenStore(graph_client(fake_graph), site), SharePointDenStore(graph_client(fake_graph), site)]
    for store in made:
        await store.open()
    yield made
    for store in made:
        await store.close()


def deciding(current: float):
    return lambda others: next_share(BUDGET, current, others)


async def beat(store, instance_id: str, at, current: float) -> tuple[float, list]:
    """A beat as the app takes it: the share declared, lowered at once if the answer shows more instances."""
    declared, beats = await store.heartbeat(instance_id, at, deciding(current))
    return after_answer(BUDGET, declared, [b for b in beats if b.instance_id != instance_id]), beats


async def test_beats_share_the_budget_and_leaving_frees_a_share(two_stores):
    first, second = two_stores
    share_a, beats = await beat(first, "a", T0, 0.0)
    assert share_a == BUDGET and [(b.instance_id, b.share) for b in beats] == [("a", BUDGET)]
    share_b, beats = await beat(second, "b", T0 + timedelta(seconds=1), 0.0)
    assert share_b == 0.0, "a newcomer takes only what is free: nothing, until 'a' lowers its share"
    assert sorted((b.instance_id, b.share) for b in beats) == [("a", BUDGET), ("b", 0.0)]
    share_a, beats = await beat(first, "a", T0 + timedelta(seconds=2), share_a)
    assert share_a == BUDGET / 2, "'a' sees 'b' and lowers at once"
    share_a, beats = await beat(first, "a", T0 + timedelta(seconds=3), share_a)  # declared (SharePoint: now)
    share_b, _ = await beat(second, "b", T0 + timedelta(seconds=4), share_b)
    share_b, _ = await beat(second, "b", T0 + timedelta(seconds=5), share_b)
    assert share_b == BUDGET / 2, "'b' takes what 'a' left"
    await second.leave("b")
    share_a, beats = await beat(first, "a", T0 + timedelta(seconds=6), share_a)
    share_a, beats = await beat(first, "a", T0 + timedelta(seconds=7), share_a)
    assert share_a == BUDGET and [b.instance_id for b in beats] == ["a"], "'b' left: 'a' has it all again"


async def test_on_sharepoint_a_beat_is_one_graph_request(fake_graph):
    site = await provisioned_site(fake_graph)
    store = SharePointDenStore(graph_client(fake_graph), site)
    await store.open()
    try:
        share = 0.0
        share, _ = await store.heartbeat("a", T0, deciding(share))  # the first claims a slot: read, then write
        fake_graph.reset_counts()
        for n in range(1, 6):
            share, beats = await store.heartbeat("a", T0 + timedelta(minutes=n), deciding(share))
        assert fake_graph.all_requests() == 5 and share == BUDGET
        assert beats[0].seen_at == T0 + timedelta(minutes=5)
    finally:
        await store.close()


async def test_on_sharepoint_two_instances_claiming_at_once_take_different_slots(fake_graph):
    site = await provisioned_site(fake_graph)
    stores = [SharePointDenStore(graph_client(fake_graph), site) for _ in range(3)]
    for store in stores:
        await store.open()
    try:
        await asyncio.gather(*(s.heartbeat(f"i{n}", T0, deciding(0.0)) for n, s in enumerate(stores)))
        _, beats = await stores[0].heartbeat("i0", T0 + timedelta(seconds=1), deciding(0.0))
        assert sorted(b.instance_id for b in beats) == ["i0", "i1", "i2"]
        assert sum(b.share for b in beats) <= BUDGET
    finally:
        for store in stores:
            await store.close()
