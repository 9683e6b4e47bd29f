"""Telemetry the standard way: `python app.py` with OTEL_EXPORTER_OTLP_ENDPOINT exports its traces, metrics
and logs over OTLP/HTTP to a receiver on loopback (nothing leaves the machine). With neither that nor
APPLICATIONINSIGHTS_CONNECTION_STRING, telemetry is off and the app installs none of its wrappers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import aiohttp
from aiohttp import web
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bot.bootstrap import bootstrap
from bot.ports.service_urls import LOCAL_SERVICE_URLS
from bot.services.outbox import unobserved
from bot.settings import ROOT
from bot.telemetry.setup import chosen_exporter, configure_from_env
from tests.e2e.test_delivery_restarts import free_port
from tests.support.people import SAM, TENANT_ID
from tests.support.running_app import settings_for_test
from tests.support.teams_client import TeamsClient


class Receiver:
    """An OTLP/HTTP receiver on loopback: what arrives on /v1/traces, /v1/metrics and /v1/logs."""

    def __init__(self) -> None:
        self.spans: list[str] = []
        self.metrics: set[str] = set()
        self.logs: list[str] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/traces", self._traces)
        app.router.add_post("/v1/metrics", self._metrics)
        app.router.add_post("/v1/logs", self._logs)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    async def _traces(self, request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest.FromString(await request.read())
        self.spans += [s.name for r in message.resource_spans for scope in r.scope_spans for s in scope.spans]
        return web.Response(status=200)

    async def _metrics(self, request: web.Request) -> web.Response:
        message = ExportMetricsServiceRequest.FromString(await request.read())
        self.metrics |= {m.name for r in message.resource_metrics for scope in r.scope_metrics for m in scope.metrics}
        return web.Response(status=200)

    async def _logs(self, request: web.Request) -> web.Response:
        message = ExportLogsServiceRequest.FromString(await request.read())
        self.logs += [
            lr.body.string_value for r in message.resource_logs for scope in r.scope_logs for lr in scope.log_records
        ]
        return web.Response(status=200)


async def until(condition, seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not received")


async def test_the_app_exports_traces_metrics_and_logs_over_otlp_to_a_collector(tmp_path, connector):
    receiver = Receiver()
    await receiver.start()
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DEN_HOST": "127.0.0.1",
        "DEN_SQLITE_PATH": str(tmp_path / "den.sqlite3"),
        "DEN_DIGEST_SCHEDULE": "off",
        "MicrosoftAppId": "",
        "DEN_ALLOWED_SERVICE_URLS": LOCAL_SERVICE_URLS,
        "DEN_LOG_LEVEL": "INFO",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BLRP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "300",
    }
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=ROOT)  # noqa: ASYNC220
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/livez") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        teams = TeamsClient(f"http://127.0.0.1:{port}/api/messages", connector.url, TENANT_ID)
        await teams.install(SAM)
        await teams.say(SAM, "help")
        await until(lambda: "turn conversationUpdate" in receiver.spans and "turn message" in receiver.spans)
        await until(lambda: {"den.turns", "den.teams.budget_share"} <= receiver.metrics)
        await until(lambda: "starting" in receiver.logs or any("telemetry" in line for line in receiver.logs))
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)
        await receiver.runner.cleanup()
    assert "teams send" in receiver.spans, "the welcome and the help card: replies through the Bot Connector"


def test_with_neither_exporter_set_telemetry_is_off_and_no_wrapper_is_installed(tmp_path):
    assert chosen_exporter({}) == "none"
    assert chosen_exporter({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x"}) == "azure-monitor"
    assert chosen_exporter({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}) == "otlp"
    telemetry = configure_from_env({})
    assert not telemetry.enabled
    den = bootstrap(settings_for_test(tmp_path / "den.sqlite3"), telemetry=telemetry)
    assert type(den.store).__name__ == "SqliteStore", "the store is not wrapped"
    assert den.dispatcher._observe is unobserved  # noqa: SLF001 - what the dispatcher was given
    assert den.edge.telemetry is None and den.edge.sender._telemetry is None  # noqa: SLF001
    assert den.backlog_watch is None
