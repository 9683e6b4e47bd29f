"""The one place the application is assembled from its settings.

`app.py`, the administrators' commands and the benchmarks all call `bootstrap(settings)`, so
they read the same store and the same directory (SQLite and the org file locally, SharePoint
and Entra ID in production). Dependencies are passed in, never imported as globals, so a test
can swap the clock, the Graph credential or the channel (cosmicpython's bootstrap, in small).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from azure.core.credentials_async import AsyncTokenCredential
from msgraph import GraphServiceClient

from bot.adapters.graph_client import GraphSettings, make_credential, make_graph_client
from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.provisioned_site import resolve_site_id
from bot.adapters.sharepoint_store import SharePointStore
from bot.adapters.spool import SubmissionSpool
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.calendar import WorkCalendar, parse_holidays
from bot.domain.digest import DigestRules
from bot.domain.limits import PitchQuota
from bot.domain.model import Role
from bot.ports import Channel, Directory, IdeaStore
from bot.ports.retry import Backoff
from bot.services.digest import DigestService
from bot.services.ideas import IdeaService
from bot.services.nudges import Nudger
from bot.services.outbox import OutboxDispatcher
from bot.services.schedule import Timer, daily, weekly
from bot.settings import Settings
from dialogs.digest import digest_renderer
from dialogs.main import MainDialog
from dialogs.notifications import NotificationRenderer

if TYPE_CHECKING:
    from bot.teams.edge import TeamsEdge


def utc_now() -> datetime:
    return datetime.now(UTC)


def every(seconds: float) -> Callable[[datetime], datetime]:
    return lambda now: now + timedelta(seconds=seconds)


# ---- adapters the settings choose -----------------------------------------------------------
def graph_settings(settings: Settings) -> GraphSettings:
    return GraphSettings(
        base_url=settings.graph_base_url,
        tenant_id=settings.app_tenant_id,
        client_id=settings.graph_client_id,
        client_secret=settings.graph_client_secret,
        certificate_path=settings.graph_certificate_path,
        managed_identity=settings.graph_managed_identity,
        organisation=settings.organisation,
        max_retries=settings.graph_max_retries,
    )


def graph_client_from(settings: Settings, credential: AsyncTokenCredential | None = None) -> GraphServiceClient:
    graph = graph_settings(settings)
    return make_graph_client(graph, credential or make_credential(graph))


def needs_graph(settings: Settings) -> bool:
    return settings.store == "sharepoint" or settings.uses_entra_directory


def build_store(settings: Settings, graph: GraphServiceClient | None) -> IdeaStore:
    if settings.store == "sqlite":
        return SqliteStore(settings.sqlite_path)
    if settings.store == "sharepoint":
        if not settings.sharepoint_site:
            raise SystemExit("DEN_STORE=sharepoint needs DEN_SHAREPOINT_SITE (the site id or URL).")
        return SharePointStore(graph, resolve_site_id(settings.sharepoint_site), page_size=settings.graph_page_size)
    raise SystemExit(f"DEN_STORE={settings.store!r} is not a store this app knows: use 'sqlite' or 'sharepoint'.")


def build_directory(settings: Settings, graph: GraphServiceClient | None) -> Directory:
    if settings.uses_entra_directory:
        rules = RoleRules.parse(settings.role_patterns, settings.dm_ids)
        return GraphDirectory(graph, rules, cache_seconds=settings.directory_cache_seconds)
    return OrgFileDirectory.from_file(settings.org_file)


# ---- the assembled application --------------------------------------------------------------
@dataclass
class Den:
    """Everything one app instance runs, built from one set of settings."""

    settings: Settings
    store: IdeaStore
    directory: Directory
    channel: Channel
    ideas: IdeaService
    dispatcher: OutboxDispatcher
    nudger: Nudger
    digests: DigestService
    dialog: MainDialog
    edge: TeamsEdge | None = None  # the Bot Framework adapter, when the app talks to Teams
    scheduled: list[Timer] = field(default_factory=list)  # the digest and nudges, if DEN_DIGEST_SCHEDULE
    spool_timer: Timer | None = None  # files pitches spooled during a Graph outage

    async def open(self) -> None:
        """Connect to the store (commands that only read stop here)."""
        await self.store.open()

    async def close(self) -> None:
        await self.store.close()

    async def start(self) -> None:
        """Open the store and start the workers: the app's start-up."""
        await self.open()
        self.dispatcher.start()
        if self.spool_timer is not None:
            self.spool_timer.start()
        if self.settings.digest_schedule:
            for timer in self.scheduled:
                timer.start()

    async def stop(self) -> None:
        for timer in [*self.scheduled, *([self.spool_timer] if self.spool_timer else [])]:
            await timer.stop()
        await self.dispatcher.stop()
        await self.close()


def bootstrap(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    graph_credential: AsyncTokenCredential | None = None,
    channel: Channel | None = None,
) -> Den:
    """Build the application. Without a `channel`, it talks to Teams through the Bot Framework."""
    graph = graph_client_from(settings, graph_credential) if needs_graph(settings) else None
    store = build_store(settings, graph)
    directory = build_directory(settings, graph)
    spool = SubmissionSpool(settings.spool_path) if settings.store != "sqlite" else None

    edge = None
    if channel is None:
        from bot.teams.edge import TeamsEdge  # the only road to botbuilder, taken only by the app

        edge = TeamsEdge.build(settings, store)
        channel = edge.channel

    dispatcher = OutboxDispatcher(
        store,
        channel,
        NotificationRenderer(store),
        clock=clock,
        backoff=Backoff(first=settings.notify_retry_base_seconds, longest=600.0, retry_after_cap=600.0),
        max_attempts=settings.notify_max_attempts,
        poll_seconds=settings.outbox_poll_seconds,
    )
    ideas = IdeaService(
        store,
        directory,
        clock=clock,
        top_role=Role(settings.chain_top_role),
        on_outbox=dispatcher.kick,
        spool=spool,
        quota=PitchQuota(settings.daily_pitch_cap, timedelta(days=settings.duplicate_window_days)),
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
    rules = DigestRules.from_settings(
        settings.stall_business_days, settings.challenge_start, calendar, settings.digest_scope
    )
    digests = DigestService(
        store,
        directory,
        channel,
        nudger,
        digest_renderer(report_url=settings.report_url, stall_days=rules.stall_after_business_days),
        clock=clock,
        calendar=calendar,
        rules=rules,
        retry_base_seconds=settings.notify_retry_base_seconds,
        retry_after_cap=settings.retry_after_cap_seconds,
    )
    scheduled = [
        Timer("weekly-digest", digests.run, weekly(settings.digest_weekday, settings.digest_time, calendar.tz), clock),
        Timer("daily-nudges", nudger.run, daily(settings.nudge_time, calendar.tz), clock),
    ]
    spool_timer = (
        Timer("file-spooled-pitches", ideas.file_spooled, every(settings.spool_retry_seconds), utc_now)
        if spool is not None
        else None
    )
    return Den(
        settings=settings,
        store=store,
        directory=directory,
        channel=channel,
        ideas=ideas,
        dispatcher=dispatcher,
        nudger=nudger,
        digests=digests,
        dialog=MainDialog(ideas, clock, digests),
        edge=edge,
        scheduled=scheduled,
        spool_timer=spool_timer,
    )
