"""The dashboard's page: the domain's figures as charts, tables and CSV files, in the reader's language.

Every figure and date is written here, on the server, with the cards' catalogue and formatting
(bot/formatting.py), never by the browser. Each chart has a data table beside it with the same
figures, and a CSV download of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from bot.domain.dashboard import Dashboard, Timing
from bot.domain.stage import Stage
from bot.formatting import format_date, format_money, format_number, format_percent
from bot.i18n import Messages
from bot.services.dashboard import DashboardView
from bot.services.room import Room
from bot.services.showcase import Showcase
from bot.tab.charts import Bar, bar_chart, csv_href, csv_text
from bot.tab.pages import Reader, _render

WAITING_SHOWN = 25


@dataclass
class Section:
    """One chart (or list) of the dashboard: its heading, picture, table and CSV."""

    id: str
    title: str
    intro: str = ""
    chart: Markup | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    flagged: list[bool] = field(default_factory=list)  # rows to mark (an overdue follow-up)
    csv: str = ""
    csv_name: str = ""
    empty: str = ""
    more: str = ""


def _pct(share: float | None, m: Messages) -> str:
    return format_percent(round(share * 100, 1), m.locale) if share is not None else "—"


def _days(value: float | None, m: Messages) -> str:
    if value is None:
        return "—"
    return m.count("days.business", value, shown=format_number(value, m.locale))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "den"


def _label(m: Messages, prefix: str, value: str) -> str:
    key = f"{prefix}.{value}"
    return m.t(key) if m.has(key) else value


def funnel_section(m: Messages, d: Dashboard, stem: str) -> Section:
    title = m.t("dash.funnel.title")
    steps = d.funnel
    bars = [Bar(m.t(f"den.funnel.{s.step}"), s.count, format_number(s.count, m.locale)) for s in steps]
    pitched = steps[0].count if steps else 0
    description = m.t("dash.funnel.desc", pitched=format_number(pitched, m.locale),
                      winners=format_number(next((s.count for s in steps if s.step == "winner"), 0), m.locale))
    return Section(
        "funnel", title, m.t("dash.funnel.intro"), bar_chart("chart-funnel", title, description, bars),
        [m.t("dash.col.step"), m.t("dash.col.ideas"), m.t("dash.col.share"), m.t("dash.col.from_previous")],
        [[m.t(f"den.funnel.{s.step}"), format_number(s.count, m.locale), _pct(s.share, m),
          _pct(s.from_previous, m)] for s in steps],
        csv=csv_text(["step", "ideas", "share_of_pitched", "share_of_previous"],
                     [[s.step, s.count, _ratio(s.share), _ratio(s.from_previous)] for s in steps]),
        csv_name=f"{stem}-funnel.csv",
    )


def _ratio(share: float | None) -> str:
    return f"{share:.4f}" if share is not None else ""


def timing_section(
    m: Messages, section_id: str, timings: Sequence[Timing], name: Callable[[str], str], stem: str
) -> Section:
    title = m.t(f"dash.{section_id}.title")
    timed = [t for t in timings if t.cases]
    bars = [Bar(name(t.key), t.median or 0, _days(t.median, m)) for t in timed]
    slowest = max(timed, key=lambda t: t.median or 0, default=None)
    description = (m.t("dash.timing.desc", name=name(slowest.key), days=_days(slowest.median, m))
                   if slowest else m.t("dash.timing.none"))
    return Section(
        section_id, title, m.t(f"dash.{section_id}.intro"),
        bar_chart(f"chart-{section_id}", title, description, bars) if timed else None,
        [m.t(f"dash.col.{section_id}"), m.t("dash.col.median"), m.t("dash.col.slowest"), m.t("dash.col.cases")],
        [[name(t.key), _days(t.median, m), _days(t.slowest, m), format_number(t.cases, m.locale)] for t in timed],
        csv=csv_text([section_id.removesuffix("_times"), "median_business_days", "slowest_business_days", "cases"],
                     [[t.key, t.median, t.slowest, t.cases] for t in timed]),
        csv_name=f"{stem}-{section_id.replace('_', '-')}.csv",
        empty=m.t("dash.timing.none"),
    )


def waiting_section(m: Messages, d: Dashboard, reader: Reader, stem: str) -> Section:
    rows = d.waiting
    header = [m.t("dash.col.idea"), m.t("dash.col.holder"), m.t("dash.col.since"), m.t("dash.col.waiting")]

    def holder(row) -> str:
        level = _label(m, "level", row.holder_role) if row.holder_role else ""
        return f"{row.holder_name}, {level}" if level and row.holder_name else row.holder_name or level

    shown = [
        [f"{r.reference} · {r.title}", holder(r),
         format_date(r.since.astimezone(reader.tz).date(), m.locale) if r.since else "—",
         m.count("days.business", r.waiting_days, shown=format_number(r.waiting_days, m.locale))]
        for r in rows[:WAITING_SHOWN]
    ]
    more = m.t("dash.waiting.more", count=format_number(len(rows) - WAITING_SHOWN, m.locale)) \
        if len(rows) > WAITING_SHOWN else ""
    return Section(
        "waiting", m.t("dash.waiting.title"),
        m.t("dash.waiting.intro", count=format_number(len(rows), m.locale)), None, header, shown,
        csv=csv_text(["reference", "title", "holder", "holder_level", "since", "business_days_waiting"],
                     [[r.reference, r.title, r.holder_name, r.holder_role,
                       r.since.date().isoformat() if r.since else "", r.waiting_days] for r in rows]),
        csv_name=f"{stem}-waiting.csv", empty=m.t("dash.waiting.none"), more=more,
    )


def count_section(
    m: Messages, section_id: str, pairs: Sequence[tuple[Any, int]], name: Callable[[Any], str],
    raw: Callable[[Any], str], stem: str
) -> Section:
    title = m.t(f"dash.{section_id}.title")
    total = sum(v for _, v in pairs)
    bars = [Bar(name(k), v, format_number(v, m.locale)) for k, v in pairs]
    top = max(pairs, key=lambda kv: kv[1], default=None)
    description = (m.t("dash.count.desc", name=name(top[0]), count=format_number(top[1], m.locale),
                       total=format_number(total, m.locale)) if top else m.t("dash.count.none"))
    return Section(
        section_id, title, "", bar_chart(f"chart-{section_id}", title, description, bars) if pairs else None,
        [m.t(f"dash.col.{section_id}"), m.t("dash.col.ideas"), m.t("dash.col.share")],
        [[name(k), format_number(v, m.locale), _pct(v / total if total else None, m)] for k, v in pairs],
        csv=csv_text([section_id.removeprefix("by_"), "ideas"], [[raw(k), v] for k, v in pairs]),
        csv_name=f"{stem}-{section_id.replace('_', '-')}.csv", empty=m.t("dash.count.none"),
    )


def funded_section(m: Messages, d: Dashboard, reader: Reader, stem: str) -> Section:
    def status(row) -> str:
        line = row.line
        if line.stage == Stage.IMPLEMENTED:
            return m.t("den.stage.implemented")
        return m.t(f"den.progress.{line.latest.value}") if line.latest else m.t("den.report.no_update")

    def last(row) -> str:
        at = row.line.latest_at
        return format_date(at.astimezone(reader.tz).date(), m.locale) if at else m.t("den.report.no_update")

    def flag(row) -> str:
        marks = []
        if row.overdue:
            marks.append(m.t("dash.funded.overdue"))
        if row.line.stalled:
            marks.append(m.t("den.report.stalled"))
        return " ".join(marks) or "—"

    rows = d.funded
    return Section(
        "funded", m.t("dash.funded.title"), m.t("dash.funded.intro"), None,
        [m.t("dash.col.idea"), m.t("dash.col.owner"), m.t("dash.col.amount"), m.t("dash.col.status"),
         m.t("dash.col.last_update"), m.t("dash.col.follow_up")],
        [[f"{r.line.reference} · {r.line.title}", r.line.owner_name, format_money(r.line.amount, m.locale),
          status(r), last(r), flag(r)] for r in rows],
        flagged=[r.overdue or r.line.stalled for r in rows],
        csv=csv_text(["reference", "title", "owner", "amount", "paying_branch", "stage", "latest_status",
                      "latest_update", "update_overdue", "stalled"],
                     [[r.line.reference, r.line.title, r.line.owner_name, r.line.amount, r.line.branch,
                       r.line.stage.value, r.line.latest.value if r.line.latest else "",
                       r.line.latest_at.date().isoformat() if r.line.latest_at else "",
                       "yes" if r.overdue else "no", "yes" if r.line.stalled else "no"] for r in rows]),
        csv_name=f"{stem}-funded.csv", empty=m.t("den.report.none_funded"),
    )


def dashboard_page(reader: Reader, view: DashboardView) -> str:
    m, d = reader.messages, view.dashboard
    name = view.challenge.name if view.challenge else m.t("dash.year", year=d.scope.year)
    stem = f"den-dashboard-{_slug(view.challenge.name) if view.challenge else d.scope.year}"
    stage_name = lambda key: m.t(f"den.stage.{key}")  # noqa: E731
    level_name = lambda key: _label(m, "dash.level", key)  # noqa: E731
    sections = [
        funnel_section(m, d, stem),
        timing_section(m, "stage_times", d.stage_times, stage_name, stem),
        timing_section(m, "level_times", d.level_times, level_name, stem),
        waiting_section(m, d, reader, stem),
        count_section(m, "by_branch", d.by_branch, lambda v: v if v != "unknown" else m.t("dash.unknown"),
                      str, stem),
        count_section(m, "by_program_area", d.by_program_area,
                      lambda v: _label(m, "choice.program_area", v), str, stem),
        count_section(m, "by_level", d.by_level, level_name, str, stem),
        count_section(m, "by_week", d.by_week,
                      lambda day: m.t("dash.week_of", date=format_date(day, m.locale)), lambda day: day.isoformat(),
                      stem),
        funded_section(m, d, reader, stem),
    ]
    for section in sections:
        section.csv = csv_href(section.csv) if section.csv else ""
    scope_note = m.t("dash.scope.ministry") if d.scope.ministry_of else m.t("dash.scope.all")
    return _render(
        "dashboard.html", reader, section="dashboard", view=view, heading=m.t("dash.title", name=name),
        sections=sections, scope_note=scope_note,
        generated=format_date(d.generated_at.astimezone(reader.tz).date(), m.locale),
        pitched=format_number(d.funnel[0].count if d.funnel else 0, m.locale),
        staff=format_number(d.staff_pitched, m.locale),
        waiting=format_number(len(d.waiting), m.locale),
        slowest=d.slowest_level, level_name=level_name, days=lambda v: _days(v, m),
    )


def showcase_page(reader: Reader, showcase: Showcase) -> str:
    m = reader.messages
    return _render(
        "showcase.html", reader, section="showcase", successes=showcase.successes, lessons=showcase.lessons,
        money=lambda amount: format_money(amount, m.locale),
        day=lambda moment: format_date(moment.astimezone(reader.tz).date(), m.locale),
    )


def _room_values(reader: Reader, room: Room) -> dict[str, Any]:
    m = reader.messages
    titles = {f.idea.id: f.idea.pitch.title for f in room.finalists}
    return {"room": room, "titles": titles, "number": lambda n: format_number(n, m.locale),
            "tied": lambda ids: ", ".join(titles.get(i, "") for i in ids)}


def room_page(reader: Reader, room: Room) -> str:
    """The projector's page; the shell asks every second whether it changed (`room_live` answers)."""
    return _render("room.html", reader, section="room", **_room_values(reader, room))


def room_live(reader: Reader, room: Room) -> str:
    return _render("room_live.html", reader, **_room_values(reader, room))
