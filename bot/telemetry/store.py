"""A span for each store operation, and the turn's trace context kept with each notification it queues.

`traced_store(store, telemetry)` wraps every coroutine method of the store (SQLite, SharePoint or
the in-memory one alike) in a client span named `store.<operation>`; a failure counts in
`den.store.errors`. Only operations inside a trace (a turn, a delivery) get a span: the workers'
polls and lease renewals would otherwise start a trace every few seconds. A notification queued
during a turn carries that turn's W3C `traceparent` in its payload, so its delivery, later and
maybe on another instance, is linked back to the click that caused it (bot/telemetry/outbox.py).

Only installed when telemetry is on: with it off the app talks to the store directly.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from bot.ports import OutboxMessage
from bot.telemetry.core import Telemetry

TRACE_KEY = "traceparent"  # the payload key holding the queuing turn's trace context


def stamp(messages: Sequence[OutboxMessage]) -> None:
    """Keep the current span's context with each message (a message already stamped keeps its own),
    as a W3C `traceparent` (version 00), written directly rather than through a propagator."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        parent = f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
        for message in messages:
            message.payload.setdefault(TRACE_KEY, parent)


def _outbox_arguments(args: tuple, kwargs: dict) -> list[Sequence[OutboxMessage]]:
    found = []
    for value in (*args, *kwargs.values()):
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], OutboxMessage):
            found.append(value)
    return found


def _sampled() -> bool:
    """Inside a trace the sampler kept (a turn or a delivery). Read from the span context, not the
    span: an SDK's own no-op span in between (the Agents SDK makes some) carries the trace on."""
    context = trace.get_current_span().get_span_context()
    return context.is_valid and context.trace_flags.sampled


class TracedStore:
    """The store, each of its coroutine methods inside a span. Anything else passes straight through."""

    def __init__(self, inner: Any, telemetry: Telemetry, system: str) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_telemetry", telemetry)
        object.__setattr__(self, "_system", system)

    @property
    def inner(self) -> Any:
        return self._inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name.startswith("_"):
            return value
        if inspect.iscoroutinefunction(value):
            wrapped = self._traced(name, value)
        elif inspect.isasyncgenfunction(value):
            wrapped = self._traced_pages(name, value)
        else:
            return value
        object.__setattr__(self, name, wrapped)  # made once per operation
        return wrapped

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)

    def _attributes(self, name: str) -> dict[str, str]:
        return {"db.system": self._system, "db.operation.name": name}

    def _traced(self, name: str, method):
        tracer, errors, attributes = self._telemetry.tracer, self._telemetry.store_errors, self._attributes(name)
        parents = self._system == "sharepoint"

        @functools.wraps(method)
        async def call(*args, **kwargs):
            for messages in _outbox_arguments(args, kwargs):
                stamp(messages)
            if not _sampled():
                # Background work outside any turn or delivery (polls, leases, probes): no trace of its
                # own; nor inside a trace the sampler dropped (its spans would be recorded nowhere).
                try:
                    return await method(*args, **kwargs)
                except Exception as error:
                    errors.add(1, {"db.operation.name": name, "error.type": type(error).__name__})
                    raise
            span = tracer.start_span(f"store.{name}", kind=SpanKind.CLIENT, attributes=attributes)
            # Current only where the operation makes requests of its own (Graph, on SharePoint): a leaf
            # span costs less without it.
            token = otel_context.attach(trace.set_span_in_context(span)) if parents else None
            try:
                return await method(*args, **kwargs)
            except Exception as error:
                span.set_attributes({"error.type": type(error).__name__})
                span.set_status(Status(StatusCode.ERROR))
                errors.add(1, {"db.operation.name": name, "error.type": type(error).__name__})
                raise
            finally:
                if token is not None:
                    otel_context.detach(token)
                span.end()

        return call

    def _traced_pages(self, name: str, method):
        tracer, attributes = self._telemetry.tracer, self._attributes(name)

        @functools.wraps(method)
        async def pages(*args, **kwargs):
            # Not made current: a generator's context would leak into whoever iterates it.
            inside = _sampled()
            span = tracer.start_span(f"store.{name}", kind=SpanKind.CLIENT, attributes=attributes) if inside else None
            try:
                async for page in method(*args, **kwargs):
                    yield page
            finally:
                if span is not None:
                    span.end()

        return pages


def traced_store(store: Any, telemetry: Telemetry) -> Any:
    """The store itself when telemetry is off; else the store inside `TracedStore`."""
    if not telemetry.enabled:
        return store
    system = "sqlite" if type(store).__name__.lower().startswith("sqlite") else "sharepoint"
    if "memory" in type(store).__name__.lower():
        system = "memory"
    return TracedStore(store, telemetry, system)
