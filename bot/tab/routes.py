"""The Den tab's routes on the app's own aiohttp server: the page shell, its local assets, and the pages.

`/tab` (personal tab) and `/tab?context=channel` (channel tab) are the same shell; `/tab/config` is
the channel tab's configuration page. Everything the page loads is served from here, from the npm
packages of the lockfile (no CDN), under a Content-Security-Policy that lets only Teams, Outlook and
Microsoft 365 frame it. Every `/tab/api/` request is refused with 401 unless its token is valid.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from bot.domain.limits import REASON_MAX, check_text
from bot.domain.model import LESSON_MAX, Idea
from bot.domain.pitch import clean_text
from bot.i18n import Messages
from bot.ports import Preferences
from bot.ports.tab import TabQuery
from bot.services.ideas import ActionStatus
from bot.settings import ROOT
from bot.tab.auth import DemoSignIn, InvalidToken, TabUser, TokenValidator
from bot.tab.pages import (
    Reader,
    Roles,
    browse_page,
    idea_page,
    my_ideas_page,
    not_found_page,
    requests_page,
    sign_in_page,
)
from bot.tab.service import TabService

log = logging.getLogger("deputys_den.tab")

FRAME_ANCESTORS = (
    "https://teams.microsoft.com https://*.teams.microsoft.com https://*.cloud.microsoft "
    "https://*.office.com https://outlook.office.com https://outlook.office365.com https://*.microsoft365.com"
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    f"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {FRAME_ANCESTORS}"
)
NODE = ROOT / "node_modules"
STATIC = ROOT / "static" / "tab"
# Every file the page may load, by the name it asks for: our own, and the packages' builds.
ASSETS: dict[str, Path] = {
    "tab.js": STATIC / "tab.js",
    "config.js": STATIC / "config.js",
    "tab.css": STATIC / "tab.css",
    "fluent-themes.css": STATIC / "fluent-themes.css",
    "teams-js.js": NODE / "@microsoft" / "teams-js" / "dist" / "umd" / "MicrosoftTeams.min.js",
}
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
CANADIAN = {"fr": "fr-CA", "en": "en-CA"}
# The shell and its files hold no data: a browser keeps them and asks each time whether they changed
# (the ETag aiohttp gives every file; 304 and no body when not), so a new version is seen at once.
# The pages under /tab/api/ carry people's data and are never stored (`no-store`, below).
REVALIDATE = {"Cache-Control": "no-cache"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def tab_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The tab's security headers on everything under /tab (error pages included)."""
    response = await handler(request)
    if request.path == "/tab" or request.path.startswith("/tab/"):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class TabRoutes:
    def __init__(
        self,
        service: TabService,
        validator: TokenValidator,
        preferences: Preferences,
        *,
        default_tz: ZoneInfo,
        demo_people: list[TabUser] | None = None,
    ) -> None:
        self.service = service
        self.validator = validator
        self.preferences = preferences
        self.default_tz = default_tz
        self.demo_people = demo_people if isinstance(validator, DemoSignIn) else None
        # Which of the tab's sections the person's roles open (bot/tab/dashboard_routes.py sets it).
        self.roles_of: Callable[[TabUser], Awaitable[Roles]] | None = None

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/tab", self.shell("index.html"))
        app.router.add_get("/tab/config", self.shell("config.html"))
        app.router.add_get("/tab/assets/{name}", self.asset)
        app.router.add_get("/tab/api/people", self.people)
        app.router.add_get("/tab/api/ideas", self.signed_in(self.ideas))
        app.router.add_get("/tab/api/ideas/{idea_id}", self.signed_in(self.idea))
        app.router.add_post("/tab/api/ideas/{idea_id}/sharing", self.signed_in(self.sharing))
        app.router.add_post("/tab/api/ideas/{idea_id}/connect", self.signed_in(self.ask_to_connect))
        app.router.add_post("/tab/api/ideas/{idea_id}/lesson", self.signed_in(self.lesson))
        app.router.add_get("/tab/api/mine", self.signed_in(self.mine))
        app.router.add_post("/tab/api/ideas/{idea_id}/withdraw", self.signed_in(self.withdraw))
        app.router.add_get("/tab/api/requests", self.signed_in(self.requests))
        app.router.add_post("/tab/api/requests/{request_id}/answer", self.signed_in(self.answer))

    # ---- the shell and its files (no data in them: nothing to sign in for) -----------------------
    @staticmethod
    def shell(name: str) -> Handler:
        path = STATIC / name

        async def serve(request: web.Request) -> web.StreamResponse:
            return web.FileResponse(path, headers={"Content-Type": "text/html; charset=utf-8", **REVALIDATE})

        return serve

    @staticmethod
    async def asset(request: web.Request) -> web.StreamResponse:
        path = ASSETS.get(request.match_info["name"])
        if path is None or not path.is_file():
            raise web.HTTPNotFound()
        headers = {"Content-Type": CONTENT_TYPES[path.suffix], **REVALIDATE}
        return web.FileResponse(path, headers=headers)

    # ---- signing in ---------------------------------------------------------------------------
    async def people(self, request: web.Request) -> web.StreamResponse:
        """Authentication off: the "sign in as" choice. With Entra ID sign-in, there is no such page."""
        if self.demo_people is None:
            raise web.HTTPNotFound()
        return _html(sign_in_page(Messages(_locale(request)), self.demo_people))

    def signed_in(
        self, handler: Callable[[web.Request, Reader], Awaitable[web.StreamResponse]], *, roles: bool = True
    ) -> Handler:
        """`roles=False`: for an answer that shows no navigation (the room's live part, asked again and
        again by every screen), the reader's roles are not looked up."""

        async def check(request: web.Request) -> web.StreamResponse:
            try:
                user = await self.validator.validate(request.headers.get("Authorization", ""))
            except InvalidToken as refused:
                log.info("tab request refused", extra={"reason": str(refused)})
                return web.Response(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return await handler(request, await self._reader(request, user, roles=roles))

        return check

    async def _reader(self, request: web.Request, user: TabUser, *, roles: bool = True) -> Reader:
        chosen = await self.preferences.get_language(user.id)
        tz = self.default_tz
        try:
            tz = ZoneInfo(request.headers.get("X-Den-Time-Zone", "")) if request.headers.get("X-Den-Time-Zone") else tz
        except (ZoneInfoNotFoundError, ValueError):
            pass
        locale = _locale(request)
        if chosen and not locale.lower().startswith(chosen):
            locale = "fr-CA" if chosen == "fr" else "en-CA"
        found = await self.roles_of(user) if roles and self.roles_of is not None else Roles()
        return Reader(user, Messages(locale), tz, demo=self.demo_people is not None, roles=found)

    # ---- pages --------------------------------------------------------------------------------
    async def ideas(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        query = query_from(request.query)
        viewer = await self.service.viewer(reader.user)
        browse = await self.service.browse(viewer, query)
        return _html(browse_page(reader, browse, query, section="lessons" if query.lessons else "ideas"))

    async def idea(self, request: web.Request, reader: Reader, saved: str = "") -> web.StreamResponse:
        viewer = await self.service.viewer(reader.user)
        found = await self.service.idea(viewer, request.match_info["idea_id"])
        if found is None:
            return _html(not_found_page(reader), status=404)
        asked = await self.service.my_request_about(viewer, found[0].id)
        can_ask = self.service.connect is not None and viewer.member
        may_write = await self.service.may_write_lesson(viewer, found[0])
        return _html(idea_page(reader, *found, saved=saved, asked=asked, can_ask=can_ask, may_write_lesson=may_write))

    async def lesson(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        """The submitter's lesson learned, from the tab (with or without consent to share it)."""
        form = await request.post()
        text = clean_text(form.get("lesson", ""), multiline=True)[:LESSON_MAX]
        viewer = await self.service.viewer(reader.user)
        shared = form.get("share") == "true"
        if not await self.service.write_lesson(viewer, request.match_info["idea_id"], text, shared):
            return _html(not_found_page(reader), status=404)
        return await self.idea(request, reader, saved="tab.lesson.saved")

    async def sharing(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        """The submitter's Share / Stop sharing; anyone else's attempt answers as for an unknown idea."""
        form = await request.post()
        shared = form.get("shared") == "true"
        viewer = await self.service.viewer(reader.user)
        if not await self.service.share(viewer, request.match_info["idea_id"], shared):
            return _html(not_found_page(reader), status=404)
        return await self.idea(request, reader, saved="tab.sharing.saved_on" if shared else "tab.sharing.saved_off")

    async def ask_to_connect(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        viewer = await self.service.viewer(reader.user)
        if not await self.service.ask_to_connect(viewer, request.match_info["idea_id"]):
            return _html(not_found_page(reader), status=404)
        return await self.idea(request, reader, saved="tab.connect.pending")

    async def mine(
        self, request: web.Request, reader: Reader, saved: str = "", withdrawn: Idea | None = None
    ) -> web.StreamResponse:
        viewer = await self.service.viewer(reader.user)
        ideas = await self.service.mine(viewer)
        return _html(my_ideas_page(reader, ideas, saved=saved, withdrawn=withdrawn))

    async def withdraw(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        """The submitter's Withdraw from My ideas or from the idea's page: as in the chat, then (on My
        ideas) the invitation to share what was learned, or (on its page, which then offers the lesson
        form) the idea as it is now. Someone else's idea answers as one that does not exist."""
        form = await request.post()
        on_its_page = form.get("back") == "idea"

        async def answer(saved: str, withdrawn: Idea | None = None) -> web.StreamResponse:
            if on_its_page:
                return await self.idea(request, reader, saved=saved)
            return await self.mine(request, reader, saved=saved, withdrawn=withdrawn)

        checked = check_text(form.get("reason", ""), REASON_MAX, multiline=True)
        if checked.error == "too_long":
            return await answer("tab.withdraw.too_long")
        viewer = await self.service.viewer(reader.user)
        result = await self.service.withdraw(viewer, request.match_info["idea_id"], checked.value)
        if result is None or result.status in (ActionStatus.NOT_YOURS, ActionStatus.NOT_FOUND):
            return _html(not_found_page(reader), status=404)
        if result.status != ActionStatus.RECORDED:
            return await answer("withdraw.not_allowed")
        return await answer("withdraw.done", withdrawn=result.idea)

    async def requests(self, request: web.Request, reader: Reader, saved: str = "") -> web.StreamResponse:
        viewer = await self.service.viewer(reader.user)
        return _html(requests_page(reader, await self.service.requests(viewer), saved=saved))

    async def answer(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        """The owner's Accept / Decline; a request that is not theirs answers as one that does not exist."""
        accept = await _answer_form(request)
        viewer = await self.service.viewer(reader.user)
        if not await self.service.answer(viewer, request.match_info["request_id"], accept):
            return _html(not_found_page(reader), status=404)
        saved = "tab.requests.saved_on" if accept else "tab.requests.saved_off"
        return await self.requests(request, reader, saved=saved)


def query_from(params) -> TabQuery:
    """The query string as a TabQuery; anything malformed is ignored rather than refused."""

    def number(name: str, default: int) -> int:
        try:
            return max(0, int(params.get(name, default)))
        except ValueError:
            return default

    return TabQuery(
        text=params.get("q", "")[:200],
        challenge=params.get("challenge", "")[:100],
        stage=params.get("stage", "")[:40],
        program_area=params.get("area", "")[:40],
        branch=params.get("branch", "")[:120],
        year=number("year", 0),
        lessons=params.get("lessons", "") in ("1", "true"),
        page=min(max(1, number("page", 1)), 500),
    )


def _locale(request: web.Request) -> str:
    """The Teams locale the page read from its context (else the browser's first language)."""
    value = request.headers.get("X-Den-Locale") or request.headers.get("Accept-Language", "en-CA").split(",")[0]
    value = value.strip()[:20] or "en-CA"
    # A bare language ("fr", from a browser or a card's link) is read as Canada's: « 14 h 30 », not 14:30.
    return CANADIAN.get(value.lower(), value)


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


async def _answer_form(request: web.Request) -> bool:
    return (await request.post()).get("accept") == "true"
