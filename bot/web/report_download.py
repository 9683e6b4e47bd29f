"""GET /den/report.csv?t=<signed link>: a challenge's report as CSV, for the person the link was made for.

The report card in Teams offers the link (bot/services/report_links.py): it works for a few minutes,
for the organiser or sponsor who asked, and that person's right to the report is checked again when
it is opened. Anything else gets a short page saying what to do, never the data. The file is UTF-8
with a byte-order mark, so a spreadsheet opens French accents as they are; nobody's name is logged.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from aiohttp import web

from bot.domain.den_report import report_csv
from bot.services.challenge import ChallengeService
from bot.services.report_links import DOWNLOAD_PATH, ReportLinks

log = logging.getLogger(__name__)

EXPIRED = (
    "This download link has expired or is not valid. Open the report again in Teams and choose "
    "Download the CSV. / Ce lien de téléchargement a expiré ou n’est pas valide. Ouvrez de nouveau le "
    "rapport dans Teams et choisissez Télécharger le fichier CSV."
)
NOT_ALLOWED = (
    "This report is for the Den's organisers and the challenge's sponsors. / Ce rapport est réservé à "
    "l’équipe organisatrice et à la ou au sous-ministre responsable du défi."
)


def _file_name(name: str, today: datetime) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "challenge"
    return f"den-report-{slug}-{today:%Y-%m-%d}.csv"


def report_download_route(app: web.Application, challenges: ChallengeService, links: ReportLinks) -> None:
    async def download(request: web.Request) -> web.Response:
        grant = links.check(request.query.get("t", ""))
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        if grant is None:
            return web.Response(status=403, text=EXPIRED, headers=headers)
        challenge = await challenges.get(grant.challenge_id)
        allowed = challenge is not None and (
            challenge.is_sponsor(grant.user_id) or await challenges.is_organiser(grant.user_id)
        )
        if not allowed:
            ids = {"actor_id": grant.user_id, "challenge_id": grant.challenge_id}
            log.warning("report download refused", extra=ids)
            return web.Response(status=403, text=NOT_ALLOWED, headers=headers)
        report = await challenges.report(challenge.id)
        body = "\ufeff" + report_csv(report)
        log.info("report downloaded", extra={"actor_id": grant.user_id, "challenge_id": challenge.id})
        name = _file_name(challenge.name, challenges.clock())
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return web.Response(body=body.encode("utf-8"), content_type="text/csv", charset="utf-8", headers=headers)

    app.router.add_get(DOWNLOAD_PATH, download)
