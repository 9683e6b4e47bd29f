"""The Den challenge: what a ministry asks its staff, when it listens, and who decides.

A challenge is opened by a Den organiser; sponsor deputy ministers (one or more: the 2016 Den
spanned two ministries) decide its shortlist, finalists and winners. Its pitch window is a
half-open interval [opens_at, closes_at); it can be edited only until it opens and closed early
at any time. Pure rules: no Teams, no storage, no clock (every operation takes `now`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.inputs import clean_text, parse_day, parse_number
from bot.domain.pitch import PROGRAM_AREAS


class ChallengePhase(enum.StrEnum):
    SCHEDULED = "scheduled"  # created, window not open yet: still editable
    OPEN = "open"  # taking pitches
    CLOSED = "closed"  # window over, or closed early


@dataclass(frozen=True)
class Criterion:
    """A judging criterion and its weight (percent of the panel's score)."""

    key: str
    weight: int


# What the 2016 selection panel looked for, weighted equally unless the organiser says otherwise.
DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    Criterion("client_impact", 20),
    Criterion("feasibility", 20),
    Criterion("use_of_digital", 20),
    Criterion("people_plan", 20),
    Criterion("cost", 20),
)
CRITERIA_KEYS = tuple(c.key for c in DEFAULT_CRITERIA)
DEFAULT_FINALISTS = 5
MAX_FINALISTS = 20


class ChallengeRefused(Exception):
    """The action changes nothing; the caller says why."""


class NotOrganiser(ChallengeRefused):
    """Only Den organisers create, edit or close a challenge."""


class NotSponsor(ChallengeRefused):
    """Only a sponsor deputy minister of this challenge decides its stages."""


class AlreadyOpen(ChallengeRefused):
    """A challenge that has opened (or closed) can no longer be edited."""


class AlreadyClosed(ChallengeRefused):
    """The challenge is closed already."""


@dataclass
class Challenge:
    """The aggregate. `version` is the store's concurrency token (a number, or a SharePoint eTag)."""

    id: str
    name: str
    question: str
    sponsor_ids: list[str]
    opens_at: datetime
    closes_at: datetime
    created_by: str
    created_at: datetime
    program_areas: list[str] = field(default_factory=list)  # empty: every program area
    finalist_count: int = DEFAULT_FINALISTS
    criteria: list[Criterion] = field(default_factory=lambda: list(DEFAULT_CRITERIA))
    pitch_day: date | None = None
    peoples_choice: bool = False
    updated_at: datetime | None = None
    closed_early_at: datetime | None = None
    closed_by: str = ""
    close_announced: bool = False  # the channel has been told the window closed
    finalists_chosen_at: datetime | None = None
    finalists_chosen_by: str = ""
    winners_chosen_at: datetime | None = None
    winners_chosen_by: str = ""
    winners_reason: str = ""  # why the winners depart from the panel's ranking, when they do
    channel_key: str = ""  # the Teams channel the call for ideas went to
    version: int | str = 0

    # ---- queries --------------------------------------------------------------------
    def phase(self, now: datetime) -> ChallengePhase:
        if self.closed_early_at is not None or now >= self.closes_at:
            return ChallengePhase.CLOSED
        if now < self.opens_at:
            return ChallengePhase.SCHEDULED
        return ChallengePhase.OPEN

    def accepts_pitches(self, now: datetime) -> bool:
        return self.phase(now) == ChallengePhase.OPEN

    @property
    def closed_at(self) -> datetime:
        """When the window closed (or will close)."""
        return self.closed_early_at or self.closes_at

    def pitch_day_reached(self, today: date | None) -> bool:
        """Has pitch day come (`today`: the local date)? With no pitch day set, or no date to
        compare, nothing waits for it."""
        return self.pitch_day is None or today is None or today >= self.pitch_day

    def is_sponsor(self, user_id: str) -> bool:
        return user_id in self.sponsor_ids

    def require_sponsor(self, user_id: str) -> None:
        if not self.is_sponsor(user_id):
            raise NotSponsor(self.id)

    # ---- creation and changes (organisers only) ---------------------------------------
    @classmethod
    def open_new(
        cls, *, challenge_id: str, draft: ChallengeDraft, actor_id: str, is_organiser: bool, now: datetime
    ) -> Challenge:
        if not is_organiser:
            raise NotOrganiser(challenge_id)
        return cls(id=challenge_id, created_by=actor_id, created_at=now, updated_at=now, **draft.fields())

    def edit(self, *, draft: ChallengeDraft, is_organiser: bool, now: datetime) -> None:
        if not is_organiser:
            raise NotOrganiser(self.id)
        if self.phase(now) != ChallengePhase.SCHEDULED:
            raise AlreadyOpen(self.id)
        for name, value in draft.fields().items():
            setattr(self, name, value)
        self.updated_at = now

    def close_early(self, *, actor_id: str, is_organiser: bool, now: datetime) -> None:
        if not is_organiser:
            raise NotOrganiser(self.id)
        if self.phase(now) == ChallengePhase.CLOSED:
            raise AlreadyClosed(self.id)
        self.closed_early_at = now
        self.closed_by = actor_id
        self.updated_at = now


@dataclass(frozen=True)
class ChallengeDraft:
    """A challenge's settings as an organiser entered them (validated)."""

    name: str
    question: str
    sponsor_ids: tuple[str, ...]
    opens_at: datetime
    closes_at: datetime
    program_areas: tuple[str, ...] = ()
    finalist_count: int = DEFAULT_FINALISTS
    criteria: tuple[Criterion, ...] = DEFAULT_CRITERIA
    pitch_day: date | None = None
    peoples_choice: bool = False

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "question": self.question,
            "sponsor_ids": list(self.sponsor_ids),
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "program_areas": list(self.program_areas),
            "finalist_count": self.finalist_count,
            "criteria": list(self.criteria),
            "pitch_day": self.pitch_day,
            "peoples_choice": self.peoples_choice,
        }


# ---- the form's rules (the card declares the same ones) -----------------------------------
NAME_MAX = 120
QUESTION_MAX = 500


def draft_from_challenge(challenge: Challenge, tz: ZoneInfo) -> dict[str, str]:
    """A stored challenge as form values (for the edit card)."""
    values = {
        "name": challenge.name,
        "question": challenge.question,
        "sponsors": ",".join(challenge.sponsor_ids),
        "opens_on": challenge.opens_at.astimezone(tz).date().isoformat(),
        "closes_on": (challenge.closes_at.astimezone(tz) - timedelta(days=1)).date().isoformat(),
        "program_areas": ",".join(challenge.program_areas),
        "finalist_count": str(challenge.finalist_count),
        "pitch_day": challenge.pitch_day.isoformat() if challenge.pitch_day else "",
        "peoples_choice": "true" if challenge.peoples_choice else "false",
    }
    values.update({f"weight_{c.key}": str(c.weight) for c in challenge.criteria})
    return values


def parse_challenge_form(
    form: Mapping[str, Any], *, tz: ZoneInfo, known_sponsors: Sequence[str], today: date
) -> tuple[ChallengeDraft | None, dict[str, str], dict[str, str]]:
    """Check an organiser's form. Returns (draft or None, cleaned values, {field: error code}).

    Dates are local calendar days: the window opens at the start of `opens_on` and closes at the
    end of `closes_on`, in the ministry's time zone. Error codes are message-catalogue suffixes.
    """
    values: dict[str, str] = {}
    errors: dict[str, str] = {}

    def text(name: str, max_length: int, *, required: bool = True, multiline: bool = False) -> str:
        raw = form.get(name)
        value = clean_text("" if isinstance(raw, (list, dict)) else raw, multiline=multiline)
        values[name] = value
        if required and not value:
            errors[name] = "required"
        elif len(value) > max_length:
            errors[name] = "too_long"
        return value

    name = text("name", NAME_MAX)
    question = text("question", QUESTION_MAX, multiline=True)

    sponsors = tuple(dict.fromkeys(s for s in text("sponsors", 1000).split(",") if s.strip()))
    sponsors = tuple(s.strip() for s in sponsors)
    if "sponsors" not in errors and any(s not in known_sponsors for s in sponsors):
        errors["sponsors"] = "invalid_choice"

    opens_on = _day(text("opens_on", 10), "opens_on", errors, today)
    closes_on = _day(text("closes_on", 10), "closes_on", errors, today)
    if opens_on and closes_on:
        if closes_on < opens_on:
            errors["closes_on"] = "before_open"
        elif closes_on < today:
            errors["closes_on"] = "in_past"

    areas = tuple(a.strip() for a in text("program_areas", 500, required=False).split(",") if a.strip())
    if any(a not in PROGRAM_AREAS for a in areas):
        errors["program_areas"] = "invalid_choice"

    finalists = text("finalist_count", 3, required=False) or str(DEFAULT_FINALISTS)
    values["finalist_count"] = finalists
    count = _number(finalists, "finalist_count", errors, 1, MAX_FINALISTS) or 0

    criteria: list[Criterion] = []
    for default in DEFAULT_CRITERIA:
        key = f"weight_{default.key}"
        raw = text(key, 3, required=False) or str(default.weight)
        values[key] = raw
        weight = _number(raw, key, errors, 0, 100)
        if weight is not None:
            criteria.append(Criterion(default.key, weight))
    if len(criteria) == len(DEFAULT_CRITERIA) and sum(c.weight for c in criteria) != 100:
        errors["weights"] = "weights_sum"

    pitch_day = _day(text("pitch_day", 10, required=False), "pitch_day", errors, today)
    if pitch_day and closes_on and pitch_day <= closes_on:
        errors["pitch_day"] = "before_close"

    values["peoples_choice"] = "true" if str(form.get("peoples_choice", "")).lower() == "true" else "false"

    if errors:
        return None, values, errors
    assert opens_on is not None and closes_on is not None
    draft = ChallengeDraft(
        name=name,
        question=question,
        sponsor_ids=sponsors,
        opens_at=datetime.combine(opens_on, time.min, tzinfo=tz),
        closes_at=datetime.combine(closes_on + timedelta(days=1), time.min, tzinfo=tz),
        program_areas=areas,
        finalist_count=count,
        criteria=tuple(criteria),
        pitch_day=pitch_day,
        peoples_choice=values["peoples_choice"] == "true",
    )
    return draft, values, errors


def _day(value: str, name: str, errors: dict[str, str], today: date) -> date | None:
    """A day on the form, by the one rule for dates (see bot/domain/inputs.py)."""
    parsed = parse_day(value, today=today, required=False)
    if parsed.error:
        errors.setdefault(name, parsed.error)
    return parsed.value


def _number(value: str, name: str, errors: dict[str, str], low: int, high: int) -> int | None:
    """A whole number on the form, by the one rule for numbers."""
    parsed = parse_number(value, low=low, high=high)
    if parsed.error:
        errors.setdefault(name, "out_of_range" if parsed.error == "required" else parsed.error)
    return parsed.value


def open_challenge(challenges: Sequence[Challenge], now: datetime) -> Challenge | None:
    """The challenge taking pitches now (the one closing soonest, should two overlap)."""
    open_now = [c for c in challenges if c.accepts_pitches(now)]
    return min(open_now, key=lambda c: c.closes_at) if open_now else None


def next_challenge(challenges: Sequence[Challenge], now: datetime) -> Challenge | None:
    """The next challenge to open, for a polite refusal of a late pitch."""
    upcoming = [c for c in challenges if c.phase(now) == ChallengePhase.SCHEDULED]
    return min(upcoming, key=lambda c: c.opens_at) if upcoming else None
