"""The Den's dashboard: who may see which figures, and the figures themselves (pure; time is passed in).

Who sees what is decided here, once: the organisers see everything, a challenge's sponsors see their
challenge whole, and each deputy minister sees their own ministry's ideas (those whose submitter's line
of management runs through them, as their digest does). Anyone else, a guest included, sees nothing and
is answered "not found".

The figures are the report's own (`bot/domain/den_report.report_figures`: funnel, time at each stage
in business days, participation, funded ideas) and the digest's own (`bot/domain/digest`: business
days, the time each approval level took as a histogram and its median, who holds what waits),
computed over the ideas in scope;
the dashboard adds what neither shows: the shares of the funnel, the slowest case beside each median,
participation by week, and overdue follow-ups.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.challenge import Challenge
from bot.domain.den_report import (
    _REACHED,
    TIMED_STAGES,
    FundedLine,
    ReportFigures,
    report_figures,
)
from bot.domain.digest import (
    TIMING_ORDER,
    BusinessDays,
    DigestIdea,
    DigestRow,
    digest_line,
    median_of,
    slowest_of,
)
from bot.domain.model import Role
from bot.domain.stage import IdeaStage
from bot.domain.visibility import Viewer

# The funnel as the dashboard shows it: the report's steps, with the funded ideas being implemented.
DASHBOARD_STEPS: tuple[str, ...] = ("pitched", *_REACHED)
LEVELS: tuple[str, ...] = ("staff", "manager", "director", "adm", "dm")


@dataclass(frozen=True)
class DashboardScope:
    """What one dashboard counts: a challenge's ideas (`challenge_id`) or a year's (`year`), all of
    them or only one ministry's (`ministry_of`, the deputy minister's id)."""

    challenge_id: str = ""
    year: int = 0
    ministry_of: str = ""

    def counts(self, idea: DigestIdea, tz) -> bool:
        if self.challenge_id and idea.challenge != self.challenge_id:
            return False
        if not self.challenge_id and idea.created_at.astimezone(tz).year != self.year:
            return False
        return not self.ministry_of or self.ministry_of in idea.line_ids


def may_open_dashboard(viewer: Viewer, *, is_dm: bool) -> bool:
    """Whether the person has any dashboard at all (the tab shows its link only to them)."""
    return viewer.member and (viewer.organiser or bool(viewer.sponsor_of) or is_dm)


def dashboard_scope(
    viewer: Viewer, *, is_dm: bool, challenge: Challenge | None, year: int
) -> DashboardScope | None:
    """The scope this person may see, for a challenge (`challenge`) or for the year; None: not for them.

    A sponsor sees their challenge whole; a deputy minister who does not sponsor it sees their own
    ministry's share of it (and of the year)."""
    if not viewer.id or not viewer.member:
        return None
    challenge_id = challenge.id if challenge is not None else ""
    if viewer.organiser:
        return DashboardScope(challenge_id, year)
    if challenge is not None and challenge.is_sponsor(viewer.id):
        return DashboardScope(challenge_id, year)
    if is_dm:
        return DashboardScope(challenge_id, year, ministry_of=viewer.id)
    return None


@dataclass(frozen=True)
class FunnelStep:
    step: str
    count: int
    share: float | None  # of the ideas pitched (0..1); None when nothing was pitched
    from_previous: float | None  # of the step before


@dataclass(frozen=True)
class Timing:
    """Median and slowest, in business days, over `cases` completed cases."""

    key: str
    median: float | None
    slowest: int | None
    cases: int


@dataclass(frozen=True)
class FundedRow:
    line: FundedLine
    overdue: bool  # the monthly update is due and not filed


@dataclass
class Dashboard:
    scope: DashboardScope
    generated_at: datetime
    funnel: list[FunnelStep]
    stage_times: list[Timing]
    level_times: list[Timing]
    waiting: list[DigestRow]
    by_branch: list[tuple[str, int]]
    by_program_area: list[tuple[str, int]]
    by_level: list[tuple[str, int]]
    by_week: list[tuple[date, int]]
    funded: list[FundedRow]
    staff_pitched: int
    report: ReportFigures = field(repr=False)

    @property
    def slowest_level(self) -> Timing | None:
        return slowest_of(self.level_times, lambda t: t.median)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _timing(key: str, values: Counter[int]) -> Timing:
    cases = sum(values.values())
    if not cases:
        return Timing(key, None, None, 0)
    return Timing(key, round(median_of(values), 1), max(values), cases)


def week_of(day: date) -> date:
    """The Monday that starts the day's week."""
    return day - timedelta(days=day.weekday())


def build_dashboard(
    scope: DashboardScope,
    ideas: Iterable[DigestIdea],
    stored: Iterable[IdeaStage],
    *,
    now: datetime,
    days: BusinessDays,
    follow_up_after: timedelta,
) -> Dashboard:
    """`ideas`: any ideas (those outside the scope are left out here); `stored`: their stage records."""
    tz = days.calendar.tz
    mine: list[DigestIdea] = [i for i in ideas if scope.counts(i, tz)]
    figures = report_figures(mine, stored, now, days=days)  # the digest's projections, counted as they are
    stages = figures.stages

    pitched = figures.funnel["pitched"]
    funnel: list[FunnelStep] = []
    previous = pitched
    for step in DASHBOARD_STEPS:
        count = figures.funnel[step]
        funnel.append(FunnelStep(step, count, _share(count, pitched), _share(count, previous)))
        previous = count

    at_level: dict[Role, Counter[int]] = defaultdict(Counter)
    for idea in mine:
        for decision in idea.decisions:
            if decision.requested_at is not None:
                at_level[decision.role][days.between(decision.requested_at, decision.decided_at)] += 1

    open_ideas = sorted((i for i in mine if i.is_open), key=lambda i: (i.status_since or i.created_at, i.reference))
    weeks = Counter(week_of(days.local_date(i.created_at)) for i in mine)
    levels = dict(figures.by_level)
    by_level = [(level, levels.pop(level)) for level in LEVELS if level in levels] + sorted(levels.items())
    funded = [
        FundedRow(line, stages[line.idea_id].update_due(now, follow_up_after)) for line in figures.funded
    ]
    return Dashboard(
        scope=scope,
        generated_at=now,
        funnel=funnel,
        stage_times=[_timing(key, figures.stage_days[key]) for key in TIMED_STAGES],
        level_times=[_timing(role.value, at_level[role]) for role in TIMING_ORDER if at_level[role]],
        waiting=[digest_line(i, now, days) for i in open_ideas],
        by_branch=figures.by_branch,
        by_program_area=figures.by_program_area,
        by_level=by_level,
        by_week=sorted(weeks.items()),
        funded=funded,
        staff_pitched=len({i.submitter_id for i in mine}),
        report=figures,
    )
