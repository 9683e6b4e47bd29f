"""OpenTelemetry for the Den: traces, metrics and log correlation, exported the Azure way or not at all.

`configure_from_env()` (bot/telemetry/setup.py) picks the exporter: Microsoft's Azure Monitor
distro when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set, OTLP when the standard
`OTEL_EXPORTER_OTLP_*` variables are, else nothing (a `Telemetry` that is off, and no wrapper
is installed anywhere, so nothing is slowed). Everything else takes a `Telemetry` object: its
tracer and meter are never looked up globally, so a test gives the app in-memory ones.

What may go into a span, a metric or a log: ids, verbs, kinds, statuses, counts and durations.
Never what people typed, names, emails or tokens (bot/telemetry/privacy.py holds the checks).
"""

from bot.telemetry.core import Telemetry
from bot.telemetry.turns import TurnFacts

__all__ = ["Telemetry", "TurnFacts"]
