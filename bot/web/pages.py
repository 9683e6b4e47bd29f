"""The probes (/livez, /readyz and /healthz) and the static pages the Teams manifest links to (about,
privacy, terms), each also in French at `/<page>-fr` (the two versions link to each other)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape
from typing import Any, Protocol, TypeVar

from aiohttp import web
from aiohttp.web import Request, Response

from bot.domain.notice import CollectionNotice
from bot.ports import Health, Lifecycle
from bot.settings import ROOT

MANIFEST_PAGES = ("about", "privacy", "terms")
T = TypeVar("T")


class HealthStore(Lifecycle, Health, Protocol):
    """What the health check asks of the store."""


def static_page(name: str):
    path = ROOT / "static" / f"{name}.html"

    async def serve(request: Request) -> Response:
        return web.FileResponse(path, headers={"Content-Type": "text/html; charset=utf-8"})

    return serve


def health_routes(
    app: web.Application,
    store: Lifecycle | HealthStore,
    *,
    clock: Callable[[], datetime] | None = None,
    outbox_max_age_seconds: float = 900.0,
    in_flight: Callable[[], int] = lambda: 0,
    timeout_seconds: float = 5.0,
    graph_store: bool = False,
) -> None:
    """The probes: GET /livez (the process answers), GET /readyz (it can do its work), GET /healthz (the same
    as /readyz, kept for deployments that already point at it).

    Not ready when the store cannot be written (a real write, not a read; on SharePoint that write
    goes through Graph, so it also says whether Graph answers), or when a notification has been due
    and undelivered for longer than `outbox_max_age_seconds`. One scheduled for later is not late:
    its lateness counts from when it became due. The backlog is reported either way, for whoever
    watches the app. Liveness asks nothing of the store: an outage of Graph or a locked database
    must take an instance out of rotation, never get it restarted.
    """
    now_of = clock or (lambda: datetime.now(UTC))

    async def within(check: Awaitable[T], fallback: T) -> T:
        try:
            return await asyncio.wait_for(check, timeout_seconds)
        except Exception:
            return fallback

    async def readiness(request: Request) -> Response:
        writable = await within(store.probe_write(), False)
        now = now_of()
        backlog = await within(store.outbox_backlog(now), None)
        body: dict[str, Any] = {"store": "ok" if writable else "not writable"}
        if graph_store:
            body["graph"] = "ok" if writable else "not answering"
        stalled = backlog is None
        if backlog is not None:
            age = backlog.oldest_due_age_seconds(now)
            moved_at = getattr(now_of, "moved_at", None)  # a rehearsal moved the clock: due since then
            if moved_at is not None:
                age = min(age, max(0.0, (now - moved_at).total_seconds()))
            stalled = age > outbox_max_age_seconds
            body["outbox"] = {
                "pending": backlog.pending,
                "due": backlog.due,
                "scheduled": backlog.scheduled,
                "inFlight": in_flight(),
                "oldestAgeSeconds": round(age, 1),
                "maxAgeSeconds": outbox_max_age_seconds,
                "state": "stalled" if stalled else "ok",
            }
        else:
            body["outbox"] = {"state": "unknown"}
        healthy = writable and not stalled
        return web.json_response({"status": "ok" if healthy else "unhealthy", **body}, status=200 if healthy else 503)

    async def liveness(request: Request) -> Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/livez", liveness)
    app.router.add_get("/readyz", readiness)
    app.router.add_get("/healthz", readiness)


def page_routes(app: web.Application, notice: CollectionNotice | None = None, information_link: str = "") -> None:
    """`information_link`: the Den tab's "My information" (a Teams deep link), for the privacy pages'
    access paragraph; without one the link stays the tab's own page on this app."""
    for page in MANIFEST_PAGES:
        for name in (page, f"{page}-fr"):
            serve = static_page(name)
            if page == "privacy" and notice is not None:
                parts = notice.in_language("fr" if name.endswith("-fr") else "en")
                serve = privacy_page(name, parts, information_link)
            app.router.add_get(f"/{name}", serve)


_NOTICE_PART = re.compile(r'<span data-notice="(\w+)">.*?</span>', re.DOTALL)
_INFORMATION_LINK = re.compile(r'<a data-link="information" href="[^"]*">')


def privacy_page(name: str, parts: dict[str, str], information_link: str = ""):
    """The privacy page with the ministry's notice of collection filled in from the settings (the
    highlighted placeholders stay where a part is not set: a local run), and its link to the tab's
    "My information" where the app knows the Teams app's deep link."""
    template = (ROOT / "static" / f"{name}.html").read_text(encoding="utf-8")

    def fill(found: re.Match) -> str:
        value = parts.get(found.group(1), "").strip()
        return f'<span data-notice="{found.group(1)}">{escape(value)}</span>' if value else found.group(0)

    body = _NOTICE_PART.sub(fill, template)
    if information_link:
        body = _INFORMATION_LINK.sub(f'<a data-link="information" href="{escape(information_link)}">', body)

    async def serve(request: Request) -> Response:
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    return serve
