"""The tab's pages, rendered on the server (Jinja2, autoescaped) in the reader's language.

Each page is an HTML fragment the tab's shell (static/tab/) puts in place: the shell holds the SSO
token and sends it with every request, so no page is ever answered without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.domain.model import Idea
from bot.domain.stage import Standing
from bot.formatting import format_number
from bot.i18n import Messages
from bot.ports.tab import TabQuery
from bot.settings import ROOT
from bot.tab.auth import TabUser
from bot.tab.card_html import CardHtml
from bot.tab.highlight import excerpt, highlighted
from bot.tab.service import Browse
from cards.details import idea_details_card

_ENV = Environment(
    loader=FileSystemLoader(ROOT / "bot" / "tab" / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(highlighted=highlighted, excerpt=excerpt)


@dataclass(frozen=True)
class Reader:
    """Who reads the page, and how: their language (catalogue), time zone, and whether sign-in is a demo."""

    user: TabUser
    messages: Messages
    tz: tzinfo
    demo: bool = False


def _render(template: str, reader: Reader, **values: Any) -> str:
    return _ENV.get_template(template).render(m=reader.messages, user=reader.user, demo=reader.demo, **values)


def results_line(m: Messages, total: int) -> str:
    if total == 0:
        return m.t("tab.results.zero")
    return m.count("tab.results", total, shown=format_number(total, m.locale))


def browse_page(reader: Reader, browse: Browse, query: TabQuery, *, section: str = "ideas") -> str:
    return _render(
        "browse.html",
        reader,
        section=section,
        browse=browse,
        query=query,
        results=results_line(reader.messages, browse.page.total),
        filters=filter_choices(reader.messages, browse),
        link=lambda **change: query_link(query, section, **change),
    )


def filter_choices(m: Messages, browse: Browse) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(field name, label, [(value, shown)]) for each filter, with only values found among visible ideas."""
    f = browse.facets
    return [
        ("challenge", m.t("tab.filter.challenge"), [(c, browse.challenge_names.get(c, c)) for c in f.challenges]),
        ("stage", m.t("tab.filter.stage"), [(s, m.t(f"den.stage.{s}")) for s in f.stages]),
        ("area", m.t("tab.filter.program_area"), [(a, m.t(f"choice.program_area.{a}")) for a in f.program_areas]),
        ("branch", m.t("tab.filter.branch"), [(b, b) for b in f.branches]),
        ("year", m.t("tab.filter.year"), [(str(y), str(y)) for y in f.years]),
    ]


def query_link(query: TabQuery, section: str, **change: Any) -> str:
    """The tab address of this query with some parts changed (pages of results)."""
    values = {
        "q": query.text, "challenge": query.challenge, "stage": query.stage, "area": query.program_area,
        "branch": query.branch, "year": query.year or "", "page": query.page,
    } | change
    kept = {k: v for k, v in values.items() if v and not (k == "page" and int(v) == 1)}
    return f"#/{section}" + (f"?{urlencode(kept)}" if kept else "")


def idea_page(reader: Reader, idea: Idea, standing: Standing | None) -> str:
    card = idea_details_card(reader.messages, idea, standing)
    body = CardHtml(reader.messages.locale, reader.tz).render(card)
    return _render("idea.html", reader, idea=idea, card=Markup(body), section="ideas")


def not_found_page(reader: Reader) -> str:
    return _render("not_found.html", reader, section="ideas")


def sign_in_page(m: Messages, people: list[TabUser]) -> str:
    return _ENV.get_template("sign_in.html").render(m=m, people=people)
