"""The Den tab's "My information": the signed-in person downloads everything the Den holds about them.

The page counts what is held (as the chat's `my information` card does) and offers the copy in the two
forms an access request is answered with: the readable page (every label in English and French, the
person's language first) and the data file (JSON). Both come from `AccessService.information_about`,
rendered by bot/web/personal_information.py, exactly as the administrators' export: this page adds no
computation of its own. Who it is about is the tab's sign-in, never anything in an address: the links
are made for the signed-in person and signed (bot/services/information_links.py), so a changed link is
one that does not exist (404).
"""

from __future__ import annotations

from aiohttp import web

from bot.domain.notice import CollectionNotice
from bot.services.access import AccessService
from bot.services.information_links import InformationLinks
from bot.tab.pages import Reader, _render
from bot.tab.routes import TabRoutes, _html
from cards.my_information import COUNTED


class InformationRoutes:
    def __init__(
        self, tab: TabRoutes, access: AccessService, links: InformationLinks, notice: CollectionNotice
    ) -> None:
        self.tab = tab
        self.access = access
        self.links = links
        self.notice = notice  # its contact official answers questions and corrections

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/tab/api/information", self.tab.signed_in(self.page))

    async def page(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        info = await self.access.information_about(reader.user.id)
        m = reader.messages
        counts = [m.count(f"my_information.{key}", len(info[key])) for key in COUNTED]
        downloads = {f: self.links.link(reader.user.id, f, m.language) for f in ("html", "json")}
        contact = self.notice.in_language(m.language)["contact"].strip()
        return _html(_render("information.html", reader, section="information", counts=counts,
                             downloads=downloads, minutes=self.links.minutes, contact=contact))  # fmt: skip
