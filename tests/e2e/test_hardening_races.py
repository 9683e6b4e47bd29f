"""Issue #20's races, on two app processes (`python app.py`) over one SQLite file, driven over
HTTP as Teams would, each repeated ROUNDS times: a race that one try in five lets through
escapes them all with probability 0.8 ** 15, about 3.5 %; against the code before #20 each of
these failed within a few rounds.

- Amir names Dana as his acting approver on one instance while Dana names Amir on the other:
  never both (the no-loop rule holds inside the store's write).
- Votes cast on both instances while an organiser closes voting: every vote is either counted
  in the frozen result or refused, never stored and left out.
- Judges score on both instances while the chair closes scoring: nothing is scored once the
  store says scoring is closed.

The witness of a late vote or score is SQLite itself: triggers, added by the test, note any
such row written while the poll (panel) row already says closed, in the writer's transaction.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.sqlite_store import SqliteStore
from bot.domain.delegation import closes_a_loop, onward_of
from bot.domain.panel import Conflict, Panel, Scorecard
from bot.domain.voting import Poll, frozen_counts_hold
from bot.settings import ROOT
from cards import verbs
from tests.support.den_process import free_port, sqlite_environment, start_den, stop_den
from tests.support.fake_connector import FakeConnector
from tests.support.people import AMIR, DANA, DIANE, MAYA, TENANT_ID
from tests.support.pitch_day import CHANNEL_KEY, OLGA_ID, T0, a_challenge, finalist_ideas, finalist_stage
from tests.support.teams_client import TeamsClient, User

ROUNDS = 15
OLGA = User(OLGA_ID, "Olga Kowalski")
JUDGES = (MAYA, DIANE, AMIR)
VOTERS = [User(f"voter-{n:02d}", f"Voter {n}") for n in range(8)]


@pytest.fixture
async def dens(tmp_path):
    """Two instances on one store, the connector stand-in, and a store object for looking."""
    connector = FakeConnector()
    await connector.start()
    db = tmp_path / "den.sqlite3"
    store = SqliteStore(db)
    await store.open()
    await seed_rounds(store)
    watch_late_writes(db)
    ports = [free_port(), free_port()]
    organisers = {"DEN_ORGANISER_IDS": OLGA_ID}
    processes = []
    try:
        for port in ports:
            env = sqlite_environment(port, db, ROOT / "data" / "demo-org.json", **organisers)
            processes.append(await start_den(env, port))
        clients = [TeamsClient(f"http://127.0.0.1:{p}/api/messages", connector.url, TENANT_ID) for p in ports]
        yield clients, store, db
    finally:
        for process in processes:
            stop_den(process)
        await store.close()
        await connector.stop()


async def seed_rounds(store: SqliteStore) -> None:
    """ROUNDS challenges with three finalists each, voting open and a panel scoring (each judge
    has declared no conflict), so each round races on records of its own."""
    for n in range(ROUNDS):
        challenge = a_challenge(f"race-{n:02d}")
        await store.add_challenge(challenge)
        ideas = finalist_ideas(challenge, 3)
        for k, idea in enumerate(ideas):
            idea.id = f"00000000-0000-4000-9000-{n:04d}{k:08d}"
            idea.reference = f"DEN-2025-{n:02d}{k:02d}"
            await store.add(idea)
        await store.write_stages(challenge, [finalist_stage(i, challenge) for i in ideas])
        await store.save_poll(Poll(challenge.id, [i.id for i in ideas], OLGA_ID, T0, channel_key=CHANNEL_KEY))
        panel = Panel(challenge.id, [j.aad_id for j in JUDGES], DIANE.aad_id, OLGA_ID, T0)
        await store.save_panel(panel)
        for judge, idea in itertools.product(JUDGES, ideas):
            card = Scorecard(challenge.id, idea.id, judge.aad_id)
            card.declare(panel=panel, actor_id=judge.aad_id, conflict=Conflict.NONE, now=T0)
            await store.save_scorecard(card)


LATE_WRITES = """
CREATE TABLE late_writes (what TEXT NOT NULL, challenge_id TEXT NOT NULL);
CREATE TRIGGER late_vote AFTER INSERT ON votes
WHEN (SELECT json_extract(body, '$.closedAt') FROM polls WHERE challenge_id = NEW.challenge_id) IS NOT NULL
BEGIN INSERT INTO late_writes VALUES ('vote', NEW.challenge_id); END;
CREATE TRIGGER late_move AFTER UPDATE ON votes
WHEN (SELECT json_extract(body, '$.closedAt') FROM polls WHERE challenge_id = NEW.challenge_id) IS NOT NULL
BEGIN INSERT INTO late_writes VALUES ('vote', NEW.challenge_id); END;
CREATE TRIGGER late_score AFTER UPDATE ON scorecards
WHEN (SELECT json_extract(body, '$.scoringClosedAt') FROM panels WHERE challenge_id = NEW.challenge_id) IS NOT NULL
BEGIN INSERT INTO late_writes VALUES ('score', NEW.challenge_id); END;
"""


def watch_late_writes(db: Path) -> None:
    """The test's own witness, inside SQLite: triggers that note any vote or score written, in
    the writer's own transaction, while the store already says voting (scoring) is closed."""
    with sqlite3.connect(db) as connection:
        connection.executescript(LATE_WRITES)


def late_writes(db: Path, what: str) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [r[0] for r in connection.execute("SELECT challenge_id FROM late_writes WHERE what = ?", (what,))]


def challenge_of(n: int) -> str:
    return f"race-{n:02d}"


def finalist_of(n: int, k: int) -> str:
    return f"00000000-0000-4000-9000-{n:04d}{k:08d}"


async def click(client: TeamsClient, user: User, verb: str, data: dict, inputs: dict | None = None):
    answer = await client.click(user, {"verb": verb, "data": data}, inputs or {})
    assert answer.status == 200, answer
    return answer


async def test_two_people_naming_each_other_on_two_instances_never_make_a_loop(dens):
    (first, second), store, _ = dens
    last_day = (date.today() + timedelta(days=7)).isoformat()
    accepted_both = 0
    for n in range(ROUNDS):
        await asyncio.gather(
            click(first, AMIR, verbs.DELEGATE_SET, {}, {"delegateId": DANA.aad_id, "lastDay": last_day}),
            click(second, DANA, verbs.DELEGATE_SET, {}, {"delegateId": AMIR.aad_id, "lastDay": last_day}),
        )
        in_force = await store.delegations_in_force(store_now())
        onward = onward_of(in_force, store_now())
        accepted_both += {AMIR.aad_id, DANA.aad_id} <= set(in_force)
        assert not any(closes_a_loop(p, d, onward) for p, d in onward.items()), f"round {n}: a loop"
        assert len(in_force) == 1, f"round {n}: exactly one was accepted"
        await asyncio.gather(click(first, AMIR, verbs.DELEGATE_END, {}), click(second, DANA, verbs.DELEGATE_END, {}))
        assert await store.delegations_in_force(store_now()) == {}
    assert accepted_both == 0


async def test_votes_racing_the_close_on_two_instances_are_counted_or_refused(dens):
    (first, second), store, db = dens
    for n in range(ROUNDS):
        cid = challenge_of(n)
        votes = [
            click((first, second)[v % 2], voter, verbs.VOTE, {"challengeId": cid, "finalistId": finalist_of(n, v % 3)})
            for v, voter in enumerate(VOTERS)
        ]
        close = click((first, second)[n % 2], OLGA, verbs.VOTING_CLOSE, {"challengeId": cid})
        await asyncio.gather(*votes[:4], close, *votes[4:])
        poll = await store.get_poll(cid)
        stored = await store.count_votes(cid)
        assert not poll.is_open
        assert frozen_counts_hold(poll, stored), f"round {n}: result {poll.counts}, votes stored {stored}"
        assert late_writes(db, "vote") == [], f"round {n}: a vote written after voting closed"


async def test_scores_racing_the_chair_s_close_on_two_instances_never_land_after_it(dens):
    (first, second), store, db = dens
    for n in range(ROUNDS):
        cid = challenge_of(n)
        scores = {f"score_{key}": "4" for key in ("client_impact", "feasibility", "use_of_digital", "people_plan",
                                                  "cost")}  # fmt: skip
        scoring = [
            click((first, second)[j % 2], judge, verbs.SCORE, {"challengeId": cid, "finalistId": finalist_of(n, k)},
                  scores)
            for j, (judge, k) in enumerate(itertools.product(JUDGES, range(3)))
        ]  # fmt: skip
        close = click((first, second)[(n + 1) % 2], DIANE, verbs.CLOSE_SCORING, {"challengeId": cid})
        await asyncio.gather(*scoring[:4], close, *scoring[4:])
        assert (await store.get_panel(cid)).scoring_closed
        assert late_writes(db, "score") == [], f"round {n}: a score written after scoring closed"


def store_now() -> datetime:
    return datetime.now(UTC)
