"""Fixtures of the integration tests: the local Graph server, and the stores the Den and pitch-day
contracts run against (each as two store objects on the same records: two app instances)."""

from __future__ import annotations

import pytest

from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sqlite_store import SqliteStore
from tests.support.fake_graph import FakeGraph
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.large_lists import fill_past_threshold
from tests.support.memory_store import MemoryStore


@pytest.fixture
async def fake_graph():
    graph = FakeGraph()
    await graph.start()
    yield graph
    await graph.stop()


@pytest.fixture(params=["sqlite", "sharepoint", "sharepoint-large", "memory"])
async def stores(request, tmp_path, fake_graph):
    """Two store objects on the same records: two app instances ("sharepoint-large": on lists filled
    past a low list view threshold, see tests/support/large_lists.py)."""
    if request.param == "memory":
        shared = MemoryStore()  # the use-case tests' store: one object stands for both instances
        made = [shared, shared]
    elif request.param == "sqlite":
        made = [SqliteStore(tmp_path / "den.sqlite3") for _ in range(2)]
    else:
        site = await provisioned_site(fake_graph)
        if request.param == "sharepoint-large":
            fill_past_threshold(fake_graph, site)
        made = [SharePointDenStore(graph_client(fake_graph), site, page_size=50) for _ in range(2)]
    for store in made:
        await store.open()
    yield made
    for store in made:
        await store.close()


@pytest.fixture
def store(stores):
    """The first instance, for tests that need only one (a module may define its own)."""
    return stores[0]
