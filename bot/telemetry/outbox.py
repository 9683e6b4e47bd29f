"""The outbox seen from operations: each delivery a trace linked to the turn that queued it, and the backlog.

A notification is delivered later than the click that caused it, maybe by another instance: its
delivery starts a trace of its own (`outbox.deliver <kind>`), *linked* to the queuing turn's span
through the `traceparent` kept in its payload, so "this idea's turns" finds the click and, from it,
every message it caused. `BacklogWatch` reads the backlog for the gauges once a minute at most
(on SharePoint an idle poll already read it, and then it costs nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from bot.ports import OutboxMessage
from bot.telemetry.core import Telemetry
from bot.telemetry.privacy import guid_or_empty, word
from bot.telemetry.store import TRACE_KEY

log = logging.getLogger(__name__)


def queued_by(message: OutboxMessage) -> list[Link]:
    """A link to the span of the turn that queued `message`, if it was queued inside one."""
    parent = message.payload.get(TRACE_KEY)
    if not isinstance(parent, str):
        return []
    context = trace.get_current_span(propagate.extract({TRACE_KEY: parent})).get_span_context()
    return [Link(context, {"den.link": "queued_by"})] if context.is_valid else []


class _Note:
    """What the dispatcher tells of the attempt (the shape of bot.services.outbox.DeliveryNote)."""

    outcome = ""


class DeliveryObserver:
    """`OutboxDispatcher(observe=...)`: each delivery attempt in a consumer span, counted by outcome."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    @contextlib.contextmanager
    def __call__(self, message: OutboxMessage) -> Iterator:
        kind = word(str(message.kind))
        attributes = {"den.outbox.kind": kind, "den.outbox.attempt": message.attempts + 1}
        idea_id = guid_or_empty(message.idea_id)
        if idea_id:
            attributes["den.idea_id"] = idea_id
        note = _Note()
        with self._telemetry.tracer.start_as_current_span(
            f"outbox.deliver {kind}", context=otel_context.Context(), kind=SpanKind.CONSUMER,
            links=queued_by(message), attributes=attributes,
            record_exception=False, set_status_on_exception=False,
        ) as span:  # fmt: skip
            try:
                yield note
            finally:
                outcome = note.outcome or "stopped"
                span.set_attribute("den.outcome", outcome)
                if outcome in ("retry", "failed"):
                    span.set_status(Status(StatusCode.ERROR))
                self._telemetry.deliveries.add(1, {"den.outbox.kind": kind, "den.outcome": outcome})


class BacklogWatch:
    """Refreshes the outbox gauges from the store every `every_seconds` (60 by default)."""

    def __init__(self, telemetry: Telemetry, read, clock: Callable[[], datetime], every_seconds: float = 60.0) -> None:
        self._telemetry = telemetry
        self._read = read  # the store's outbox_backlog
        self._clock = clock
        self._every = every_seconds
        self._task: asyncio.Task | None = None

    async def refresh(self) -> None:
        now = self._clock()
        backlog = await self._read(now)
        gauges = self._telemetry.gauges
        gauges.outbox_pending = backlog.pending
        gauges.outbox_due = backlog.due
        gauges.outbox_oldest_due_age_seconds = backlog.oldest_due_age_seconds(now)
        gauges.read = True

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # the store is down: the gauges keep their last reading, the health check says why
                log.warning("outbox backlog not read for the metrics")
            await asyncio.sleep(self._every)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="telemetry-backlog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
