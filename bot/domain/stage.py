"""An idea's life in the Den after its approval chain: pool, shortlist, finalist, winner, funding.

Kept apart from the Idea aggregate (which owns the approval chain): an `IdeaStage` is keyed by
the idea's id, belongs to one challenge, and records every transition with when and who. An
approved idea is *in the pool* without a stored record (its entry is the final approval); the
record is stored from its first move on, with `version == 0` meaning "not stored yet".

The table `ALLOWED` is the whole state machine; the functions below add who may make each move
and when. Every refusal raises a `StageRefused` subclass and changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.challenge import Challenge, ChallengePhase, ChallengeRefused
from bot.domain.inputs import check_text, clean_text, parse_number


class Stage(enum.StrEnum):
    POOL = "pool"
    SHORTLISTED = "shortlisted"
    FINALIST = "finalist"
    WINNER = "winner"
    IMPLEMENTING = "implementing"
    IMPLEMENTED = "implemented"
    NOT_SELECTED = "not_selected"
    STOPPED = "stopped"  # funded, but its implementation stopped: it will not go ahead


# The funnel, in order; NOT_SELECTED ends a path at any point before the winners, STOPPED one that
# was funded and stopped before it was implemented.
FUNNEL: tuple[Stage, ...] = (
    Stage.POOL,
    Stage.SHORTLISTED,
    Stage.FINALIST,
    Stage.WINNER,
    Stage.IMPLEMENTING,
    Stage.IMPLEMENTED,
)
# Shortlisted in the challenge, or further on: the DM's digest shows such an idea as shortlisted.
SHORTLISTED_OR_BEYOND: frozenset[Stage] = frozenset(FUNNEL[FUNNEL.index(Stage.SHORTLISTED) :])

ALLOWED: dict[Stage, frozenset[Stage]] = {
    Stage.POOL: frozenset({Stage.SHORTLISTED, Stage.NOT_SELECTED}),
    Stage.SHORTLISTED: frozenset({Stage.POOL, Stage.FINALIST, Stage.NOT_SELECTED}),  # POOL: undo
    Stage.FINALIST: frozenset({Stage.WINNER, Stage.NOT_SELECTED}),
    Stage.WINNER: frozenset({Stage.IMPLEMENTING}),  # funding recorded
    Stage.IMPLEMENTING: frozenset({Stage.IMPLEMENTED, Stage.STOPPED}),  # the owner reports it done, or stopped
    Stage.IMPLEMENTED: frozenset(),
    Stage.NOT_SELECTED: frozenset(),
    Stage.STOPPED: frozenset(),
}
# Where an idea ended without going ahead (so its submitter is invited to share what was learned).
ENDED_SHORT: frozenset[Stage] = frozenset({Stage.NOT_SELECTED, Stage.STOPPED})

STALLED_AFTER = timedelta(days=45)
NOTE_MAX = 500
REASON_MAX = 1000  # why the winners depart from the panel's ranking
AMOUNT_MAX = 100_000_000  # whole dollars: more than any Den has funded, less than a typing slip
CONDITIONS_MAX = 1000
BRANCH_MAX = 120


class ProgressStatus(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"
    DONE = "done"
    STOPPED = "stopped"  # the implementation stopped: the follow-up ends, and a lesson is invited


class StageRefused(ChallengeRefused):
    """Base class: the click changes nothing, and the caller shows the state as it is."""


class NotOwner(StageRefused):
    """Only the idea's submitter files its implementation updates or gives consent."""


class StageStale(StageRefused):
    """The card is for a stage the idea is no longer in (an old card, or a click after a change)."""


class AlreadyDone(StageRefused):
    """A second click: what it asks for is already the case."""


class WindowStillOpen(StageRefused):
    """Finalists are chosen once the pitch window has closed, when every pitch is in."""


class FinalistsChosen(StageRefused):
    """Shortlisting (and undoing it) ends when the finalists are chosen."""


class TooManyFinalists(StageRefused):
    """More picks than the challenge's number of finalists."""


class NothingPicked(StageRefused):
    """Choosing finalists or winners needs at least one pick."""


class ReasonRequired(StageRefused):
    """Winners that depart from the panel's ranking need a recorded reason."""


class BeforePitchDay(StageRefused):
    """Winners are chosen once the finalists have pitched: on pitch day or later."""


class InvalidFunding(StageRefused):
    """Funding needs a positive amount and the branch that pays it."""


class ReasonTooLong(StageRefused):
    """The reason for departing from the panel's ranking is a short explanation."""


class NoteRequired(StageRefused):
    """An update that says 'at risk' or 'blocked' needs a note saying why."""


class NoteTooLong(StageRefused):
    """A progress note is a short note."""


@dataclass(frozen=True)
class StageChange:
    """One recorded transition: (idea, seq) identifies it."""

    seq: int
    from_stage: Stage | None
    to_stage: Stage
    at: datetime
    by: str
    reason: str = ""


@dataclass(frozen=True)
class Funding:
    amount: int  # whole dollars
    branch: str  # the branch whose budget pays it
    conditions: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class ProgressUpdate:
    seq: int
    status: ProgressStatus
    note: str
    at: datetime
    by: str


@dataclass(frozen=True)
class StageChanged:
    """Event: an idea moved; everyone on its path hears of it."""

    idea_id: str
    seq: int
    from_stage: Stage | None
    to_stage: Stage


@dataclass(frozen=True)
class FinalistsAnnounced:
    challenge_id: str


@dataclass(frozen=True)
class WinnersAnnounced:
    challenge_id: str


@dataclass(frozen=True)
class ProgressFiled:
    idea_id: str
    seq: int


StageEvent = StageChanged | FinalistsAnnounced | WinnersAnnounced | ProgressFiled


@dataclass
class IdeaStage:
    """The aggregate for one idea's stage in one challenge."""

    idea_id: str
    challenge_id: str
    owner_id: str  # the submitter
    stage: Stage = Stage.POOL
    history: list[StageChange] = field(default_factory=list)
    funding: Funding | None = None
    updates: list[ProgressUpdate] = field(default_factory=list)
    consent_to_name: bool | None = None  # may the channel name the submitter? asked of finalists
    version: int | str = 0  # 0: not stored yet

    @classmethod
    def enter_pool(cls, *, idea_id: str, challenge_id: str, owner_id: str, at: datetime, by: str) -> IdeaStage:
        """An idea approved for the Den (its final approval at `at`, by `by`)."""
        entry = StageChange(1, None, Stage.POOL, at, by)
        return cls(idea_id=idea_id, challenge_id=challenge_id, owner_id=owner_id, history=[entry])

    # ---- queries --------------------------------------------------------------------
    @property
    def since(self) -> datetime:
        return self.history[-1].at

    @property
    def furthest(self) -> Stage:
        """How far the idea got (the last funnel stage it reached, even if not selected after)."""
        reached = [c.to_stage for c in self.history if c.to_stage in FUNNEL]
        return max(reached, key=FUNNEL.index) if reached else Stage.POOL

    def reached(self, stage: Stage) -> bool:
        return FUNNEL.index(self.furthest) >= FUNNEL.index(stage)

    def entered_at(self, stage: Stage) -> datetime | None:
        for change in self.history:
            if change.to_stage == stage:
                return change.at
        return None

    @property
    def latest_update(self) -> ProgressUpdate | None:
        return self.updates[-1] if self.updates else None

    @property
    def last_report_at(self) -> datetime:
        """When the owner last reported on implementation (the funding itself, before any update)."""
        return self.latest_update.at if self.updates else self.since

    def update_due(self, now: datetime, every: timedelta) -> bool:
        """Funded and implementing, and its monthly update is due: the last report is `every` old.
        (The follow-up request and what 'my ideas' says both follow this one rule.)"""
        return self.stage == Stage.IMPLEMENTING and now - self.last_report_at >= every

    def is_stalled(self, now: datetime) -> bool:
        """Funded and implementing, but no update in 45 days (counted from funding at first)."""
        if self.stage != Stage.IMPLEMENTING:
            return False
        last = self.latest_update.at if self.updates else self.since
        return now - last > STALLED_AFTER

    # ---- the one place a stage changes ------------------------------------------------
    def _move(self, to: Stage, *, by: str, now: datetime, reason: str = "") -> StageChanged:
        if to not in ALLOWED[self.stage]:
            raise StageStale(self.idea_id)
        change = StageChange(len(self.history) + 1, self.stage, to, now, by, reason)
        self.history.append(change)
        self.stage = to
        return StageChanged(self.idea_id, change.seq, change.from_stage, to)


@dataclass(frozen=True)
class Standing:
    """Where an idea stands in the challenge it was pitched to, as its submitter is shown it ("my
    ideas", the details card): the challenge, the stage (None: not in the pool, i.e. still in its
    approval chain or not approved), and whether its monthly implementation update is due."""

    challenge_name: str
    stage: IdeaStage | None = None
    update_due: bool = False


def can_move(source: Stage, target: Stage) -> bool:
    return target in ALLOWED[source]


# ---- sponsor decisions ----------------------------------------------------------------------
def shortlist(challenge: Challenge, stage: IdeaStage, *, actor_id: str, now: datetime) -> list[StageEvent]:
    challenge.require_sponsor(actor_id)
    if stage.stage == Stage.SHORTLISTED:
        raise AlreadyDone(stage.idea_id)
    if challenge.finalists_chosen_at is not None:
        raise FinalistsChosen(challenge.id)
    if stage.stage != Stage.POOL:
        raise StageStale(stage.idea_id)
    return [stage._move(Stage.SHORTLISTED, by=actor_id, now=now)]


def undo_shortlist(challenge: Challenge, stage: IdeaStage, *, actor_id: str, now: datetime) -> list[StageEvent]:
    challenge.require_sponsor(actor_id)
    if challenge.finalists_chosen_at is not None:
        raise FinalistsChosen(challenge.id)
    if stage.stage == Stage.POOL:
        raise AlreadyDone(stage.idea_id)
    if stage.stage != Stage.SHORTLISTED:
        raise StageStale(stage.idea_id)
    return [stage._move(Stage.POOL, by=actor_id, now=now, reason="shortlist_undone")]


def choose_finalists(
    challenge: Challenge, stages: Iterable[IdeaStage], picks: Sequence[str], *, actor_id: str, now: datetime
) -> tuple[list[IdeaStage], list[StageEvent]]:
    """The picked shortlisted ideas become finalists; the rest of the pool and shortlist are not
    selected (and told so). Returns the stages that changed and the events."""
    challenge.require_sponsor(actor_id)
    if challenge.finalists_chosen_at is not None:
        raise AlreadyDone(challenge.id)
    if challenge.phase(now) != ChallengePhase.CLOSED:
        raise WindowStillOpen(challenge.id)
    picked = set(picks)
    if not picked:
        raise NothingPicked(challenge.id)
    if len(picked) > challenge.finalist_count:
        raise TooManyFinalists(challenge.id)
    pool = [s for s in stages if s.challenge_id == challenge.id and s.stage in (Stage.POOL, Stage.SHORTLISTED)]
    by_id = {s.idea_id: s for s in pool}
    if any(idea_id not in by_id or by_id[idea_id].stage != Stage.SHORTLISTED for idea_id in picked):
        raise StageStale(challenge.id)
    raised: list[StageEvent] = []
    for stage in pool:
        if stage.idea_id in picked:
            raised.append(stage._move(Stage.FINALIST, by=actor_id, now=now))
        else:
            raised.append(stage._move(Stage.NOT_SELECTED, by=actor_id, now=now, reason="finalists_chosen"))
    challenge.finalists_chosen_at = now
    challenge.finalists_chosen_by = actor_id
    challenge.updated_at = now
    raised.append(FinalistsAnnounced(challenge.id))
    return pool, raised


def choose_winners(
    challenge: Challenge,
    stages: Iterable[IdeaStage],
    picks: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
    ranking: Sequence[str] = (),
    reason: str = "",
    today: date | None = None,
) -> tuple[list[IdeaStage], list[StageEvent]]:
    """After the pitch day: the picked finalists win; the other finalists are not selected.

    `ranking` is the panel's order of the finalists, best first, when the panel has scored
    them; winners other than its top ones need a `reason`, which is recorded. `today`: the local
    date (the ministry's time zone); before the challenge's pitch day, no winners.
    """
    challenge.require_sponsor(actor_id)
    if challenge.winners_chosen_at is not None:
        raise AlreadyDone(challenge.id)
    if challenge.finalists_chosen_at is None:
        raise StageStale(challenge.id)
    if not challenge.pitch_day_reached(today):
        raise BeforePitchDay(challenge.id)
    picked = set(picks)
    if not picked:
        raise NothingPicked(challenge.id)
    finalists = [s for s in stages if s.challenge_id == challenge.id and s.stage == Stage.FINALIST]
    if not picked <= {s.idea_id for s in finalists}:
        raise StageStale(challenge.id)
    reason = clean_text(reason, multiline=True)
    if len(reason) > REASON_MAX:
        raise ReasonTooLong(challenge.id)
    departs = bool(ranking) and picked != set(list(ranking)[: len(picked)])
    if departs and not reason:
        raise ReasonRequired(challenge.id)
    raised: list[StageEvent] = []
    for stage in finalists:
        if stage.idea_id in picked:
            raised.append(stage._move(Stage.WINNER, by=actor_id, now=now, reason=reason if departs else ""))
        else:
            raised.append(stage._move(Stage.NOT_SELECTED, by=actor_id, now=now, reason="winners_chosen"))
    challenge.winners_chosen_at = now
    challenge.winners_chosen_by = actor_id
    challenge.winners_reason = reason if departs else ""
    challenge.updated_at = now
    raised.append(WinnersAnnounced(challenge.id))
    return finalists, raised


def record_funding(
    challenge: Challenge,
    stage: IdeaStage,
    *,
    actor_id: str,
    amount: int,
    branch: str,
    conditions: str,
    now: datetime,
) -> list[StageEvent]:
    """The sponsor commits the money: the winner starts implementing, and monthly follow-up begins."""
    challenge.require_sponsor(actor_id)
    if stage.funding is not None:
        raise AlreadyDone(stage.idea_id)
    if stage.stage != Stage.WINNER:
        raise StageStale(stage.idea_id)
    branch, conditions = clean_text(branch, multiline=False), clean_text(conditions, multiline=True)
    if amount <= 0 or not branch or len(branch) > BRANCH_MAX or len(conditions) > CONDITIONS_MAX:
        raise InvalidFunding(stage.idea_id)
    stage.funding = Funding(amount, branch, conditions, actor_id, now)
    return [stage._move(Stage.IMPLEMENTING, by=actor_id, now=now)]


# ---- the owner's part -----------------------------------------------------------------------
def file_progress(
    stage: IdeaStage, *, actor_id: str, status: ProgressStatus, note: str, now: datetime
) -> list[StageEvent]:
    """A monthly implementation update; 'done' ends the follow-up, and so does 'stopped' (the
    implementation will not go on: a note says why)."""
    if actor_id != stage.owner_id:
        raise NotOwner(stage.idea_id)
    if stage.stage != Stage.IMPLEMENTING:
        raise StageStale(stage.idea_id)
    note = clean_text(note, multiline=True)
    if len(note) > NOTE_MAX:
        raise NoteTooLong(stage.idea_id)
    if status in (ProgressStatus.AT_RISK, ProgressStatus.BLOCKED, ProgressStatus.STOPPED) and not note:
        raise NoteRequired(stage.idea_id)
    update = ProgressUpdate(len(stage.updates) + 1, status, note, now, actor_id)
    stage.updates.append(update)
    raised: list[StageEvent] = [ProgressFiled(stage.idea_id, update.seq)]
    if status == ProgressStatus.DONE:
        raised.append(stage._move(Stage.IMPLEMENTED, by=actor_id, now=now))
    elif status == ProgressStatus.STOPPED:
        raised.append(stage._move(Stage.STOPPED, by=actor_id, now=now, reason=note))
    return raised


def give_consent(stage: IdeaStage, *, actor_id: str, consent: bool) -> None:
    """The finalist says whether the channel may name them (asked on the finalist card)."""
    if actor_id != stage.owner_id:
        raise NotOwner(stage.idea_id)
    if not stage.reached(Stage.FINALIST):
        raise StageStale(stage.idea_id)
    if stage.consent_to_name is consent:
        raise AlreadyDone(stage.idea_id)
    stage.consent_to_name = consent


def funding_form_errors(amount: object, branch: object, conditions: object) -> dict[str, str]:
    """The funding form's fields checked by the one rule for numbers and text: {field: error code}
    (`required`, `invalid_number`, `out_of_range`, `too_long`), so the form shows each at its field."""
    errors: dict[str, str] = {}
    parsed = parse_number(amount, low=1, high=AMOUNT_MAX, money=True)
    if not parsed.ok:
        errors["amount"] = parsed.error or "invalid_number"
    for name, value, limit, multiline, required in (
        ("branch", branch, BRANCH_MAX, False, True),
        ("conditions", conditions, CONDITIONS_MAX, True, False),
    ):
        checked = check_text(value, limit, multiline=multiline, required=required)
        if not checked.ok:
            errors[name] = checked.error or "invalid"
    return errors


def parse_amount(value: object) -> int:
    """'$50,000', '50 000 $', '50000 CAD' -> 50000; anything else -> 0 (refused as invalid)."""
    parsed = parse_number(value, low=1, high=AMOUNT_MAX, money=True)
    return parsed.value if parsed.ok else 0
