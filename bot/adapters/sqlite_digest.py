"""The weekly digest, aggregated in SQLite: counts, medians and the few ideas each digest shows.

What the digest reads of an idea is kept in columns of `ideas` and `decisions` (written with every
change of the idea, from the same projection the digest's reference reads: `digest_idea_from_dict`),
and the people in each idea's line of management in `idea_lines` (so "this DM's ideas" is an index
range). One read transaction then answers every DM at once in a handful of statements, whatever
the number of ideas: counts and totals by GROUP BY, the lists by window functions (ROW_NUMBER ...
<= limit), the time each level took as a histogram of business days; Python parses only the ideas
the digests list.

Business days need the ministry's calendar, which is configuration, not data: local dates come
from the time zone's UTC offsets (a CASE over its transitions, most recent first, generated from
the `WorkCalendar` for each run), and each local day's business-day number from the reference's
own `BusinessDays`, in a temporary table of the days the data spans. `DigestAccumulator`
(bot/domain/digest.py) is the reference these queries are tested against, on the same data
(tests/integration/test_digest_aggregation.py).

Existing files migrate on open: missing columns are added and every row without them is filled in
from its stored body, a batch per transaction (`add_digest_columns`, `backfill_digest_columns`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from bot.adapters.serialization import DIGEST_UNREAD_PATHS, digest_idea_from_dict
from bot.domain.digest import BusinessDays, DigestFigures, DigestQuery
from bot.domain.model import Role
from bot.domain.stage import SHORTLISTED_OR_BEYOND

IDEA_COLUMNS = (
    ("created_ts", "REAL"),  # epoch seconds, as Python's datetime.timestamp() gives them
    ("since_ts", "REAL"),  # status_since, NULL when unset
    ("submitter_branch", "TEXT"),
    ("program_area", "TEXT"),
    ("shortlisted", "INTEGER"),
    ("chain_length", "INTEGER"),
    ("holder_role", "TEXT"),  # the current step's level while in review, else NULL
)
DECISION_COLUMNS = (
    ("decided_ts", "REAL"),
    ("requested_ts", "REAL"),
    ("role", "TEXT"),  # the level of the step decided, in the idea's chain as it stands
)
IDEA_COLUMN_NAMES = tuple(name for name, _ in IDEA_COLUMNS)

DIGEST_TABLES = """
CREATE TABLE IF NOT EXISTS idea_lines (
    person_id TEXT NOT NULL,
    idea_id TEXT NOT NULL,
    PRIMARY KEY (person_id, idea_id)
) WITHOUT ROWID;
"""

# After the columns exist. The first holds everything the digest reads of an idea, keyed by id
# (joined from idea_lines), so the aggregation never reads the wide rows with their bodies.
DIGEST_INDEXES = """
CREATE INDEX IF NOT EXISTS ideas_digest ON ideas (id, created_ts, since_ts, status, submitter_id,
    submitter_branch, program_area, shortlisted, chain_length, holder_role, updated_at);
CREATE INDEX IF NOT EXISTS ideas_created ON ideas (created_ts);
CREATE INDEX IF NOT EXISTS decisions_digest ON decisions (idea_id, decided_ts, requested_ts, role, outcome,
    step_index);
"""

DECISIONS_UPSERT = (
    "INSERT INTO decisions (idea_id, revision, step_index, approver_id, outcome, decided_at,"
    " decided_ts, requested_ts, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    # The key makes "one decision per step per revision" a storage guarantee; only what the digest
    # derives from the idea as it stands (the level of the step, in a re-routed chain) is refreshed.
    " ON CONFLICT (idea_id, revision, step_index) DO UPDATE SET decided_ts = excluded.decided_ts,"
    " requested_ts = excluded.requested_ts, role = excluded.role"
    " WHERE decisions.role IS NOT excluded.role OR decisions.decided_ts IS NOT excluded.decided_ts"
    " OR decisions.requested_ts IS NOT excluded.requested_ts"
)
LINES_INSERT = "INSERT OR IGNORE INTO idea_lines (person_id, idea_id) VALUES (?, ?)"
_STAGES_SHORTLISTED = ", ".join(f"'{stage.value}'" for stage in sorted(SHORTLISTED_OR_BEYOND))


def shortlisted_sql(idea: str) -> str:
    """True when the idea (`idea` is its alias) is shortlisted: the old flag on the idea, or its
    challenge stage (bot/adapters/sqlite_den.py) at shortlisted or beyond; a lookup by primary key."""
    return (
        f"({idea}.shortlisted OR EXISTS (SELECT 1 FROM idea_stages st"
        f" WHERE st.idea_id = {idea}.id AND st.stage IN ({_STAGES_SHORTLISTED})))"
    )


_TRIMMED_BODY = "json_remove(i.body, " + ", ".join(f"'{p}'" for p in DIGEST_UNREAD_PATHS) + ")"
IDEA_COLUMNS_UPDATE = "UPDATE ideas SET " + ", ".join(f"{n} = ?" for n in IDEA_COLUMN_NAMES) + " WHERE id = ?"


# ---- writing: the columns of one idea, from its stored shape ---------------------------------
def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


@dataclass(frozen=True)
class DigestRows:
    """What the digest keeps of one idea besides its body: its columns of `ideas` (IDEA_COLUMNS
    order), its rows for DECISIONS_UPSERT and for LINES_INSERT."""

    idea: tuple
    decisions: list[tuple]
    lines: list[tuple]


def digest_rows(data: dict[str, Any]) -> DigestRows:
    """From the idea's stored dict, through the projection the reference reads (one projection)."""
    idea = digest_idea_from_dict(data)
    return DigestRows(
        idea=(
            idea.created_at.timestamp(),
            _ts(idea.status_since),
            idea.submitter_branch,
            idea.program_area,
            int(idea.shortlisted),
            idea.chain_length,
            idea.holder_role.value if idea.holder_role is not None else None,
        ),
        decisions=[
            (
                idea.id,
                d["revision"],
                d["stepIndex"],
                d["approverId"],
                d["outcome"],
                d["decidedAt"],
                p.decided_at.timestamp(),
                _ts(p.requested_at),
                p.role.value,
            )
            for d, p in zip(data["decisions"], idea.decisions, strict=True)
        ],
        lines=[(person_id, idea.id) for person_id in dict.fromkeys(idea.line_ids)],
    )


# ---- migrating a file written before these columns ----------------------------------------
def add_digest_columns(connection: sqlite3.Connection) -> None:
    """ALTER TABLE ... ADD COLUMN for each digest column a table lacks, then the digest's tables and
    indexes; in one write transaction, so two instances starting together do not both add them."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for table, columns in (("ideas", IDEA_COLUMNS), ("decisions", DECISION_COLUMNS)):
            present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns:
                if name not in present:
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        for statement in (DIGEST_TABLES + DIGEST_INDEXES).split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def backfill_digest_columns(connection: sqlite3.Connection, batch: int = 2000) -> int:
    """Fill in the digest's columns (and lines, and decisions' columns) of every idea written
    without them, from its stored body; a batch per write transaction, so other instances wait
    at most one batch. Returns how many ideas were filled in. Safe to run twice, or concurrently."""
    filled = 0
    while True:
        connection.execute("BEGIN IMMEDIATE")
        try:
            rows = connection.execute(
                f"SELECT id, {_TRIMMED_BODY} FROM ideas i WHERE created_ts IS NULL LIMIT ?", (batch,)
            ).fetchall()
            found = [(idea_id, digest_rows(json.loads(body))) for idea_id, body in rows]
            connection.executemany(IDEA_COLUMNS_UPDATE, [(*r.idea, idea_id) for idea_id, r in found])
            connection.executemany(DECISIONS_UPSERT, [d for _, r in found for d in r.decisions])
            connection.executemany(LINES_INSERT, [line for _, r in found for line in r.lines])
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        filled += len(rows)
        if len(rows) < batch:
            return filled


# ---- the calendar: local dates in SQL, business-day numbers from Python ----------------------
_EPOCH = date(1970, 1, 1)
_FIRST = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())


@lru_cache(maxsize=16)
def _offsets(tz: ZoneInfo, until_year: int) -> tuple[tuple[int, int], ...]:
    """(from this second on, the UTC offset in seconds) for the zone, from 2000 to `until_year`."""

    def offset(t: int) -> int:
        return int(datetime.fromtimestamp(t, tz).utcoffset().total_seconds())

    found = [(_FIRST, offset(_FIRST))]
    end = int(datetime(until_year + 1, 1, 1, tzinfo=UTC).timestamp())
    t = _FIRST
    while t < end:
        step = min(t + 86400, end)
        if offset(step) != found[-1][1]:
            low, high = t, step  # offset(low) is the old one, offset(high) the new one
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == found[-1][1] else (low, middle)
            found.append((high, offset(high)))
        t = step
    return tuple(found)


def local_day_sql(tz: ZoneInfo, column: str, until: datetime) -> str:
    """The local date of an epoch-seconds column, as days since 1970-01-01: its UTC offset is a
    CASE over the zone's transitions, the most recent first (where the data is)."""
    t = f"CAST({column} AS INTEGER)"
    offsets = _offsets(tz, until.year + 2)
    offset = str(offsets[0][1])
    if len(offsets) > 1:
        branches = " ".join(f"WHEN {t} >= {start} THEN {value}" for start, value in reversed(offsets[1:]))
        offset = f"CASE {branches} ELSE {offsets[0][1]} END"
    return f"(({t} + {offset}) / 86400)"


def _day_of(moment: datetime, tz: ZoneInfo) -> int:
    return (moment.astimezone(tz).date() - _EPOCH).days


# ---- reading: every DM's figures in one read transaction ---------------------------------------
_SCOPE_COLUMNS = (
    "i.rowid AS seq, i.id, i.submitter_id, i.status, i.created_ts, i.since_ts, i.submitter_branch,"
    f" i.program_area, {shortlisted_sql('i')} AS shortlisted, i.chain_length, i.holder_role"
)


def digest_figures(
    connection: sqlite3.Connection, dm_ids: Sequence[str], query: DigestQuery
) -> dict[str, DigestFigures]:
    """Each DM's figures, as DigestScope builds them from the store's scan (in rowid order).

    Two temporary tables: the business-day number of each local day the data spans (computed by
    the reference's own `BusinessDays`), and the scope (one row per DM and idea, narrow).
    """
    rules, week, tz = query.rules, query.week, query.calendar.tz
    until = max(query.now, week.end)
    day = partial(local_day_sql, tz, until=until)
    params: dict[str, Any] = {
        "dms": json.dumps(list(dm_ids)),
        "ws": week.start.timestamp(),
        "we": week.end.timestamp(),
        "st": rules.challenge_start.timestamp() if rules.challenge_start else -1e300,
        "since_text": rules.challenge_start.isoformat() if rules.challenge_start else "",
        "stall": rules.stall_after_business_days,
        "list_limit": rules.list_limit,
        "recent_limit": rules.recent_limit,
    }
    since_day = day("coalesce(i.since_ts, i.created_ts)")
    # Waiting more business days than the rules allow (the reference's DigestRow.waiting_days).
    stalled = (
        "CASE WHEN i.status = 'in_review' AND i.holder_role IS NOT NULL THEN"
        # A day past the table's end is after now: no wait yet.
        f" max(0, :n_now - coalesce((SELECT number FROM temp.digest_days WHERE day = {since_day}), :n_now)) > :stall"
        " ELSE 0 END"
    )
    columns = f"{stalled} AS stalled, {_SCOPE_COLUMNS}"
    # What the store's scan leaves out when a challenge start is set (the same condition, as text).
    touched = " AND (i.status = 'in_review' OR i.updated_at >= :since_text)" if rules.challenge_start else ""
    if rules.whole_ministry:
        scope = f"SELECT '' AS dm, {columns} FROM ideas i INDEXED BY ideas_digest WHERE 1{touched}"
    else:
        scope = (
            f"SELECT l.person_id AS dm, {columns}"
            " FROM idea_lines l JOIN ideas i INDEXED BY ideas_digest ON i.id = l.idea_id"
            f" WHERE l.person_id IN (SELECT value FROM json_each(:dms)){touched}"
        )
    found: dict[str, DigestFigures] = {}

    def figures_of(dm: str) -> DigestFigures:
        return found.setdefault(dm, DigestFigures())

    connection.execute("BEGIN")  # one snapshot for every statement
    try:
        (earliest,) = connection.execute("SELECT min(created_ts) FROM ideas").fetchone()
        days = BusinessDays(query.calendar)
        today = _day_of(query.now, tz)
        last = max(_day_of(until, tz), today) + 1
        # From the first idea's day (nothing is asked for or decided before it); an empty store: today.
        first = min(_day_of(datetime.fromtimestamp(earliest, UTC), tz) - 1 if earliest is not None else today, today)
        numbers = {d: days.day_number(_EPOCH + timedelta(days=d)) for d in range(first, last + 1)}
        params["n_now"] = numbers[today]
        connection.execute("CREATE TEMP TABLE digest_days (day INTEGER PRIMARY KEY, number INTEGER NOT NULL)")
        connection.execute("INSERT INTO temp.digest_days SELECT key, value FROM json_each(?)", (json.dumps(numbers),))
        connection.execute(f"CREATE TEMP TABLE digest_scope AS {scope}", params)
        _counts(connection, params, figures_of)
        _decisions(connection, day, params, figures_of)
        _lists(connection, params, figures_of)
        _participation(connection, params, figures_of)
    finally:
        connection.execute("DROP TABLE IF EXISTS temp.digest_scope")
        connection.execute("DROP TABLE IF EXISTS temp.digest_days")
        connection.execute("COMMIT")
    if rules.whole_ministry:
        shared = found.get("") or DigestFigures()
        return {dm_id: shared for dm_id in dm_ids}
    return {dm_id: found.get(dm_id) or DigestFigures() for dm_id in dm_ids}


def _counts(connection, params: dict, figures_of) -> None:
    in_week = "created_ts >= :ws AND created_ts < :we"
    so_far = "created_ts >= :st AND created_ts < :we"
    sql = f"""
        SELECT dm,
            count(CASE WHEN {in_week} THEN 1 END),
            count(DISTINCT CASE WHEN {in_week} THEN submitter_id END),
            count(CASE WHEN {so_far} THEN 1 END),
            count(DISTINCT CASE WHEN {so_far} THEN submitter_id END),
            count(CASE WHEN status = 'approved' AND since_ts >= :st AND since_ts < :we THEN 1 END),
            count(CASE WHEN status = 'in_review' THEN 1 END),
            count(CASE WHEN stalled THEN 1 END)
        FROM temp.digest_scope GROUP BY dm"""
    for dm, week_new, week_staff, new, staff, approved, open_, stalled in connection.execute(sql, params):
        figures = figures_of(dm)
        figures.this_week.new_pitches, figures.this_week.staff_pitched = week_new, week_staff
        figures.so_far.new_pitches, figures.so_far.staff_pitched = new, staff
        figures.approved_total = approved
        figures.stalled_total, figures.waiting_total = stalled, open_ - stalled


def _decisions(connection, day, params: dict, figures_of) -> None:
    """Decisions by outcome (and at the last step) in the week and so far, and each level's
    business days from request to decision, in one pass: a row per DM, level and number of days
    (grouping by fewer keys is what keeps SQLite's sort of every decision cheap)."""
    tallies = []
    for when in ("1", "d.decided_ts >= :ws"):
        tallies += [
            f"count(CASE WHEN {when} AND d.outcome = 'approved' THEN 1 END)",
            f"count(CASE WHEN {when} AND d.outcome = 'approved' AND d.step_index = s.chain_length - 1 THEN 1 END)",
            f"count(CASE WHEN {when} AND d.outcome = 'returned' THEN 1 END)",
            f"count(CASE WHEN {when} AND d.outcome NOT IN ('approved', 'returned') THEN 1 END)",
        ]
    sql = f"""
        SELECT s.dm, d.role, max(0, answered.number - asked.number), count(*), {", ".join(tallies)}
        FROM temp.digest_scope s JOIN decisions d INDEXED BY decisions_digest ON d.idea_id = s.id
        LEFT JOIN temp.digest_days asked ON asked.day = {day("d.requested_ts")}
        LEFT JOIN temp.digest_days answered ON answered.day = {day("d.decided_ts")}
        WHERE d.decided_ts >= :st AND d.decided_ts < :we
        GROUP BY 1, 2, 3"""
    for dm, role, days, count, *tally in connection.execute(sql, params):
        figures = figures_of(dm)
        for counts, (approved, final, returned, rejected) in (
            (figures.so_far, tally[:4]),
            (figures.this_week, tally[4:]),
        ):
            counts.approved += approved
            counts.approved_for_den += final
            counts.returned += returned
            counts.rejected += rejected
        if days is not None:  # asked for at a known moment
            figures.timings.setdefault(Role(role), Counter())[days] += count


def _lists(connection, params: dict, figures_of) -> None:
    sql = f"""
        WITH ranked AS (
            SELECT dm, 'recent' AS list, seq, shortlisted, :recent_limit AS keep,
                row_number() OVER (PARTITION BY dm ORDER BY created_ts DESC, seq DESC) AS rank
            FROM temp.digest_scope WHERE created_ts >= :ws AND created_ts < :we
            UNION ALL
            SELECT dm, 'approved', seq, shortlisted, :list_limit,
                row_number() OVER (PARTITION BY dm ORDER BY shortlisted, since_ts DESC, seq)
            FROM temp.digest_scope WHERE status = 'approved' AND since_ts >= :st AND since_ts < :we
            UNION ALL
            SELECT dm, CASE WHEN stalled THEN 'stalled' ELSE 'waiting' END, seq, shortlisted, :list_limit,
                row_number() OVER (PARTITION BY dm, stalled ORDER BY coalesce(since_ts, created_ts), seq)
            FROM temp.digest_scope WHERE status = 'in_review'
        )
        SELECT r.dm, r.list, {_TRIMMED_BODY}, r.shortlisted FROM ranked r JOIN ideas i ON i.rowid = r.seq
        WHERE r.rank <= r.keep ORDER BY r.dm, r.list, r.rank"""
    for dm, name, body, shortlisted in connection.execute(sql, params):
        idea = digest_idea_from_dict(json.loads(body))
        if shortlisted and not idea.shortlisted:  # in its challenge's shortlist, not by the old flag
            idea = replace(idea, shortlisted=True)
        getattr(figures_of(dm), name).append(idea)


def _participation(connection, params: dict, figures_of) -> None:
    # A person counts once per branch (the branch of their first idea in the period) and once per
    # program area they pitched in; ties keep the order in which each was first seen.
    sql = """
        WITH pitched AS (SELECT * FROM temp.digest_scope WHERE created_ts >= :st AND created_ts < :we),
        firsts AS (SELECT dm, min(seq) AS first, submitter_branch FROM pitched GROUP BY dm, submitter_id),
        tallies AS (
            SELECT 'by_branch' AS kind, dm, coalesce(nullif(submitter_branch, ''), '-') AS name,
                count(*) AS n, min(first) AS seen
            FROM firsts GROUP BY dm, name
            UNION ALL
            SELECT 'by_area', dm, program_area, count(DISTINCT submitter_id), min(seq)
            FROM pitched GROUP BY dm, program_area
        )
        SELECT kind, dm, name, n FROM (
            SELECT *, row_number() OVER (PARTITION BY kind, dm ORDER BY n DESC, seen) AS rank FROM tallies
        ) WHERE rank <= 5 ORDER BY kind, dm, rank"""
    for kind, dm, name, count in connection.execute(sql, params):
        getattr(figures_of(dm), kind).append((name, count))
