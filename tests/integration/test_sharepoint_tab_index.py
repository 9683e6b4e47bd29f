"""The Den tab's index on SharePoint: fed from the Ideas list's delta query. The first sync reads every
idea; later syncs only what changed (one request when nothing did); deletions leave the index; what
the same instance writes is indexed at once."""

from __future__ import annotations

from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sharepoint_tab_index import SharePointTabIndex
from bot.domain.visibility import Viewer
from bot.ports.tab import TabQuery
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.tab_ideas import a_pitch, an_idea

ANYONE = Viewer("7d1e0c55-0f6b-4b5e-9a51-3c2d1e0f9a88")


async def found(index, text: str) -> int:
    return (await index.search_ideas(ANYONE, TabQuery(text=text))).total


async def test_the_delta_query_keeps_the_index_fresh_for_one_request_when_idle(fake_graph, tmp_path):
    store = SharePointDenStore(graph_client(fake_graph), await provisioned_site(fake_graph), page_size=50)
    await store.open()
    index = SharePointTabIndex(store.ideas_items, tmp_path / "tab-index.sqlite3")
    await index.open()
    try:
        for number in range(1, 4):
            await store.add(an_idea(number, a_pitch(f"Counter idea {number}"), approved=True, shared=True))
        assert await index.sync() == 3
        assert await found(index, "counters") == 3

        fake_graph.reset_counts()
        assert await index.sync() == 0
        assert fake_graph.all_requests() == 1  # idle: one billed request per sync

        idea = await store.get(an_idea(2, a_pitch("x")).id)
        idea.pitch = a_pitch("Kiosk idea")
        await store.update(idea)
        assert await index.sync() == 1
        assert await found(index, "counters") == 2 and await found(index, "kiosks") == 1

        idea = await store.get(idea.id)
        idea.shared = False
        await store.update(idea)
        await index.sync()
        assert await found(index, "kiosks") == 0  # consent withdrawn elsewhere: gone at the next sync
    finally:
        await index.close()
        await store.close()


async def test_a_restarted_instance_goes_on_from_its_last_delta_link(fake_graph, tmp_path):
    store = SharePointDenStore(graph_client(fake_graph), await provisioned_site(fake_graph), page_size=50)
    await store.open()
    path = tmp_path / "tab-index.sqlite3"
    index = SharePointTabIndex(store.ideas_items, path)
    await index.open()
    await store.add(an_idea(1, a_pitch("Counter idea"), approved=True, shared=True))
    await index.sync()
    await index.close()
    index = SharePointTabIndex(store.ideas_items, path)
    await index.open()
    try:
        assert await index.sync() == 0  # nothing read again
        assert await found(index, "counter") == 1
    finally:
        await index.close()
        await store.close()
