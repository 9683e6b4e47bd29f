"""The health check and the static pages the Teams manifest links to (about, privacy, terms), each also
in French at `/<page>-fr` (the two versions link to each other)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web import Request, Response

from bot.ports import Lifecycle
from bot.settings import ROOT

MANIFEST_PAGES = ("about", "privacy", "terms")


def static_page(name: str):
    path = ROOT / "static" / f"{name}.html"

    async def serve(request: Request) -> Response:
        return web.FileResponse(path, headers={"Content-Type": "text/html; charset=utf-8"})

    return serve


def health_routes(app: web.Application, store: Lifecycle) -> None:
    async def healthz(request: Request) -> Response:
        store_ok = await store.ping()
        return web.json_response(
            {"status": "ok" if store_ok else "degraded", "store": "ok" if store_ok else "unreachable"},
            status=200 if store_ok else 503,
        )

    app.router.add_get("/healthz", healthz)


def page_routes(app: web.Application) -> None:
    for page in MANIFEST_PAGES:
        for name in (page, f"{page}-fr"):
            app.router.add_get(f"/{name}", static_page(name))
