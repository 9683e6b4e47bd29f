"""The Den tab's index on the SharePoint store: the embedded store's index tables (sqlite_tab_index.py)
in a local file each instance keeps, fed from the Ideas list's Graph delta query.

The first sync reads every idea once (in pages); each later one asks only for what changed since the
last delta link, which costs one request when nothing did: at one sync a minute, an idle instance
spends one billed request a minute on it. What this instance writes itself is indexed at once (the
store calls `note`), so a person sees their own change without waiting; other instances' changes
arrive with the next sync. The index is derived data: a lost file is rebuilt by the first sync.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.sites.item.lists.item.items.delta.delta_request_builder import DeltaRequestBuilder

from bot.adapters.graph_client import fresh_headers
from bot.adapters.serialization import idea_from_dict
from bot.adapters.sqlite_tab_index import SqliteTabIndexReads, index_idea, prepare_tab_index
from bot.adapters.sqlite_thread import SqliteThread
from bot.domain.model import Idea

log = logging.getLogger("deputys_den.tab_index")
STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS tab_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tab_items (item_id TEXT PRIMARY KEY, idea_id TEXT NOT NULL);
"""


def _remove(db: sqlite3.Connection, idea_id: str) -> None:
    row = db.execute("SELECT doc FROM tab_ideas WHERE idea_id = ?", (idea_id,)).fetchone()
    if row is None:
        return
    for table, key in (("tab_fts", "rowid"), ("tab_text", "doc"), ("tab_ideas", "doc")):
        db.execute(f"DELETE FROM {table} WHERE {key} = ?", (row[0],))
    db.execute("DELETE FROM tab_audience WHERE idea_id = ?", (idea_id,))


def _save_link(db: sqlite3.Connection, link: str) -> None:
    db.execute("INSERT OR REPLACE INTO tab_state (key, value) VALUES ('delta', ?)", (link,))


class SharePointTabIndex(SqliteTabIndexReads):
    """TabIndex for the SharePoint store. `ideas_items` gives the Ideas list's items request builder."""

    def __init__(self, ideas_items: Callable[[], Any], path: str | Path) -> None:
        self._ideas_items = ideas_items
        self._thread = SqliteThread(str(path), busy_timeout_ms=10_000, schema=STATE_SCHEMA)
        self.requests = 0  # Graph requests this index has made (each one is billed)

    async def open(self) -> None:
        await self._thread.open()
        await self._thread.run(prepare_tab_index)

    async def close(self) -> None:
        await self._thread.close()

    async def note(self, idea: Idea) -> None:
        """An idea this instance just wrote: indexed now rather than at the next sync."""
        await self._thread.write(lambda db: index_idea(db, idea))

    async def sync(self) -> int:
        """Apply what changed on the Ideas list since the last sync; returns how many items it read."""
        link = await self._thread.run(
            lambda db: (db.execute("SELECT value FROM tab_state WHERE key = 'delta'").fetchone() or [None])[0]
        )
        builder = self._ideas_items().delta
        if link:
            builder = builder.with_url(link)
            config = RequestConfiguration(headers=fresh_headers())
        else:
            params = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(expand=["fields($select=Body)"])
            config = RequestConfiguration(query_parameters=params, headers=fresh_headers())
        read = 0
        while True:
            self.requests += 1
            page = await builder.get(request_configuration=config)
            items = list(page.value or []) if page is not None else []
            read += len(items)
            await self._thread.write(lambda db, items=items: self._apply(db, items))
            next_link = page.odata_next_link if page is not None else None
            if not next_link:
                delta = page.odata_delta_link if page is not None else None
                if delta:
                    await self._thread.write(lambda db, link=delta: _save_link(db, link))
                return read
            builder = self._ideas_items().delta.with_url(next_link)
            config = RequestConfiguration(headers=fresh_headers())

    def _apply(self, db: sqlite3.Connection, items: list[Any]) -> None:
        for item in items:
            extra = item.additional_data or {}
            if "deleted" in extra or "@removed" in extra:
                known = db.execute("SELECT idea_id FROM tab_items WHERE item_id = ?", (str(item.id),)).fetchone()
                if known:
                    _remove(db, known[0])
                    db.execute("DELETE FROM tab_items WHERE item_id = ?", (str(item.id),))
                continue
            body = ((item.fields.additional_data if item.fields else None) or {}).get("Body")
            if not body:
                continue
            idea = idea_from_dict(json.loads(body))
            db.execute("INSERT OR REPLACE INTO tab_items (item_id, idea_id) VALUES (?, ?)", (str(item.id), idea.id))
            index_idea(db, idea)
