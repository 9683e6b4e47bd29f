"""The embedded store's tab index: filled in for ideas written before it existed, and kept in step
with each idea's writes and its Den stage."""

from __future__ import annotations

import sqlite3

from bot.adapters.sqlite_store import SqliteStore
from bot.domain.visibility import Viewer
from bot.ports.tab import TabQuery
from tests.support.tab_ideas import a_pitch, an_idea

ANYONE = Viewer("7d1e0c55-0f6b-4b5e-9a51-3c2d1e0f9a88")


async def test_ideas_written_before_the_index_are_indexed_when_the_store_opens(tmp_path):
    path = tmp_path / "den.sqlite3"
    store = SqliteStore(path)
    await store.open()
    for number in range(1, 8):
        await store.add(an_idea(number, a_pitch(f"Counter idea {number}"), approved=True, shared=True))
    await store.close()
    with sqlite3.connect(path) as db:  # as a file from before the tab would be
        db.execute("DELETE FROM tab_ideas")
        db.execute("DELETE FROM tab_fts")
        db.execute("DELETE FROM tab_audience")
    store = SqliteStore(path)
    await store.open()
    try:
        assert (await store.search_ideas(ANYONE, TabQuery(text="counter"))).total == 7
    finally:
        await store.close()


async def test_an_update_rewrites_the_words_and_the_stage_filter_follows(tmp_path):
    store = SqliteStore(tmp_path / "den.sqlite3")
    await store.open()
    try:
        idea = an_idea(1, a_pitch("Counter idea"), approved=True, shared=True)
        await store.add(idea)
        assert [h.stage for h in (await store.search_ideas(ANYONE, TabQuery(stage="pool"))).hits] == ["pool"]
        idea = await store.get(idea.id)
        idea.pitch = a_pitch("Kiosk idea")
        await store.update(idea)
        assert (await store.search_ideas(ANYONE, TabQuery(text="counter"))).total == 0
        assert (await store.search_ideas(ANYONE, TabQuery(text="kiosks"))).total == 1
    finally:
        await store.close()


async def test_an_index_of_an_older_shape_is_rebuilt_from_the_ideas(tmp_path):
    path = tmp_path / "den.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.add(an_idea(1, a_pitch("Counter idea"), approved=True, shared=True))
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE tab_ideas")
        db.execute("CREATE TABLE tab_ideas (doc INTEGER PRIMARY KEY, idea_id TEXT NOT NULL UNIQUE, problem TEXT)")
    store = SqliteStore(path)
    await store.open()
    try:
        assert (await store.search_ideas(ANYONE, TabQuery(text="counter"))).total == 1
    finally:
        await store.close()


async def test_filter_choices_kept_per_viewer_follow_every_write_on_any_instance(tmp_path):
    """The choices are kept between pages, and dropped the moment the file changes: a write by this
    instance, or by another one on the same file."""
    path = tmp_path / "den.sqlite3"
    first, second = SqliteStore(path), SqliteStore(path)
    await first.open()
    await second.open()
    try:
        await first.add(an_idea(1, a_pitch("Counter idea", area="policy"), approved=True, shared=True))
        assert (await first.tab_facets(ANYONE)).program_areas == ["policy"]
        assert (await first.tab_facets(ANYONE)).program_areas == ["policy"]  # kept: the same answer
        await first.add(an_idea(2, a_pitch("Kiosk idea", area="digital_it"), approved=True, shared=True))
        assert (await first.tab_facets(ANYONE)).program_areas == ["digital_it", "policy"]
        await second.add(an_idea(3, a_pitch("Letters idea", area="client_services"), approved=True, shared=True))
        assert (await first.tab_facets(ANYONE)).program_areas == ["client_services", "digital_it", "policy"]
        assert (await first.tab_facets(Viewer(""))).program_areas == [], "each viewer their own"
    finally:
        await first.close()
        await second.close()


def test_the_newest_first_page_reads_the_ideas_in_order_and_stops(tmp_path):
    """No words: the page walks the ideas newest first and stops at the page's end (no sort of all)."""
    from bot.adapters.sqlite_tab_index import _COLUMNS, TAB_SCHEMA, VISIBLE, viewer_params

    with sqlite3.connect(tmp_path / "plan.sqlite3") as db:
        db.executescript(TAB_SCHEMA)
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT {_COLUMNS} FROM tab_ideas t WHERE {VISIBLE} ORDER BY t.updated_at DESC"
            " LIMIT 20", viewer_params(ANYONE)
        ).fetchall()
    steps = " / ".join(row[3] for row in plan)
    assert "USING INDEX tab_ideas_updated" in steps and "TEMP B-TREE FOR ORDER BY" not in steps, steps
