"""Acting approvers: "Diane Tremblay acts for me until Friday".

An approver names a delegate and an end date; while it lasts, new and waiting steps go to
the delegate, recorded as "Diane Tremblay for Maya Singh". The rules: not oneself, the
delegate must be in the directory, it ends (at the end of the given local day, at most a
year ahead), and delegation never loops (Maya -> Diane -> Maya). Following delegations is
transitive (Maya -> Diane, Diane away -> Amir) so a chain of absences still lands on
someone present, but never on the idea's submitter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.domain.calendar import WorkCalendar
from bot.domain.model import Person

MAX_DAYS = 366
MAX_HOPS = 10


@dataclass(frozen=True)
class Delegation:
    """`principal` is acting-for'd by `delegate` from `starts_at` until just before `ends_at`."""

    principal_id: str
    principal_name: str
    delegate_id: str
    delegate_name: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    last_day: date  # the day the person chose ("until 2026-12-04"), shown back to them

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


class DelegationProblem(enum.StrEnum):
    """Why a delegation cannot be set: each a message-catalogue key suffix."""

    SELF = "self"
    NOT_IN_DIRECTORY = "not_in_directory"
    IN_THE_PAST = "in_the_past"
    TOO_LONG = "too_long"
    LOOP = "loop"


class DelegationRefused(Exception):
    def __init__(self, problem: DelegationProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def end_of(day: date, calendar: WorkCalendar) -> datetime:
    """The first moment after `day` ends, in the ministry's time zone."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=calendar.tz)


def new_delegation(
    *,
    principal: Person,
    delegate: Person | None,
    last_day: date,
    now: datetime,
    calendar: WorkCalendar,
    active: Mapping[str, Delegation],
) -> Delegation:
    """Check and build a delegation. `active` maps principal id -> their delegation in force now."""
    if delegate is None:
        raise DelegationRefused(DelegationProblem.NOT_IN_DIRECTORY)
    if delegate.id == principal.id:
        raise DelegationRefused(DelegationProblem.SELF)
    today = calendar.local_date(now)
    if last_day < today:
        raise DelegationRefused(DelegationProblem.IN_THE_PAST)
    if (last_day - today).days > MAX_DAYS:
        raise DelegationRefused(DelegationProblem.TOO_LONG)
    if closes_a_loop(principal.id, delegate.id, onward_of(active, now)):
        raise DelegationRefused(DelegationProblem.LOOP)
    return Delegation(
        principal_id=principal.id,
        principal_name=principal.name,
        delegate_id=delegate.id,
        delegate_name=delegate.name,
        starts_at=now,
        ends_at=end_of(last_day, calendar),
        created_at=now,
        last_day=last_day,
    )


def onward_of(delegations: Mapping[str, Delegation], now: datetime) -> dict[str, str]:
    """Principal id -> delegate id, for every delegation of `delegations` not ended at `now`: in
    force, or starting a moment later (another instance's clock read a moment after this one's)."""
    return {d.principal_id: d.delegate_id for d in delegations.values() if now < d.ends_at}


def closes_a_loop(principal_id: str, delegate_id: str, onward: Mapping[str, str]) -> bool:
    """Would `principal` -> `delegate`, followed on through `onward` (principal id -> delegate id of
    the delegations in force, the principal's own aside), come back to the principal?

    The stores run this inside the write that saves a delegation, against what is stored at that
    moment, so two people naming each other at once on two instances cannot both succeed."""
    seen = {principal_id}
    current: str | None = delegate_id
    for _ in range(MAX_HOPS):
        if current in seen:
            return True
        seen.add(current)
        current = onward.get(current)
        if current is None:
            return False
    return False


def acting_for(
    approver_id: str, delegations: Mapping[str, Delegation], now: datetime, *, excluded: set[str] | frozenset[str]
) -> tuple[str, str] | None:
    """Who acts for `approver_id` now: (id, name) at the end of the delegations in force, or None.

    `excluded` (the idea's submitter) is never handed the step: the walk stops before them,
    and if that leaves nobody, there is no acting approver.
    """
    seen = {approver_id}
    found: tuple[str, str] | None = None
    current = approver_id
    for _ in range(MAX_HOPS):
        delegation = delegations.get(current)
        if delegation is None or not delegation.active(now):
            break
        nxt = delegation.delegate_id
        if nxt in seen or nxt in excluded:
            break
        seen.add(nxt)
        found = (nxt, delegation.delegate_name)
        current = nxt
    return found
