"""Benchmark: a Den challenge's report and its sponsor's digest, for 5,000 ideas with full stage history.

Seeds the embedded store with two challenges, of 1,000 and 5,000 ideas. In each, 60 % of the
ideas are approved and carry a stored stage record: shortlisted, finalist, winner, funded with
three monthly updates, or not selected along the way (every transition recorded). Times the
report card plus the sponsor's weekly challenge digest card (repeated runs: min/median/max),
against a yardstick measured in the same run: reading the same ideas' rows and parsing their
JSON, nothing else. Counts the SQL statements each build takes (traced from outside the store)
for both sizes. Run: `make bench`. Aim: under 1 s for 5,000 ideas, and a number of queries that
does not grow with the number of ideas.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bootstrap import Den, bootstrap
from bot.domain import stage as st
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.den_report import stages_of
from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.pitch import BENEFICIARIES, COST_BANDS, PROGRAM_AREAS, Pitch
from bot.domain.stage import ProgressStatus
from bot.i18n import Messages
from bot.ports import NoSending
from bot.settings import Settings
from cards.challenge import challenge_digest_card, report_card
from tests.support.chains import build_chain

NOW = datetime(2026, 12, 14, 14, 0, tzinfo=UTC)
OPENS = NOW - timedelta(days=150)
CLOSES = NOW - timedelta(days=100)
RUNS = 7
SIZES = (1_000, 5_000)
MANAGER = Person("mgr", "Manager", Role.MANAGER)
DIRECTOR = Person("dir", "Director", Role.DIRECTOR)
ADM = Person("adm", "ADM", Role.ADM)


def org() -> dict:
    people = [{"id": "dm", "name": "Deputy Minister", "role": "dm", "managerId": None}]
    return {"tenantId": "bench", "people": people}


def idea_for(n: int, challenge_id: str, rng: random.Random) -> Idea:
    submitter = Person(f"s{n}", f"Staff {n}", Role.STAFF, branch=f"Branch {n % 40}")
    created = OPENS + timedelta(days=rng.uniform(0, 49))
    idea, _ = Idea.submit(
        idea_id=f"{challenge_id}-{n}",
        reference=f"DEN-2026-{challenge_id}-{n:05d}",
        submitter=submitter,
        pitch=Pitch(
            f"Idea {n}",
            "p" * 200,
            "s" * 200,
            rng.choice(BENEFICIARIES),
            rng.choice(PROGRAM_AREAS),
            rng.choice(COST_BANDS),
            "f" * 100,
        ),
        chain=build_chain(submitter, [MANAGER, DIRECTOR, ADM]),
        now=created,
    )
    idea.challenge = challenge_id
    roll, moment = rng.random(), created
    for step in range(3):
        moment += timedelta(days=rng.uniform(0.2, 3))
        if roll < 0.6:
            outcome = Outcome.APPROVED
        else:
            outcome = Outcome.REJECTED if step == 1 else Outcome.APPROVED
        idea.decide(
            actor_id=idea.chain[step].approver_id, step_index=step, revision=1, outcome=outcome, comment="c", now=moment
        )
        if not idea.is_open:
            break
    return idea


def history(challenge_id: str, size: int, rng: random.Random) -> tuple[Challenge, list[Idea], list[st.IdeaStage]]:
    """A closed challenge of `size` ideas, each with its approval and stage history (made by the domain)."""
    draft = ChallengeDraft(f"Challenge of {size:,}", "How?", ("dm",), OPENS, CLOSES)
    challenge = Challenge.open_new(
        challenge_id=challenge_id, draft=draft, actor_id="olga", is_organiser=True, now=OPENS
    )
    ideas = [idea_for(n, challenge_id, rng) for n in range(size)]
    stages = stages_of(ideas, [])
    pool = sorted(stages)
    shortlisted, finalists, winners = pool[: size // 12], pool[: size // 250], pool[: max(1, size // 1000)]
    moment = CLOSES + timedelta(days=2)
    for idea_id in shortlisted:
        st.shortlist(challenge, stages[idea_id], actor_id="dm", now=moment)
    challenge.finalist_count = len(finalists)
    st.choose_finalists(challenge, stages.values(), finalists, actor_id="dm", now=moment + timedelta(days=5))
    st.choose_winners(challenge, stages.values(), winners, actor_id="dm", now=moment + timedelta(days=30))
    for idea_id in winners:
        stage = stages[idea_id]
        st.record_funding(
            challenge,
            stage,
            actor_id="dm",
            amount=50_000,
            branch="Digital",
            conditions="",
            now=moment + timedelta(days=31),
        )
        for month in range(3):
            st.file_progress(
                stage,
                actor_id=stage.owner_id,
                status=rng.choice(list(ProgressStatus)[:3]),
                note="n",
                now=moment + timedelta(days=61 + 30 * month),
            )
    return challenge, ideas, list(stages.values())


async def seed(den, challenge_id: str, size: int, rng: random.Random) -> None:
    challenge, ideas, stages = history(challenge_id, size, rng)
    await den.store.add_challenge(challenge)
    for idea in ideas:
        await den.store.add(idea)
    await den.store.write_stages(challenge, stages)


async def build(den, challenge_id: str) -> tuple[int, int]:
    m = Messages("en-US")
    report = await den.challenges.report(challenge_id)
    cards = [report_card(m, report), challenge_digest_card(m, report)]
    return report.funnel["pitched"], max(len(json.dumps(c).encode()) for c in cards)


async def yardstick(den, challenge_id: str) -> None:
    rows = await den.store._fetchall(
        "SELECT body FROM ideas WHERE json_extract(body, '$.challenge') = ?", (challenge_id,)
    )
    for row in rows:
        json.loads(row[0])


@asynccontextmanager
async def seeded_den(rng: random.Random) -> AsyncIterator[Den]:
    """A Den on a temporary SQLite file with one challenge of each size in SIZES (ideas with their
    approval and stage history), closed and removed afterwards: the report and dashboard benches share it."""
    with tempfile.TemporaryDirectory() as folder:
        org_file = Path(folder) / "org.json"
        org_file.write_text(json.dumps(org()), encoding="utf-8")
        settings = Settings(sqlite_path=str(Path(folder) / "bench.sqlite3"), org_file=str(org_file))
        den = bootstrap(settings, clock=lambda: NOW, channel=NoSending())
        await den.open()
        started = time.perf_counter()
        for size in SIZES:
            await seed(den, f"c{size}", size, rng)
        print(f"seeded {sum(SIZES):,} ideas with their approval and stage history in "
              f"{time.perf_counter() - started:.1f} s")
        try:
            yield den
        finally:
            await den.close()


async def main() -> None:
    async with seeded_den(random.Random(7)) as den:
        for size in SIZES:
            challenge_id = f"c{size}"
            statements: list[str] = []
            await den.store.set_trace_callback(statements.append)  # counted from outside the store
            pitched, largest = await build(den, challenge_id)
            await den.store.set_trace_callback(None)
            times, yard = [], []
            for _ in range(RUNS):
                started = time.perf_counter()
                await build(den, challenge_id)
                times.append(time.perf_counter() - started)
                started = time.perf_counter()
                await yardstick(den, challenge_id)
                yard.append(time.perf_counter() - started)
            ratio = statistics.median(times) / statistics.median(yard)
            print(
                f"{pitched:,} ideas: report + sponsor digest built in min {min(times):.3f} s, median "
                f"{statistics.median(times):.3f} s, max {max(times):.3f} s (aim: under 1 s); "
                f"{ratio:.1f}x the time to read and parse the ideas alone; "
                f"{len(statements)} store queries; largest card {largest / 1024:.1f} KiB"
            )
    print(
        "the number of queries is the same for both sizes: one for the challenge, one for its ideas, one for "
        "their stages"
    )


if __name__ == "__main__":
    asyncio.run(main())
