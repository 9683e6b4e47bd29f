"""Where telemetry goes, from the environment: Application Insights, an OTLP collector, or nowhere.

- `APPLICATIONINSIGHTS_CONNECTION_STRING` set: Microsoft's Azure Monitor OpenTelemetry distro
  (`configure_azure_monitor`) sends traces, metrics and logs to Application Insights. Its automatic
  instrumentations of web frameworks and HTTP libraries are switched off: the Den makes its own spans,
  which carry no URL, query or body.
- Else, any of the standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
  `..._METRICS_ENDPOINT` / `..._LOGS_ENDPOINT` set: OTLP over HTTP (protobuf), configured by the other
  standard variables too (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`).
- Else nothing is exported, and `Telemetry.off()` makes the app install none of its wrappers.

Exporters are imported only when chosen, so an app with telemetry off loads none of them.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

from bot.telemetry.core import Telemetry

log = logging.getLogger(__name__)

SERVICE_NAME = "deputys-den"
OTLP_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
)
# The distro's automatic instrumentations: off (they would record URLs, queries and framework spans).
AZURE_INSTRUMENTATIONS = ("azure_sdk", "django", "fastapi", "flask", "psycopg2", "requests", "urllib", "urllib3")
METRIC_EXPORT_MILLISECONDS = 60_000
EXEMPLAR_FILTER = "OTEL_METRICS_EXEMPLAR_FILTER"


def chosen_exporter(environ: Mapping[str, str]) -> str:
    if environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip():
        return "azure-monitor"
    if any(environ.get(name, "").strip() for name in OTLP_VARIABLES):
        return "otlp"
    return "none"


def resource(environ: Mapping[str, str]):
    from opentelemetry.sdk.resources import Resource

    return Resource.create({
        "service.name": environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME,
        "service.instance.id": environ.get("WEBSITE_INSTANCE_ID") or environ.get("CONTAINER_APP_REPLICA_NAME")
        or f"{socket.gethostname()}:{os.getpid()}",
    })  # fmt: skip


def configure_from_env(environ: Mapping[str, str] | None = None) -> Telemetry:
    """The app's telemetry for this environment (call once, at start-up). Sampling follows the standard
    `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (or the distro's own settings); metrics count
    every click whatever is sampled. Exemplars are off unless `OTEL_METRICS_EXEMPLAR_FILTER` says
    otherwise: Application Insights does not show them, and offering each measurement costs a click."""
    environ = os.environ if environ is None else environ
    os.environ.setdefault(EXEMPLAR_FILTER, "always_off")  # read by the SDK's MeterProvider, the distro's too
    exporter = chosen_exporter(environ)
    if exporter == "azure-monitor":
        return _azure_monitor(environ)
    if exporter == "otlp":
        return _otlp(environ)
    return Telemetry.off()


def _azure_monitor(environ: Mapping[str, str]) -> Telemetry:
    from azure.monitor.opentelemetry import configure_azure_monitor
    from opentelemetry import metrics, trace

    configure_azure_monitor(
        resource=resource(environ),
        logger_name="",  # the root logger: the app's JSON logs, with their trace and span ids
        instrumentation_options={name: {"enabled": False} for name in AZURE_INSTRUMENTATIONS},
    )
    tracer_provider, meter_provider = trace.get_tracer_provider(), metrics.get_meter_provider()

    def shutdown() -> None:
        for provider in (tracer_provider, meter_provider):
            getattr(provider, "shutdown", lambda: None)()

    log.info("telemetry: Azure Monitor (Application Insights)")
    return Telemetry.from_providers(tracer_provider, meter_provider, exporter="azure-monitor", shutdown=shutdown)


def _otlp(environ: Mapping[str, str]) -> Telemetry:
    """OTLP over HTTP, on providers of the app's own (the OpenTelemetry SDK reads the standard variables)."""
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    where = resource(environ)
    tracer_provider = TracerProvider(resource=where)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=_interval(environ))
    meter_provider = MeterProvider(resource=where, metric_readers=[reader], exemplar_filter=no_exemplars(environ))
    logger_provider = LoggerProvider(resource=where)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    set_logger_provider(logger_provider)
    logging.getLogger().addHandler(LoggingHandler(logger_provider=logger_provider))

    def shutdown() -> None:
        for provider in (tracer_provider, meter_provider, logger_provider):
            provider.shutdown()

    log.info("telemetry: OTLP")
    return Telemetry.from_providers(tracer_provider, meter_provider, exporter="otlp", shutdown=shutdown)


def no_exemplars(environ: Mapping[str, str] | None = None):
    """The exemplar filter: none (the SDK's default offers every measurement made in a sampled trace)."""
    from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, AlwaysOnExemplarFilter, TraceBasedExemplarFilter

    chosen = (environ or {}).get(EXEMPLAR_FILTER, "always_off")
    return {"always_on": AlwaysOnExemplarFilter, "trace_based": TraceBasedExemplarFilter}.get(
        chosen, AlwaysOffExemplarFilter
    )()


def _interval(environ: Mapping[str, str]) -> int:
    try:
        return max(100, int(environ.get("OTEL_METRIC_EXPORT_INTERVAL", METRIC_EXPORT_MILLISECONDS)))
    except ValueError:
        return METRIC_EXPORT_MILLISECONDS


def in_memory(*, batched: bool = False) -> tuple[Telemetry, object, object]:
    """For tests and the benchmark: (telemetry, span exporter, metric reader), all in memory, nothing sent.
    `batched`: spans go through the batch processor, as exported spans do in production."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    class RecentSpans(InMemorySpanExporter):
        """Keeps the last `keep` spans, as an exporter that sends them away holds none for long."""

        keep = 100_000 if not batched else 2_000

        def export(self, spans):
            result = super().export(spans)
            with self._lock:
                while len(self._finished_spans) > self.keep:
                    self._finished_spans.popleft()
            return result

    spans = RecentSpans()
    tracer_provider = TracerProvider(resource=resource({}))
    tracer_provider.add_span_processor(BatchSpanProcessor(spans) if batched else SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(resource=resource({}), metric_readers=[reader], exemplar_filter=no_exemplars())
    return Telemetry.from_providers(tracer_provider, meter_provider, exporter="memory"), spans, reader
