"""Deputy's Den: wires the adapters, the bot and the web routes together. Nothing else."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.web import Request, Response
from azure.core.credentials_async import AsyncTokenCredential
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication, aiohttp_error_middleware
from botbuilder.schema import Activity, ActivityTypes

from bot import logs
from bot.adapters.spool import SubmissionSpool
from bot.adapters.teams_channel import TeamsChannel
from bot.admin_api import admin_routes
from bot.config import ROOT, Settings
from bot.digest_service import DigestService
from bot.domain.calendar import WorkCalendar, parse_holidays
from bot.domain.digest import DigestRules
from bot.domain.model import Role
from bot.i18n import Messages
from bot.middleware import TenantGuard
from bot.notifications import OutboxDispatcher, RetryPolicy
from bot.nudges import Nudger
from bot.scheduler import Timer, daily, weekly
from bot.services import DenService
from bot.teams.connector import ConnectorSender, ConnectorToken, token_from_app_credentials
from bot.teams.lean import LeanCloudAdapter, fix_msrest_retry_scan
from bot.teams_bot import DenBot, invoke_message
from bot.wiring import build_directory, build_store, graph_client_from, needs_graph
from dialogs.main import MainDialog
from dialogs.notify import NotificationRenderer

log = logging.getLogger("deputys_den")

STORE_KEY = web.AppKey("store", object)
DISPATCHER_KEY = web.AppKey("dispatcher", OutboxDispatcher)


def utc_now() -> datetime:
    return datetime.now(UTC)


def static_page(name: str):
    path = ROOT / "static" / f"{name}.html"

    async def serve(request: Request) -> Response:
        return web.FileResponse(path, headers={"Content-Type": "text/html; charset=utf-8"})

    return serve


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    log.error("turn failed", exc_info=error, extra={"activity_type": context.activity.type})
    m = Messages(context.activity.locale)
    if context.activity.type == ActivityTypes.invoke:
        response: InvokeResponse = invoke_message(m.t("error.generic"))
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))
    else:
        await context.send_activity(m.t("error.generic"))


def every(seconds: float) -> Callable[[datetime], datetime]:
    return lambda now: now + timedelta(seconds=seconds)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    graph_credential: AsyncTokenCredential | None = None,
) -> web.Application:
    graph = graph_client_from(settings, graph_credential) if needs_graph(settings) else None
    store = build_store(settings, graph)
    directory = build_directory(settings, graph)
    spool = SubmissionSpool(settings.spool_path) if settings.store != "sqlite" else None

    fix_msrest_retry_scan()
    auth = ConfigurationBotFrameworkAuthentication(settings)
    adapter = LeanCloudAdapter(auth)
    adapter.on_turn_error = on_turn_error
    if settings.tenant_to_enforce:
        adapter.use(TenantGuard(settings.tenant_to_enforce))

    token = None
    if settings.auth_enabled:
        token = ConnectorToken(token_from_app_credentials(auth, adapter.create_claims_identity(settings.app_id)))
    sender = ConnectorSender(token)
    channel = TeamsChannel(sender, store, app_id=settings.app_id)
    dispatcher = OutboxDispatcher(
        store,
        channel,
        NotificationRenderer(store),
        clock=clock,
        policy=RetryPolicy(base_seconds=settings.notify_retry_base_seconds, max_attempts=settings.notify_max_attempts),
        poll_seconds=settings.outbox_poll_seconds,
    )
    service = DenService(
        store,
        directory,
        clock=clock,
        top_role=Role(settings.chain_top_role),
        on_outbox=dispatcher.kick,
        spool=spool,
    )
    calendar = WorkCalendar.of(settings.timezone, parse_holidays(settings.holidays))
    nudger = Nudger(
        store,
        clock=clock,
        calendar=calendar,
        remind_after_business_days=settings.remind_after_business_days,
        tell_submitter_after_business_days=settings.tell_submitter_after_business_days,
        on_outbox=dispatcher.kick,
    )
    digests = DigestService(
        store,
        directory,
        channel,
        nudger,
        clock=clock,
        calendar=calendar,
        rules=DigestRules.from_settings(
            settings.stall_business_days, settings.challenge_start, calendar, settings.digest_scope
        ),
        report_url=settings.report_url,
        retry_base_seconds=settings.notify_retry_base_seconds,
    )
    timers = [
        Timer("weekly-digest", digests.run, weekly(settings.digest_weekday, settings.digest_time, calendar.tz), clock),
        Timer("daily-nudges", nudger.run, daily(settings.nudge_time, calendar.tz), clock),
    ]
    always = [Timer("file-spooled-pitches", service.file_spooled, every(settings.spool_retry_seconds), utc_now)]
    bot = DenBot(service, MainDialog(service, clock, digests))

    async def messages(request: Request) -> Response:
        return await adapter.process(request, bot)

    async def healthz(request: Request) -> Response:
        store_ok = await store.ping()
        return web.json_response(
            {"status": "ok" if store_ok else "degraded", "store": "ok" if store_ok else "unreachable"},
            status=200 if store_ok else 503,
        )

    async def start(app: web.Application) -> None:
        await store.open()
        dispatcher.start()
        if spool is not None:
            for timer in always:
                timer.start()
        if settings.digest_schedule:
            for timer in timers:
                timer.start()
        # Everything built at start-up lives as long as the process: keep it out of every
        # later collection, so a full collection walks only what turns allocate.
        gc.collect()
        gc.freeze()

    async def stop(app: web.Application) -> None:
        for timer in timers + always:
            await timer.stop()
        await dispatcher.stop()
        await sender.close()
        await adapter.close()
        await store.close()

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app[STORE_KEY] = store
    app[DISPATCHER_KEY] = dispatcher
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    admin_routes(app, digests, nudger, settings.digest_secret)
    for page in ("about", "privacy", "terms"):  # linked from the Teams manifest
        app.router.add_get(f"/{page}", static_page(page))
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
        },
    )
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
