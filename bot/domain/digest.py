"""What a deputy minister's weekly digest says, computed from ideas (pure; time is passed in).

Scope: the ideas whose submitter's line of management runs through the DM (the DM is in the
idea's `line_ids`), so each DM sees their own ministry's Den.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

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
        return max(self.timings, key=lambda t: t.median_days) if self.timings else None

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


def _within(moment: datetime | None, start: datetime | None, end: datetime) -> bool:
    return moment is not None and (start is None or moment >= start) and moment < end


def _line(idea: Idea, now: datetime, calendar: WorkCalendar) -> DigestRow:
    step = idea.current_approver
    since = idea.status_since or idea.created_at
    return DigestRow(
        idea_id=idea.id,
        reference=idea.reference,
        title=idea.pitch.title,
        submitter_name=idea.submitter.name,
        holder_name=step.approver_name if step else "",
        holder_role=step.role.value if step else "",
        waiting_days=calendar.business_days_between(since, now) if step else 0,
        since=since,
        shortlisted=bool(idea.shortlisted_by),
        revision=idea.revision,
        step=idea.current_step,
    )


def _count(ideas: list[Idea], start: datetime | None, end: datetime) -> Counts:
    counts = Counts()
    pitchers: set[str] = set()
    for idea in ideas:
        if _within(idea.created_at, start, end):
            counts.new_pitches += 1
            pitchers.add(idea.submitter.id)
        for decision in idea.decisions:
            if _within(decision.decided_at, start, end):
                if decision.outcome == Outcome.APPROVED:
                    counts.approved += 1
                    if decision.step_index == len(idea.chain) - 1:
                        counts.approved_for_den += 1
                elif decision.outcome == Outcome.RETURNED:
                    counts.returned += 1
                else:
                    counts.rejected += 1
    counts.staff_pitched = len(pitchers)
    return counts


def _timings(ideas: list[Idea], start: datetime | None, end: datetime, calendar: WorkCalendar) -> list[LevelTiming]:
    """Median business days from a step's request to its decision, per level (one unit everywhere)."""
    by_role: dict[Role, list[float]] = defaultdict(list)
    for idea in ideas:
        for decision in idea.decisions:
            if decision.requested_at is None or not _within(decision.decided_at, start, end):
                continue
            role = idea.chain[decision.step_index].role
            by_role[role].append(calendar.business_days_between(decision.requested_at, decision.decided_at))
    order = [Role.MANAGER, Role.DIRECTOR, Role.ADM, Role.DM]
    return [
        LevelTiming(role, round(statistics.median(by_role[role]), 1), len(by_role[role]))
        for role in order
        if by_role.get(role)
    ]


def build_digest(
    dm: Person,
    ideas: list[Idea],
    *,
    week: DigestWeek,
    now: datetime,
    calendar: WorkCalendar,
    rules: DigestRules = DigestRules(),
) -> Digest:
    start = rules.challenge_start
    digest = Digest(
        dm=dm,
        week=week,
        generated_at=now,
        this_week=_count(ideas, week.start, week.end),
        so_far=_count(ideas, start, week.end),
    )

    recent = sorted((i for i in ideas if _within(i.created_at, week.start, week.end)), key=lambda i: i.created_at)
    digest.recent_pitches = [_line(i, now, calendar) for i in reversed(recent[-rules.recent_limit :])]

    approved = [i for i in ideas if i.status == IdeaStatus.APPROVED and _within(i.status_since, start, week.end)]
    # Not yet shortlisted first, most recently approved first: what the DM can act on.
    approved.sort(key=lambda i: (bool(i.shortlisted_by), -(i.status_since or i.created_at).timestamp()))
    digest.approved_total = len(approved)
    digest.approved = [_line(i, now, calendar) for i in approved[: rules.list_limit]]

    pending = sorted((i for i in ideas if i.is_open), key=lambda i: i.status_since or i.created_at)
    lines = [_line(i, now, calendar) for i in pending]
    # Each open idea is listed once: a stalled one under "Stalled" (with its Nudge), the rest under "Waiting".
    stalled = [line for line in lines if line.waiting_days > rules.stall_after_business_days]
    waiting = [line for line in lines if line.waiting_days <= rules.stall_after_business_days]
    digest.pending_total = len(waiting)
    digest.pending = waiting[: rules.list_limit]
    digest.stalled_total = len(stalled)
    digest.stalled = stalled[: rules.list_limit]

    digest.timings = _timings(ideas, start, week.end, calendar)

    pitched = [i for i in ideas if _within(i.created_at, start, week.end)]
    by_branch: Counter[str] = Counter()
    by_area: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for idea in pitched:
        branch_key = (idea.submitter.id, "branch")
        if branch_key not in seen:
            seen.add(branch_key)
            by_branch[idea.submitter.branch or "-"] += 1
        area_key = (idea.submitter.id, idea.pitch.program_area)
        if area_key not in seen:
            seen.add(area_key)
            by_area[idea.pitch.program_area] += 1
    digest.participation_by_branch = by_branch.most_common(5)
    digest.participation_by_area = by_area.most_common(5)
    return digest
