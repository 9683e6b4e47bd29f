"""The language choice on SharePoint (list DenPreferences): kept in the list, read once per cache time at most.

Every turn and every notification asks for its reader's language, so each instance keeps the answer
as long as conversation references; a choice is written to the list at once, so another instance (or
a restart) reads it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.sharepoint_store import SharePointStore
from tests.support.graph_fixtures import graph_client, provisioned_site

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


async def test_a_choice_is_written_to_the_list_and_read_from_it_once_per_cache_time(fake_graph):
    site = await provisioned_site(fake_graph)
    one = SharePointStore(graph_client(fake_graph), site)
    other = SharePointStore(graph_client(fake_graph), site)  # a second app instance, or after a restart
    await one.open()
    await other.open()
    try:
        await one.set_language("sam", "fr", T0)
        fake_graph.reset_counts()

        assert await other.get_language("sam") == "fr", "read from the list, not from the writer's memory"
        assert await other.get_language("nobody") is None
        asked = fake_graph.count()
        assert asked == 2
        for _ in range(5):
            assert await other.get_language("sam") == "fr" and await other.get_language("nobody") is None
        assert fake_graph.count() == asked, "answered from the instance's memory"

        await other.set_language("sam", "en", T0)
        assert await other.get_language("sam") == "en", "the instance that wrote it knows at once"
    finally:
        await one.close()
        await other.close()
