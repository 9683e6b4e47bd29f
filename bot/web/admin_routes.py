"""HTTP endpoints for timers outside the app (Azure Functions, Logic Apps): run the digest or the nudges.

Protected by a shared secret (DEN_DIGEST_SECRET), sent as `Authorization: Bearer <secret>`;
disabled (404) when no secret is configured.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.services.digest import DigestService
from bot.services.nudges import Nudger

log = logging.getLogger(__name__)


def _authorised(request: web.Request, secret: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), secret.encode())


RESEND_OFF = "re-sending a digest is off: set DEN_DIGEST_ON_REQUEST=on (meant for local trials)"


def admin_routes(
    app: web.Application, digests: DigestService, nudger: Nudger, secret: str, *, allow_resend: bool = False
) -> None:
    """`allow_resend` (DEN_DIGEST_ON_REQUEST): the digest endpoint may send a week's digest again."""

    async def guard(request: web.Request) -> web.Response | None:
        if not secret:
            return web.json_response({"error": "the digest endpoint is off: set DEN_DIGEST_SECRET"}, status=404)
        if not _authorised(request, secret):
            log.warning("admin endpoint refused", extra={"path": request.path})
            return web.json_response({"error": "unauthorised"}, status=401)
        return None

    async def run_digest(request: web.Request) -> web.Response:
        refused = await guard(request)
        if refused is not None:
            return refused
        try:
            body = await request.json() if request.can_read_body else {}
        except json.JSONDecodeError:
            return web.json_response({"error": 'the body must be JSON, e.g. {} or {"dmIds": [...]}'}, status=400)
        dm_ids = body.get("dmIds") if isinstance(body, dict) else None
        if dm_ids is not None and not (isinstance(dm_ids, list) and all(isinstance(i, str) for i in dm_ids)):
            return web.json_response({"error": "dmIds must be a list of ids"}, status=400)
        week_name = body.get("week", "last") if isinstance(body, dict) else "last"
        if week_name not in ("last", "current"):
            return web.json_response({"error": 'week must be "last" (the default) or "current"'}, status=400)
        resend = isinstance(body, dict) and body.get("resend") is True
        if resend and not allow_resend:
            return web.json_response({"error": RESEND_OFF}, status=403)
        result = await digests.run(dm_ids=dm_ids, week=digests.week_named(week_name), resend=resend)
        return web.json_response(result.as_json())

    async def run_nudges(request: web.Request) -> web.Response:
        refused = await guard(request)
        if refused is not None:
            return refused
        result = await nudger.run()
        return web.json_response(
            {"reminders": result.reminders, "submittersTold": result.submitters_told, "escalated": result.escalated}
        )

    app.router.add_post("/api/digest/run", run_digest)
    app.router.add_post("/api/nudges/run", run_nudges)
