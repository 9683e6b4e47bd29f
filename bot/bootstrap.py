"""The one place the application is assembled from its settings.

`app.py`, the administrators' commands and the benchmarks all call `bootstrap(settings)`, so
they read the same store and the same directory (SQLite and the org file locally, SharePoint
and Entra ID in production). Dependencies are passed in, never imported as globals, so a test
can swap the clock, the Graph credential or the channel (cosmicpython's bootstrap, in small).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING

from azure.core.credentials_async import AsyncTokenCredential
from msgraph import GraphServiceClient

from bot.adapters.availability import GraphAvailability, NobodyAway, OrgFileAvailability
from bot.adapters.graph_client import GraphSettings, make_credential, make_graph_client
from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.organisers import OrganiserRoster
from bot.adapters.pending_writes import PendingWrites
from bot.adapters.retention_file import RetentionFileError, load_retention_file, parse_retention
from bot.adapters.routing_file import RoutingFileError, load_routing_file, parse_routing
from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sharepoint_tab_index import SharePointTabIndex
from bot.adapters.spool import SubmissionSpool
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.calendar import WorkCalendar
from bot.domain.digest import DigestRules
from bot.domain.limits import PitchQuota
from bot.domain.model import Role
from bot.domain.notice import CollectionNotice
from bot.domain.retention import RetentionSchedule
from bot.domain.routing import RoutingRules
from bot.ports import Availability, Directory, IdeaStore, TeamsChat
from bot.ports.rate_limits import TeamsRateLimiter
from bot.ports.retry import Backoff
from bot.ports.tab import TabIndex
from bot.services.access import AccessService
from bot.services.approvals import ApprovalService
from bot.services.assignment import StepAssigner
from bot.services.audit import AuditService, RefusalTap
from bot.services.challenge import ChallengeService
from bot.services.connect import ConnectService
from bot.services.digest import DigestService
from bot.services.ideas import IdeaService
from bot.services.in_force import InForce
from bot.services.information_links import InformationLinks
from bot.services.limited_posts import RateLimitedPosts
from bot.services.live_cards import LiveCards
from bot.services.nudges import Nudger
from bot.services.outbox import OutboxDispatcher, unobserved
from bot.services.pitch_day import PitchDayService
from bot.services.records import RecordsService
from bot.services.rehearsal import Rehearsal, RehearsalClock
from bot.services.report_links import ReportLinks
from bot.services.schedule import Timer, daily, weekly
from bot.services.tenant_budget import TenantBudget
from bot.services.viewers import ViewerResolver
from bot.settings import Settings
from bot.tab.wiring import tab_links_for
from bot.telemetry import Telemetry
from bot.telemetry.outbox import BacklogWatch, DeliveryObserver
from bot.telemetry.store import traced_store
from cards.tab_links import TabLinks
from dialogs.approvals import ApprovalFlows
from dialogs.connect import ConnectFlows
from dialogs.connect_notifications import ConnectNotificationRenderer
from dialogs.den_notifications import DenNotificationRenderer
from dialogs.digest import digest_renderer
from dialogs.main import MainDialog
from dialogs.notifications import NotificationRenderer
from dialogs.pitch_day_notifications import PitchDayNotificationRenderer
from dialogs.voting import ChannelCards

if TYPE_CHECKING:
    from bot.edge.choice import TeamsEdge


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


def graph_client_from(
    settings: Settings, credential: AsyncTokenCredential | None = None, telemetry: Telemetry | None = None
) -> GraphServiceClient:
    graph = graph_settings(settings)
    return make_graph_client(graph, credential or make_credential(graph), telemetry=telemetry)


def needs_graph(settings: Settings) -> bool:
    return settings.store == "sharepoint" or settings.uses_entra_directory


def build_store(settings: Settings, graph: GraphServiceClient | None) -> IdeaStore:
    if settings.store == "sqlite":
        return SqliteStore(settings.sqlite_path)
    if settings.store == "sharepoint":
        if not settings.sharepoint_site:
            raise SystemExit("DEN_STORE=sharepoint needs DEN_SHAREPOINT_SITE (the site id or URL).")
        return SharePointDenStore(
            graph,
            settings.sharepoint_site,  # a URL is resolved to the site's id once, when the store opens
            click_budget_seconds=settings.click_budget_seconds,
            idle_poll_seconds=settings.sharepoint_idle_poll_seconds,
            page_size=settings.graph_page_size,
            pending=PendingWrites(settings.spool_path),
        )
    raise SystemExit(f"DEN_STORE={settings.store!r} is not a store this app knows: use 'sqlite' or 'sharepoint'.")


def load_routes(settings: Settings) -> RoutingRules:
    """The routing rules file; a mistake in it stops start-up with a message naming the line."""
    if settings.routing_file.strip().lower() in ("off", "none"):
        return RoutingRules.every_level_up_to(Role(settings.chain_top_role))
    try:
        routes = load_routing_file(settings.routing_file)
    except RoutingFileError as error:
        message = f"The routing rules cannot be used: {error}. Fix the file (DEN_ROUTING_FILE) and start again."
        raise SystemExit(message) from None
    return checked_against(routes, settings)


ROUTING_KEY = "routing"  # the DenSettings item (or SQLite settings row) holding routing rules, as YAML
STORED_SOURCE = "the stored routing rules (DenSettings item 'routing')"


def stored_routes(text: str, settings: Settings) -> RoutingRules:
    """Routing rules an administrator uploaded to the records; a mistake stops start-up, naming the line."""
    try:
        routes = parse_routing(text, source=STORED_SOURCE)
    except RoutingFileError as error:
        fix = "Upload a corrected file with `python -m bot.admin.routing --upload`."
        message = f"The routing rules cannot be used: {error}. {fix}"
        raise SystemExit(message) from None
    return checked_against(routes, settings)


RETENTION_KEY = "retention"  # the DenSettings item (or SQLite settings row) holding the schedule, as YAML
STORED_SCHEDULE = "the stored retention schedule (DenSettings item 'retention')"


def load_schedule(settings: Settings) -> RetentionSchedule:
    """The retention schedule file; a mistake in it stops start-up with a message naming the line."""
    try:
        return load_retention_file(settings.retention_file)
    except RetentionFileError as error:
        message = f"The retention schedule cannot be used: {error}. Fix the file (DEN_RETENTION_FILE) and start again."
        raise SystemExit(message) from None


def stored_schedule(text: str) -> RetentionSchedule:
    """A schedule an administrator uploaded to the records; a mistake stops start-up, naming the line."""
    try:
        return parse_retention(text, source=STORED_SCHEDULE)
    except RetentionFileError as error:
        fix = "Upload a corrected file with `python -m bot.admin.records --upload-schedule`."
        raise SystemExit(f"The retention schedule cannot be used: {error}. {fix}") from None


def collection_notice(settings: Settings) -> CollectionNotice:
    """The notice of collection; with authentication on (production) it must be complete, or the app
    refuses to start and names what to set."""
    notice = CollectionNotice(
        settings.notice_authority,
        settings.notice_authority_fr,
        settings.notice_purpose,
        settings.notice_purpose_fr,
        settings.notice_contact,
        settings.notice_contact_fr,
    )
    missing = notice.missing()
    if settings.auth_enabled and missing:
        raise SystemExit(
            "The notice of collection is not complete, so the app will not collect personal information: set "
            + ", ".join(missing)
            + " (the legal authority, the purpose and the contact official, in English and French;"
            " see docs/administration.md)."
        )
    return notice


def checked_against(routes: RoutingRules, settings: Settings) -> RoutingRules:
    escalation = routes.escalation
    if escalation.enabled and escalation.after_business_days <= settings.remind_after_business_days:
        raise SystemExit(
            f"The routing rules cannot be used: {routes.source} escalates after {escalation.after_business_days} "
            f"business days, but reminders start after {settings.remind_after_business_days} "
            "(DEN_REMIND_AFTER_BUSINESS_DAYS): escalation must come after the reminders."
        )
    return routes


def build_availability(
    settings: Settings, directory: Directory, graph: GraphServiceClient | None, calendar: WorkCalendar
) -> Availability:
    """Who is away: off, the org file's markers, or Outlook automatic replies through Graph."""
    choice = settings.out_of_office or ("graph" if settings.uses_entra_directory else "org-file")
    if choice == "off":
        return NobodyAway()
    if choice == "graph":
        if graph is None:
            graph = graph_client_from(settings)
        return GraphAvailability(graph)
    if choice == "org-file":
        if isinstance(directory, OrgFileDirectory):
            return OrgFileAvailability(directory, calendar.tz)
        return OrgFileAvailability(OrgFileDirectory.from_file(settings.org_file), calendar.tz)
    raise SystemExit(f"DEN_OUT_OF_OFFICE={choice!r} is not known: use 'off', 'org-file' or 'graph'.")


def build_directory(settings: Settings, graph: GraphServiceClient | None) -> Directory:
    if settings.uses_entra_directory:
        rules = RoleRules.parse(settings.role_patterns, settings.dm_ids)
        return GraphDirectory(graph, rules, cache_seconds=settings.directory_cache_seconds)
    return OrgFileDirectory.from_file(settings.org_file)


def _picker_people(directory: Directory) -> Callable[[], list[tuple[str, str]]]:
    """A small org file's people, offered in the people picker for clients without Teams' search."""
    if isinstance(directory, OrgFileDirectory) and len(directory.people()) <= 200:
        people = [(e.person.id, e.person.name) for e in directory.people()]
        return lambda: people
    return lambda: []


def outbox_wake() -> asyncio.Event:
    """Set when a message is queued: made before the services that queue and the dispatcher that
    renders their messages, and given to both at construction."""
    return asyncio.Event()


# ---- what the settings choose -----------------------------------------------------------------
@dataclass(frozen=True)
class Adapters:
    """The outside world as the settings choose it: records, directory, Teams, the clock. A test builds
    its own (an in-memory store, a recording channel, a clock it moves) and `assemble` does the rest."""

    store: IdeaStore
    directory: Directory  # also who is in a group (organisers by group)
    availability: Availability  # who is away
    channel: TeamsChat
    clock: Callable[[], datetime] = utc_now  # the app's clock (a rehearsal's, off production)
    telemetry: Telemetry = field(default_factory=Telemetry.off)
    rehearsal_clock: RehearsalClock | None = None  # off production: the clock a rehearsal moves forward
    edge: TeamsEdge | None = None  # the SDK that receives /api/messages, when the app talks to Teams
    spool: SubmissionSpool | None = None  # pitches and decisions kept through a records outage (SharePoint)
    # the ideas the Den tab searches and connect finds similar ones in (None: neither, e.g. a test's store)
    index: TabIndex | None = None
    tab_index: SharePointTabIndex | None = None  # SharePoint: the tab's index, fed by the delta query
    # SharePoint: the store delivers this instance's own writes from memory (wake, may this instance send)
    deliver_own_writes: Callable[[Callable[[], None], Callable[[], bool]], None] | None = None


def build_adapters(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    graph_credential: AsyncTokenCredential | None = None,
    channel: TeamsChat | None = None,
    telemetry: Telemetry | None = None,
) -> Adapters:
    """The adapters the settings name. Without a `channel`, Teams through the edge DEN_TEAMS_EDGE names."""
    # Off production (authentication off) an administrator may move the clock forward to rehearse
    # a whole Den (bot/services/rehearsal.py); in production the clock is the one given, unshifted.
    rehearsal_clock = None if settings.auth_enabled else RehearsalClock(clock)
    telemetry = telemetry or Telemetry.off()
    graph = graph_client_from(settings, graph_credential, telemetry) if needs_graph(settings) else None
    built = build_store(settings, graph)
    store = traced_store(built, telemetry)
    directory = build_directory(settings, graph)
    calendar = WorkCalendar.of(settings.timezone, settings.holidays)
    edge = None
    if channel is None:
        from bot.edge.choice import build_edge  # the only road to an SDK, taken only by the app

        edge = build_edge(settings, store, telemetry)
        channel = edge.channel
    sharepoint = isinstance(built, SharePointDenStore)
    tab_index = SharePointTabIndex(built.ideas_items, settings.tab_index_path) if sharepoint else None
    return Adapters(
        store=store,
        directory=directory,
        availability=build_availability(settings, directory, graph, calendar),
        channel=channel,
        clock=rehearsal_clock or clock,
        telemetry=telemetry,
        rehearsal_clock=rehearsal_clock,
        edge=edge,
        spool=SubmissionSpool(settings.spool_path) if sharepoint else None,
        index=tab_index if sharepoint else store,  # type: ignore[arg-type]
        tab_index=tab_index,
        deliver_own_writes=built.deliver_own_writes if sharepoint else None,
    )


# ---- the assembled application --------------------------------------------------------------
@dataclass
class Den:
    """Everything one app instance runs, built from one set of settings."""

    settings: Settings
    store: IdeaStore
    directory: Directory
    channel: TeamsChat
    clock: Callable[[], datetime]  # the app's clock (shifted forward only by a rehearsal)
    telemetry: Telemetry
    routes: InForce[RoutingRules]  # the file's, or the copy uploaded to the records (read at start)
    schedule: InForce[RetentionSchedule]  # the same for the retention schedule
    ideas: IdeaService
    approvals: ApprovalService
    dispatcher: OutboxDispatcher
    nudger: Nudger
    digests: DigestService
    challenges: ChallengeService  # the Den challenge (its timers are in `scheduled`)
    pitch_day: PitchDayService  # the panel, the room and People's Choice
    records: RecordsService  # retention and disposal
    access: AccessService  # what the Den holds about a person (access requests, My information)
    audit: AuditService  # the audit trail (decisions, stage changes, refusals, disposals...)
    refusals: RefusalTap  # keeps each logged permission refusal in the records register
    report_links: ReportLinks  # the report's CSV download links
    information_links: InformationLinks  # a person's own information, from the tab
    tab_links: TabLinks  # the Den tab's pages from outside it (Teams deep links)
    notice: CollectionNotice  # the notice of collection
    budget: TenantBudget  # this instance's share of the tenant's Teams budget
    dialog: MainDialog
    scheduled: list[Timer]  # the digest, nudges, follow-ups and disposal (started if DEN_DIGEST_SCHEDULE)
    # What only some settings give:
    edge: TeamsEdge | None = None  # the SDK that receives /api/messages, when the app talks to Teams
    rehearsal: Rehearsal | None = None  # off production: run what is due "as of" a later time
    index: TabIndex | None = None  # the ideas the Den tab searches (SQLite's own tables, or SharePoint's copy)
    connect: ConnectService | None = None  # similar ideas and asking to connect, where the records index them
    spool_timer: Timer | None = None  # files pitches spooled during a Graph outage (SharePoint)
    tab_index: SharePointTabIndex | None = None  # the Den tab's index on SharePoint (from the delta query)
    tab_index_timer: Timer | None = None
    backlog_watch: BacklogWatch | None = None  # the outbox gauges, with telemetry on
    deliver_own_writes: Callable[[Callable[[], None], Callable[[], bool]], None] | None = None  # SharePoint

    async def open(self) -> None:
        """Connect to the store (commands that only read stop here)."""
        await self.store.open()

    async def close(self) -> None:
        await self.store.close()

    async def start(self) -> None:
        """Open the store and start the workers: the app's start-up."""
        await self.open()
        if self.rehearsal is not None:
            await self.rehearsal.load()  # a rehearsal's clock never goes back on a restart
        await self.routes.load()  # rules uploaded to the records win over the files
        await self.schedule.load()
        if self.deliver_own_writes is not None:  # the SharePoint store: this instance delivers what it writes
            self.deliver_own_writes(self.dispatcher.kick, self.dispatcher.may_send)
        await self.budget.start_first()  # the share is known before anything is sent
        self.dispatcher.start()
        if self.backlog_watch is not None:
            self.backlog_watch.start()
        logging.getLogger("bot").addHandler(self.refusals)
        if self.tab_index is not None:
            await self.tab_index.open()
            if self.tab_index_timer is not None:
                self.tab_index_timer.start()  # its first run reads every idea once; then what changed
        if self.spool_timer is not None:
            self.spool_timer.start()
        if self.settings.digest_schedule:
            for timer in self.scheduled:
                timer.start()

    async def stop(self) -> None:
        logging.getLogger("bot").removeHandler(self.refusals)
        await self.refusals.settle()
        for timer in [*self.scheduled, *([self.spool_timer] if self.spool_timer else []),
                      *([self.tab_index_timer] if self.tab_index_timer else [])]:
            await timer.stop()
        if self.tab_index is not None:
            await self.tab_index.close()
        await self.dispatcher.stop()
        await self.budget.stop()  # after the last send: its share is free for the others
        if self.backlog_watch is not None:
            await self.backlog_watch.stop()
        await self.pitch_day.settle()  # a pending People's Choice refresh-list update
        if self.edge is not None:
            await self.edge.close()
        await self.close()


def bootstrap(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    graph_credential: AsyncTokenCredential | None = None,
    channel: TeamsChat | None = None,
    telemetry: Telemetry | None = None,
) -> Den:
    """Build the application. Without a `channel`, it talks to Teams through the edge DEN_TEAMS_EDGE names.
    `telemetry` (off by default): traces and metrics, bot/telemetry/setup.py says where they go."""
    adapters = build_adapters(
        settings, clock=clock, graph_credential=graph_credential, channel=channel, telemetry=telemetry
    )
    return assemble(settings, adapters)


def rules_in_force(settings: Settings, store: IdeaStore) -> tuple[InForce[RoutingRules], InForce[RetentionSchedule]]:
    """The routing rules and retention schedule from their files (checked now), which a copy uploaded to
    the records replaces when the app starts (DenSettings items 'routing' and 'retention')."""

    async def stored_routing() -> RoutingRules | None:
        stored = await store.get_setting(ROUTING_KEY)
        return stored_routes(stored.text, settings) if stored is not None else None

    async def stored_retention() -> RetentionSchedule | None:
        stored = await store.get_setting(RETENTION_KEY)
        return stored_schedule(stored.text) if stored is not None else None

    routing_off = settings.routing_file.strip().lower() in ("off", "none")
    routes = InForce(load_routes(settings)) if routing_off else InForce(load_routes(settings), stored_routing)
    return routes, InForce(load_schedule(settings), stored_retention)


def assemble(settings: Settings, adapters: Adapters) -> Den:
    """The services from the adapters, each given what it uses when it is built: nothing is set on an
    object afterwards (a test in tests/unit/test_layering.py checks this file for it)."""
    store, directory, channel, clock, telemetry = (
        adapters.store, adapters.directory, adapters.channel, adapters.clock, adapters.telemetry
    )
    routes, schedule = rules_in_force(settings, store)
    notice = collection_notice(settings)
    calendar = WorkCalendar.of(settings.timezone, settings.holidays)
    wake = outbox_wake()  # every service that queues a message rings it; the dispatcher waits on it
    queued = wake.set
    # One limiter per instance: notifications, digests, channel posts and in-place updates share it.
    limiter = TeamsRateLimiter(per_tenant_per_second=settings.teams_messages_per_second)
    posts = RateLimitedPosts(channel, limiter)
    assigner = StepAssigner(store, adapters.availability, directory)
    organisers = OrganiserRoster(settings.organiser_ids, settings.organiser_group_id, directory)
    challenges = ChallengeService(store, directory, organisers, clock=clock, tz=calendar.tz, calendar=calendar,
                                  follow_up_days=settings.follow_up_days, on_outbox=queued)  # fmt: skip
    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    report_links = ReportLinks(settings.link_secret, public_url, clock)
    information_links = InformationLinks(settings.link_secret, public_url, clock)
    tab_links = tab_links_for(settings, public_url)
    # the branches' French names, where the org file gives them (Entra ID's department has one name)
    french_branches = directory.french_branch_names if isinstance(directory, OrgFileDirectory) else None
    pitch_day = PitchDayService(
        store,
        directory,
        organisers,
        clock=clock,
        tz=calendar.tz,
        quorum=settings.panel_quorum,
        reminder_time=time.fromisoformat(settings.panel_reminder_time),
        organiser_ids=settings.organiser_ids,
        posts=posts,
        cards=ChannelCards(store, calendar.tz, tab_links),  # the channel cards it posts and updates
        on_outbox=queued,
        refresh_list=settings.vote_refresh_list,
    )
    ideas = IdeaService(
        store,
        directory,
        clock=clock,
        top_role=Role(settings.chain_top_role),
        on_outbox=queued,
        spool=adapters.spool,
        decision_spool=adapters.spool,
        quota=PitchQuota(settings.daily_pitch_cap, timedelta(days=settings.duplicate_window_days)),
        routes=routes,
        assigner=assigner,
        collection_notice=notice,
        viewers=ViewerResolver(organisers, store),
        on_decision=decisions_counted(telemetry),
    )
    approvals = ApprovalService(
        store, directory, assigner, clock=clock, calendar=calendar, routes=routes, on_outbox=queued
    )
    connect = None
    if adapters.index is not None:
        connect = ConnectService(store, directory, clock=clock, on_outbox=queued, index=adapters.index)
    renderer = NotificationRenderer(
        store,
        second_look=lambda: routes.now().second_look,
        before_request=approvals.settle_before_delivery,  # a step handed on before its request is sent
        den=DenNotificationRenderer(challenges, notice),
        pitch_day=PitchDayNotificationRenderer(pitch_day),
        connect=ConnectNotificationRenderer(connect) if connect is not None else None,
        tz=calendar.tz,
        tab_links=tab_links,
    )
    live_cards = LiveCards(store, posts, clock=clock)
    dispatcher = OutboxDispatcher(
        store,
        channel,
        renderer,
        clock=clock,
        backoff=Backoff(first=settings.notify_retry_base_seconds, longest=600.0, retry_after_cap=600.0),
        max_attempts=settings.notify_max_attempts,
        poll_seconds=settings.outbox_poll_seconds,
        lease_seconds=settings.outbox_lease_seconds,
        max_in_flight=settings.outbox_max_in_flight,
        limiter=limiter,
        drain_seconds=settings.shutdown_drain_seconds,
        # A withdrawn idea's approval requests and reminders are replaced in place (Teams' update),
        # instead of a new withdrawn notice beside them.
        after_send=live_cards.after_send,
        in_place=live_cards.in_place,
        observe=DeliveryObserver(telemetry) if telemetry.enabled else unobserved,
        wake=wake,
    )
    nudger = Nudger(
        store,
        clock=clock,
        calendar=calendar,
        remind_after_business_days=settings.remind_after_business_days,
        tell_submitter_after_business_days=settings.tell_submitter_after_business_days,
        on_outbox=queued,
        escalate=approvals.daily_pass,
    )
    access = AccessService(store, directory, clock=clock, notice=notice.both_languages)
    rules = DigestRules.from_settings(
        settings.stall_business_days, settings.challenge_start, calendar, settings.digest_scope
    )
    digests = DigestService(
        store,
        directory,
        channel,
        nudger,
        digest_renderer(report_url=settings.report_url, stall_days=rules.stall_after_business_days, tz=calendar.tz,
                        branch_names=french_branches),  # fmt: skip
        clock=clock,
        calendar=calendar,
        rules=rules,
        retry_base_seconds=settings.notify_retry_base_seconds,
        retry_after_cap=settings.retry_after_cap_seconds,
        limiter=limiter,
        on_outcome=digests_counted(telemetry),
    )
    records = RecordsService(store, schedule, clock=clock, report=challenges.report, on_outbox=queued)
    scheduled = [
        Timer("weekly-digest", digests.run, weekly(settings.digest_weekday, settings.digest_time, calendar.tz), clock),
        Timer("daily-nudges", nudger.run, daily(settings.nudge_time, calendar.tz), clock),
        Timer("den-follow-ups", challenges.queue_follow_ups, daily(settings.nudge_time, calendar.tz), clock),
        Timer(
            "den-sponsor-digests",
            challenges.queue_sponsor_digests,
            weekly(settings.digest_weekday, settings.digest_time, calendar.tz),
            clock,
        ),
        # transitory records due under a standing authorization (none without one)
        # checked hourly: the daily round once its moment has passed (a missed or unfinished round: at once)
        Timer("records-disposal", partial(records.routine_when_due, daily(settings.nudge_time, calendar.tz)),
              every(3600), clock),
    ]
    spool_timer = (
        Timer("file-spooled-pitches", ideas.file_spooled, every(settings.spool_retry_seconds), utc_now)
        if adapters.spool is not None
        else None
    )

    async def rehearsal_passes() -> dict[str, int]:
        nudged = await nudger.run()
        follow_ups = await challenges.queue_follow_ups()
        dispatcher.kick()
        return {"reminders": nudged.reminders, "submittersTold": nudged.submitters_told,
                "escalated": nudged.escalated, "followUps": follow_ups}  # fmt: skip

    tab_index = adapters.tab_index
    tab_index_timer = (
        Timer("tab-index-sync", tab_index.sync, after_now(settings.tab_index_poll_seconds), utc_now)
        if tab_index is not None
        else None
    )
    rehearsal_clock = adapters.rehearsal_clock
    return Den(
        settings=settings,
        store=store,
        directory=directory,
        channel=channel,
        clock=clock,
        telemetry=telemetry,
        routes=routes,
        schedule=schedule,
        ideas=ideas,
        approvals=approvals,
        dispatcher=dispatcher,
        nudger=nudger,
        digests=digests,
        challenges=challenges,
        pitch_day=pitch_day,
        records=records,
        access=access,
        audit=AuditService(store, clock=clock),
        refusals=RefusalTap(store, clock),
        report_links=report_links,
        information_links=information_links,
        tab_links=tab_links,
        notice=notice,
        budget=tenant_budget(settings, store, limiter, telemetry),
        dialog=MainDialog(
            ideas,
            clock,
            digests,
            ApprovalFlows(approvals, clock, calendar, _picker_people(directory)),
            challenges=challenges,
            pitch_day=pitch_day,
            access=access,
            report_links=report_links,
            tab_links=tab_links,
            connect=ConnectFlows(connect) if connect is not None else None,
            organiser_ids=settings.organiser_ids,
            digest_on_request=settings.digest_on_request,
        ),
        scheduled=scheduled,
        edge=adapters.edge,
        rehearsal=Rehearsal(rehearsal_clock, store, rehearsal_passes) if rehearsal_clock is not None else None,
        index=adapters.index,
        connect=connect,
        spool_timer=spool_timer,
        tab_index=tab_index,
        tab_index_timer=tab_index_timer,
        backlog_watch=BacklogWatch(telemetry, store.outbox_backlog, clock) if telemetry.enabled else None,
        deliver_own_writes=adapters.deliver_own_writes,
    )


def instance_id(settings: Settings) -> str:
    """This instance's name in the heartbeats: the host's name for it where it gives one (stable
    across restarts), else host:port:pid (see `gone_from_this_host`)."""
    return (
        settings.instance_id
        or os.environ.get("WEBSITE_INSTANCE_ID", "")
        or os.environ.get("CONTAINER_APP_REPLICA_NAME", "")
        or f"{socket.gethostname()}:{settings.port}:{os.getpid()}"
    )[:100]


def gone_from_this_host(instance: str) -> bool:
    """An instance named host:port:pid on this host whose process no longer exists (killed, say):
    its heartbeat need not go stale before the others share out its part."""
    host, _, rest = instance.partition(":")
    pid = rest.rpartition(":")[2]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def tenant_budget(
    settings: Settings, store: IdeaStore, limiter: TeamsRateLimiter, telemetry: Telemetry
) -> TenantBudget:
    """The heartbeat that gives this instance its share of the tenant's Teams budget."""
    gauges = telemetry.gauges

    def report(share: float, instances: int) -> None:  # at each heartbeat, not at assembly
        gauges.teams_budget_share, gauges.instances, gauges.read = share, instances, True

    return TenantBudget(
        store,  # type: ignore[arg-type]
        limiter,
        instance_id=instance_id(settings),
        budget=settings.teams_messages_per_second,
        clock=utc_now,  # wall time: the beats of other processes are compared with it
        every_seconds=settings.instance_heartbeat_seconds,
        on_change=report,
        gone=gone_from_this_host,
    )


def decisions_counted(telemetry: Telemetry) -> Callable[[str, str], None] | None:
    """Decisions counted by outcome and status (only with telemetry on)."""
    if not telemetry.enabled:
        return None
    return lambda outcome, status: telemetry.decisions.add(
        1, {"den.decision.outcome": outcome, "den.decision.status": status}
    )


def digests_counted(telemetry: Telemetry) -> Callable[[str], None] | None:
    """Digest deliveries counted by outcome (only with telemetry on)."""
    if not telemetry.enabled:
        return None
    return lambda outcome: telemetry.digests.add(1, {"den.digest.outcome": outcome})


def after_now(seconds: float) -> Callable[[datetime], datetime]:
    """A timer's first run at once, then every `seconds`."""
    first = [True]

    def next_at(now: datetime) -> datetime:
        if first[0]:
            first[0] = False
            return now
        return now + timedelta(seconds=seconds)

    return next_at
