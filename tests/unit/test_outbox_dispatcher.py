"""The outbox worker against the real SQLite store and a channel that takes its time.

Concurrency across people, order for one person, Retry-After, lease renewal during a slow
send, and a stop that finishes what it started and gives back the rest.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.sqlite_store import SqliteStore
from bot.domain.outbox import MessageKind
from bot.ports import DeliveryFailed, OutboxMessage, SentCard
from bot.ports.rate_limits import TeamsRateLimiter
from bot.ports.retry import Backoff
from bot.services.live_cards import LiveCards
from bot.services.outbox import OutboxDispatcher

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


class SlowChannel:
    """Records sends; each takes `seconds`. `refuse` maps a recipient to failures to raise first."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.sent: list[tuple[str, str]] = []
        self.started: list[str] = []
        self.refuse: dict[str, list[DeliveryFailed]] = {}
        self.concurrent = 0
        self.most_concurrent = 0

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> None:
        self.started.append(summary)
        self.concurrent += 1
        self.most_concurrent = max(self.most_concurrent, self.concurrent)
        try:
            await asyncio.sleep(self.seconds)
            if self.refuse.get(recipient_id):
                raise self.refuse[recipient_id].pop(0)
            self.sent.append((recipient_id, summary))
        finally:
            self.concurrent -= 1


async def render(message: OutboxMessage):
    if message.payload.get("moot"):
        return None
    return {"type": "AdaptiveCard"}, message.id


def message(n: int, recipient: str, *, moot: bool = False, at: datetime = T0) -> OutboxMessage:
    payload = {"moot": True} if moot else {}
    return OutboxMessage.due_now(
        f"idea-{n}:reminder:{n}", recipient_id=recipient, kind=MessageKind.REMINDER, idea_id=f"idea-{n}",
        now=at + timedelta(milliseconds=n), payload=payload,
    )  # fmt: skip


@pytest.fixture
async def store(tmp_path):
    made = SqliteStore(tmp_path / "den.sqlite3")
    await made.open()
    yield made
    await made.close()


def dispatcher(store, channel, **options) -> OutboxDispatcher:
    options.setdefault("limiter", TeamsRateLimiter(per_tenant_per_second=1000, per_conversation=((1.0, 1000),)))
    return OutboxDispatcher(
        store, channel, render, clock=lambda: datetime.now(UTC),
        backoff=Backoff(first=0.05, longest=0.2), poll_seconds=0.05, **options,
    )  # fmt: skip


async def until(condition, seconds: float = 5.0) -> None:
    async def wait() -> None:
        while not condition():  # noqa: ASYNC110 - polls a fake that has no event to wait on
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), seconds)


async def test_different_people_concurrently_one_person_in_order(store):
    channel = SlowChannel(0.05)
    await store.enqueue([message(n, f"person-{n % 10}") for n in range(40)])
    worker = dispatcher(store, channel)
    worker.start()
    await until(lambda: len(channel.sent) == 40)
    await worker.stop()
    assert channel.most_concurrent >= 5, "ten people: their messages go out side by side"
    for person in range(10):
        theirs = [summary for recipient, summary in channel.sent if recipient == f"person-{person}"]
        assert theirs == sorted(theirs, key=lambda s: int(s.split(":")[-1])), "one person's arrive in order"
    assert (await store.outbox_backlog()).pending == 0


async def test_retry_after_holds_that_person_back_and_keeps_their_order(store):
    channel = SlowChannel(0.01)
    channel.refuse["sam"] = [DeliveryFailed("connector answered 429", retry_after=0.3)]
    await store.enqueue([message(1, "sam"), message(2, "sam"), message(3, "maya")])
    worker = dispatcher(store, channel)
    worker.start()
    await until(lambda: len(channel.sent) == 3)
    await worker.stop()
    assert channel.sent[0] == ("maya", "idea-3:reminder:3"), "someone else is not held back"
    assert [s for r, s in channel.sent if r == "sam"] == ["idea-1:reminder:1", "idea-2:reminder:2"]


async def test_one_persons_long_queue_does_not_keep_everyone_else_waiting(store):
    """Teams lets Maya's chat take 2 a second here; 40 for her are queued first, then one each for
    ten others. Holding all 40 would fill every place in flight for 20 s."""
    channel = SlowChannel(0.01)
    await store.enqueue([message(n, "maya") for n in range(40)])
    await store.enqueue([message(n, f"person-{n}", at=T0 + timedelta(seconds=1)) for n in range(40, 50)])
    slow_chat = TeamsRateLimiter(per_tenant_per_second=1000, per_conversation=((1.0, 2),))
    worker = dispatcher(store, channel, max_in_flight=16, held_per_person=4, limiter=slow_chat)
    worker.start()
    await until(lambda: sum(1 for r, _ in channel.sent if r != "maya") == 10, seconds=4)
    await worker.stop()
    mayas = [s for r, s in channel.sent if r == "maya"]
    assert len(mayas) < 10, "the others went while Maya's queue still waited on her chat's limit"
    assert mayas == [f"idea-{n}:reminder:{n}" for n in range(len(mayas))], "hers still in order"


async def test_a_message_that_no_longer_applies_is_dropped_not_sent(store, caplog):
    caplog.set_level("INFO", logger="bot.services.outbox")
    channel = SlowChannel(0.0)
    await store.enqueue([message(1, "diane", moot=True)])
    worker = dispatcher(store, channel)
    assert await worker.drain_once() == 1
    assert channel.sent == [] and (await store.outbox_backlog()).pending == 0
    assert any("no longer applies" in r.getMessage() for r in caplog.records)


async def test_a_slow_send_keeps_its_lease_so_no_other_instance_takes_it(store):
    channel = SlowChannel(1.0)  # longer than the lease
    await store.enqueue([message(1, "sam")])
    first = dispatcher(store, channel, lease_seconds=0.3)
    other = dispatcher(store, SlowChannel(0.0), lease_seconds=0.3)
    first.start()
    await until(lambda: channel.started)
    await asyncio.sleep(0.6)  # two lease lengths later
    assert await other.claim_once() == 0, "still leased: renewed while the send is in flight"
    await until(lambda: channel.sent)
    await first.stop()
    await other.stop()


async def test_stop_finishes_the_sends_under_way_and_gives_back_the_rest(store):
    channel = SlowChannel(0.3)
    await store.enqueue([message(n, "sam") for n in range(5)])
    worker = dispatcher(store, channel)
    worker.start()
    await until(lambda: channel.started)
    await worker.stop()
    assert channel.sent == [("sam", "idea-0:reminder:0")], "the send under way finished; nothing new started"
    backlog = await store.outbox_backlog()
    assert backlog.pending == 4
    after = dispatcher(store, SlowChannel(0.0))
    assert await after.drain_once() == 4, "the rest were given back, not left leased"


def test_a_retry_after_is_waited_exactly_capped_with_no_backoff_on_top():
    """Issue #20: after a few 429s with `Retry-After: 1` the wait had grown to minutes."""
    backoff = Backoff(first=2.0, longest=600.0)
    assert [backoff.delay(attempt, retry_after=1.0) for attempt in range(1, 26)] == [1.0] * 25
    assert Backoff(first=2.0, longest=600.0, retry_after_cap=30.0).delay(3, retry_after=3600.0) == 30.0
    assert Backoff(first=2.0, longest=60.0).delay(3, retry_after=3600.0) == 60.0, "no cap given: the longest wait"
    assert 4.0 <= backoff.delay(3) <= 8.0, "without Retry-After: exponential, jittered"


async def test_twenty_five_429s_in_a_row_are_waited_out_and_the_message_still_goes(store):
    """Issue #20: told to wait 25 times in a row, a channel announcement was still pending after
    8 attempts and 95 s. Being told to wait is not a failed attempt: the 26th try delivers it."""
    channel = SlowChannel(0.0)
    channel.refuse["channel"] = [DeliveryFailed("connector answered 429", retry_after=0.01) for _ in range(25)]
    await store.enqueue([message(1, "channel")])
    worker = OutboxDispatcher(
        store, channel, render, clock=lambda: datetime.now(UTC), backoff=Backoff(first=2.0, longest=600.0),
        poll_seconds=0.05, max_attempts=12, limiter=TeamsRateLimiter(per_tenant_per_second=1000,
                                                                   per_conversation=((1.0, 1000),)),
    )  # fmt: skip
    worker.start()
    try:
        await until(lambda: channel.sent == [("channel", "idea-1:reminder:1")], seconds=30)
    finally:
        await worker.stop()
    assert channel.refuse["channel"] == [] and len(channel.started) == 26
    assert (await store.outbox_backlog()).pending == 0


class UpdatingChannel(SlowChannel):
    """Also updates cards in place, as Teams does; `refuse_updates` makes every update fail."""

    def __init__(self) -> None:
        super().__init__(seconds=0)
        self.updated: list[tuple[str, str]] = []
        self.refuse_updates = False

    async def update_card(self, recipient_id: str, activity_id: str, card: dict[str, Any], *, summary: str) -> None:
        if self.refuse_updates:
            raise DeliveryFailed("forbidden")
        self.updated.append((recipient_id, activity_id))


def withdrawn(idea_id: str, recipient: str) -> OutboxMessage:
    return OutboxMessage.due_now(
        f"{idea_id}:withdrawn", recipient_id=recipient, kind=MessageKind.WITHDRAWN, idea_id=idea_id, now=T0
    )


@pytest.mark.parametrize("refuse_updates", [False, True])
async def test_a_withdrawal_updates_the_live_card_in_place_instead_of_sending_a_second_one(store, refuse_updates):
    """A walk found two identical "withdrawn" cards: the request replaced in place, and a new notice."""
    channel = UpdatingChannel()
    channel.refuse_updates = refuse_updates
    await store.remember_card(SentCard("idea-1:request", "idea-1", "maya", "activity-1", T0))
    live = LiveCards(store, channel, clock=lambda: T0)
    worker = dispatcher(store, channel, after_send=live.after_send, in_place=live.in_place)
    await store.enqueue([withdrawn("idea-1", "maya"), withdrawn("idea-2", "diane")])
    assert await worker.drain_once() == 2
    assert ("diane", "idea-2:withdrawn") in channel.sent, "no live card to update: the notice is sent"
    if refuse_updates:  # the update failed: the notice goes as a new message, nothing is lost
        assert channel.updated == [] and ("maya", "idea-1:withdrawn") in channel.sent
    else:
        assert channel.updated == [("maya", "activity-1")] and ("maya", "idea-1:withdrawn") not in channel.sent
    assert (await store.outbox_backlog()).pending == 0
