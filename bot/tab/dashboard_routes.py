"""The Den tab's dashboard (and the pages built on it), mounted beside the tab's own routes.

Same sign-in, same reader (language, time zone), same page shell as every tab page
(bot/tab/routes.py); a dashboard that is not the person's to see answers exactly as a page that
does not exist (404).
"""

from __future__ import annotations

from aiohttp import web

from bot.services.dashboard import DashboardService
from bot.services.room import RoomService
from bot.services.showcase import ShowcaseService
from bot.tab.auth import TabUser
from bot.tab.dashboard_pages import dashboard_page, room_live, room_page, showcase_page
from bot.tab.pages import Reader, Roles, not_found_page
from bot.tab.routes import TabRoutes, _html
from bot.tab.service import TabService

ROOM_WAIT_SECONDS = 20.0  # the longest a screen's question is held (well under proxies' idle timeouts)


class DashboardRoutes:
    def __init__(
        self, tab: TabRoutes, service: TabService, dashboards: DashboardService, showcase: ShowcaseService,
        rooms: RoomService,
    ) -> None:
        self.rooms = rooms
        self._live: dict[tuple[str, str], str] = {}
        self.tab = tab
        self.service = service
        self.dashboards = dashboards
        self.showcases = showcase

    def mount(self, app: web.Application) -> None:
        self.tab.roles_of = self.roles_of
        app.router.add_get("/tab/api/dashboard", self.tab.signed_in(self.dashboard))
        app.router.add_get("/tab/api/showcase", self.tab.signed_in(self.showcase))
        app.router.add_get("/tab/api/room", self.tab.signed_in(self.room))
        app.router.add_get("/tab/api/room/state", self.tab.signed_in(self.room_state, roles=False))

    async def roles_of(self, user: TabUser) -> Roles:
        viewer = await self.service.viewer(user)
        return Roles(dashboard=await self.dashboards.may_open(viewer), organiser=viewer.organiser and viewer.member)

    async def dashboard(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        viewer = await self.service.viewer(reader.user)
        view = await self.dashboards.view(
            viewer, challenge_id=request.query.get("challenge", "")[:100], year=_number(request.query.get("year"))
        )
        if view is None:
            return _html(not_found_page(reader), status=404)
        return _html(dashboard_page(reader, view))

    async def showcase(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        showcase = await self.showcases.showcase(await self.service.viewer(reader.user))
        if showcase is None:
            return _html(not_found_page(reader), status=404)
        return _html(showcase_page(reader, showcase))

    async def _room(self, request: web.Request, reader: Reader):
        if not reader.user.member:
            return None
        challenge_id = request.query.get("challenge", "")[:100] or await self.rooms.current_challenge()
        return await self.rooms.room(challenge_id)

    async def room(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        """The pitch-day room view (a channel tab on the room's projector), for every member."""
        room = await self._room(request, reader)
        if room is None:
            return _html(not_found_page(reader), status=404)
        return _html(room_page(reader, room))

    def _room_live(self, reader: Reader, room) -> str:
        """The live part as the room now stands, drawn once per version and language: every waiting
        screen is answered at the same moment when the room changes, so each answer must cost little."""
        key = (room.token, reader.messages.locale)
        html = self._live.get(key)
        if html is None:
            if len(self._live) >= LIVE_KEPT:
                self._live.clear()
            html = self._live[key] = room_live(reader, room)
        return html

    async def room_state(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        """Asked by each screen: what to show, or 204 when nothing changed since its token. With `wait`
        (seconds, at most ROOM_WAIT_SECONDS), an unchanged room holds the answer until it changes."""
        room = await self._room(request, reader)
        if room is None:
            return web.Response(status=404)
        since = request.query.get("since", "")
        wait = min(_seconds(request.query.get("wait")), ROOM_WAIT_SECONDS)
        if since == room.token and wait > 0:
            def gone() -> bool:  # the screen went away: stop holding its answer
                return request.transport is None or request.transport.is_closing()

            room = await self.rooms.changed_since(room.challenge.id, since, wait=wait, gone=gone)
            if room is None:
                return web.Response(status=404)
        if since == room.token:
            return web.Response(status=204)
        response = _html(self._room_live(reader, room))
        response.headers["X-Room-Token"] = room.token
        return response


LIVE_KEPT = 64  # rendered room views kept (a few rooms, each in two languages, a few versions)


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0


def _number(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
