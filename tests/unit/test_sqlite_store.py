"""The embedded store: conditional updates, the outbox lease, and two instances on one file."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.sqlite_store import SqliteStore
from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.pitch import Pitch
from bot.ports import ConcurrencyConflict, OutboxMessage
from bot.services.ideas import outbox_for
from tests.support.cast import SAM
from tests.support.chains import build_chain
from tests.support.people import VALID_PITCH
from tests.support.store_probes import pending_outbox

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
CHAIN_OWNER = Person("maya", "Maya Singh", Role.MANAGER)


@pytest.fixture
async def stores(tmp_path):
    first, second = SqliteStore(tmp_path / "den.sqlite3"), SqliteStore(tmp_path / "den.sqlite3")
    await first.open()
    await second.open()
    yield first, second
    await first.close()
    await second.close()


async def new_idea(store: SqliteStore, idea_id: str = "i1") -> Idea:
    idea, raised = Idea.submit(
        idea_id=idea_id,
        reference=await store.next_reference(2026),
        submitter=SAM,
        pitch=Pitch(**VALID_PITCH),
        chain=build_chain(SAM, [CHAIN_OWNER]),
        now=T0,
    )
    await store.add(idea, outbox_for(idea, raised, T0))
    return idea


async def test_references_are_unique_across_instances(stores):
    first, second = stores
    refs = await asyncio.gather(*[s.next_reference(2026) for s in (first, second) * 10])
    assert sorted(refs) == [f"DEN-2026-{n:04d}" for n in range(1, 21)]


async def test_an_update_from_a_stale_copy_is_refused_and_writes_nothing(stores):
    first, second = stores
    await new_idea(first)
    mine, theirs = await first.get("i1"), await second.get("i1")
    raised = mine.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    await first.update(mine, outbox_for(mine, raised, T0))
    theirs.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="no", now=T0)
    with pytest.raises(ConcurrencyConflict):
        await second.update(theirs, outbox_for(theirs, [], T0))
    stored = await second.get("i1")
    assert [d.outcome for d in stored.decisions] == [Outcome.APPROVED] and stored.version == 2


async def test_the_same_idea_cannot_be_added_twice(stores):
    first, second = stores
    await new_idea(first)
    with pytest.raises(ConcurrencyConflict):
        await new_idea(second)


async def test_a_leased_message_is_not_handed_to_another_instance_until_the_lease_ends(stores):
    first, second = stores
    await new_idea(first)
    claimed = await first.claim_due(T0, lease_seconds=60, limit=10)
    assert [m.kind for m in claimed] == ["approval_request"]
    assert await second.claim_due(T0, lease_seconds=60, limit=10) == []
    assert len(await second.claim_due(T0 + timedelta(seconds=61), lease_seconds=60, limit=10)) == 1


async def test_rescheduled_and_completed_messages(stores):
    first, _ = stores
    await new_idea(first)
    [message] = await first.claim_due(T0, 60, 10)
    await first.reschedule(message.id, T0 + timedelta(seconds=30), 1, "connector answered 429")
    assert await first.claim_due(T0 + timedelta(seconds=10), 60, 10) == []
    [again] = await first.claim_due(T0 + timedelta(seconds=31), 60, 10)
    assert again.attempts == 1 and again.last_error == "connector answered 429"
    await first.complete(again.id)
    assert await pending_outbox(first) == 0


# ---- the concurrency model: one hand-off per operation, on the connection's own thread ----------


def count_hand_offs(store: SqliteStore) -> list[int]:
    """Count the trips from the event loop to the store's thread."""
    lane, count = store._thread, [0]
    submit = lane._submit

    def counted(work):
        count[0] += 1
        return submit(work)

    lane._submit = counted
    return count


async def test_a_decision_with_its_notifications_is_one_hand_off(stores):
    first, _ = stores
    await new_idea(first)
    idea = await first.get("i1")
    count = count_hand_offs(first)
    raised = idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    await first.update(idea, outbox_for(idea, raised, T0))
    assert count[0] == 1  # BEGIN, UPDATE, decisions, outbox rows and COMMIT together
    await first.get("i1")
    await first.claim_due(T0, lease_seconds=60, limit=10)
    assert count[0] == 3  # a read is one; a lease (look, then BEGIN ... COMMIT) is one


def hold_write_lock(path) -> sqlite3.Connection:
    """Another process's writer, mid-transaction (its own connection, as another process has)."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_the_event_loop_runs_while_another_process_holds_the_write_lock(stores, tmp_path):
    first, _ = stores
    other = hold_write_lock(tmp_path / "den.sqlite3")
    writing = asyncio.create_task(first.next_reference(2026))
    ticks = 0
    for _ in range(20):
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 20 and not writing.done()  # the wait is on the store's thread, not on the loop
    other.execute("COMMIT")
    other.close()
    assert await writing == "DEN-2026-0001"


async def test_a_cancelled_write_leaves_no_transaction_open(stores, tmp_path):
    first, second = stores
    await new_idea(first)
    other = hold_write_lock(tmp_path / "den.sqlite3")
    idea = await first.get("i1")
    raised = idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    writing = asyncio.create_task(first.update(idea, outbox_for(idea, raised, T0)))
    queued = asyncio.create_task(first.next_reference(2026))  # waits behind it on the thread: never started
    await asyncio.sleep(0.1)
    writing.cancel()
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing
    other.execute("COMMIT")
    other.close()
    # The started write ran to its end (COMMIT) on the thread; nothing holds the write lock after it.
    for _ in range(100):
        if (await second.get("i1")).version == 2:
            break
        await asyncio.sleep(0.02)
    assert (await second.get("i1")).version == 2
    probe = sqlite3.connect(tmp_path / "den.sqlite3", isolation_level=None, timeout=0)
    probe.execute("BEGIN IMMEDIATE")  # raises "database is locked" if a transaction were left open
    probe.execute("ROLLBACK")
    probe.close()
    assert await first.next_reference(2026) == "DEN-2026-0002"  # the cancelled, never-started one took none


async def test_a_failed_write_rolls_back_everything_it_wrote(stores):
    first, second = stores
    await new_idea(first)
    stale = await second.get("i1")
    current = await first.get("i1")
    current.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    await first.update(current, [])
    raised = stale.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="no", now=T0)
    with pytest.raises(ConcurrencyConflict):
        await second.update(stale, outbox_for(stale, raised, T0))
    assert not second._thread._connection.in_transaction
    assert await pending_outbox(second) == 1  # only the first approval request; none of the refused change's


async def test_a_message_due_at_a_local_time_is_not_leased_hours_early(stores):
    """A judges' reminder due at 16:30 in Toronto (21:30 UTC) was leased at 17:00 UTC, when its
    text "16:30-05:00" compared below "17:00+00:00", then dropped as not yet due."""
    from zoneinfo import ZoneInfo

    from bot.ports import OutboxMessage

    store, _ = stores
    due = datetime(2026, 11, 20, 16, 30, tzinfo=ZoneInfo("America/Toronto"))
    await store.enqueue([OutboxMessage("r1", "judge", "panel_reminder", "den-2026", created_at=T0, not_before=due)])
    assert await store.claim_due(datetime(2026, 11, 20, 17, 0, tzinfo=UTC), 60, 10) == []
    claimed = await store.claim_due(datetime(2026, 11, 20, 21, 30, tzinfo=UTC), 60, 10)
    assert [m.id for m in claimed] == ["r1"] and claimed[0].not_before == due


async def test_rows_queued_with_a_local_offset_by_an_earlier_version_are_rewritten_at_start(tmp_path):
    path = tmp_path / "old.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO outbox (id, recipient_id, kind, idea_id, payload, created_at, not_before, attempts)"
                   " VALUES ('r1', 'judge', 'panel_reminder', 'c', '{}', ?, '2026-11-20T16:30:00-05:00', 0)",
                   (T0.isoformat(),))  # fmt: skip
    store = SqliteStore(path)
    await store.open()
    try:
        assert await store.claim_due(datetime(2026, 11, 20, 17, 0, tzinfo=UTC), 60, 10) == []
        assert [m.id for m in await store.claim_due(datetime(2026, 11, 20, 21, 31, tzinfo=UTC), 60, 10)] == ["r1"]
    finally:
        await store.close()
async def test_a_file_from_before_due_times_gains_them_and_keeps_scheduled_notices_from_counting_late(tmp_path):
    path = tmp_path / "den.sqlite3"
    store = SqliteStore(path)
    await store.open()
    next_week, later = T0 + timedelta(days=7), T0 + timedelta(minutes=30)
    await store.enqueue([
        OutboxMessage("c1:window_closed", "channel", "window_closed", "c1", T0, next_week, {}),
        OutboxMessage("i1:reminder:1", "maya", "reminder", "i1", T0, T0, {}),
        OutboxMessage("i2:reminder:1", "maya", "reminder", "i2", T0, T0, {}),
    ])  # fmt: skip
    await store.reschedule("i2:reminder:1", later, 1, "429")  # retried: its not-before moved on
    await store.close()
    old = sqlite3.connect(path)
    old.execute("ALTER TABLE outbox DROP COLUMN due_at")  # as the file was written before the column
    old.commit()
    old.close()

    reopened = SqliteStore(path)
    await reopened.open()
    try:
        backlog = await reopened.outbox_backlog(T0 + timedelta(days=2))
        assert (backlog.pending, backlog.due, backlog.oldest_due_at) == (3, 2, T0)
        assert (await reopened.outbox_backlog(next_week)).due == 3
    finally:
        await reopened.close()
