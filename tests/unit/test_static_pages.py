"""The about, privacy and terms pages, in English and French, and the privacy page's notice of collection."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from bot.settings import ROOT

PAGES = ("about", "privacy", "terms")
NBSP = "\u00a0"


class Page(HTMLParser):
    """The page's language, its links and its headings' ids, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = ""
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self.text = ""
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang") or ""
        if tag == "a":
            self.links.append((attributes.get("href") or "", attributes.get("hreflang") or ""))
        if attributes.get("id"):
            self.ids.add(attributes["id"] or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text += data


def page(name: str) -> Page:
    return Page((ROOT / "static" / f"{name}.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", PAGES)
def test_each_page_exists_in_both_languages_and_links_to_the_other(name):
    english, french = page(name), page(f"{name}-fr")
    assert english.lang == "en" and french.lang == "fr-CA"
    assert (f"{name}-fr", "fr-CA") in english.links
    assert (name, "en-CA") in french.links


@pytest.mark.parametrize("name", PAGES)
def test_french_pages_follow_french_typography(name):
    text = re.sub(r"[ \t\r\n]+", " ", page(f"{name}-fr").text)
    assert not re.search(r"[^\u00a0][:;!?»]", text), "a no-break space goes before : ; ! ? »"
    assert not re.search(r"«[^\u00a0]", text)


@pytest.mark.parametrize(
    "name, collected, placeholder",
    [
        ("privacy", ("name", "Teams", "ideas you pitch", "decisions and comments"), "to be completed by the ministry"),
        ("privacy-fr", ("nom", "Teams", "idées que vous proposez", "décisions", "commentaires"), "à remplir par le"),
    ],
)
def test_the_privacy_page_gives_a_fippa_notice_of_collection(name, collected, placeholder):
    """What is collected, why, under what authority, and whom to ask (FIPPA s. 39(2))."""
    notice = page(name)
    assert {"notice-of-collection", "purpose", "authority", "contact"} <= notice.ids
    text = re.sub(r"[ \t\r\n]+", " ", notice.text)
    for item in collected:
        assert item in text
    assert "FIPPA" in text if name == "privacy" else "LAIPVP" in text
    authority = text.split("38")[0]
    assert placeholder in authority, "the enabling statute is left for the ministry to name, visibly"
    assert text.count(placeholder) >= 2, "the contact official too"
