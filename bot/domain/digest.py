"""What a deputy minister's weekly digest says, computed from ideas (pure; time is passed in).

A store hands back each DM's `DigestFigures` (counts, totals, the few ideas each list shows, a
histogram of business days per level) and `digest_from_figures` makes the digest. The SQLite store
aggregates in SQL; other stores, and the reference it is tested against, build the figures one
idea at a time (`DigestAccumulator`, `DigestScope`) from a light projection of each idea
(`DigestIdea`), so no store ever holds 100,000 ideas in memory.

Scope: the ideas whose submitter's line of management runs through the DM (the DM is in the
idea's `line_ids`), so each DM sees their own ministry's Den.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import TypeVar

from bot.domain.calendar import DigestWeek, WorkCalendar
from bot.domain.model import Idea, IdeaStatus, Outcome, Person, Role


@dataclass(frozen=True)
class DigestRow:
    idea_id: str
    reference: str
    title: str
    submitter_name: str
    holder_name: str = ""
    holder_role: str = ""
    waiting_days: int = 0  # business days
    since: datetime | None = None
    shortlisted: bool = False
    revision: int = 1
    step: int = 0
    stage: str = ""  # where an approved idea is in its Den challenge now (a Stage value), if in one


@dataclass
class Counts:
    new_pitches: int = 0
    approved: int = 0
    returned: int = 0
    rejected: int = 0
    approved_for_den: int = 0
    staff_pitched: int = 0

    @property
    def decisions(self) -> int:
        return self.approved + self.returned + self.rejected


@dataclass(frozen=True)
class LevelTiming:
    role: Role
    median_days: float  # business days
    decisions: int


T = TypeVar("T")


def slowest_of(timings: list[T], median: Callable[[T], float | None]) -> T | None:
    """The timing with the longest median, if that median is a business day or more."""
    timed = [t for t in timings if (median(t) or 0) >= 1]
    return max(timed, key=lambda t: median(t) or 0) if timed else None


@dataclass
class Digest:
    dm: Person
    week: DigestWeek
    generated_at: datetime
    this_week: Counts
    so_far: Counts
    recent_pitches: list[DigestRow] = field(default_factory=list)
    approved: list[DigestRow] = field(default_factory=list)
    approved_total: int = 0
    pending: list[DigestRow] = field(default_factory=list)
    pending_total: int = 0
    stalled: list[DigestRow] = field(default_factory=list)
    stalled_total: int = 0
    timings: list[LevelTiming] = field(default_factory=list)
    participation_by_branch: list[tuple[str, int]] = field(default_factory=list)
    participation_by_area: list[tuple[str, int]] = field(default_factory=list)

    @property
    def slowest(self) -> LevelTiming | None:
        """The level that took longest, or None when every level decided within a business day
        (naming a "slowest" level that took less than a day would point at a problem there is not)."""
        return slowest_of(self.timings, lambda t: t.median_days)

    @property
    def quiet_week(self) -> bool:
        return (
            self.this_week.new_pitches == 0
            and self.this_week.decisions == 0
            and self.pending_total + self.stalled_total == 0
        )


@dataclass(frozen=True)
class DigestRules:
    stall_after_business_days: int = 5
    list_limit: int = 10
    recent_limit: int = 5
    challenge_start: datetime | None = None
    whole_ministry: bool = False  # every DM sees every idea, not only their own organisation's

    @classmethod
    def from_settings(
        cls, stall_days: int, challenge_start: str, calendar: WorkCalendar, scope: str = "organisation"
    ) -> DigestRules:
        """`challenge_start` is a local date ('2026-09-01'); empty means 'since the beginning'."""
        start = None
        if challenge_start:
            start = datetime.combine(date.fromisoformat(challenge_start), time.min, tzinfo=calendar.tz)
        return cls(stall_after_business_days=stall_days, challenge_start=start, whole_ministry=scope == "all")


def scope_by_dm(dms: Iterable[Person], ideas: Iterable[Idea], *, whole_ministry: bool = False) -> dict[str, list[Idea]]:
    """Group ideas under every DM whose organisation they come from, in one pass."""
    if whole_ministry:
        everything = list(ideas)
        return {dm.id: everything for dm in dms}
    wanted = {dm.id for dm in dms}
    grouped: dict[str, list[Idea]] = defaultdict(list)
    for idea in ideas:
        for person_id in idea.line_ids:
            if person_id in wanted:
                grouped[person_id].append(idea)
    return grouped


@dataclass(frozen=True, slots=True)
class DigestDecision:
    step_index: int
    outcome: Outcome
    decided_at: datetime
    requested_at: datetime | None
    role: Role  # the level of the step decided


@dataclass(frozen=True, slots=True)
class DigestIdea:
    """What a digest reads of an idea, and nothing more: a scan of 100,000 ideas stays light.

    Stores project their records straight into this (no full Idea, no pitch text but the title).
    """

    id: str
    reference: str
    title: str
    submitter_id: str
    submitter_name: str
    submitter_branch: str
    program_area: str
    status: IdeaStatus
    created_at: datetime
    status_since: datetime | None
    revision: int
    current_step: int
    chain_length: int
    holder_name: str  # the current step's approver while in review
    holder_role: Role | None
    shortlisted: bool  # by the old flag on the idea, or in its challenge (`in_challenge_shortlist`)
    line_ids: tuple[str, ...]
    decisions: tuple[DigestDecision, ...]
    challenge: str = ""  # the Den challenge it was pitched to (the dashboard's scope), if any
    submitter_level: str = ""  # the submitter's level (a Role value), for participation by level

    @property
    def is_open(self) -> bool:
        return self.status == IdeaStatus.IN_REVIEW

    # The report's names for the same facts (bot/domain/den_report.IdeaSummary), so the report's
    # computation counts these ideas as they are (the dashboard: no copy of thousands of ideas).
    @property
    def branch(self) -> str:
        return self.submitter_branch

    @property
    def level(self) -> str:
        return self.submitter_level or "staff"

    @classmethod
    def of(cls, idea: Idea) -> DigestIdea:
        step = idea.current_approver
        return cls(
            id=idea.id,
            reference=idea.reference,
            title=idea.pitch.title,
            submitter_id=idea.submitter.id,
            submitter_name=idea.submitter.name,
            submitter_branch=idea.submitter.branch,
            program_area=idea.pitch.program_area,
            status=idea.status,
            created_at=idea.created_at,
            status_since=idea.status_since,
            revision=idea.revision,
            current_step=idea.current_step,
            chain_length=len(idea.chain),
            holder_name=step.approver_name if step else "",
            holder_role=step.role if step else None,
            shortlisted=bool(idea.shortlisted_by),
            line_ids=tuple(idea.line_ids),
            decisions=tuple(
                DigestDecision(d.step_index, d.outcome, d.decided_at, d.requested_at, idea.chain[d.step_index].role)
                for d in idea.decisions
            ),
            challenge=idea.challenge,
            submitter_level=idea.submitter.role.value,
        )


def in_challenge_shortlist(page: Iterable[DigestIdea], shortlisted_ids: Container[str]) -> list[DigestIdea]:
    """The page, with the ideas whose challenge stage is shortlisted or beyond marked shortlisted:
    the digest's Shortlist is the challenge's, however the idea got there (the DM's button, the
    sponsor's pool card, an organiser), and the old flag still counts for ideas shortlisted before."""
    return [
        replace(idea, shortlisted=True) if not idea.shortlisted and idea.id in shortlisted_ids else idea
        for idea in page
    ]


class BusinessDays:
    """WorkCalendar.business_days_between, by difference of day numbers (same result, O(1) once cached)."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self._dates: dict[int, date] = {}
        self._day_numbers: dict[int, int] = {}
        self._numbers: dict[int, tuple[int, int]] = {}

    def local_date(self, moment: datetime) -> date:
        # Every time zone's offset is a multiple of 15 minutes, so all moments of one UTC quarter
        # hour share a local date: one conversion per quarter hour, not one per moment.
        bucket = int(moment.timestamp()) // 900
        day = self._dates.get(bucket)
        if day is None:
            day = self._dates[bucket] = self.calendar.local_date(moment)
        return day

    def day_number(self, day: date) -> int:
        """How many business days from a fixed origin up to and including `day` (so a difference counts)."""
        ordinal = day.toordinal()
        number = self._day_numbers.get(ordinal)
        if number is None:
            weeks, extra = divmod(ordinal, 7)
            number = weeks * 5 + sum(
                1 for d in range(ordinal - extra + 1, ordinal + 1) if date.fromordinal(d).weekday() < 5
            )
            number -= sum(1 for h in self.calendar.holidays if h.toordinal() <= ordinal and h.weekday() < 5)
            self._day_numbers[ordinal] = number
        return number

    def between(self, start: datetime, end: datetime) -> int:
        first, first_number = self._numbered(start)
        last, last_number = self._numbered(end)
        if last <= first:
            return 0
        return last_number - first_number

    def _numbered(self, moment: datetime) -> tuple[int, int]:
        """(the local date's ordinal, its day number), one dictionary lookup per UTC quarter hour: a
        dashboard asks for tens of thousands of moments."""
        bucket = int(moment.timestamp()) // 900
        found = self._numbers.get(bucket)
        if found is None:
            day = self.local_date(moment)
            found = self._numbers[bucket] = (day.toordinal(), self.day_number(day))
        return found


@dataclass(frozen=True)
class DigestQuery:
    """What one digest run asks: the week, the moment it runs, the ministry's calendar and the rules."""

    week: DigestWeek
    now: datetime
    calendar: WorkCalendar
    rules: DigestRules = DigestRules()


@dataclass
class DigestFigures:
    """What a store hands back for one DM's digest: counts, totals, only the few ideas each list
    shows (in order), and how long each level took as a histogram (business days -> decisions).

    The SQLite store computes these in SQL; other stores from their scan (`DigestScope`); both give
    the same figures, and `digest_from_figures` turns them into the digest.
    """

    this_week: Counts = field(default_factory=Counts)
    so_far: Counts = field(default_factory=Counts)
    recent: list[DigestIdea] = field(default_factory=list)
    approved: list[DigestIdea] = field(default_factory=list)
    approved_total: int = 0
    waiting: list[DigestIdea] = field(default_factory=list)
    waiting_total: int = 0
    stalled: list[DigestIdea] = field(default_factory=list)
    stalled_total: int = 0
    timings: dict[Role, Counter[int]] = field(default_factory=dict)
    by_branch: list[tuple[str, int]] = field(default_factory=list)
    by_area: list[tuple[str, int]] = field(default_factory=list)


TIMING_ORDER = (Role.MANAGER, Role.DIRECTOR, Role.ADM, Role.DM)


def median_of(histogram: Counter[int]) -> float:
    """statistics.median of the values a histogram counts (an int for an odd count, as it gives)."""
    total = sum(histogram.values())
    wanted = {(total - 1) // 2, total // 2}
    found: dict[int, int] = {}
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for position in wanted:
            if seen <= position < seen + count:
                found[position] = value
        seen += count
    if total % 2:
        return found[total // 2]
    return (found[total // 2 - 1] + found[total // 2]) / 2


def digest_line(idea: DigestIdea, now: datetime, days: BusinessDays) -> DigestRow:
    since = idea.status_since or idea.created_at
    in_review = idea.holder_role is not None and idea.is_open
    return DigestRow(
        idea_id=idea.id,
        reference=idea.reference,
        title=idea.title,
        submitter_name=idea.submitter_name,
        holder_name=idea.holder_name if in_review else "",
        holder_role=idea.holder_role.value if in_review else "",
        waiting_days=days.between(since, now) if in_review else 0,
        since=since,
        shortlisted=idea.shortlisted,
        revision=idea.revision,
        step=idea.current_step,
    )


def digest_from_figures(
    dm: Person, figures: DigestFigures, query: DigestQuery, days: BusinessDays | None = None
) -> Digest:
    """One DM's digest from the figures a store aggregated (the lines' waiting days counted here)."""
    days = days or BusinessDays(query.calendar)

    def lines(ideas: list[DigestIdea]) -> list[DigestRow]:
        return [digest_line(i, query.now, days) for i in ideas]

    return Digest(
        dm=dm,
        week=query.week,
        generated_at=query.now,
        this_week=replace(figures.this_week),
        so_far=replace(figures.so_far),
        recent_pitches=lines(figures.recent),
        approved=lines(figures.approved),
        approved_total=figures.approved_total,
        pending=lines(figures.waiting),
        pending_total=figures.waiting_total,
        stalled=lines(figures.stalled),
        stalled_total=figures.stalled_total,
        timings=[
            LevelTiming(role, round(median_of(figures.timings[role]), 1), sum(figures.timings[role].values()))
            for role in TIMING_ORDER
            if sum(figures.timings.get(role, Counter()).values())
        ],
        participation_by_branch=list(figures.by_branch),
        participation_by_area=list(figures.by_area),
    )


class _Top:
    """The `limit` smallest items by key, in order, and how many were offered (a bounded list)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._heap: list[tuple] = []  # (negated key, seq, item): the largest kept key on top

    def offer(self, key: tuple, seq: int, item: object) -> None:
        self.total += 1
        if self.limit <= 0:
            return
        entry = (tuple(-k for k in key), -seq, item)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def ordered(self) -> list:
        return [item for _, _, item in sorted(self._heap, reverse=True)]


class _CountsSoFar:
    def __init__(self) -> None:
        self.counts = Counts()
        self.pitchers: set[str] = set()

    def pitched(self, idea: DigestIdea) -> None:
        self.counts.new_pitches += 1
        self.pitchers.add(idea.submitter_id)

    def decided(self, decision: DigestDecision, last_step: int) -> None:
        counts = self.counts
        if decision.outcome == Outcome.APPROVED:
            counts.approved += 1
            if decision.step_index == last_step:
                counts.approved_for_den += 1
        elif decision.outcome == Outcome.RETURNED:
            counts.returned += 1
        else:
            counts.rejected += 1

    def result(self) -> Counts:
        return replace(self.counts, staff_pitched=len(self.pitchers))


class DigestAccumulator:
    """One DM's digest figures, built one idea at a time in Python: what it keeps does not grow with
    the ideas (bounded lists, counters, a histogram per level). The reference for what a store's own
    aggregation (bot/adapters/sqlite_digest.py) must give."""

    def __init__(self, *, week: DigestWeek, now: datetime, calendar: WorkCalendar, rules: DigestRules) -> None:
        self.week, self.now, self.calendar, self.rules = week, now, calendar, rules
        self._seq = 0
        self._this_week = _CountsSoFar()
        self._so_far = _CountsSoFar()
        self._recent = _Top(rules.recent_limit)
        self._approved = _Top(rules.list_limit)
        self._waiting = _Top(rules.list_limit)
        self._stalled = _Top(rules.list_limit)
        self._timings: dict[Role, Counter[int]] = defaultdict(Counter)
        self._by_branch: Counter[str] = Counter()
        self._by_area: Counter[str] = Counter()
        self._seen: set[tuple[str, str]] = set()
        self._days = BusinessDays(calendar)
        self._week_start, self._week_end = week.start.timestamp(), week.end.timestamp()
        self._start = rules.challenge_start.timestamp() if rules.challenge_start else float("-inf")

    def _business_days(self, start: datetime, end: datetime) -> int:
        return self._days.between(start, end)

    def add(self, idea: DigestIdea) -> None:
        rules = self.rules
        self._seq += 1
        seq = self._seq
        week_start, end, start = self._week_start, self._week_end, self._start
        created = idea.created_at.timestamp()
        in_week = week_start <= created < end
        so_far = start <= created < end
        if in_week:
            self._this_week.pitched(idea)
            # Most recent first; among equal times, the later in the scan first (as a stable sort reversed).
            self._recent.offer((-created,), -seq, idea)
        if so_far:
            self._so_far.pitched(idea)
            branch_key = (idea.submitter_id, "branch")
            if branch_key not in self._seen:
                self._seen.add(branch_key)
                self._by_branch[idea.submitter_branch or "-"] += 1
            area_key = (idea.submitter_id, idea.program_area)
            if area_key not in self._seen:
                self._seen.add(area_key)
                self._by_area[idea.program_area] += 1
        last_step = idea.chain_length - 1
        for decision in idea.decisions:
            decided = decision.decided_at.timestamp()
            if not start <= decided < end:
                continue
            self._so_far.decided(decision, last_step)
            if decided >= week_start:
                self._this_week.decided(decision, last_step)
            if decision.requested_at is not None:
                self._timings[decision.role][self._days.between(decision.requested_at, decision.decided_at)] += 1
        since = idea.status_since or idea.created_at
        if idea.status == IdeaStatus.APPROVED and idea.status_since is not None and start <= since.timestamp() < end:
            # Not yet shortlisted first, most recently approved first: what the DM can act on.
            self._approved.offer((int(idea.shortlisted), -since.timestamp()), seq, idea)
        if idea.is_open:
            waiting = self._days.between(since, self.now) if idea.holder_role is not None else 0
            # Each open idea is listed once: a stalled one under "Stalled" (with its Nudge), the rest under "Waiting".
            target = self._stalled if waiting > rules.stall_after_business_days else self._waiting
            target.offer((since.timestamp(),), seq, idea)

    def figures(self) -> DigestFigures:
        return DigestFigures(
            this_week=self._this_week.result(),
            so_far=self._so_far.result(),
            recent=self._recent.ordered(),
            approved=self._approved.ordered(),
            approved_total=self._approved.total,
            waiting=self._waiting.ordered(),
            waiting_total=self._waiting.total,
            stalled=self._stalled.ordered(),
            stalled_total=self._stalled.total,
            timings={role: Counter(hist) for role, hist in self._timings.items() if hist},
            by_branch=self._by_branch.most_common(5),
            by_area=self._by_area.most_common(5),
        )

    def result(self, dm: Person) -> Digest:
        query = DigestQuery(self.week, self.now, self.calendar, self.rules)
        return digest_from_figures(dm, self.figures(), query, self._days)


class DigestScope:
    """Every DM's figures from one pass over a store's scan: each idea goes to the DMs whose
    organisation it comes from (or, for the whole ministry, to the one accumulator all DMs share).
    How stores that cannot aggregate themselves answer `digest_figures`."""

    def __init__(self, dm_ids: Iterable[str], query: DigestQuery) -> None:
        def accumulator() -> DigestAccumulator:
            return DigestAccumulator(week=query.week, now=query.now, calendar=query.calendar, rules=query.rules)

        self._dm_ids = list(dm_ids)
        self._shared = accumulator() if query.rules.whole_ministry else None
        self._per_dm = {} if self._shared is not None else {dm_id: accumulator() for dm_id in self._dm_ids}

    def add_page(self, page: Iterable[DigestIdea]) -> None:
        shared, per_dm = self._shared, self._per_dm
        for idea in page:
            if shared is not None:
                shared.add(idea)
                continue
            for person_id in idea.line_ids:
                target = per_dm.get(person_id)
                if target is not None:
                    target.add(idea)

    def figures(self) -> dict[str, DigestFigures]:
        if self._shared is not None:
            shared = self._shared.figures()
            return {dm_id: shared for dm_id in self._dm_ids}
        return {dm_id: accumulator.figures() for dm_id, accumulator in self._per_dm.items()}


def build_digest(
    dm: Person,
    ideas: Iterable[Idea | DigestIdea],
    *,
    week: DigestWeek,
    now: datetime,
    calendar: WorkCalendar,
    rules: DigestRules = DigestRules(),
) -> Digest:
    accumulator = DigestAccumulator(week=week, now=now, calendar=calendar, rules=rules)
    for idea in ideas:
        accumulator.add(idea if isinstance(idea, DigestIdea) else DigestIdea.of(idea))
    return accumulator.result(dm)
