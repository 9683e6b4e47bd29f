"""Delivering the outbox: proactive messages, effectively once, as fast as Teams allows.

Every notification was written to the store with the change that caused it, carrying the facts
its card must state. This worker leases due messages (so two app instances never send the same
one at once) and sends them:

- to different people concurrently (up to `max_in_flight` leased at a time), to any one person
  in the order they were queued;
- within Teams' limits: each send waits on the per-conversation windows and the per-tenant rate,
  counted so that no window as Teams measures it can overflow (`bot/ports/rate_limits.py`); a
  429's Retry-After pauses that conversation;
- told to wait (429 or 503 with Retry-After): rescheduled after exactly that wait (capped), which
  is not counted as a failed attempt; on a failure, rescheduled with exponential backoff and
  jitter; either way the rest of that person's queue with it, so their messages stay in order;
- a message that no longer applies (an approval request for a step already closed) is dropped
  and logged, not sent.

Effectively once: a lease is renewed while its message is held (waiting its turn or being
sent), so it never lapses under a slow send. On stop (SIGTERM) the worker leases nothing more,
gives back what it has not started sending, lets the sends already under way finish and records
them, then returns. A crash (kill -9) can only repeat the messages whose send had started and
whose delivery was not yet recorded: their lease lapses and another pass sends them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.ports import Channel, DeliveryFailed, Outbox, OutboxLeases, OutboxMessage, PreparedSend, prepare_send
from bot.ports.rate_limits import TeamsRateLimiter
from bot.ports.retry import Backoff
from bot.services.workers import BackgroundTask

log = logging.getLogger(__name__)


Rendered = tuple[dict[str, Any], str] | None
Renderer = Callable[[OutboxMessage], Awaitable[Rendered]]
"""The card and summary for a message, or None when it no longer applies (dropped, not sent)."""
AfterSend = Callable[[OutboxMessage, dict[str, Any], str, str], Awaitable[None]]
# Instead of a new message: update the cards already in the person's chat with this one (True: done).
InPlace = Callable[[OutboxMessage, dict[str, Any], str], Awaitable[bool]]
"""Told of each message sent (message, card, summary, the posted message's id or ""): for example,
to remember an approval request's id so the card can later be replaced in place."""


_Ready = tuple[PreparedSend, dict[str, Any], str]  # a send prepared, with the card and summary it carries


@dataclass
class DeliveryNote:
    """How one delivery attempt ended, for whoever observes it (telemetry): sent, dropped, retry or failed."""

    outcome: str = ""


DeliveryObserver = Callable[[OutboxMessage], AbstractContextManager[DeliveryNote]]
"""Wraps each delivery attempt (telemetry's linked span); told its outcome through the note."""


def unobserved(message: OutboxMessage) -> AbstractContextManager[DeliveryNote]:
    return contextlib.nullcontext(DeliveryNote())


class OutboxStore(Outbox, OutboxLeases, Protocol):
    """What the dispatcher needs of the store."""


class _Stopping(Exception):
    """Raised inside a lane when the worker is stopping before the send started."""


class OutboxDispatcher(BackgroundTask):
    name = "outbox-dispatcher"

    def __init__(
        self,
        store: OutboxStore,
        channel: Channel,
        render: Renderer,
        *,
        clock: Callable[[], datetime],
        backoff: Backoff = Backoff(first=2.0, longest=600.0),
        max_attempts: int = 12,
        poll_seconds: float = 5.0,
        lease_seconds: float = 60.0,
        max_in_flight: int = 64,
        limiter: TeamsRateLimiter | None = None,
        drain_seconds: float = 20.0,
        preparing_at_once: int = 8,
        record_linger_seconds: float = 0.05,
        held_per_person: int = 8,
        after_send: AfterSend | None = None,
        in_place: InPlace | None = None,
        observe: DeliveryObserver = unobserved,
    ) -> None:
        self._store = store
        self._observe = observe
        self._after_send = after_send
        self._in_place = in_place
        self._channel = channel
        self._render = render
        self._clock = clock
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._poll_seconds = poll_seconds
        self._lease_seconds = lease_seconds
        self._max_in_flight = max_in_flight
        # Teams lets one conversation have 8 sends in 2 s: holding more of one person's messages
        # would only keep everyone else's out of the places in flight.
        self._held_per_person = held_per_person
        self._limiter = limiter or TeamsRateLimiter()
        self._drain_seconds = drain_seconds
        self._wake = asyncio.Event()
        self._held: dict[str, OutboxMessage] = {}  # leased by this instance, outcome not yet recorded
        self._sending: set[str] = set()  # held messages whose send has started
        self._lanes: dict[str, deque[OutboxMessage]] = {}  # per recipient, in queued order
        self._lane_tasks: dict[str, asyncio.Task] = {}
        self._stopping = False
        self._renewer: asyncio.Task | None = None
        self._last_room = max_in_flight
        # Rendering and preparing run a few at a time, so a freshly claimed batch never fills the
        # event loop with work while answers from the connector wait (their slot would run long).
        self._preparing = asyncio.Semaphore(preparing_at_once)
        self._record_linger = record_linger_seconds
        self._done: list[OutboxMessage] = []  # sent or dropped: recorded together, in one write
        # Each held message is rendered and prepared as soon as it is claimed (a few at a time), so
        # when the rate limits let a send go, its card is ready: a lane never sends and then renders.
        self._preparations: dict[str, asyncio.Task[_Ready | None]] = {}
        self._recorder: asyncio.Task | None = None

    # ---- what the app and the health check see ------------------------------------------------
    def kick(self) -> None:
        """Something was just queued: deliver now rather than at the next poll."""
        self._wake.set()

    def may_send(self) -> bool:
        """Whether this instance has a share of the tenant's Teams budget now."""
        return bool(self._limiter.tenant_rate)

    @property
    def in_flight(self) -> int:
        return len(self._held)

    # ---- the worker -----------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        super().start()
        if self._renewer is None:
            self._renewer = asyncio.create_task(self._renew_leases(), name="outbox-lease-renewal")

    async def stop(self) -> None:
        """Lease nothing more; give back what was not started; finish and record sends under way."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for recipient, task in list(self._lane_tasks.items()):
            if not any(m.id in self._sending for m in self._lanes.get(recipient, ())):
                task.cancel()  # waiting its turn or on the rate limiter: nothing sent yet
        for preparation in self._preparations.values():
            preparation.cancel()  # rendering only: nothing sent
            if preparation.done() and not preparation.cancelled():
                preparation.exception()  # seen: it is rendered again when next due
        self._preparations.clear()
        lanes = list(self._lane_tasks.values())
        if lanes:
            done, pending = await asyncio.wait(lanes, timeout=self._drain_seconds)
            for task in pending:  # a send that outlived the drain: it may be repeated after restart
                task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
        await self._recorded()
        unsent = [message_id for message_id in self._held if message_id not in self._sending]
        if unsent:
            with contextlib.suppress(Exception):
                await self._store.release(unsent, self._clock())
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        unrecorded = [message_id for message_id in self._held if message_id in self._sending]
        if unrecorded:
            log.warning("outbox stopped with sends unrecorded", extra={"count": len(unrecorded)})
        self._held.clear()
        self._sending.clear()

    async def _run(self) -> None:
        while not self._stopping:
            claimed = 0
            # Cleared before the claim, not after: a wake-up that comes while the claim is under way
            # (a send recorded, room made) must start another claim, not be lost until the next poll.
            self._wake.clear()
            if not self.may_send():
                # No share of the tenant's budget yet (a new instance): lease nothing, so the other
                # instances deliver what is due meanwhile.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
                continue
            try:
                claimed = await self.claim_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store itself failed: keep the worker alive, try again later
                log.exception("outbox pass failed")
            if self._stopping:
                return
            if claimed and claimed >= self._last_room and len(self._held) < self._max_in_flight:
                continue  # the batch came back full: there may be more due right now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)

    async def claim_once(self) -> int:
        """Lease as many due messages as there is room for and hand them to their lanes."""
        room = self._last_room = self._max_in_flight - len(self._held)
        if room <= 0:
            return 0
        holding = {recipient: len(queue) for recipient, queue in self._lanes.items()}
        messages = await self._store.claim_due(
            self._clock(), self._lease_seconds, room, per_recipient=self._held_per_person, holding=holding
        )
        for message in messages:
            if message.id in self._held:
                continue
            self._held[message.id] = message
            self._preparations[message.id] = asyncio.create_task(self._prepare(message))
            self._lanes.setdefault(message.recipient_id, deque()).append(message)
            if message.recipient_id not in self._lane_tasks:
                self._lane_tasks[message.recipient_id] = asyncio.create_task(
                    self._lane(message.recipient_id), name=f"outbox-lane-{message.recipient_id[:8]}"
                )
        return len(messages)

    async def drain_once(self) -> int:
        """Lease what is due now, deliver it and wait for the outcome. Returns how many were attempted."""
        claimed = await self.claim_once()
        while self._lane_tasks:
            await asyncio.gather(*list(self._lane_tasks.values()), return_exceptions=True)
        await self._recorded()
        return claimed

    async def _renew_leases(self) -> None:
        """Keep every held message's lease ahead of the clock while it waits or is being sent."""
        every = max(0.05, self._lease_seconds / 3)
        while True:
            await asyncio.sleep(every)
            if not self._held:
                continue
            try:
                until = self._clock() + timedelta(seconds=self._lease_seconds)
                await self._store.renew_leases(list(self._held), until)
            except Exception:
                log.exception("outbox lease renewal failed")

    # ---- one recipient's messages, in order ---------------------------------------------------
    async def _lane(self, recipient: str) -> None:
        queue = self._lanes[recipient]
        try:
            while queue and not self._stopping:
                retry_at = await self._deliver(queue[0])
                queue.popleft()
                if retry_at is not None and queue:
                    await self._postpone(queue, retry_at)
        except _Stopping:
            pass
        finally:
            if self._lane_tasks.get(recipient) is asyncio.current_task():
                del self._lane_tasks[recipient]
            if not queue:
                self._lanes.pop(recipient, None)
            elif not self._stopping:  # a message arrived as the loop ended: keep its lane going
                self._lane_tasks[recipient] = asyncio.create_task(self._lane(recipient))
            self._wake.set()  # there is room for more

    async def _deliver(self, message: OutboxMessage) -> datetime | None:
        """Render, wait for the rate limits, send, record. Returns when it will be retried, if it failed."""
        with self._observe(message) as note:
            retry_at = await self._deliver_observed(message, note)
            if not note.outcome:
                note.outcome = "retry" if retry_at is not None else "failed"
            return retry_at

    async def _deliver_observed(self, message: OutboxMessage, note: DeliveryNote) -> datetime | None:
        try:
            preparation = self._preparations.pop(message.id, None)
            ready = await (preparation if preparation is not None else self._prepare(message))
            if ready is None:
                log.info(
                    "notification dropped: no longer applies",
                    extra={"message_id": message.id, "kind": str(message.kind), "idea_id": message.idea_id},
                )
                note.outcome = "dropped"
                self._record_done(message)
                return None
            prepared, card, summary = ready
            if await self._updated_in_place(message, card, summary):
                self._record_done(message)
                log.info("notification shown in place", extra={"message_id": message.id, "kind": str(message.kind)})
                return None
            async with self._limiter.slot(message.recipient_id, prepared.requests):
                if self._stopping:
                    raise _Stopping
                self._sending.add(message.id)
                sent_id = await prepared.send()
        except DeliveryFailed as failure:
            if failure.retry_after:
                self._limiter.pause(message.recipient_id, failure.retry_after)
            return await self._failed(message, failure)
        except (_Stopping, asyncio.CancelledError):
            raise
        except Exception as exc:  # unexpected: treat as transient, keep the message
            log.exception("notification crashed", extra={"message_id": message.id})
            return await self._failed(message, DeliveryFailed(type(exc).__name__))
        note.outcome = "sent"
        self._record_done(message)
        log.info("notification sent", extra={"message_id": message.id, "kind": str(message.kind)})
        if self._after_send is not None:
            try:
                await self._after_send(message, card, summary, sent_id or "")
            except Exception:  # what follows a send never undoes it, nor stops this person's queue
                log.exception("after-send step failed", extra={"message_id": message.id})
        return None

    async def _updated_in_place(self, message: OutboxMessage, card: dict[str, Any], summary: str) -> bool:
        """Whether the cards already in the person's chat now say it, so a new message would repeat it."""
        if self._in_place is None:
            return False
        try:
            return await self._in_place(message, card, summary)
        except Exception:  # an update that fails falls back to a new message, which loses nothing
            log.exception("in-place update failed", extra={"message_id": message.id})
            return False

    async def _prepare(self, message: OutboxMessage) -> _Ready | None:
        """Render the card (None: it no longer applies) and prepare its send: records read, card
        fitted, body written, so the rate-limit slot is later held for the request alone."""
        async with self._preparing:
            rendered = await self._render(message)
            if rendered is None:
                return None
            card, summary = rendered
            return await prepare_send(self._channel, message.recipient_id, card, summary=summary), card, summary

    # ---- recording outcomes -------------------------------------------------------------------
    def _record_done(self, message: OutboxMessage) -> None:
        """Sent (or dropped): recorded with the others that finish about now, in one store write.
        The message stays held (its lease renewed) until that write is done."""
        self._done.append(message)
        if self._recorder is None or self._recorder.done():
            # In a context of its own: the write records many deliveries, it belongs to none of their traces.
            self._recorder = asyncio.create_task(
                self._record_completions(), name="outbox-recorder", context=contextvars.Context()
            )

    async def _record_completions(self) -> None:
        while self._done:
            if self._record_linger and not self._stopping:
                await asyncio.sleep(self._record_linger)  # let the sends finishing now join this write
            batch, self._done = self._done, []
            for attempt in range(5):
                try:
                    await self._store.complete_many([m.id for m in batch])
                    break
                except Exception:
                    if attempt == 4 or self._stopping:
                        log.exception("could not record notifications as sent", extra={"count": len(batch)})
                        break
                    await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
            for message in batch:
                self._held.pop(message.id, None)
                self._sending.discard(message.id)
            self._wake.set()  # there is room for more

    async def _recorded(self) -> None:
        """Wait until every finished send is recorded."""
        while self._recorder is not None and not self._recorder.done():
            await asyncio.shield(self._recorder)

    async def _record(self, message: OutboxMessage, write: Callable[[], Awaitable[None]]) -> None:
        """Record an outcome; on a store failure try again a few times (the lease is renewed meanwhile)."""
        for attempt in range(5):
            try:
                await write()
                break
            except Exception:
                if attempt == 4 or self._stopping:
                    log.exception("could not record a notification's outcome", extra={"message_id": message.id})
                    break
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
        self._held.pop(message.id, None)
        self._sending.discard(message.id)

    async def _failed(self, message: OutboxMessage, failure: DeliveryFailed) -> datetime | None:
        # Told to wait (429 or 503 with Retry-After) is not a failed attempt: the message waits
        # that long and is sent, however many times the connector says so (the health check's
        # outbox age shows a backlog that waits too long).
        throttled = bool(failure.retry_after) and not failure.permanent
        attempts = message.attempts if throttled else message.attempts + 1
        if failure.permanent or attempts >= self._max_attempts:
            log.error(
                "notification abandoned",
                extra={"message_id": message.id, "attempts": attempts, "reason": failure.reason},
            )
            await self._record(message, lambda: self._store.give_up(message.id, failure.reason))
            return None
        delay = self._backoff.delay(attempts, failure.retry_after)
        log.warning(
            "notification will be retried",
            extra={
                "message_id": message.id,
                "attempts": attempts,
                "delay_s": round(delay, 2),
                "reason": failure.reason,
            },
        )
        when = self._clock() + timedelta(seconds=delay)
        await self._record(message, lambda: self._store.reschedule(message.id, when, attempts, failure.reason))
        asyncio.get_running_loop().call_later(delay, self._wake.set)
        return when

    async def _postpone(self, queue: deque[OutboxMessage], retry_at: datetime) -> None:
        """The person's later messages wait behind the failed one, so they still arrive in order."""
        while queue:
            later = queue.popleft()
            preparation = self._preparations.pop(later.id, None)
            if preparation is not None:
                preparation.cancel()  # rendered again when it is next due
            step = timedelta(milliseconds=1)  # just after, keeping their order
            retry_at += step
            await self._record(
                later, lambda m=later, at=retry_at: self._store.reschedule(m.id, at, m.attempts, m.last_error)
            )
