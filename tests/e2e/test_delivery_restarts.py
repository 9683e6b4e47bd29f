"""Effectively once, with the real app in its own process: kill -9 and SIGTERM in a burst.

Sixty managers approve their staff's ideas, which queues 120 notifications (the decision to
each submitter, the request to each director). The app (`python app.py`, SQLite) delivers
them through the local connector stand-in, which answers each send after a short delay, so
some are always in flight. Mid-burst the process is killed, then started again; every
notification must arrive with the right content. After kill -9 only messages whose send had
reached the connector but was not yet recorded may arrive twice; after SIGTERM none may. The
restart is on the other SDK edge (DEN_TEAMS_EDGE), as an instance switching edges would be.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from bot.ports.service_urls import LOCAL_SERVICE_URLS
from bot.settings import ROOT
from cards import verbs
from cards.safe_text import plain
from tests.support.bulk import BenchOrg, approve_first_steps, seed_ideas
from tests.support.edges import EDGES, both_edges
from tests.support.fake_connector import FakeConnector
from tests.support.teams_client import User, texts

pytestmark = both_edges

IDEAS = 60
LEASE_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_den(
    db: Path, org_file: Path, teams_edge: str = "botbuilder", **more: str
) -> tuple[subprocess.Popen, int]:
    """`python app.py` on the store `db`, sending to the connector stand-in; `more`: other settings."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DEN_HOST": "127.0.0.1",
        "DEN_SQLITE_PATH": str(db),
        "DEN_ORG_FILE": str(org_file),
        "DEN_LOG_LEVEL": "WARNING",
        "DEN_DIGEST_SCHEDULE": "off",
        "DEN_OUTBOX_POLL_SECONDS": "0.2",
        "DEN_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "DEN_NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "MicrosoftAppId": "",
        "DEN_TEAMS_EDGE": teams_edge,
        "DEN_ALLOWED_SERVICE_URLS": LOCAL_SERVICE_URLS,  # the connector stand-in on loopback
        **more,
    }
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=ROOT)  # noqa: ASYNC220
    deadline = time.monotonic() + 90  # a busy machine's cold start (the Agents SDK edge imports more)
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    await response.read()
                    return process, port
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    process.kill()
    raise AssertionError(f"the app did not start (exit code {process.poll()})")


@pytest.fixture
async def burst(tmp_path, teams_edge):
    """A store with 120 notifications queued by real decisions, and a slow connector stand-in."""
    connector = FakeConnector(latency_seconds=0.15)
    await connector.start()
    org = BenchOrg.build(directors=12, managers_per_director=5, staff_per_manager=1)
    db, org_file = tmp_path / "den.sqlite3", tmp_path / "org.json"
    org.write(org_file)
    ideas = await seed_ideas(db, org, IDEAS, service_url=connector.url)
    await approve_first_steps(db, org, ideas)
    yield connector, org, db, org_file, teams_edge
    await connector.stop()


def expected_notifications(db: Path) -> dict[tuple[str, str], dict]:
    """(conversation id, reference) -> what the card must say, from the outbox rows' own facts."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT recipient_id, kind, payload FROM outbox").fetchall()
    expected = {}
    for recipient, kind, payload in rows:
        facts = json.loads(payload)["facts"]
        expected[(User(recipient, "").conversation_id, facts["reference"])] = {"kind": kind, **facts}
    return expected


def reference_of(card: dict) -> str:
    shown = texts(card)
    return next(word.strip(".:,") for word in shown.split() if word.startswith("DEN-"))


def check_content(card: dict, facts: dict) -> None:
    shown = texts(card)
    if facts["kind"] == "approval_request":
        [approve] = [a for a in card.get("actions", []) if a.get("verb") == verbs.APPROVE]
        assert approve["data"]["step"] == 1 and approve["data"]["revision"] == 1, shown
        assert facts["title"] in shown
    else:
        # names are escaped for the TextBlock's markdown ("Manager 0\\.0" shows as "Manager 0.0")
        assert f"{plain(facts['approver'])} (Manager) approved your idea {facts['reference']}" in shown, shown
        assert f"It went on to {facts['next']['name']} (Director)" in shown, shown


async def wait_for_arrivals(connector: FakeConnector, count: int, seconds: float = 60) -> None:
    await connector.wait_for(lambda c: len(c.sent) >= count, seconds)


async def run_burst_with_interruption(burst, sig: int) -> tuple[Counter, dict, set[tuple[str, str]]]:
    connector, org, db, org_file, first_edge = burst
    expected = expected_notifications(db)
    assert len(expected) == 2 * IDEAS
    process, _ = await start_den(db, org_file, first_edge)
    try:
        await wait_for_arrivals(connector, len(expected) // 3)
        process.send_signal(sig)
        await asyncio.to_thread(process.wait, 30)
    finally:
        if process.poll() is None:
            process.kill()
    # Requests already on the wire when the process died are still being read by the stand-in.
    await asyncio.sleep(0.5)
    # What reached the connector but is not recorded as sent: the only messages allowed to repeat.
    with sqlite3.connect(db) as connection:
        unrecorded_rows = connection.execute(
            "SELECT recipient_id, payload FROM outbox WHERE state = 'pending'"
        ).fetchall()
    unrecorded = {(User(r, "").conversation_id, json.loads(p)["facts"]["reference"]) for r, p in unrecorded_rows}
    received = {(s.conversation_id, reference_of(s.cards[0])) for s in connector.sent}
    in_flight = received & unrecorded
    assert len(connector.sent) < len(expected), "interrupted mid-burst"

    # It comes back on the other SDK edge: the queued messages and the conversations they go to are
    # the store's, not the edge's, so switching edges at a restart loses and repeats nothing more.
    other_edge = next(edge for edge in EDGES if edge != first_edge)
    process, _ = await start_den(db, org_file, other_edge)
    try:
        await wait_for_arrivals(connector, len(expected))
        await asyncio.sleep(LEASE_SECONDS + 1)  # anything that would repeat has had its chance
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 30)
    arrivals: Counter = Counter()
    for sent in connector.sent:
        key = (sent.conversation_id, reference_of(sent.cards[0]))
        assert key in expected, f"a notification nobody queued: {key}"
        check_content(sent.cards[0], expected[key])
        arrivals[key] += 1
    assert set(arrivals) == set(expected), "every notification arrives"
    return arrivals, expected, in_flight


async def test_kill_9_mid_burst_then_restart_repeats_only_what_was_in_flight(burst):
    arrivals, _, in_flight = await run_burst_with_interruption(burst, signal.SIGKILL)
    twice = {key for key, count in arrivals.items() if count > 1}
    assert all(count <= 2 for count in arrivals.values())
    assert twice <= in_flight, f"repeated though its delivery had been recorded: {twice - in_flight}"


async def test_sigterm_mid_burst_then_restart_sends_nothing_twice(burst):
    arrivals, _, in_flight = await run_burst_with_interruption(burst, signal.SIGTERM)
    assert in_flight == set(), "a stopping instance records every send it made"
    assert [key for key, count in arrivals.items() if count > 1] == []
