"""Pitch day's selection panel: who judges, conflicts of interest, scorecards, and the results.

The panel is named by a Den organiser: judges from the directory and a chair among them. Each
judge has one scorecard per finalist. A scorecard starts with a conflict-of-interest declaration:
"none" lets the judge score; "recuse" is recorded and final (a recused judge never scores that
finalist). A score is 1 to 5 for each of the challenge's criteria, plus a comment; the judge may
change it until the chair closes scoring. Scores are private: the only view of other judges' work
is `results`, which only the chair, organisers and sponsors see, and only once scoring is closed.

Pure rules: no Teams, no storage, no clock (every operation takes `now`). Every refusal raises a
`PanelRefused` subclass and changes nothing.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from bot.domain.challenge import Challenge, Criterion
from bot.domain.inputs import check_text, parse_number
from bot.domain.model import Idea

SCORE_MIN, SCORE_MAX = 1, 5
COMMENT_MAX = 1000
MAX_JUDGES = 15
DEFAULT_QUORUM = 3


class PanelRefused(Exception):
    """The click changes nothing; the caller says why."""


class NotOrganiser(PanelRefused):
    """Only Den organisers name the panel."""


class NotJudge(PanelRefused):
    """Only the judges named on the panel score."""


class NotChair(PanelRefused):
    """Only the panel's chair closes scoring and advances the room."""


class ScoringClosed(PanelRefused):
    """The chair has closed scoring: nothing changes any more."""


class Recused(PanelRefused):
    """The judge declared a conflict with this finalist and cannot score them."""


class DeclarationNeeded(PanelRefused):
    """A judge declares conflicts of interest before scoring."""


class NotFinalist(PanelRefused):
    """The scorecard names someone who is not a finalist of this challenge."""


class BeforePitchDay(PanelRefused):
    """Scoring closes once the finalists have pitched: on pitch day or later."""


class ResultsPrivate(PanelRefused):
    """Results are for the chair, organisers and sponsors, once scoring is closed."""


class InvalidPanel(PanelRefused):
    """The organiser's choice of judges cannot make a panel (the code says why)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class InvalidScores(PanelRefused):
    """Scores missing or out of range, or a comment too long: {field: error code}."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(f"{k}={v}" for k, v in errors.items()))
        self.errors = dict(errors)


class Conflict(enum.StrEnum):
    UNDECLARED = "undeclared"
    NONE = "none"  # declared: no conflict of interest
    RECUSED = "recused"  # declared a conflict: steps aside for this finalist


@dataclass
class Panel:
    """A challenge's panel. `version` is the store's concurrency token (0: not stored yet)."""

    challenge_id: str
    judge_ids: list[str]
    chair_id: str
    named_by: str
    named_at: datetime
    remind_at: datetime | None = None  # judges who have not scored by then get one reminder
    scoring_closed_at: datetime | None = None
    scoring_closed_by: str = ""
    now_pitching: int = -1  # index into the finalists in pitching order; -1: not started
    room_card_id: str = ""  # the channel message of the "now pitching" card, once posted
    version: int | str = 0

    @property
    def scoring_closed(self) -> bool:
        return self.scoring_closed_at is not None

    def is_judge(self, user_id: str) -> bool:
        return user_id in self.judge_ids

    @classmethod
    def name(
        cls,
        *,
        challenge: Challenge,
        judge_ids: Sequence[str],
        chair_id: str,
        known_ids: Iterable[str],
        actor_id: str,
        is_organiser: bool,
        now: datetime,
        remind_at: datetime | None = None,
        current: Panel | None = None,
    ) -> Panel:
        """Name (or rename) the panel. Judges must be people in the directory (`known_ids`); the
        chair is one of them. A panel can be renamed until scoring closes; a judge taken off the
        panel keeps their scorecards stored, but they no longer count."""
        if not is_organiser:
            raise NotOrganiser(challenge.id)
        if current is not None and current.scoring_closed:
            raise ScoringClosed(challenge.id)
        judges = list(dict.fromkeys(j.strip() for j in judge_ids if j and j.strip()))
        known = set(known_ids)
        if not judges:
            raise InvalidPanel("no_judges")
        if len(judges) > MAX_JUDGES:
            raise InvalidPanel("too_many_judges")
        if any(j not in known for j in judges):
            raise InvalidPanel("unknown_judge")
        if chair_id not in judges:
            raise InvalidPanel("chair_not_judge")
        if current is not None:
            current.judge_ids, current.chair_id, current.named_by, current.named_at = judges, chair_id, actor_id, now
            current.remind_at = remind_at
            return current
        return cls(challenge.id, judges, chair_id, actor_id, now, remind_at=remind_at)

    def close_scoring(self, *, actor_id: str, now: datetime, pitch_day_reached: bool = True) -> None:
        """The chair closes scoring, once pitch day has come (`pitch_day_reached`, the caller
        compares the local date with the challenge's)."""
        if actor_id != self.chair_id:
            raise NotChair(self.challenge_id)
        if self.scoring_closed:
            raise ScoringClosed(self.challenge_id)
        if not pitch_day_reached:
            raise BeforePitchDay(self.challenge_id)
        self.scoring_closed_at = now
        self.scoring_closed_by = actor_id

    def advance(self, *, actor_id: str, finalist_count: int, step: int = 1) -> int:
        """The chair moves the room's "now pitching" card on (or back); returns the new index,
        which runs from 0 to `finalist_count` (one past the last: "all finalists have pitched")."""
        if actor_id != self.chair_id:
            raise NotChair(self.challenge_id)
        self.now_pitching = max(0, min(finalist_count, self.now_pitching + step))
        return self.now_pitching


def may_see_results(
    panel: Panel, challenge: Challenge, viewer_id: str, *, is_organiser: bool, in_the_running: bool = False
) -> bool:
    """The chair, organisers and the challenge's sponsors; nobody before scoring closes, and
    nobody with an idea in the running (whatever their role) before the winners are chosen."""
    if not panel.scoring_closed or (in_the_running and challenge.winners_chosen_at is None):
        return False
    return viewer_id == panel.chair_id or is_organiser or challenge.is_sponsor(viewer_id)


def in_the_running(person_id: str, person_name: str, finalists: Iterable[Idea]) -> bool:
    """Whether someone has an idea in the running: a finalist's submitter, or a co-author the
    pitch names in its team ("who is involved"), matched on their whole name."""
    if not person_id:
        return False
    name = " ".join(person_name.casefold().split())
    for idea in finalists:
        if idea.submitter.id == person_id:
            return True
        team = " ".join(idea.pitch.people.casefold().split())
        if name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", team):
            return True
    return False


@dataclass
class Scorecard:
    """One judge's card for one finalist. `version` is the store's token (0: not stored yet)."""

    challenge_id: str
    finalist_id: str  # the finalist idea's id
    judge_id: str
    conflict: Conflict = Conflict.UNDECLARED
    declared_at: datetime | None = None
    scores: dict[str, int] = field(default_factory=dict)
    comment: str = ""
    scored_at: datetime | None = None  # first complete score
    changed_at: datetime | None = None  # latest change of score
    changes: int = 0  # how many times the judge changed a complete score
    version: int | str = 0

    @property
    def key(self) -> str:
        return scorecard_key(self.challenge_id, self.finalist_id, self.judge_id)

    @property
    def is_scored(self) -> bool:
        return self.conflict == Conflict.NONE and self.scored_at is not None

    @property
    def is_done(self) -> bool:
        """Nothing more is expected of the judge for this finalist."""
        return self.is_scored or self.conflict == Conflict.RECUSED

    def declare(self, *, panel: Panel, actor_id: str, conflict: Conflict, now: datetime) -> bool:
        """Record the judge's declaration; returns False if it was already so (a second click).
        A recusal is final; a judge who finds a conflict after scoring may still recuse, and the
        scores are set aside."""
        _check_open(panel, actor_id, self.judge_id)
        if conflict == Conflict.UNDECLARED:
            raise InvalidScores({"conflict": "required"})
        if conflict == self.conflict:
            return False
        if self.conflict == Conflict.RECUSED:
            raise Recused(self.finalist_id)
        self.conflict = conflict
        self.declared_at = now
        if conflict == Conflict.RECUSED:
            self.scores, self.comment, self.scored_at = {}, "", None
        return True

    def score(
        self, *, panel: Panel, criteria: Sequence[Criterion], actor_id: str, form: Mapping[str, Any], now: datetime
    ) -> bool:
        """Record (or change) the scores and comment; returns False if nothing changed."""
        _check_open(panel, actor_id, self.judge_id)
        if self.conflict == Conflict.RECUSED:
            raise Recused(self.finalist_id)
        if self.conflict == Conflict.UNDECLARED:
            raise DeclarationNeeded(self.finalist_id)
        scores, comment = parse_scores(form, criteria)
        if scores == self.scores and comment == self.comment and self.scored_at is not None:
            return False
        if self.scored_at is None:
            self.scored_at = now
        else:
            self.changes += 1
        self.scores, self.comment, self.changed_at = scores, comment, now
        return True

    def weighted(self, criteria: Sequence[Criterion]) -> Fraction | None:
        """This judge's weighted score for the finalist (1 to 5), or None if not scored."""
        if not self.is_scored:
            return None
        total = sum(c.weight for c in criteria)
        if total <= 0 or any(c.key not in self.scores for c in criteria):
            return None
        return Fraction(sum(self.scores[c.key] * c.weight for c in criteria), total)


def scorecard_key(challenge_id: str, finalist_id: str, judge_id: str) -> str:
    """The scorecard's unique key in the stores."""
    return f"{challenge_id}:{finalist_id}:{judge_id}"


def _check_open(panel: Panel, actor_id: str, judge_id: str) -> None:
    if actor_id != judge_id or not panel.is_judge(actor_id):
        raise NotJudge(panel.challenge_id)
    if panel.scoring_closed:
        raise ScoringClosed(panel.challenge_id)


def parse_scores(form: Mapping[str, Any], criteria: Sequence[Criterion]) -> tuple[dict[str, int], str]:
    """Scores from the card's inputs (`score_<criterion>`, `comment`), checked again here: card
    validation is the client's and can be bypassed. Raises InvalidScores with every problem."""
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    for criterion in criteria:
        parsed = parse_number(form.get(f"score_{criterion.key}"), low=SCORE_MIN, high=SCORE_MAX)
        if parsed.ok:
            scores[criterion.key] = parsed.value
        else:
            errors[criterion.key] = parsed.error or "required"
    checked = check_text(form.get("comment"), COMMENT_MAX)
    comment = checked.value
    if not checked.ok:
        errors["comment"] = checked.error or "too_long"
    if errors:
        raise InvalidScores(errors)
    return scores, comment


# ---- results ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FinalistResult:
    finalist_id: str
    mean: Fraction | None  # weighted mean over the judges who scored (1 to 5); None: nobody scored
    lowest: Fraction | None
    highest: Fraction | None
    judges: int  # how many judges scored
    recusals: int
    rank: int | None  # 1 is best; equal means share a rank ("1, 2, 2, 4"); None: nobody scored
    tied: bool  # another finalist has the same rank
    below_quorum: bool


def results(
    panel: Panel,
    criteria: Sequence[Criterion],
    finalist_ids: Sequence[str],
    scorecards: Iterable[Scorecard],
    *,
    quorum: int = DEFAULT_QUORUM,
) -> list[FinalistResult]:
    """Per finalist: weighted mean, spread, judges who scored, recusals; ranked best first.

    Only the current judges' complete scorecards count. Arithmetic is exact (fractions), so two
    finalists tie exactly when their means are equal, never because of rounding."""
    judges = set(panel.judge_ids)
    weighted: dict[str, list[Fraction]] = {f: [] for f in finalist_ids}
    recusals: dict[str, int] = dict.fromkeys(finalist_ids, 0)
    for card in scorecards:
        if card.judge_id not in judges or card.finalist_id not in weighted:
            continue
        if card.conflict == Conflict.RECUSED:
            recusals[card.finalist_id] += 1
            continue
        value = card.weighted(criteria)
        if value is not None:
            weighted[card.finalist_id].append(value)
    means = {f: (sum(v, Fraction(0)) / len(v) if v else None) for f, v in weighted.items()}
    scored = sorted((m for m in means.values() if m is not None), reverse=True)
    rank_of = {}
    for position, mean in enumerate(scored, start=1):
        rank_of.setdefault(mean, position)
    counts: dict[Fraction, int] = {}
    for mean in scored:
        counts[mean] = counts.get(mean, 0) + 1
    made = [
        FinalistResult(
            finalist_id=f,
            mean=means[f],
            lowest=min(weighted[f]) if weighted[f] else None,
            highest=max(weighted[f]) if weighted[f] else None,
            judges=len(weighted[f]),
            recusals=recusals[f],
            rank=rank_of[means[f]] if means[f] is not None else None,
            tied=means[f] is not None and counts[means[f]] > 1,
            below_quorum=len(weighted[f]) < quorum,
        )
        for f in finalist_ids
    ]
    order = {f: n for n, f in enumerate(finalist_ids)}
    return sorted(made, key=lambda r: (r.rank is None, r.rank or 0, order[r.finalist_id]))


def judges_to_remind(
    panel: Panel, finalist_ids: Sequence[str], scorecards: Iterable[Scorecard], now: datetime
) -> list[str]:
    """Judges with a finalist still neither scored nor recused, once the reminder time has come
    (the outbox id makes it one reminder per judge)."""
    if panel.scoring_closed or panel.remind_at is None or now < panel.remind_at:
        return []
    done = {(c.judge_id, c.finalist_id) for c in scorecards if c.is_done}
    return [j for j in panel.judge_ids if any((j, f) not in done for f in finalist_ids)]
