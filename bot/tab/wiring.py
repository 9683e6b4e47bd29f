"""Builds the Den tab from the assembled application: its service, its sign-in and its routes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.adapters.org_directory import OrgFileDirectory
from bot.domain.calendar import WorkCalendar
from bot.services.dashboard import DashboardService
from bot.services.room import RoomService
from bot.services.showcase import ShowcaseService
from bot.tab.auth import DemoSignIn, EntraKeys, EntraTokenValidator, TabUser, TokenValidator
from bot.tab.console import ConsoleRoutes
from bot.tab.dashboard_routes import DashboardRoutes
from bot.tab.information import InformationRoutes
from bot.tab.routes import TabRoutes
from bot.tab.service import TabService
from cards.tab_links import TabLinks

if TYPE_CHECKING:
    from bot.bootstrap import Den
    from bot.settings import Settings

SEARCH_LIMIT = 15  # people a judge search offers at most
DEMO_GUEST = TabUser("demo-guest", "Alex Guest (external guest)", "", member=False)


def demo_people(settings: Settings) -> list[TabUser]:
    """The demo organisation's people (and one guest), for "sign in as" when authentication is off."""
    people = [
        TabUser(e.person.id, f"{e.person.name} ({e.person.job_title})" if e.person.job_title else e.person.name, "")
        for e in OrgFileDirectory.from_file(settings.org_file).people()
    ]
    return [*people, DEMO_GUEST]


def tab_links_for(settings: Settings, public_url: str) -> TabLinks:
    """An idea's page in the Den tab: a Teams deep link to the personal tab (its sub-page names the idea),
    or, with authentication off, the tab's own page where the app is served (cards/tab_links.py)."""
    demo = not settings.auth_enabled
    # In production the page's own address is known only from DEN_PUBLIC_URL: without it the deep link
    # has no web fallback rather than one naming the server's local address.
    base_url = settings.public_url or (public_url if demo else "")
    return TabLinks(app_id=settings.teams_app_id, base_url=base_url, demo=demo)


def validator_for(settings: Settings) -> TokenValidator:
    if not settings.auth_enabled:
        return DemoSignIn({p.id: p for p in demo_people(settings)})
    tenant = settings.app_tenant_id or settings.allowed_tenant_id
    if not tenant:
        raise SystemExit("The Den tab's sign-in needs the tenant: set MicrosoftAppTenantId (or DEN_ALLOWED_TENANT_ID).")
    keys = EntraKeys(settings.entra_authority, tenant)
    return EntraTokenValidator(keys, client_id=settings.app_id, tenant_id=tenant, resource=settings.tab_resource)


def mount_tab(app: web.Application, den: Den, settings: Settings) -> None:
    """The tab, over the embedded store's own index or, on SharePoint, the instance's delta-fed one."""
    index = den.index
    if index is None:
        return
    challenges = den.challenges

    async def names() -> dict[str, str]:
        return {c.id: c.name for c in await den.store.list_challenges()}

    async def standings(ideas):
        return await challenges.standings(ideas)

    service = TabService(
        index, den.store, den.ideas.viewers, challenge_names=names, standings=standings,
        set_sharing=den.ideas.set_sharing, connect=den.connect, lessons=den.ideas,
        withdraw=den.approvals.withdraw,
    )
    validator = validator_for(settings)
    routes = TabRoutes(
        service,
        validator,
        den.store,
        default_tz=ZoneInfo(settings.timezone),
        demo_people=demo_people(settings) if not settings.auth_enabled else None,
    )
    routes.mount(app)
    mount_dashboard(app, den, settings, routes, service)
    InformationRoutes(routes, den.access, den.information_links, den.notice).mount(app)


def mount_dashboard(app: web.Application, den: Den, settings: Settings, routes: TabRoutes, service: TabService) -> None:
    """The dashboard (and the pages built on it) beside the tab's pages, on the same sign-in."""
    follow_up = timedelta(days=settings.follow_up_days)
    calendar = WorkCalendar.of(settings.timezone, settings.holidays)
    dashboards = DashboardService(
        den.store, den.directory, calendar=calendar, clock=den.clock, follow_up_after=follow_up
    )
    showcase, rooms = ShowcaseService(den.store, service.index), RoomService(den.store)
    DashboardRoutes(routes, service, dashboards, showcase, rooms).mount(app)
    ConsoleRoutes(routes, den.challenges, den.pitch_day, people=people_to_choose(den),
                  report_links=den.report_links).mount(app)


def people_to_choose(den: Den):
    """The people an organiser may name as judges in the console: everyone in the organisation file
    (authentication off, or an org-file directory), or the deputy ministers with Entra ID; and anyone
    the organiser finds with the directory's people search (as the panel card's people picker finds
    anyone in the tenant), and the judges already named. Found people come first."""
    directory = den.directory

    async def people(search: str, keep: Iterable[str]) -> tuple[list[tuple[str, str]], int]:
        listed = getattr(directory, "people", None)
        base = [e.person for e in listed()] if listed is not None else await directory.deputy_ministers()
        found = await directory.search_people(search, limit=SEARCH_LIMIT) if search else []
        kept = [await directory.get_person(i) for i in dict.fromkeys(keep) if i]
        offered: dict[str, str] = {}
        for person in [*found, *(k for k in kept if k is not None), *base]:
            if person.name:
                offered.setdefault(person.id, person.name)
        return list(offered.items()), len(found)

    return people
