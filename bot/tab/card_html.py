"""An Adaptive Card drawn as HTML, so the tab's idea page shows exactly what the details card shows.

The card is built by the same function the chat uses (cards/details.py); this turns its elements
into semantic HTML: a heading for the card's heading, paragraphs, definition lists for fact sets,
sections for containers. Text goes through a CommonMark renderer with raw HTML off (the catalogue's
own markdown becomes <strong>; what people typed was escaped by cards.safe_text and reads as typed).
Dates, which a card leaves to the Teams client (`{{DATE()}}`), are written here, on the server, in
the reader's language and time zone.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

from babel.dates import format_date, format_time
from markdown_it import MarkdownIt
from markupsafe import Markup

from bot.formatting import babel_locale

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(["image"])
_DATE = re.compile(r"\{\{DATE\(([0-9T:\-]+Z?),\s*(SHORT|LONG|COMPACT)\)\}\}")
_TIME = re.compile(r"\{\{TIME\(([0-9T:\-]+Z?)\)\}\}")


def _moment(iso: str, tz: tzinfo) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(tz)


def dates_written(value: str, locale: str, tz: tzinfo) -> str:
    """{{DATE(…)}} and {{TIME(…)}} as the reader's locale writes them, in their time zone."""
    where = babel_locale(locale)
    value = _DATE.sub(lambda m: format_date(_moment(m.group(1), tz), "medium", locale=where), value)
    return _TIME.sub(lambda m: format_time(_moment(m.group(1), tz), "short", locale=where), value)


class CardHtml:
    def __init__(self, locale: str, tz: tzinfo, heading_level: int = 1) -> None:
        self.locale = locale
        self.tz = tz
        self.heading_level = heading_level

    def render(self, card: dict[str, Any]) -> Markup:
        return Markup("").join(self._element(e) for e in card.get("body", []))

    def _element(self, element: dict[str, Any]) -> Markup:
        kind = element.get("type")
        if kind == "TextBlock":
            return self._text(element)
        if kind == "FactSet":
            rows = Markup("").join(
                Markup("<div><dt>{}</dt><dd>{}</dd></div>").format(self._inline(f["title"]), self._inline(f["value"]))
                for f in element.get("facts", [])
            )
            return Markup('<dl class="facts">{}</dl>').format(rows)
        if kind in ("Container", "Column"):
            inner = Markup("").join(self._element(e) for e in element.get("items", []))
            css = "part separated" if element.get("separator") else "part"
            return Markup('<div class="{}">{}</div>').format(css, inner)
        if kind == "ColumnSet":
            columns = Markup("").join(self._element(c) for c in element.get("columns", []))
            return Markup('<div class="columns">{}</div>').format(columns)
        return Markup("")  # inputs and actions belong to the chat, not to a page

    def _inline(self, value: str) -> Markup:
        return Markup(_MARKDOWN.renderInline(dates_written(value, self.locale, self.tz)))

    def _text(self, element: dict[str, Any]) -> Markup:
        value = dates_written(element.get("text", ""), self.locale, self.tz)
        if element.get("style") == "heading":
            return Markup("<h{0}>{1}</h{0}>").format(self.heading_level, self._inline(element.get("text", "")))
        if element.get("size") in ("Medium", "Large") and element.get("weight") == "Bolder":
            return Markup("<h{0}>{1}</h{0}>").format(self.heading_level + 1, self._inline(element.get("text", "")))
        html = Markup(_MARKDOWN.render(value))
        if element.get("weight") == "Bolder":
            html = Markup('<div class="strong">{}</div>').format(html)
        if element.get("isSubtle"):
            html = Markup('<div class="subtle">{}</div>').format(html)
        return html
