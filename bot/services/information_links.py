"""Download links for a person's own information, made by the Den tab's "My information" page.

The page is answered only to the signed-in person (the tab's sign-in decides who), and it offers their
copy as links that open outside the tab's frame (Teams opens them in the browser, as the report's CSV).
Each link names the person it was made for, the format and the language of the readable page, and
when it stops working, signed with the app's link key: changing any of it (another person's id, say)
makes it a link that does not exist, and it stops working after a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.report_links import SignedLinks

DOWNLOAD_PATHS = {"json": "/den/information.json", "html": "/den/information.html"}
PURPOSE = "information"


@dataclass(frozen=True)
class InformationGrant:
    """What a valid link allows: this person's own information, in this format (and page language)."""

    person_id: str
    format: str  # json | html
    language: str  # en | fr: the readable page's first language


class InformationLinks(SignedLinks):
    def link(self, person_id: str, format: str, language: str) -> str:
        token = self._token({"p": PURPOSE, "u": person_id, "f": format, "l": language})
        return f"{self._base}{DOWNLOAD_PATHS[format]}?t={token}"

    def check(self, token: str, format: str) -> InformationGrant | None:
        """The grant a link carries for this format, or None: not ours, changed, expired or another kind."""
        claims = self._claims(token)
        if claims is None or claims.get("p") != PURPOSE or claims.get("f") != format or not claims.get("u"):
            return None
        return InformationGrant(claims["u"], format, "fr" if claims.get("l") == "fr" else "en")
