"""Benchmark: build every DM's digest from a store of 100,000 ideas, in time and in memory.

Seeds a SQLite store with 100,000 ideas (about 300,000 decisions) for 30 deputy ministers, each
with their own ADMs, directors, managers and staff, written as the store writes them (with the
digest's columns and lines). Then, three times, a fresh process (the app
as `bootstrap` builds it) builds all 30 digests and their cards, and reports the time it took, its
peak resident memory (the whole process: interpreter, libraries and all) and the SQL statements
it sent (traced from outside the store). Run: `make bench`.
Aims: under 5 s and under 250 MiB peak, and a number of statements that does not grow with the ideas.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.serialization import idea_to_dict
from bot.adapters.sqlite_digest import DECISIONS_UPSERT, IDEA_COLUMN_NAMES, LINES_INSERT, digest_rows
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.calendar import DigestWeek
from bot.domain.model import Idea, Outcome
from bot.domain.pitch import BENEFICIARIES, COST_BANDS, PROGRAM_AREAS, Pitch
from tests.support.chains import build_chain, revised

DMS = 30
IDEAS = 100_000
RUNS = 3
NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def organisation(rng: random.Random) -> tuple[dict, list[str]]:
    """30 ministries: DM <- 3 ADMs <- 2 directors each <- 2 managers each <- 5 staff each."""
    people, staff = [], []

    def add(pid: str, role: str, manager: str | None, branch: str) -> None:
        people.append({"id": pid, "name": pid.title(), "role": role, "managerId": manager, "branch": branch})

    for d in range(DMS):
        dm = f"dm{d}"
        add(dm, "dm", None, f"Ministry {d}")
        for a in range(3):
            adm = f"{dm}-adm{a}"
            add(adm, "adm", dm, f"Division {a}")
            for r in range(2):
                director = f"{adm}-dir{r}"
                add(director, "director", adm, f"Branch {d}.{a}.{r}")
                for m in range(2):
                    manager = f"{director}-mgr{m}"
                    add(manager, "manager", director, f"Branch {d}.{a}.{r}")
                    for s in range(5):
                        person = f"{manager}-staff{s}"
                        add(person, "staff", manager, f"Branch {d}.{a}.{r}")
                        staff.append(person)
    return {"tenantId": "bench", "people": people}, staff


def ideas(directory: OrgFileDirectory, staff: list[str], rng: random.Random):
    """Ideas with their decisions, as the approval chain would have made them (in memory, one at a time)."""
    lines = {}
    for n in range(IDEAS):
        submitter_id = rng.choice(staff)
        if submitter_id not in lines:
            submitter = directory._entries[submitter_id].person  # noqa: SLF001 - seeding only
            line = asyncio.run(directory.line_of_management(submitter_id))
            lines[submitter_id] = (submitter, line, build_chain(submitter, line))
        submitter, line, chain = lines[submitter_id]
        created = NOW - timedelta(days=rng.uniform(0, 150))
        idea, _ = Idea.submit(
            idea_id=f"idea-{n}",
            reference=f"DEN-2026-{n:06d}",
            submitter=submitter,
            pitch=Pitch(
                title=f"Idea {n}",
                problem="p" * 200,
                solution="s" * 200,
                beneficiaries=rng.choice(BENEFICIARIES),
                program_area=rng.choice(PROGRAM_AREAS),
                cost_band=rng.choice(COST_BANDS),
                first_steps="f" * 100,
            ),
            chain=list(chain),
            now=created,
            line_ids=[p.id for p in line if p],
        )
        moment = created
        for _ in range(rng.choice((3, 3, 4, 4, 5, 6, 7))):
            if not idea.is_open:
                break
            moment += timedelta(days=rng.uniform(0.2, 4))
            if moment >= NOW:
                break
            roll = rng.random()
            outcome = Outcome.APPROVED if roll < 0.7 else Outcome.RETURNED if roll < 0.93 else Outcome.REJECTED
            idea.decide(
                actor_id=idea.chain[idea.current_step].approver_id,
                step_index=idea.current_step,
                revision=idea.revision,
                outcome=outcome,
                comment="c",
                now=moment,
            )
            if outcome == Outcome.RETURNED:
                moment += timedelta(days=rng.uniform(0.5, 3))
                if moment < NOW:
                    idea.resubmit(actor_id=submitter.id, pitch=revised(idea.pitch), revision=idea.revision, now=moment)
        yield idea


def seed(db: Path, org: dict, staff: list[str]) -> int:
    """Rows as the store writes them (its schema, its serialization), inserted in bulk."""
    asyncio.run(_create_schema(db))
    directory = OrgFileDirectory.from_dict(org)
    decisions = 0
    with sqlite3.connect(db) as connection:
        batch: list[tuple] = []
        decided: list[tuple] = []
        lines: list[tuple] = []
        for idea in ideas(directory, staff, random.Random(42)):
            data = idea_to_dict(idea)
            digest = digest_rows(data)
            batch.append(
                (idea.id, idea.reference, idea.submitter.id, idea.holder_id, idea.status.value,
                 idea.created_at.isoformat(), (idea.updated_at or idea.created_at).isoformat(), 1,
                 json.dumps(data), *digest.idea)
            )  # fmt: skip
            decided.extend(digest.decisions)
            lines.extend(digest.lines)
            if len(batch) >= 5000:
                decisions += _insert(connection, batch, decided, lines)
                batch, decided, lines = [], [], []
        decisions += _insert(connection, batch, decided, lines)
    return decisions


async def _create_schema(db: Path) -> None:
    store = SqliteStore(db)
    await store.open()
    await store.close()


def _insert(connection: sqlite3.Connection, batch: list[tuple], decided: list[tuple], lines: list[tuple]) -> int:
    connection.executemany(
        "INSERT INTO ideas (id, reference, submitter_id, holder_id, status, created_at, updated_at, version, body,"
        f" {', '.join(IDEA_COLUMN_NAMES)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?{', ?' * len(IDEA_COLUMN_NAMES)})",
        batch,
    )
    connection.executemany(DECISIONS_UPSERT, decided)
    connection.executemany(LINES_INSERT, lines)
    return len(decided)


async def build(db: str, org_file: str) -> dict:
    """In this (fresh) process: the app's digest service builds every digest and its card."""
    from bot.bootstrap import bootstrap
    from bot.ports import NoSending
    from bot.settings import Settings

    den = bootstrap(Settings(sqlite_path=db, org_file=org_file), clock=lambda: NOW, channel=NoSending())
    await den.open()
    statements: list[str] = []
    await den.store.set_trace_callback(statements.append)  # counted from outside the store
    connect = sqlite3.connect

    def traced(*args, **kwargs) -> sqlite3.Connection:  # and on any connection the store opens apart
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    sqlite3.connect = traced
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    week = DigestWeek.ending_at(NOW, den.digests.calendar.tz)
    started = time.perf_counter()
    digests = await den.digests.build_all(week)
    cards = [(await den.digests.render(digest))[0] for digest in digests.values()]
    elapsed = time.perf_counter() - started
    await den.store.set_trace_callback(None)
    sqlite3.connect = connect
    await den.close()
    return {
        "seconds": elapsed,
        "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "beforeMiB": before,
        "statements": len(statements),
        "digests": len(digests),
        "largestKiB": max(len(json.dumps(card).encode()) for card in cards) / 1024,
        "pending": sum(d.pending_total + d.stalled_total for d in digests.values()),
    }


def main() -> None:
    org, staff = organisation(random.Random(42))
    with tempfile.TemporaryDirectory() as folder:
        db, org_file = Path(folder) / "bench.sqlite3", Path(folder) / "org.json"
        org_file.write_text(json.dumps(org), encoding="utf-8")
        started = time.perf_counter()
        decisions = seed(db, org, staff)
        took = time.perf_counter() - started
        print(f"seeded {IDEAS:,} ideas and {decisions:,} decisions for {DMS} DMs in {took:.1f} s")
        runs = []
        for _ in range(RUNS):
            out = subprocess.run(
                [sys.executable, "-m", "bench.digest_build", "--build", str(db), str(org_file)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))

    def figure(key: str) -> str:
        values = [r[key] for r in runs]
        return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"

    print(f"built {runs[0]['digests']} digests and their cards, {RUNS} fresh processes (min / median / max):")
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = statistics.median(r["peakMiB"] for r in runs)
    print(f"  time            {figure('seconds')} s     aim under 5 s: {'met' if seconds < 5 else 'MISSED'}")
    print(f"  peak memory     {figure('peakMiB')} MiB   aim under 250 MiB: {'met' if peak < 250 else 'MISSED'}")
    print(f"    (of which the process had before building: {figure('beforeMiB')} MiB)")
    print(f"  SQL statements  {runs[0]['statements']} in all (none per idea; 1 per DM: reminders)")
    print(f"  largest card    {runs[0]['largestKiB']:.1f} KiB (Teams allows about 28 KiB)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--build":
        print(json.dumps(asyncio.run(build(sys.argv[2], sys.argv[3]))))
    else:
        main()
