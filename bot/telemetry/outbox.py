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
import re
from collections.abc import Callable, Iterator
from datetime import datetime

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from bot.ports import OutboxMessage
from bot.telemetry.core import Telemetry
from bot.telemetry.privacy import guid_or_empty, word
from bot.telemetry.store import TRACE_KEY

log = logging.getLogger(__name__)
_ROOT = otel_context.Context()  # a delivery starts a trace of its own, whatever runs around it


_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_QUEUED_BY = {"den.link": "queued_by"}


def queued_by(message: OutboxMessage) -> list[Link]:
    """A link to the span of the turn that queued `message`, if it was queued inside one. The W3C
    `traceparent` the turn stamped (version 00, as `stamp` writes it) is read directly: the
    propagator's extract builds a whole context to reach the same two ids."""
    parent = message.payload.get(TRACE_KEY)
    found = _TRACEPARENT.match(parent) if isinstance(parent, str) else None
    if found is None:
        return []
    trace_id, span_id = int(found.group(1), 16), int(found.group(2), 16)
    if not trace_id or not span_id:
        return []
    context = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(found.group(3), 16)))
    return [Link(context, _QUEUED_BY)]


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
        span = self._telemetry.tracer.start_span(
            f"outbox.deliver {kind}", context=_ROOT, kind=SpanKind.CONSUMER, links=queued_by(message),
            attributes=attributes, record_exception=False, set_status_on_exception=False,
        )
        token = otel_context.attach(trace.set_span_in_context(span, _ROOT))
        try:
            yield note
        finally:
            otel_context.detach(token)
            outcome = note.outcome or "stopped"
            if span.is_recording():
                span.set_attribute("den.outcome", outcome)
                if outcome in ("retry", "failed"):
                    span.set_status(Status(StatusCode.ERROR))
            span.end()
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
