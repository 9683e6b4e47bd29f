"""HTTP endpoints for timers outside the app (Azure Functions, Logic Apps): run the digest or the nudges;
and, off production only, run what is due "as of" a later time to rehearse a Den.

Protected by a shared secret (DEN_DIGEST_SECRET), sent as `Authorization: Bearer <secret>`;
disabled (404) when no secret is configured.
"""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime, timedelta, tzinfo

from aiohttp import web

from bot.services.challenge import ChallengeService
from bot.services.digest import DigestService
from bot.services.nudges import Nudger
from bot.services.rehearsal import ClockGoesForwardOnly, Rehearsal

log = logging.getLogger(__name__)


def _authorised(request: web.Request, secret: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), secret.encode())


RESEND_OFF = "re-sending a digest is off: set DEN_DIGEST_ON_REQUEST=on (meant for local trials)"
REHEARSAL_OFF = "running what is due as of a later time is refused in production (authentication is on)"
AS_OF_HELP = 'the body must be JSON with "asOf" (e.g. "2026-12-08T09:00", local time) or "days" (e.g. 1 or 0.5)'


def _as_of(body: object, now: datetime, tz: tzinfo) -> datetime | None:
    """The moment a rehearsal run asks for: "asOf" (ISO; without an offset, local time) or "days" ahead."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("days"), int | float) and not isinstance(body.get("days"), bool):
        days = float(body["days"])
        return now + timedelta(days=days) if 0 <= days <= 400 else None
    if isinstance(body.get("asOf"), str):
        try:
            moment = datetime.fromisoformat(body["asOf"].strip())
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
    return None


def admin_routes(
    app: web.Application,
    digests: DigestService,
    nudger: Nudger,
    secret: str,
    *,
    allow_resend: bool = False,
    challenges: ChallengeService | None = None,
    rehearsal: Rehearsal | None = None,
    tz: tzinfo = UTC,
) -> None:
    """`allow_resend` (DEN_DIGEST_ON_REQUEST): the digest endpoint may send a week's digest again.
    `challenges`: the weekly run also queues each sponsor's challenge digest, the daily run the
    funded ideas' monthly follow-ups."""

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
        answer = result.as_json()
        if challenges is not None and dm_ids is None:
            answer["challengeDigests"] = await challenges.queue_sponsor_digests(result.week_key)
        return web.json_response(answer)

    async def run_nudges(request: web.Request) -> web.Response:
        refused = await guard(request)
        if refused is not None:
            return refused
        result = await nudger.run()
        answer = {
            "reminders": result.reminders,
            "submittersTold": result.submitters_told,
            "escalated": result.escalated,
        }
        if challenges is not None and (follow_ups := await challenges.queue_follow_ups()):
            answer["followUps"] = follow_ups  # funded ideas' monthly check-ins (reported when there are some)
        return web.json_response(answer)

    async def run_as_of(request: web.Request) -> web.Response:
        """Off production: move this instance's clock forward to a time and run what is due then."""
        refused = await guard(request)
        if refused is not None:
            return refused
        if rehearsal is None:
            return web.json_response({"error": REHEARSAL_OFF}, status=403)
        try:
            body = await request.json() if request.can_read_body else {}
        except json.JSONDecodeError:
            return web.json_response({"error": AS_OF_HELP}, status=400)
        moment = _as_of(body, rehearsal.clock(), tz)
        if moment is None:
            return web.json_response({"error": AS_OF_HELP}, status=400)
        try:
            run = await rehearsal.run_as_of(moment)
        except ClockGoesForwardOnly as error:
            message = f"the clock only moves forward: this instance's time is already {error}"
            return web.json_response({"error": message}, status=409)
        return web.json_response(run.as_json(tz))

    app.router.add_post("/api/digest/run", run_digest)
    app.router.add_post("/api/rehearsal/run", run_as_of)
    app.router.add_post("/api/nudges/run", run_nudges)
