"""Deputy's Den: the web app. Builds the application with `bot.bootstrap` and mounts its routes."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from azure.core.credentials_async import AsyncTokenCredential

from bot import logs
from bot.bootstrap import Den, bootstrap, utc_now
from bot.edge.turns import DenTurns
from bot.ports.service_urls import ServiceUrlAllowList
from bot.settings import Settings
from bot.tab.routes import tab_headers
from bot.tab.wiring import mount_tab
from bot.telemetry import Telemetry
from bot.telemetry.setup import configure_from_env
from bot.web.admin_routes import admin_routes
from bot.web.information_download import information_download_routes
from bot.web.pages import health_routes, page_routes
from bot.web.report_download import report_download_route
from bot.web.request_guard import GuardSettings, request_guard

log = logging.getLogger("deputys_den")

DEN_KEY = web.AppKey("den", Den)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    graph_credential: AsyncTokenCredential | None = None,
    telemetry: Telemetry | None = None,
) -> web.Application:
    den = bootstrap(settings, clock=clock, graph_credential=graph_credential, telemetry=telemetry)

    async def start(app: web.Application) -> None:
        await den.start()
        # What start-up built lives as long as the process: keep it out of every later
        # collection, so a full collection walks only what turns allocate.
        gc.collect()
        gc.freeze()

    async def stop(app: web.Application) -> None:
        await den.stop()

    # The guard comes first: size, JSON, activity shape and serviceUrl, before authentication.
    guard = request_guard(
        GuardSettings(
            ServiceUrlAllowList.from_setting(settings.allowed_service_urls),
            max_body_bytes=settings.max_request_bytes,
        ),
        reader=den.edge.read_activity,
    )
    app = web.Application(
        middlewares=[guard, tab_headers, *den.edge.middlewares], client_max_size=settings.max_request_bytes + 1
    )
    app[DEN_KEY] = den
    den.edge.mount(app, DenTurns(den.ideas, den.dialog))
    health_routes(
        app,
        den.store,
        clock=den.clock,
        outbox_max_age_seconds=settings.health_outbox_max_age_seconds,
        in_flight=lambda: den.dispatcher.in_flight,
        graph_store=settings.store == "sharepoint",
    )
    admin_routes(
        app,
        den.digests,
        den.nudger,
        settings.digest_secret,
        allow_resend=settings.digest_on_request,
        challenges=den.challenges,
        rehearsal=den.rehearsal,
        tz=ZoneInfo(settings.timezone),
    )
    if den.challenges is not None and den.report_links is not None:
        report_download_route(app, den.challenges, den.report_links)
    if den.access is not None and den.information_links is not None:
        information_download_routes(app, den.access, den.information_links)
    information = den.tab_links.information() if den.tab_links is not None and den.tab_links.app_id else ""
    page_routes(app, den.notice, information)
    mount_tab(app, den, settings)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


def main() -> None:
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    log.info(
        "starting",
        extra={
            "port": settings.port,
            "store": settings.store,
            "auth": "on" if settings.auth_enabled else "off (local)",
            "teams_edge": settings.teams_edge,
        },
    )
    telemetry = configure_from_env()  # Application Insights, OTLP, or nothing (bot/telemetry/setup.py)
    try:
        web.run_app(create_app(settings, telemetry=telemetry), host=settings.host, port=settings.port, print=None)
    finally:
        telemetry.shutdown()  # what is still buffered is exported before the process ends


if __name__ == "__main__":
    main()
