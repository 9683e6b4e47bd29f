"""The health probes over real HTTP: a notification scheduled for later never makes the app unhealthy;
one that is due and undelivered does, once it is late past the limit, counting from when it became due.

The app runs on a loopback port over SQLite with a clock the test controls, and the local Bot Connector stand-in.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.domain.outbox import MessageKind, message_id
from bot.ports import OutboxMessage
from tests.e2e.test_core_loop import approval_card_for, install_approvers, pitch
from tests.support.people import MAYA, SAM
from tests.support.running_app import FakeClock

MAX_AGE = 900.0  # the default DEN_HEALTH_OUTBOX_MAX_AGE_SECONDS


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


async def health(url: str, probe: str = "healthz") -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}{probe}") as response:
        return response.status, await response.json()


async def probes(url: str) -> dict[str, int]:
    return {probe: (await health(url, probe))[0] for probe in ("livez", "readyz", "healthz")}


async def delivered_everything(store, now: datetime) -> None:
    """Wait until every notification queued so far has been delivered and recorded."""
    for _ in range(200):
        if not (await store.outbox_backlog(now)).pending:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not drain")


async def test_a_notification_scheduled_for_next_week_never_makes_healthz_fail(teams, connector, app, clock):
    await install_approvers(teams)
    await pitch(teams, connector)
    await approval_card_for(connector, MAYA)
    await delivered_everything(app.store, clock.now)
    [idea] = await app.store.list_by_submitter(SAM.aad_id)
    queued_at = clock.now - timedelta(days=2)  # queued long ago, as a challenge's closing notice is
    next_week = clock.now + timedelta(days=7)
    await app.store.enqueue([
        OutboxMessage(message_id(MessageKind.FILED_RECEIPT, idea.id), SAM.aad_id, MessageKind.FILED_RECEIPT,
                      idea.id, queued_at, next_week, {}),
    ])  # fmt: skip
    status, body = await health(app.url)
    assert status == 200, body
    assert body["outbox"] | {"inFlight": 0} == {
        "pending": 1, "due": 0, "scheduled": 1, "inFlight": 0, "oldestAgeSeconds": 0.0,
        "maxAgeSeconds": MAX_AGE, "state": "ok",
    }  # fmt: skip
    assert await probes(app.url) == {"livez": 200, "readyz": 200, "healthz": 200}
    clock.advance(days=6, hours=23)  # queued more than eight days ago, due in an hour
    status, body = await health(app.url, "readyz")
    assert status == 200 and body["outbox"]["scheduled"] == 1, body
    assert await probes(app.url) == {"livez": 200, "readyz": 200, "healthz": 200}

    # It falls due while the Bot Connector is down: late from when it became due, not from when queued.
    connector.fail_next(10_000, status=503, retry_after=None)
    clock.advance(hours=1, minutes=10)
    status, body = await health(app.url)
    assert status == 200 and body["outbox"]["due"] == 1 and body["outbox"]["oldestAgeSeconds"] == 600.0, body
    clock.advance(minutes=10)
    status, body = await health(app.url)
    assert status == 503, body
    assert body["status"] == "unhealthy" and body["store"] == "ok"
    assert body["outbox"]["state"] == "stalled" and body["outbox"]["oldestAgeSeconds"] == 1200.0
    assert await probes(app.url) == {"livez": 200, "readyz": 503, "healthz": 503}, "late: out of rotation, alive"


async def test_readyz_fails_and_livez_holds_while_the_store_cannot_be_written(app, tmp_path):
    assert await probes(app.url) == {"livez": 200, "readyz": 200, "healthz": 200}
    # Another process holds SQLite's write lock (as a stuck writer or a full disk would stop writes).
    blocker = sqlite3.connect(tmp_path / "den.sqlite3", isolation_level=None, timeout=10, check_same_thread=False)
    await asyncio.to_thread(blocker.execute, "BEGIN IMMEDIATE")
    try:
        answered = await probes(app.url)
        status, body = await health(app.url, "readyz")
    finally:
        await asyncio.to_thread(blocker.execute, "ROLLBACK")
        blocker.close()
    assert answered == {"livez": 200, "readyz": 503, "healthz": 503}
    assert status == 503 and body["status"] == "unhealthy" and body["store"] == "not writable"
    assert await probes(app.url) == {"livez": 200, "readyz": 200, "healthz": 200}, "ready again once it takes writes"
