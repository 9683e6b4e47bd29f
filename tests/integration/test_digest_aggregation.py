"""The SQLite store's digest, aggregated in SQL, says exactly what the Python reference says.

The reference is `DigestScope` (the `DigestAccumulator` for each DM) over the store's own scan;
the SQL is bot/adapters/sqlite_digest.py. Both read one store holding a varied history written
through the domain and the store's own writes: returns and revisions, withdrawals, rejections,
hand-overs, shortlisting, ideas pitched at the same moment, DST changes; then both are asked under
several calendars (time zones with DST and half-hour offsets, holidays), with and without a
challenge start, for each DM's organisation and for the whole ministry, with DMs who have nothing.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.adapters import sqlite_digest
from bot.adapters.sqlite_den import DEN_SCHEMA
from bot.adapters.sqlite_store import SCHEMA, SqliteStore
from bot.domain.calendar import DigestWeek, WorkCalendar
from bot.domain.digest import DigestFigures, DigestQuery, DigestRules, DigestScope, digest_from_figures
from bot.domain.model import Idea, IdeaStatus, Outcome, Person, Role
from bot.domain.pitch import PROGRAM_AREAS, Pitch
from bot.domain.stage import SHORTLISTED_OR_BEYOND, IdeaStage, Stage
from bot.settings import Settings
from tests.support.chains import build_chain, revised
from tests.support.people import VALID_PITCH

NOW = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
DM_IDS = ["dm-a", "dm-b", "dm-empty", "clerk"]  # the clerk is above both DMs; nobody reports to dm-empty


def organisation() -> tuple[dict[str, Person], dict[str, list[Person]]]:
    """Two ministries under a clerk: DM <- ADM <- 2 directors <- 2 managers each <- 3 staff each."""
    people: dict[str, Person] = {"clerk": Person("clerk", "Clerk", Role.DM, branch="Privy")}
    lines: dict[str, list[Person]] = {}
    for m in ("a", "b"):
        dm = people[f"dm-{m}"] = Person(f"dm-{m}", f"DM {m}", Role.DM, branch=f"Ministry {m}")
        adm = people[f"adm-{m}"] = Person(f"adm-{m}", f"ADM {m}", Role.ADM, branch=f"Division {m}")
        for r in range(2):
            director = people[f"dir-{m}{r}"] = Person(f"dir-{m}{r}", f"Director {m}{r}", Role.DIRECTOR)
            for g in range(2):
                manager = people[f"mgr-{m}{r}{g}"] = Person(f"mgr-{m}{r}{g}", f"Manager {m}{r}{g}", Role.MANAGER)
                for s in range(3):
                    branch = "" if (r, g, s) == (1, 1, 2) else f"Branch {m}.{r}.{g}"
                    staff = people[f"st-{m}{r}{g}{s}"] = Person(
                        f"st-{m}{r}{g}{s}", f"Staff {m}{r}{g}{s}", branch=branch
                    )
                    lines[staff.id] = [manager, director, adm, dm, people["clerk"]]
    return people, lines


async def seed(store: SqliteStore, count: int = 360, seed_value: int = 9) -> None:
    """A history written as the app writes it: add on submit, update after every change."""
    rng = random.Random(seed_value)
    people, lines = organisation()
    staff = sorted(lines)
    shared_moments = [NOW - timedelta(days=rng.uniform(0, 30)) for _ in range(6)]  # ties in the lists
    for n in range(count):
        submitter = people[rng.choice(staff)]
        if n % 17 == 0:  # someone who moved: their ideas carry different branches
            submitter = Person(submitter.id, submitter.name, submitter.role, branch=f"Moved {n % 3}")
        line = lines[submitter.id]
        top = Role.DM if n % 5 == 0 else Role.ADM
        created = rng.choice(shared_moments) if n % 9 == 0 else NOW - timedelta(days=rng.uniform(0, 280))
        pitch = Pitch.from_dict({**VALID_PITCH, "title": f"Idea {n}", "program_area": rng.choice(PROGRAM_AREAS)})
        idea, _ = Idea.submit(
            idea_id=f"idea-{n:04d}",
            reference=f"DEN-2026-{n:04d}",
            submitter=submitter,
            pitch=pitch,
            chain=build_chain(submitter, line, top_role=top),
            now=created,
            line_ids=[p.id for p in line[: 5 if n % 4 else 4]],  # some ideas never reach the clerk
        )
        await store.add(idea)
        moment = created
        for _ in range(rng.choice((0, 1, 2, 3, 4, 5, 6))):
            moment += timedelta(hours=rng.uniform(1, 120))
            if moment >= NOW:
                break
            roll = rng.random()
            if idea.status == IdeaStatus.RETURNED:
                if roll < 0.2:
                    idea.withdraw(actor_id=submitter.id, reason="no", now=moment)
                else:
                    idea.resubmit(actor_id=submitter.id, pitch=revised(idea.pitch), revision=idea.revision, now=moment)
            elif idea.status == IdeaStatus.APPROVED:
                if roll < 0.5:
                    idea.shortlist(dm_id=line[3].id, now=moment)
            elif idea.is_open:
                step = idea.chain[idea.current_step]
                if roll < 0.06:
                    idea.withdraw(actor_id=submitter.id, reason="changed my mind", now=moment)
                elif roll < 0.12 and step.role == Role.MANAGER:
                    other = next(p for p in people.values() if p.role == Role.MANAGER and p.id != step.approver_id)
                    idea.reassign(actor_id=step.approver_id, actor_name=step.approver_name, to=other, reason="leave",
                                  now=moment)  # fmt: skip
                else:
                    outcome = Outcome.APPROVED if roll < 0.72 else Outcome.RETURNED if roll < 0.92 else Outcome.REJECTED
                    idea.decide(actor_id=step.approver_id, step_index=idea.current_step, revision=idea.revision,
                                outcome=outcome, comment="ok", now=moment)  # fmt: skip
            else:
                break
            await store.update(idea)
        if idea.status == IdeaStatus.APPROVED and not idea.shortlisted_by:
            await enter_challenge(store, idea, n, approved_at=moment)


# Where an approved idea goes in its challenge, by its number: shortlisted there (by the sponsor's
# pool card, not the digest's flag), gone further on, shortlisted then taken off, not selected.
CHALLENGE_PATHS = (
    (Stage.SHORTLISTED,),
    (Stage.SHORTLISTED, Stage.FINALIST),
    (Stage.SHORTLISTED, Stage.POOL),
    (Stage.NOT_SELECTED,),
    (),  # in the pool, stored
)
CHALLENGE_PATHS_ENDS = {Stage.SHORTLISTED, Stage.FINALIST, Stage.POOL, Stage.NOT_SELECTED}


async def enter_challenge(store: SqliteStore, idea: Idea, n: int, approved_at: datetime) -> None:
    stage = IdeaStage.enter_pool(idea_id=idea.id, challenge_id="den-2026", owner_id=idea.submitter.id,
                                 at=approved_at, by="approver")  # fmt: skip
    for step, to in enumerate(CHALLENGE_PATHS[n % len(CHALLENGE_PATHS)]):
        stage._move(to, by="dm-a", now=approved_at + timedelta(hours=step + 1))
    await store.update_stage(stage)


def dates(text: str) -> tuple[date, ...]:
    """Holidays as DEN_HOLIDAYS gives them."""
    return Settings.from_env({"DEN_HOLIDAYS": text}).holidays


CALENDARS = [
    WorkCalendar.of("America/Toronto", dates("2026-10-12, 2026-11-11, 2026-12-25, 2026-09-07")),
    WorkCalendar.of("America/St_Johns", dates("2026-07-01, 2026-11-11")),
    WorkCalendar.of("America/Vancouver"),
    WorkCalendar.of("Asia/Kolkata", dates("2026-10-02, 2026-11-08")),  # a Sunday holiday counts for nothing
    WorkCalendar.of("Australia/Lord_Howe"),  # half-hour DST
]


def queries() -> list[DigestQuery]:
    found = []
    for n, calendar in enumerate(CALENDARS):
        for now in (NOW, NOW - timedelta(days=23, hours=5)):  # the second just after the November DST change
            for start in (None, datetime(2026, 9, 1, tzinfo=calendar.tz)):
                for whole in (False, True):
                    rules = DigestRules(
                        stall_after_business_days=(5, 0, 12)[n % 3],
                        list_limit=(10, 3)[n % 2],
                        recent_limit=(5, 2)[n % 2],
                        challenge_start=start,
                        whole_ministry=whole,
                    )
                    for week in (DigestWeek.ending_at(now, calendar.tz), DigestWeek.so_far(now, calendar.tz)):
                        found.append(DigestQuery(week=week, now=now, calendar=calendar, rules=rules))
    return found


async def reference(store: SqliteStore, query: DigestQuery):
    scope = DigestScope(DM_IDS, query)
    async for page in store.scan_for_digest(query.rules.challenge_start, page_size=50):
        scope.add_page(page)
    return scope.figures()


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "den.sqlite3")
    await store.open()
    await seed(store)
    yield store
    await store.close()


async def test_the_sql_digest_says_what_the_python_reference_says(store):
    people, _ = organisation()
    checked = 0
    for query in queries():
        expected = await reference(store, query)
        aggregated = await store.digest_figures(DM_IDS, query)
        where = (query.calendar.tz.key, query.now, query.week.key, query.rules)
        for dm_id in DM_IDS:
            for name in vars(expected[dm_id]):
                assert getattr(aggregated[dm_id], name) == getattr(expected[dm_id], name), (dm_id, name, where)
        for dm_id in DM_IDS:
            ours = digest_from_figures(people[dm_id] if dm_id in people else Person(dm_id, dm_id, Role.DM),
                                       aggregated[dm_id], query)  # fmt: skip
            theirs = digest_from_figures(ours.dm, expected[dm_id], query)
            assert repr(ours) == repr(theirs), where  # the same digest, down to 3 vs 3.0 days
        checked += 1
    sample = await store.digest_figures(DM_IDS, queries()[0])
    # The data set exercises what it claims to: every list has rows, every level is timed, ties exist.
    assert sample["dm-a"].stalled and sample["dm-a"].waiting and sample["dm-a"].approved and sample["dm-a"].recent
    assert set(sample["dm-a"].timings) >= {Role.MANAGER, Role.DIRECTOR, Role.ADM}
    assert sample["dm-empty"] == sample["dm-empty"].__class__()
    # Ideas shortlisted in their challenge only (no flag) show as shortlisted; the others do not.
    # Every approved idea listed (the lists put the shortlisted last), in SQL as in the reference.
    everything = replace(queries()[0], rules=replace(queries()[0].rules, list_limit=1000))
    listed = await store.digest_figures(DM_IDS, everything)
    assert listed == await reference(store, everything)
    stages = {s.idea_id: s.stage for s in await store.list_stages("den-2026")}
    approved = [i for figures in listed.values() for i in figures.approved]
    assert {stages.get(i.id) for i in approved} >= {*CHALLENGE_PATHS_ENDS, None}  # every path is listed
    assert {i.shortlisted for i in approved if stages.get(i.id) in SHORTLISTED_OR_BEYOND} == {True}
    assert {i.shortlisted for i in approved if i.id in stages and stages[i.id] not in SHORTLISTED_OR_BEYOND} == {False}
    assert sample["clerk"].so_far.new_pitches < sample["dm-a"].so_far.new_pitches + sample["dm-b"].so_far.new_pitches
    assert checked == len(CALENDARS) * 16


async def test_an_empty_store_gives_empty_figures(tmp_path):
    store = SqliteStore(tmp_path / "empty.sqlite3")
    await store.open()
    try:
        for query in queries()[:4]:
            assert await store.digest_figures(DM_IDS, query) == {dm_id: DigestFigures() for dm_id in DM_IDS}
    finally:
        await store.close()


async def test_an_in_memory_store_aggregates_on_its_own_connection():
    store = SqliteStore(":memory:")
    await store.open()
    try:
        await seed(store, count=80)
        for query in queries()[:8]:
            assert await store.digest_figures(DM_IDS, query) == await reference(store, query)
    finally:
        await store.close()


async def test_a_file_written_before_the_digest_columns_is_migrated_on_open(store, tmp_path):
    """Only the columns of before: opening it adds the rest and fills them in from the bodies."""
    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as connection:
        connection.executescript(SCHEMA.split("CREATE TABLE IF NOT EXISTS counters")[0] + DEN_SCHEMA)
        connection.execute("ATTACH DATABASE ? AS new", (str(tmp_path / "den.sqlite3"),))
        connection.execute("INSERT INTO idea_stages SELECT * FROM new.idea_stages")
        connection.execute(
            "INSERT INTO ideas SELECT id, reference, submitter_id, holder_id, status, created_at, updated_at,"
            " version, body FROM new.ideas ORDER BY rowid"
        )
        connection.execute(
            "INSERT INTO decisions SELECT idea_id, revision, step_index, approver_id, outcome, decided_at"
            " FROM new.decisions"
        )
        connection.commit()
        connection.execute("DETACH DATABASE new")
    migrated = SqliteStore(old)
    await migrated.open()
    try:
        for query in queries()[::7]:
            assert await migrated.digest_figures(DM_IDS, query) == await reference(store, query)
        await migrated.close()
        await migrated.open()  # a second open finds nothing to do
    finally:
        await migrated.close()
    with sqlite3.connect(old) as connection:
        assert connection.execute("SELECT count(*) FROM ideas WHERE created_ts IS NULL").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM decisions WHERE role IS NULL").fetchone() == (0,)


async def test_the_number_of_statements_does_not_grow_with_the_ideas(tmp_path):
    counts = []
    for size in (20, 200):
        store = SqliteStore(tmp_path / f"den-{size}.sqlite3")
        await store.open()
        await seed(store, count=size)
        await store.close()
        statements: list[str] = []
        with sqlite3.connect(tmp_path / f"den-{size}.sqlite3", isolation_level=None) as connection:
            connection.set_trace_callback(statements.append)
            figures = sqlite_digest.digest_figures(connection, DM_IDS, queries()[0])
        assert figures["dm-a"].so_far.new_pitches > size // 4
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 12


def test_local_dates_in_sql_are_the_calendars_across_dst_changes():
    rng = random.Random(3)
    with sqlite3.connect(":memory:") as connection:
        for calendar in CALENDARS:
            expression = sqlite_digest.local_day_sql(calendar.tz, ":t", NOW)
            moments = [
                datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 480_000)) for _ in range(300)
            ]
            for moment in moments + [
                datetime(2026, 11, 1, 5, 59, 59, 999999, tzinfo=UTC) + timedelta(hours=h) for h in range(-2, 3)
            ]:
                (day,) = connection.execute(f"SELECT {expression}", {"t": moment.timestamp()}).fetchone()
                assert date(1970, 1, 1) + timedelta(days=day) == calendar.local_date(moment), (calendar.tz.key, moment)
