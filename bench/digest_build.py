"""Benchmark: build every DM's digest from a large embedded store.

Seeds a SQLite store with 10,000 ideas, about 30,000 decisions and 30 deputy ministers (each
with their own ADMs, directors, managers and staff), then times building all 30 digests and
their cards, and counts the SQL statements that took (traced from outside the store). Run: `make bench`.
Aim: under 2 seconds, and a number of queries that does not grow with the number of ideas.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.org_directory import OrgFileDirectory
from bot.bootstrap import bootstrap
from bot.domain.calendar import DigestWeek
from bot.domain.chain import build_chain
from bot.domain.model import Idea, Outcome
from bot.domain.pitch import BENEFICIARIES, COST_BANDS, PROGRAM_AREAS, Pitch
from bot.ports import IdeaStore, NoSending
from bot.settings import Settings

DMS = 30
IDEAS = 10_000
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


async def seed(store: IdeaStore, directory: OrgFileDirectory, staff: list[str], rng: random.Random) -> int:
    decisions = 0
    for n in range(IDEAS):
        submitter = await directory.get_person(rng.choice(staff))
        line = await directory.line_of_management(submitter.id)
        created = NOW - timedelta(days=rng.uniform(0, 150))
        idea, _ = Idea.submit(
            idea_id=f"idea-{n}",
            reference=f"DEN-2026-{n:05d}",
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
            chain=build_chain(submitter, line),
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
            decisions += 1
            if outcome == Outcome.RETURNED:
                moment += timedelta(days=rng.uniform(0.5, 3))
                if moment < NOW:
                    idea.resubmit(actor_id=submitter.id, pitch=idea.pitch, revision=idea.revision, now=moment)
        await store.add(idea)
    return decisions


async def main() -> None:
    rng = random.Random(42)
    org, staff = organisation(rng)
    with tempfile.TemporaryDirectory() as folder:
        org_file = Path(folder) / "org.json"
        org_file.write_text(json.dumps(org), encoding="utf-8")
        settings = Settings(sqlite_path=str(Path(folder) / "bench.sqlite3"), org_file=str(org_file))
        den = bootstrap(settings, clock=lambda: NOW, channel=NoSending())
        await den.open()
        started = time.perf_counter()
        decisions = await seed(den.store, den.directory, staff, rng)
        print(
            f"seeded {IDEAS:,} ideas and {decisions:,} decisions for {DMS} DMs in {time.perf_counter() - started:.1f} s"
        )

        statements: list[str] = []
        await den.store.db.set_trace_callback(statements.append)  # counted from outside the store
        week = DigestWeek.ending_at(NOW, den.digests.calendar.tz)
        started = time.perf_counter()
        digests = await den.digests.build_all(week)
        cards = [(await den.digests.render(digest))[0] for digest in digests.values()]
        elapsed = time.perf_counter() - started
        queries = len(statements)
        await den.store.db.set_trace_callback(None)
        await den.close()

    largest = max(len(json.dumps(card).encode()) for card in cards)
    print(f"built {len(digests)} digests and their cards in {elapsed:.2f} s (aim: under 2 s)")
    print(f"store queries: {queries} (1 scan of the ideas + 1 reminder check per DM; none per idea)")
    print(f"largest card: {largest / 1024:.1f} KiB (Teams allows about 28 KiB)")


if __name__ == "__main__":
    asyncio.run(main())
