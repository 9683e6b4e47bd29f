"""One trace per incoming activity: the seam every edge (botbuilder's, the Agents SDK's) calls.

The edge's request handler runs inside `turn_span` (bot/edge/turns.py wraps either SDK's handler the
same way, reading the activity into `TurnFacts`: ids and the app's own words only); the store, Graph
and Bot Connector spans of the turn nest under it because OpenTelemetry's context follows the task,
and the replies sent within the turn find it through `current_turn()`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from bot.telemetry.core import Telemetry


@dataclass(frozen=True)
class TurnFacts:
    """What a trace may say about an activity: its type, invoke name, verb and idea (ids and app words)."""

    activity_type: str
    name: str = ""  # an invoke's name, e.g. adaptiveCard/action
    verb: str = ""  # a card click's verb, one of the app's (else "other")
    idea_id: str = ""  # the idea a click is about (a GUID), when it says

    @property
    def is_click(self) -> bool:
        return bool(self.verb)


_TURN: ContextVar[TurnRecord | None] = ContextVar("den_turn", default=None)


class TurnRecord:
    """Handed to the edge inside the turn: it says how the turn ended. The sends made within the
    turn find it (`current_turn`) to put their spans under it."""

    def __init__(self, span: trace.Span, telemetry: Telemetry) -> None:
        self.span = span
        self.telemetry = telemetry
        self.outcome = "ok"

    def answered(self, status: int) -> None:
        self.span.set_attribute("http.response.status_code", status)
        if status >= 500:
            self.failed("http_" + str(status))
        elif status >= 400:
            self.outcome = "refused"

    def failed(self, error_type: str) -> None:
        self.outcome = "error"
        self.span.set_attribute("error.type", error_type)
        self.span.set_status(Status(StatusCode.ERROR))


@contextmanager
def turn_span(telemetry: Telemetry, facts: TurnFacts, headers: Mapping[str, str] | None = None) -> Iterator[TurnRecord]:
    """The turn's server span ("turn <type>"), its click metrics, and the outcome the edge reports.

    The sampler decides first; a span it drops gets no attributes built (the metrics count every turn)."""
    parent = propagate.extract(headers) if headers and "traceparent" in headers else None  # a caller's, if any
    started = time.perf_counter()
    span = telemetry.tracer.start_span(f"turn {facts.activity_type}", context=parent, kind=SpanKind.SERVER)
    recording = span.is_recording()
    if recording:
        span.set_attributes(_turn_attributes(facts))
    record = TurnRecord(span, telemetry)
    token, attached = _TURN.set(record), otel_context.attach(trace.set_span_in_context(span, parent))
    try:
        yield record
    except BaseException as error:
        record.failed(type(error).__name__)
        raise
    finally:
        otel_context.detach(attached)
        _TURN.reset(token)
        if recording:
            span.set_attribute("den.outcome", record.outcome)
        span.end()
        if not facts.is_click:  # clicks are counted by verb below
            telemetry.turns.add(1, {"den.activity.type": facts.activity_type, "den.outcome": record.outcome})
        else:
            labels = {"den.verb": facts.verb}
            telemetry.click_duration.record(time.perf_counter() - started, labels)
            telemetry.clicks.add(1, {**labels, "den.outcome": record.outcome})


def _turn_attributes(facts: TurnFacts) -> dict[str, str]:
    attributes = {"den.activity.type": facts.activity_type}
    if facts.name:
        attributes["den.invoke.name"] = facts.name
    if facts.verb:
        attributes["den.verb"] = facts.verb
    if facts.idea_id:
        attributes["den.idea_id"] = facts.idea_id
    return attributes


def current_turn() -> TurnRecord | None:
    """The turn this task runs in, when telemetry is on (None otherwise: nothing to record)."""
    return _TURN.get()


def mark_current_turn_failed(error: BaseException) -> None:
    """The SDK caught a turn's error (its error handler answered politely): the trace still says it failed."""
    record = _TURN.get()
    if record is not None:
        record.failed(type(error).__name__)
