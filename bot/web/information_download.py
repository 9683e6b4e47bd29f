"""GET /den/information.html?t=... and /den/information.json?t=...: a person's own information, downloaded.

The Den tab's "My information" page makes the links for the signed-in person (bot/tab/information.py,
bot/services/information_links.py). Each link gives that person's copy and nobody else's: a link that
was changed, made for the other format, or has expired is answered as a page that does not exist
(404), with a sentence saying what to do. The copy is the access export itself
(`AccessService.information_about`, rendered as the administrators' command renders it), sent as a
file, never kept by a browser or a proxy; each download is recorded in the records register (who,
when, how: no content). Nothing people typed, and no name, is logged.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.services.access import AccessService
from bot.services.information_links import DOWNLOAD_PATHS, InformationLinks
from bot.web.personal_information import as_html, as_json, file_stem

log = logging.getLogger(__name__)

NOT_VALID = (
    "This download link has expired or is not valid. Open My information in the Den tab again and choose "
    "the download there. / Ce lien de téléchargement a expiré ou n’est pas valide. Ouvrez de nouveau Mes "
    "renseignements dans l’onglet de Deputy's Den et choisissez le téléchargement."
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # a file to save; should a browser show it, it may use its own inline style and nothing else
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}


def information_download_routes(app: web.Application, access: AccessService, links: InformationLinks) -> None:
    def serve(format: str):
        async def download(request: web.Request) -> web.Response:
            grant = links.check(request.query.get("t", ""), format)
            if grant is None:
                return web.Response(status=404, text=NOT_VALID, headers=HEADERS)
            info = await access.information_about(grant.person_id)
            await access.record_request(grant.person_id, by=grant.person_id, channel="tab")
            log.info("own information downloaded", extra={"actor_id": grant.person_id, "format": format})
            body = as_json(info) if format == "json" else as_html(info, grant.language)
            name = f"{file_stem(info)}.{format}"
            headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
            content_type = "application/json" if format == "json" else "text/html"
            return web.Response(body=body.encode("utf-8"), content_type=content_type, charset="utf-8", headers=headers)

        return download

    for format, path in DOWNLOAD_PATHS.items():
        app.router.add_get(path, serve(format))
