"""The Den tab's index in SQLite: one row per idea (what a result shows and what filters read), the
people who may see it by need to know, and an FTS5 table of its words' stems (bot/search_text.py).

On the embedded store it lives in the store's own file and is written in the same transaction as
the idea (so a result is never staler than the idea); on SharePoint the same tables sit in a local
file an instance keeps fresh from the ideas list's delta query. `VISIBLE` is bot/domain/visibility.py
in SQL: tests/unit/test_visibility.py holds the two to the same answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.adapters.sqlite_thread import in_transaction
from bot.domain.model import Idea, IdeaStatus
from bot.domain.visibility import Viewer, is_public, need_to_know
from bot.ports.tab import TabFacets, TabHit, TabPage, TabQuery
from bot.search_text import fts_match, index_text, query_terms, stems, words

TAB_SCHEMA = """
CREATE TABLE IF NOT EXISTS tab_ideas (
    doc INTEGER PRIMARY KEY,
    idea_id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    stage TEXT NOT NULL DEFAULT '',
    program_area TEXT NOT NULL,
    branch TEXT NOT NULL,
    challenge_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitter_id TEXT NOT NULL,
    shared INTEGER NOT NULL,
    public INTEGER NOT NULL,
    has_lesson INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tab_ideas_public ON tab_ideas (public, updated_at);
-- The first page (newest first, no words): read in this order, it stops at the 20th visible idea
-- instead of sorting every visible one (bench/tab_search.py: the first page).
CREATE INDEX IF NOT EXISTS tab_ideas_updated ON tab_ideas (updated_at);
CREATE INDEX IF NOT EXISTS tab_ideas_facets ON tab_ideas (public, challenge_id, stage, program_area, branch, year);
CREATE TABLE IF NOT EXISTS tab_text (
    doc INTEGER PRIMARY KEY,
    problem TEXT NOT NULL,
    lessons TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tab_ideas_challenge ON tab_ideas (challenge_id);
CREATE TABLE IF NOT EXISTS tab_audience (
    person_id TEXT NOT NULL,
    idea_id TEXT NOT NULL,
    PRIMARY KEY (person_id, idea_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tab_audience_idea ON tab_audience (idea_id);
CREATE VIRTUAL TABLE IF NOT EXISTS tab_fts USING fts5 (title, body, lessons, tokenize = 'unicode61');
"""
# Each result's row stays narrow (what filters and visibility read); the texts a result shows sit
# apart in tab_text, read only for the page shown.
TAB_TABLES = ("tab_ideas", "tab_audience", "tab_text", "tab_vocab", "tab_fts")

# bot.domain.visibility.may_see, for the row `t` and the named parameters of `viewer_params`.
VISIBLE = """(:viewer <> '' AND (
    (t.public = 1 AND :member = 1)
    OR t.idea_id IN (SELECT a.idea_id FROM tab_audience a WHERE a.person_id = :viewer)
    OR (t.challenge_id <> '' AND (:organiser = 1 OR t.challenge_id IN (SELECT value FROM json_each(:sponsored))))
))"""

_COLUMNS = (
    "t.doc, t.idea_id, t.reference, t.title, t.status, t.stage, t.program_area, t.branch, t.challenge_id,"
    " t.created_at, t.submitter_id, t.shared"
)
_WEIGHTS = "bm25(tab_fts, 8.0, 2.0, 2.0)"  # a word in the title counts four times one in the text


def viewer_params(viewer: Viewer) -> dict[str, Any]:
    return {
        "viewer": viewer.id,
        "member": int(viewer.member),
        "organiser": int(viewer.organiser),
        "sponsored": json.dumps(sorted(viewer.sponsor_of)),
    }


def lesson_of(idea: Idea) -> str:
    """The lesson learned the submitter agreed to show (none yet on ideas without one)."""
    lesson = getattr(idea, "lesson", None)
    return lesson.text if lesson is not None and lesson.shared else ""


def index_idea(db: sqlite3.Connection, idea: Idea, stage: str | None = None) -> None:
    """Write (or rewrite) the idea's row, audience and words. `stage`: its Den stage, when known
    here (else an approved idea is in the pool until a stage write says otherwise)."""
    p = idea.pitch
    lessons = lesson_of(idea)
    default_stage = "pool" if idea.status == IdeaStatus.APPROVED else ""
    doc = db.execute(
        "INSERT INTO tab_ideas (idea_id, reference, title, status, stage, program_area, branch,"
        " challenge_id, year, created_at, updated_at, submitter_id, shared, public, has_lesson)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (idea_id) DO UPDATE SET title = excluded.title,"
        " status = excluded.status, stage = CASE WHEN ? IS NOT NULL THEN excluded.stage"
        " WHEN excluded.status <> 'approved' THEN '' WHEN tab_ideas.stage = '' THEN 'pool' ELSE tab_ideas.stage END,"
        " program_area = excluded.program_area, branch = excluded.branch, challenge_id = excluded.challenge_id,"
        " updated_at = excluded.updated_at, shared = excluded.shared, public = excluded.public,"
        " has_lesson = excluded.has_lesson RETURNING doc",
        (
            idea.id, idea.reference, p.title, idea.status.value, stage or default_stage, p.program_area,
            idea.submitter.branch, idea.challenge, idea.created_at.year, idea.created_at.isoformat(),
            (idea.updated_at or idea.created_at).isoformat(), idea.submitter.id, int(idea.shared),
            int(is_public(idea)), int(bool(lessons)), stage,
        ),
    ).fetchone()[0]
    db.execute("INSERT OR REPLACE INTO tab_text (doc, problem, lessons) VALUES (?, ?, ?)", (doc, p.problem, lessons))
    db.execute("DELETE FROM tab_audience WHERE idea_id = ?", (idea.id,))
    db.executemany(
        "INSERT OR IGNORE INTO tab_audience (person_id, idea_id) VALUES (?, ?)",
        [(person, idea.id) for person in sorted(need_to_know(idea))],
    )
    db.execute("DELETE FROM tab_fts WHERE rowid = ?", (doc,))
    db.execute(
        "INSERT INTO tab_fts (rowid, title, body, lessons) VALUES (?, ?, ?, ?)",
        (doc, index_text(p.title), index_text(f"{p.problem}\n{p.solution}"), index_text(lessons)),
    )


def set_stage(db: sqlite3.Connection, idea_id: str, stage: str) -> None:
    db.execute("UPDATE tab_ideas SET stage = ? WHERE idea_id = ?", (stage, idea_id))


def _filters(query: TabQuery) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for column, value in (
        ("challenge_id", query.challenge),
        ("stage", query.stage),
        ("program_area", query.program_area),
        ("branch", query.branch),
    ):
        if value:
            clauses.append(f"t.{column} = :{column}")
            params[column] = value
    if query.year:
        clauses.append("t.year = :year")
        params["year"] = query.year
    if query.lessons:
        clauses.append("t.has_lesson = 1")
    return "".join(f" AND {c}" for c in clauses), params


def _hits(db: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> list[TabHit]:
    """The page's results, with the texts they show (read for these rows only)."""
    docs = [row[0] for row in rows]
    texts = {
        doc: (problem, lessons)
        for doc, problem, lessons in db.execute(
            f"SELECT doc, problem, lessons FROM tab_text WHERE doc IN ({','.join('?' * len(docs))})", docs
        )
    } if docs else {}
    return [
        TabHit(
            idea_id=row[1], reference=row[2], title=row[3], problem=texts.get(row[0], ("", ""))[0], status=row[4],
            stage=row[5], program_area=row[6], branch=row[7], challenge_id=row[8],
            created_at=datetime.fromisoformat(row[9]), submitter_id=row[10], shared=bool(row[11]),
            lessons=texts.get(row[0], ("", ""))[1],
        )
        for row in rows
    ]


def search(db: sqlite3.Connection, viewer: Viewer, query: TabQuery) -> TabPage:
    """One page of the ideas `viewer` may see that match `query`: ranked when it has words, newest
    first when it has none."""
    where, params = _filters(query)
    params |= viewer_params(viewer) | {"limit": query.page_size, "offset": query.offset}
    groups = query_terms(query.text)
    if query.text.strip() and not groups:
        return TabPage([], 0, query)
    if groups:
        params["match"] = fts_match(groups)
        source = "tab_fts JOIN tab_ideas t ON t.doc = tab_fts.rowid WHERE tab_fts MATCH :match AND "
        order = f"{_WEIGHTS}, t.updated_at DESC"
    else:
        source, order = "tab_ideas t WHERE ", "t.updated_at DESC"
    total = db.execute(f"SELECT count(*) FROM {source}{VISIBLE}{where}", params).fetchone()[0]
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM {source}{VISIBLE}{where} ORDER BY {order} LIMIT :limit OFFSET :offset", params
    ).fetchall()
    return TabPage(_hits(db, rows), total, query)


def facets(db: sqlite3.Connection, viewer: Viewer) -> TabFacets:
    params = viewer_params(viewer)
    rows = db.execute(
        f"SELECT DISTINCT t.challenge_id, t.stage, t.program_area, t.branch, t.year FROM tab_ideas t WHERE {VISIBLE}",
        params,
    ).fetchall()

    def values(i: int) -> list[Any]:
        return sorted({r[i] for r in rows if r[i]})

    return TabFacets(values(0), values(1), values(2), values(3), sorted(values(4), reverse=True))


DISTINCTIVE_STEMS = 8


def distinctive(db: sqlite3.Connection, text: str, most: int = DISTINCTIVE_STEMS) -> list[str]:
    """The stems of `text` that the fewest ideas share (but some do): what makes it like another idea.
    Each stem's count is one look-up in the full-text index."""
    stems = sorted({s for group in query_terms_any(text) for s in group})
    counted = [(db.execute("SELECT count(*) FROM tab_fts WHERE tab_fts MATCH ?", (f'"{s}"',)).fetchone()[0], s)
               for s in stems]
    return [stem for docs, stem in sorted(counted) if docs][:most]


def similar(db: sqlite3.Connection, text: str, exclude_id: str, limit: int) -> list[TabHit]:
    """Public ideas sharing the most of `text`'s distinctive words (any of them: OR), best first."""
    stems = distinctive(db, text)
    if not stems:
        return []
    match = " OR ".join(f'"{s}"' for s in stems)
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM tab_fts JOIN tab_ideas t ON t.doc = tab_fts.rowid"
        f" WHERE tab_fts MATCH ? AND t.public = 1 AND t.idea_id <> ? ORDER BY {_WEIGHTS} LIMIT ?",
        (match, exclude_id, limit),
    ).fetchall()
    return _hits(db, rows)


def query_terms_any(text: str, most: int = 40) -> list[tuple[str, ...]]:
    """The distinctive words of a pitch (longer than three letters), for the similar-ideas query."""
    seen: list[tuple[str, ...]] = []
    for word in words(text):
        if len(word) > 3:
            group = stems(word)
            if group and group not in seen:
                seen.append(group)
        if len(seen) >= most:
            break
    return seen


def prepare_tab_index(db: sqlite3.Connection) -> None:
    """Create the index's tables. The index is derived from the ideas: a file whose index has another
    shape gets a new one (the backfill then fills it in)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(tab_ideas)")}
    if columns and "has_lesson" not in columns:
        for table in TAB_TABLES:
            db.execute(f"DROP TABLE IF EXISTS {table}")
    db.executescript(TAB_SCHEMA)


def missing_ideas(db: sqlite3.Connection, batch: int = 500) -> list[tuple[str, str | None]]:
    """Stored ideas not in the index yet (written before it existed): their bodies and stages."""
    return db.execute(
        "SELECT i.body, s.stage FROM ideas i LEFT JOIN idea_stages s ON s.idea_id = i.id"
        " WHERE i.id NOT IN (SELECT idea_id FROM tab_ideas) LIMIT ?",
        (batch,),
    ).fetchall()


FACETS_KEPT = 512  # viewers whose filter choices an instance keeps, until the index next changes


def data_version(db: sqlite3.Connection) -> tuple[int, int]:
    """Changes to the file since this connection opened: its own writes (total_changes) and other
    connections' commits (data_version), so a kept answer is dropped the moment anything is written."""
    return db.total_changes, db.execute("PRAGMA data_version").fetchone()[0]


class KeptFacets:
    """Each viewer's filter choices as last computed, for as long as the file has not changed."""

    def __init__(self) -> None:
        self._version: tuple[int, int] | None = None
        self._kept: dict[Viewer, TabFacets] = {}

    def get(self, db: sqlite3.Connection, viewer: Viewer) -> TabFacets:
        version = data_version(db)
        if version != self._version:
            self._kept.clear()
            self._version = version
        found = self._kept.get(viewer)
        if found is None:
            found = facets(db, viewer)
            if len(self._kept) >= FACETS_KEPT:
                self._kept.pop(next(iter(self._kept)))  # the oldest
            self._kept[viewer] = found
        return found


class SqliteTabIndexReads:
    """The TabIndex port over a SqliteStore-like `_thread` (reads run on the connection's thread)."""

    _thread: Any

    async def search_ideas(self, viewer: Viewer, query: TabQuery) -> TabPage:
        return await self._thread.run(lambda db: search(db, viewer, query))

    async def tab_facets(self, viewer: Viewer) -> TabFacets:
        """The filter choices a viewer may see: a scan of every idea they may see, so each viewer's
        answer is kept until the file changes (every page of the tab shows them)."""
        return await self._thread.run(lambda db: self._facets_kept(db, viewer))

    def _facets_kept(self, db: sqlite3.Connection, viewer: Viewer) -> TabFacets:
        kept = self.__dict__.get("_kept_facets")
        if kept is None:  # made on first use: the mixin has no constructor of its own
            kept = self._kept_facets = KeptFacets()
        return kept.get(db, viewer)

    async def similar_ideas(self, text: str, *, exclude_id: str = "", limit: int = 3) -> list[TabHit]:
        return await self._thread.run(lambda db: similar(db, text, exclude_id, limit))


def backfill_tab_index(db: sqlite3.Connection, read_idea: Any, batch: int = 500) -> int:
    """Index every stored idea written before the index existed, a batch per transaction."""

    def one_batch(connection: sqlite3.Connection) -> int:
        rows = missing_ideas(connection, batch)
        for body, stage in rows:
            index_idea(connection, read_idea(json.loads(body)), stage)
        return len(rows)

    prepare_tab_index(db)
    done = 0
    while True:
        count = in_transaction(db, one_batch)
        done += count
        if count < batch:
            return done
