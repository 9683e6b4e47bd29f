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

from bot.domain.connect import ConnectRequest
from bot.domain.limits import REASON_MAX
from bot.domain.model import Idea
from bot.domain.stage import Standing
from bot.domain.visibility import is_public
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
class Roles:
    """The parts of the tab the reader's roles open (the navigation shows only those)."""

    dashboard: bool = False
    organiser: bool = False


@dataclass(frozen=True)
class Reader:
    """Who reads the page, and how: their language (catalogue), time zone, and whether sign-in is a demo."""

    user: TabUser
    messages: Messages
    tz: tzinfo
    demo: bool = False
    roles: Roles = Roles()


def _render(template: str, reader: Reader, **values: Any) -> str:
    return _ENV.get_template(template).render(
        m=reader.messages, user=reader.user, demo=reader.demo, roles=reader.roles, **values
    )


def results_line(m: Messages, total: int, query: TabQuery | None = None) -> str:
    if total == 0:
        narrowed = query is not None and (query.text.strip() or query.challenge or query.stage or query.program_area
                                          or query.branch or query.year or query.lessons)
        return m.t("tab.results.zero") if narrowed or query is None else m.t("tab.results.empty")
    return m.count("tab.results", total, shown=format_number(total, m.locale))


def browse_page(reader: Reader, browse: Browse, query: TabQuery, *, section: str = "ideas") -> str:
    return _render(
        "browse.html",
        reader,
        section=section,
        browse=browse,
        query=query,
        results=results_line(reader.messages, browse.page.total, query),
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


def idea_page(
    reader: Reader,
    idea: Idea,
    standing: Standing | None,
    *,
    saved: str = "",
    asked: ConnectRequest | None = None,
    can_ask: bool = False,
    may_write_lesson: bool = False,
) -> str:
    """`saved`: the catalogue key of what the person just changed (said in a status message; it may
    name the idea's reference); the submitter of an idea still in review may withdraw it here.
    `asked`: the reader's own request to talk about the idea; `can_ask`: whether they may make one."""
    card = idea_details_card(reader.messages, idea, standing, viewer_id=reader.user.id)
    body = CardHtml(reader.messages.locale, reader.tz).render(card)
    askable = can_ask and is_public(idea) and idea.submitter.id != reader.user.id
    return _render("idea.html", reader, idea=idea, card=Markup(body), section="ideas", saved=saved, asked=asked,
                   askable=askable, may_write_lesson=may_write_lesson, reason_max=REASON_MAX)


def requests_page(reader: Reader, requests: list[ConnectRequest], *, saved: str = "") -> str:
    mine = reader.user.id
    to_me = [r for r in requests if r.owner.id == mine]
    by_me = [r for r in requests if r.asker.id == mine and r.owner.id != mine]
    return _render("requests.html", reader, to_me=to_me, by_me=by_me, saved=saved, section="requests")


def my_ideas_page(reader: Reader, ideas: list[Idea], *, saved: str = "", withdrawn: Idea | None = None) -> str:
    """The reader's own ideas, newest first; those still in review can be withdrawn here. `withdrawn`:
    the idea just withdrawn, whose submitter is invited (once) to share what was learned."""
    return _render("my_ideas.html", reader, ideas=ideas, saved=saved, withdrawn=withdrawn, section="mine",
                   reason_max=REASON_MAX)


def not_found_page(reader: Reader) -> str:
    return _render("not_found.html", reader, section="ideas")


def sign_in_page(m: Messages, people: list[TabUser]) -> str:
    return _ENV.get_template("sign_in.html").render(m=m, people=people)
