"""Start the real app (aiohttp server, the chosen SDK edge's pipeline) on a loopback port for a test."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web

from app import DEN_KEY, create_app
from bot.adapters.sqlite_store import SqliteStore
from bot.ports.service_urls import LOCAL_SERVICE_URLS, TEAMS_SERVICE_URLS
from bot.settings import ROOT, Settings

DEMO_ORG = ROOT / "data" / "demo-org.json"
ROUTING_FILE = ROOT / "data" / "routing.yml"


def settings_for_test(sqlite_path: Path, **overrides) -> Settings:
    values = dict(
        sqlite_path=str(sqlite_path),
        tab_index_path=str(Path(sqlite_path).parent / "tab-index.sqlite3"),  # SharePoint's tab index, per test
        org_file=str(DEMO_ORG),
        host="127.0.0.1",
        port=0,
        notify_retry_base_seconds=0.05,
        outbox_poll_seconds=0.05,
        allowed_service_urls=f"{TEAMS_SERVICE_URLS},{LOCAL_SERVICE_URLS}",  # the local connector stand-in
        # the edge a test does not choose: DEN_TEAMS_EDGE=agents runs the whole suite on the Agents SDK
        teams_edge=os.environ.get("DEN_TEAMS_EDGE", "botbuilder"),
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class RunningApp:
    url: str
    runner: web.AppRunner
    store: SqliteStore  # or the SharePoint store: the same interface

    @property
    def messages_url(self) -> str:
        return f"{self.url}api/messages"

    async def stop(self) -> None:
        await self.runner.cleanup()


class FakeClock:
    """Time the tests control: the app reads it wherever it would read the wall clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def start_app(
    settings: Settings, clock: Callable[[], datetime] | None = None, graph_credential=None, telemetry=None
) -> RunningApp:
    kwargs = {"clock": clock} if clock else {}
    # Port 0: the socket is bound first, so the app knows its own address (the links on its cards).
    sock = None
    if settings.port == 0:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((settings.host, 0))
        settings = replace(settings, port=sock.getsockname()[1])
    app = create_app(settings, graph_credential=graph_credential, telemetry=telemetry, **kwargs)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.SockSite(runner, sock) if sock is not None else web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    port = settings.port
    return RunningApp(url=f"http://{settings.host}:{port}/", runner=runner, store=app[DEN_KEY].store)
