"""A challenge's report: the funnel, time at each stage, who took part, and the funded ideas.

Pure: it takes the challenge, its ideas and their stage records (read in a fixed number of
store queries, however many ideas there are), the moment and the ministry's business days, and
computes everything in memory. The same figures feed the report card, the CSV export, the
sponsor's weekly digest and the Den tab's dashboard. Time at each stage is counted in business
days (weekends and the ministry's holidays left out), as the digest counts each level's time.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.challenge import Challenge
from bot.domain.digest import BusinessDays, DigestIdea, median_of
from bot.domain.model import Idea, IdeaStatus
from bot.domain.stage import FUNNEL, IdeaStage, ProgressStatus, Stage

# The funnel as the report shows it: pitches first, then each stage reached.
FUNNEL_STEPS: tuple[str, ...] = ("pitched", "approved", "shortlisted", "finalist", "winner", "implemented")
_REACHED = {
    "approved": Stage.POOL,
    "shortlisted": Stage.SHORTLISTED,
    "finalist": Stage.FINALIST,
    "winner": Stage.WINNER,
    "implementing": Stage.IMPLEMENTING,  # funded: the dashboard shows this step, the report's funnel skips it
    "implemented": Stage.IMPLEMENTED,
}
# Time at each stage: "in_review" is the approval chain (pitched to approved).
TIMED_STAGES: tuple[str, ...] = ("in_review", *(s.value for s in FUNNEL[:-1]))


@dataclass(frozen=True)
class IdeaSummary:
    """What a report needs of an idea: a light read, for the thousands of a large challenge."""

    id: str
    reference: str
    title: str
    challenge: str
    submitter_id: str
    submitter_name: str
    branch: str
    level: str
    program_area: str
    status: IdeaStatus
    created_at: datetime
    last_decided_at: datetime | None = None  # the last decision (the final approval, when approved)
    last_decided_by: str = ""

    @classmethod
    def of(cls, idea: Idea) -> IdeaSummary:
        last = idea.decisions[-1] if idea.decisions else None
        return cls(
            id=idea.id,
            reference=idea.reference,
            title=idea.pitch.title,
            challenge=idea.challenge,
            submitter_id=idea.submitter.id,
            submitter_name=idea.submitter.name,
            branch=idea.submitter.branch,
            level=idea.submitter.role.value,
            program_area=idea.pitch.program_area,
            status=idea.status,
            created_at=idea.created_at,
            last_decided_at=last.decided_at if last else None,
            last_decided_by=last.approver_id if last else "",
        )

    @classmethod
    def of_digest(cls, idea: DigestIdea) -> IdeaSummary:
        """From the digest's projection (the dashboard's read)."""
        last = idea.decisions[-1] if idea.decisions else None
        return cls(
            id=idea.id,
            reference=idea.reference,
            title=idea.title,
            challenge=idea.challenge,
            submitter_id=idea.submitter_id,
            submitter_name=idea.submitter_name,
            branch=idea.branch,
            level=idea.level,
            program_area=idea.program_area,
            status=idea.status,
            created_at=idea.created_at,
            last_decided_at=last.decided_at if last else None,
        )


# What the report's figures read of an idea: an IdeaSummary, or the digest's projection of it.
Counted = IdeaSummary | DigestIdea


def stage_entry(idea: Idea | Counted) -> IdeaStage | None:
    """An approved idea is in the pool from its final approval, with no stored record yet."""
    if isinstance(idea, IdeaSummary):
        summary = idea
    elif isinstance(idea, DigestIdea):
        summary = IdeaSummary.of_digest(idea)
    else:
        summary = IdeaSummary.of(idea)
    if summary.status != IdeaStatus.APPROVED or not summary.challenge:
        return None
    return IdeaStage.enter_pool(
        idea_id=summary.id,
        challenge_id=summary.challenge,
        owner_id=summary.submitter_id,
        at=summary.last_decided_at or summary.created_at,
        by=summary.last_decided_by or summary.submitter_id,
    )


def stages_of(ideas: Iterable[Idea | Counted], stored: Iterable[IdeaStage]) -> dict[str, IdeaStage]:
    """Every approved idea's stage: the stored record, or its pool entry when it has none."""
    by_id = {s.idea_id: s for s in stored}
    for idea in ideas:
        if idea.id not in by_id:
            entry = stage_entry(idea)
            if entry is not None:
                by_id[idea.id] = entry
    return by_id


@dataclass(frozen=True)
class FundedLine:
    idea_id: str
    reference: str
    title: str
    owner_name: str
    amount: int
    branch: str
    stage: Stage
    latest: ProgressStatus | None
    latest_at: datetime | None
    stalled: bool


@dataclass
class ChallengeReport:
    challenge: Challenge
    funnel: dict[str, int]
    median_days: dict[str, float | None]  # business days
    by_branch: list[tuple[str, int]]
    by_program_area: list[tuple[str, int]]
    by_level: list[tuple[str, int]]
    funded: list[FundedLine] = field(default_factory=list)
    ideas: list[IdeaSummary] = field(default_factory=list, repr=False)
    stages: dict[str, IdeaStage] = field(default_factory=dict, repr=False)

    @property
    def stalled(self) -> list[FundedLine]:
        return [f for f in self.funded if f.stalled]

    def rows(self) -> list[dict[str, str]]:
        """One row per idea, for the CSV (built on demand: the cards do not need them)."""
        return [_row(idea, self.stages.get(idea.id)) for idea in sorted(self.ideas, key=lambda i: i.reference)]


@dataclass
class ReportFigures:
    """The figures of a set of ideas (a challenge's, or a dashboard's scope): the one computation the
    report, its CSV, the sponsor's challenge digest and the Den tab's dashboard share."""

    funnel: dict[str, int]
    median_days: dict[str, float | None]  # business days
    by_branch: list[tuple[str, int]]
    by_program_area: list[tuple[str, int]]
    by_level: list[tuple[str, int]]
    funded: list[FundedLine]
    stages: dict[str, IdeaStage]
    stage_days: dict[str, Counter[int]] = field(default_factory=dict)  # each stay's business days, counted


def funnel_counts(pitched: int, stages: Iterable[IdeaStage]) -> dict[str, int]:
    """How many ideas reached each step (`_REACHED`), after the pitches."""
    furthest = Counter(FUNNEL.index(s.furthest) for s in stages)  # reached(stage): furthest at or beyond it
    funnel = {"pitched": pitched}
    for step, stage in _REACHED.items():
        at = FUNNEL.index(stage)
        funnel[step] = sum(count for index, count in furthest.items() if index >= at)
    return funnel


def stage_stays(
    ideas: Iterable[Counted], stages: dict[str, IdeaStage], days: BusinessDays
) -> dict[str, Counter[int]]:
    """How many business days each idea stayed at each stage it has left (TIMED_STAGES), counted:
    approval from the pitch to entering the pool, then each stage until the next one."""
    stays: dict[str, Counter[int]] = defaultdict(Counter)
    for idea in ideas:
        stage = stages.get(idea.id)
        if stage is None:
            continue
        history = stage.history
        stays["in_review"][days.between(idea.created_at, history[0].at)] += 1
        for before, after in zip(history, history[1:], strict=False):
            stays[before.to_stage.value][days.between(before.at, after.at)] += 1
    return {name: stays[name] for name in TIMED_STAGES}


def report_figures(
    ideas: Sequence[Counted], stored: Iterable[IdeaStage], now: datetime, *, days: BusinessDays
) -> ReportFigures:
    """`ideas`: the ideas counted; `stored`: their stage records (others are ignored); `days`: the
    ministry's business days (its time zone and holidays)."""
    wanted = {i.id for i in ideas}
    stages = stages_of(ideas, (s for s in stored if s.idea_id in wanted))
    funnel = funnel_counts(len(ideas), stages.values())
    stays = stage_stays(ideas, stages, days)

    funded: list[FundedLine] = []
    ideas_by_id = {i.id: i for i in ideas}
    for stage in stages.values():
        if stage.funding is None:
            continue
        idea = ideas_by_id.get(stage.idea_id)
        latest = stage.latest_update
        funded.append(
            FundedLine(
                idea_id=stage.idea_id,
                reference=idea.reference if idea else "",
                title=idea.title if idea else "",
                owner_name=idea.submitter_name if idea else "",
                amount=stage.funding.amount,
                branch=stage.funding.branch,
                stage=stage.stage,
                latest=latest.status if latest else None,
                latest_at=latest.at if latest else None,
                stalled=stage.is_stalled(now),
            )
        )
    funded.sort(key=lambda f: f.reference)
    return ReportFigures(
        funnel=funnel,
        median_days={k: round(median_of(v), 1) if v else None for k, v in stays.items()},
        by_branch=_count(i.branch for i in ideas),
        by_program_area=_count(i.program_area for i in ideas),
        by_level=_count(i.level for i in ideas),
        funded=funded,
        stages=stages,
        stage_days=stays,
    )


def build_report(
    challenge: Challenge,
    ideas: Sequence[Idea | IdeaSummary],
    stored: Iterable[IdeaStage],
    now: datetime,
    *,
    days: BusinessDays,
) -> ChallengeReport:
    summaries = (i if isinstance(i, IdeaSummary) else IdeaSummary.of(i) for i in ideas)
    mine = [i for i in summaries if i.challenge == challenge.id]
    figures = report_figures(mine, (s for s in stored if s.challenge_id == challenge.id), now, days=days)
    return ChallengeReport(
        challenge=challenge,
        funnel=figures.funnel,
        median_days=figures.median_days,
        by_branch=figures.by_branch,
        by_program_area=figures.by_program_area,
        by_level=figures.by_level,
        funded=figures.funded,
        ideas=mine,
        stages=figures.stages,
    )


CSV_COLUMNS: tuple[str, ...] = (
    "reference",
    "title",
    "submitter",
    "branch",
    "program_area",
    "level",
    "approval_status",
    "stage",
    "furthest_stage",
    "pitched_at",
    *(f"{s.value}_at" for s in FUNNEL),
    "not_selected_at",
    "stopped_at",
    "funding_amount",
    "funding_branch",
    "latest_progress",
    "latest_progress_at",
)


def _row(idea: IdeaSummary, stage: IdeaStage | None) -> dict[str, str]:
    row = {
        "reference": idea.reference,
        "title": idea.title,
        "submitter": idea.submitter_name,
        "branch": idea.branch,
        "program_area": idea.program_area,
        "level": idea.level,
        "approval_status": idea.status.value,
        "stage": stage.stage.value if stage else "",
        "furthest_stage": stage.furthest.value if stage else "",
        "pitched_at": _when(idea.created_at),
    }
    for s in (*FUNNEL, Stage.NOT_SELECTED, Stage.STOPPED):
        row[f"{s.value}_at"] = _when(stage.entered_at(s)) if stage else ""
    latest = stage.latest_update if stage else None
    row["funding_amount"] = str(stage.funding.amount) if stage and stage.funding else ""
    row["funding_branch"] = stage.funding.branch if stage and stage.funding else ""
    row["latest_progress"] = latest.status.value if latest else ""
    row["latest_progress_at"] = _when(latest.at) if latest else ""
    return row


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _count(values: Iterable[str]) -> list[tuple[str, int]]:
    counts = Counter(v or "unknown" for v in values)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# ---- a report that outlives the records it was computed from ---------------------------------------
def frozen_figures(report: ChallengeReport) -> dict:
    """The report's figures as plain data, kept before any of the challenge's records are destroyed
    under the retention schedule: a closed challenge's funnel must stay what it was."""
    return {
        "funnel": dict(report.funnel),
        "medianDays": dict(report.median_days),
        "byBranch": [list(p) for p in report.by_branch],
        "byProgramArea": [list(p) for p in report.by_program_area],
        "byLevel": [list(p) for p in report.by_level],
        "funded": [
            {
                "ideaId": f.idea_id,
                "reference": f.reference,
                "title": f.title,
                "ownerName": f.owner_name,
                "amount": f.amount,
                "branch": f.branch,
                "stage": f.stage.value,
                "latest": f.latest.value if f.latest else None,
                "latestAt": f.latest_at.isoformat() if f.latest_at else None,
            }
            for f in report.funded
        ],
    }


def with_frozen(report: ChallengeReport, figures: dict) -> ChallengeReport:
    """The report with the figures kept at the first disposal; the CSV's rows are what remains."""
    funded = [
        FundedLine(
            idea_id=f["ideaId"],
            reference=f["reference"],
            title=f["title"],
            owner_name=f["ownerName"],
            amount=int(f["amount"]),
            branch=f["branch"],
            stage=Stage(f["stage"]),
            latest=ProgressStatus(f["latest"]) if f.get("latest") else None,
            latest_at=datetime.fromisoformat(f["latestAt"]) if f.get("latestAt") else None,
            stalled=False,  # a disposed-of challenge is long over
        )
        for f in figures.get("funded", [])
    ]
    return ChallengeReport(
        challenge=report.challenge,
        funnel={k: int(v) for k, v in figures["funnel"].items()},
        median_days=dict(figures["medianDays"]),
        by_branch=[(k, int(v)) for k, v in figures["byBranch"]],
        by_program_area=[(k, int(v)) for k, v in figures["byProgramArea"]],
        by_level=[(k, int(v)) for k, v in figures["byLevel"]],
        funded=funded,
        ideas=report.ideas,
        stages=report.stages,
    )


def frozen_report_key(challenge_id: str) -> str:
    """Where a challenge's kept figures are stored (a stored setting: SQLite settings, DenSettings)."""
    return f"report:{challenge_id}"


def _cell(value: str) -> str:
    """A cell as a spreadsheet opens it safely: typed text starting like a formula is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def report_csv(report: ChallengeReport) -> str:
    """One row per idea (CSV_COLUMNS), as the administrators' command and the organisers' download give it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(str(v)) for k, v in row.items()} for row in report.rows())
    return buffer.getvalue()
