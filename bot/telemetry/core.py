"""The app's telemetry handle: one tracer, one meter and the Den's instruments, passed where they are used.

Off (the default), it is never consulted on a hot path: the wrappers that would call it are not
installed (see `enabled`). On, every instrument is created once, here, so names and units are
written in one place (the runbook in docs/operations.md lists them).

The counters are tallied in a dictionary and handed to the SDK as observable counters when the metrics
are collected (every minute): a click adds to six of them, and the SDK's own path for each addition
(attribute hashing, view matching, an aggregation under a lock) cost more than the span work it
counts. The totals exported are the same cumulative sums.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.trace import Tracer

SCOPE = "deputys_den"


class Tally:
    """A counter with the SDK counter's `add`, kept as running totals by attribute set and reported
    through an observable counter when the metrics are collected."""

    def __init__(self, meter: Meter, name: str, unit: str, description: str) -> None:
        self._totals: dict[tuple, float] = {}
        self._lock = threading.Lock()  # the collection runs on the exporter's thread
        meter.create_observable_counter(name, [self._observe], unit, description)

    def add(self, amount: float, attributes: Mapping[str, object] | None = None) -> None:
        key = tuple(sorted(attributes.items())) if attributes else ()
        with self._lock:
            self._totals[key] = self._totals.get(key, 0) + amount

    def _observe(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            totals = list(self._totals.items())
        return [Observation(total, dict(key)) for key, total in totals]


@dataclass
class Gauges:
    """What the observable gauges report: refreshed by the app's workers, read at each export."""

    outbox_pending: int = 0
    outbox_due: int = 0
    outbox_oldest_due_age_seconds: float = 0.0
    teams_budget_share: float = 0.0
    instances: int = 1
    read: bool = False  # nothing is reported before a first reading


@dataclass
class Telemetry:
    """A tracer and a meter (the SDK's, or no-ops) and the Den's instruments on that meter."""

    tracer: Tracer
    meter: Meter
    enabled: bool = False
    exporter: str = "none"  # azure-monitor | otlp | memory | none
    gauges: Gauges = field(default_factory=Gauges)
    shutdown: Callable[[], None] = lambda: None  # flush and stop the exporters (app shutdown)

    def __post_init__(self) -> None:
        m = self.meter
        self.clicks = Tally(m, "den.clicks", "{click}", "Card clicks (Action.Execute), by verb and outcome")
        self.click_duration = m.create_histogram(
            "den.click.duration", "s", "Time to answer a card click, by verb", explicit_bucket_boundaries_advisory=[
                0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0,
            ],
        )  # fmt: skip
        self.turns = Tally(m, "den.turns", "{activity}", "Activities other than card clicks, by type")
        self.decisions = Tally(m, "den.decisions", "{decision}", "Approval decisions recorded, by outcome")
        self.sends = Tally(
            m, "den.teams.sends", "{request}", "Requests to the Bot Connector, by operation and status class"
        )
        self.throttled = Tally(
            m, "den.throttled", "{response}", "429 and 503 answers, by service (teams, graph) and status"
        )
        self.retry_after = m.create_histogram(
            "den.retry_after", "s", "Retry-After waits asked by Teams and Graph, by service"
        )
        self.graph_requests = Tally(
            m, "den.graph.requests", "{request}", "Graph requests (each one in a $batch too), by status"
        )
        self.digests = Tally(m, "den.digest.outcomes", "{digest}", "Weekly digests, by outcome")
        self.store_errors = Tally(
            m, "den.store.errors", "{error}", "Store operations that failed, by operation"
        )
        self.deliveries = Tally(
            m, "den.outbox.deliveries", "{message}", "Outbox messages handled, by kind and outcome"
        )
        m.create_observable_gauge("den.outbox.pending", [self._observe("outbox_pending")], "{message}",
                                  "Notifications not yet delivered (due or scheduled)")
        m.create_observable_gauge("den.outbox.due", [self._observe("outbox_due")], "{message}",
                                  "Notifications due and not yet delivered")
        m.create_observable_gauge("den.outbox.oldest_due_age", [self._observe("outbox_oldest_due_age_seconds")], "s",
                                  "How late the oldest due notification is")
        m.create_observable_gauge("den.teams.budget_share", [self._observe("teams_budget_share")], "{message}/s",
                                  "This instance's share of the tenant's Teams budget")
        m.create_observable_gauge("den.instances", [self._observe("instances")], "{instance}",
                                  "Instances this one sees alive (heartbeats in the store)")

    def _observe(self, name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            if self.gauges.read:
                yield Observation(getattr(self.gauges, name))

        return callback

    @classmethod
    def off(cls) -> Telemetry:
        """Nothing recorded, nothing exported; the app installs none of its wrappers."""
        return cls(trace.NoOpTracer(), metrics.NoOpMeter(SCOPE), enabled=False)

    @classmethod
    def from_providers(cls, tracer_provider, meter_provider, *, exporter: str, shutdown=lambda: None) -> Telemetry:
        from bot import __version__

        return cls(
            tracer_provider.get_tracer(SCOPE, __version__),
            meter_provider.get_meter(SCOPE, __version__),
            enabled=True,
            exporter=exporter,
            shutdown=shutdown,
        )
