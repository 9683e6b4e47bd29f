"""One Teams budget for the tenant, shared by two and three real app processes over one store.

Each process (`python app.py`) announces itself in the SQLite store with a heartbeat and takes its
share of DEN_TEAMS_MESSAGES_PER_SECOND. A burst of queued notifications keeps every process busy
sending to the local Bot Connector stand-in, which counts arrivals from all of them: in no one-second
window may it see more than the budget, including while instances start, and after one is killed
(kill -9: its share stays reserved until its heartbeat is stale, then the others take it).
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_delivery_restarts import expected_notifications, reference_of, start_den
from tests.support.bulk import BenchOrg, approve_first_steps, seed_ideas
from tests.support.fake_connector import FakeConnector

BUDGET = 4  # messages a second for the whole tenant (small, so a burst lasts long enough to measure)
HEARTBEAT_SECONDS = 0.5
IDEAS = 30  # 60 notifications: fifteen seconds at the budget


async def start_instance(db: Path, org_file: Path, name: str) -> subprocess.Popen:
    process, _ = await start_den(
        db,
        org_file,
        DEN_OUTBOX_MAX_IN_FLIGHT="3",  # each instance leases a few at a time: they all have work
        DEN_TEAMS_MESSAGES_PER_SECOND=str(BUDGET),
        DEN_INSTANCE_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        DEN_INSTANCE_ID=name,
    )
    return process


def shares(db: Path) -> dict[str, float]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT instance_id, share FROM instances").fetchall())


async def until(condition, seconds: float = 60.0, what: str = "") -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached in {seconds} s: {what}")


@pytest.fixture
async def burst(tmp_path):
    """The store with ideas waiting on their managers, and `queue()`, which approves them all: 2 notifications each."""
    connector = FakeConnector(latency_seconds=0.05)
    await connector.start()
    org = BenchOrg.build(directors=12, managers_per_director=5, staff_per_manager=1)
    db, org_file = tmp_path / "den.sqlite3", tmp_path / "org.json"
    org.write(org_file)
    ideas = await seed_ideas(db, org, IDEAS, service_url=connector.url)

    async def queue() -> dict:
        await approve_first_steps(db, org, ideas)
        return expected_notifications(db)

    yield connector, db, org_file, queue
    await connector.stop()


async def stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()


def received(connector: FakeConnector) -> set[tuple[str, str]]:
    """(conversation, reference) of each notification that arrived (a send repeated after kill -9 is one)."""
    return {(s.conversation_id, reference_of(s.cards[0])) for s in connector.sent}


def check_everything_arrived(connector: FakeConnector, db: Path, expected: dict) -> None:
    assert received(connector) == set(expected), "every notification arrives"
    assert connector.max_per_second() <= BUDGET, (
        f"the connector saw {connector.max_per_second()} sends in one second; the tenant's budget is {BUDGET}"
    )


async def test_two_instances_share_the_budget(burst):
    connector, db, org_file, queue = burst
    processes = [await start_instance(db, org_file, "den-a")]
    try:
        await until(lambda: shares(db) == pytest.approx({"den-a": BUDGET}), what="the first has it all")
        expected = await queue()
        await until(lambda: len(connector.sent) >= 8, what="the first instance sends")
        processes.append(await start_instance(db, org_file, "den-b"))
        await until(lambda: shares(db) == pytest.approx({"den-a": BUDGET / 2, "den-b": BUDGET / 2}), what="halves")
        await until(lambda: received(connector) == set(expected), 90, "every notification sent")
    finally:
        await stop_all(processes)
    check_everything_arrived(connector, db, expected)
    assert shares(db) == {}, "each instance left the roster when it stopped"


async def test_three_instances_share_the_budget_while_one_is_killed(burst):
    connector, db, org_file, queue = burst
    processes = await asyncio.gather(*(start_instance(db, org_file, f"den-{n}") for n in "abc"))
    try:
        third = BUDGET / 3
        await until(lambda: sorted(shares(db).values()) == pytest.approx([third] * 3), what="three thirds")
        expected = await queue()  # the burst starts once all three are up (however slowly they started)
        await until(lambda: len(connector.sent) >= len(expected) // 4, what="a quarter sent")
        processes[1].kill()  # kill -9: no goodbye; its heartbeat goes stale
        await asyncio.to_thread(processes[1].wait, 30)
        alive = {"den-a", "den-c"}
        await until(lambda: {k: v for k, v in shares(db).items() if k in alive} == pytest.approx(
            dict.fromkeys(alive, BUDGET / 2)), what="the two left share the budget")  # fmt: skip
        await until(lambda: received(connector) == set(expected), 90, "every notification sent")
    finally:
        await stop_all(processes)
    check_everything_arrived(connector, db, expected)
