"""Acting approvers: who may act for whom, until when, and never in a loop or for oneself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.calendar import WorkCalendar
from bot.domain.delegation import (
    DelegationProblem,
    DelegationRefused,
    acting_for,
    end_of,
    new_delegation,
)
from tests.support.cast import AMIR, DIANE, MAYA, SAM

CAL = WorkCalendar.of("America/Toronto")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # Thursday, 10:00 in Toronto


def delegate(principal, to, last_day=date(2026, 12, 4), active=None, now=NOW):
    return new_delegation(
        principal=principal, delegate=to, last_day=last_day, now=now, calendar=CAL, active=active or {}
    )


def test_a_delegation_lasts_to_the_end_of_the_chosen_local_day():
    d = delegate(MAYA, DIANE)
    assert (d.principal_name, d.delegate_name, d.last_day) == ("Maya Singh", "Diane Tremblay", date(2026, 12, 4))
    assert d.ends_at == end_of(date(2026, 12, 4), CAL)
    assert d.active(NOW)
    last_minute = datetime(2026, 12, 4, 23, 59, tzinfo=CAL.tz)
    assert d.active(last_minute)
    assert not d.active(last_minute + timedelta(minutes=1))  # expired: midnight in Toronto


def test_nobody_acts_for_themselves():
    with pytest.raises(DelegationRefused) as caught:
        delegate(MAYA, MAYA)
    assert caught.value.problem == DelegationProblem.SELF


def test_the_delegate_must_be_in_the_directory():
    with pytest.raises(DelegationRefused) as caught:
        delegate(MAYA, None)
    assert caught.value.problem == DelegationProblem.NOT_IN_DIRECTORY


def test_the_end_date_cannot_be_past_or_more_than_a_year_away():
    with pytest.raises(DelegationRefused) as caught:
        delegate(MAYA, DIANE, last_day=date(2026, 11, 25))
    assert caught.value.problem == DelegationProblem.IN_THE_PAST
    assert delegate(MAYA, DIANE, last_day=date(2026, 11, 26)).active(NOW)  # today only is fine
    with pytest.raises(DelegationRefused) as caught:
        delegate(MAYA, DIANE, last_day=date(2027, 12, 1))
    assert caught.value.problem == DelegationProblem.TOO_LONG


def test_delegation_cannot_loop_directly_or_through_others():
    maya_to_diane = delegate(MAYA, DIANE)
    with pytest.raises(DelegationRefused) as caught:
        delegate(DIANE, MAYA, active={"maya": maya_to_diane})
    assert caught.value.problem == DelegationProblem.LOOP
    diane_to_amir = delegate(DIANE, AMIR)
    with pytest.raises(DelegationRefused) as caught:
        delegate(AMIR, MAYA, active={"maya": maya_to_diane, "diane": diane_to_amir})
    assert caught.value.problem == DelegationProblem.LOOP


def test_an_expired_delegation_is_no_loop():
    old = delegate(MAYA, DIANE, last_day=date(2026, 11, 27))
    later = NOW + timedelta(days=3)
    assert delegate(DIANE, MAYA, active={"maya": old}, now=later).delegate_id == "maya"


def test_acting_for_follows_delegations_in_force_and_stops_at_expiry():
    delegations = {"maya": delegate(MAYA, DIANE), "diane": delegate(DIANE, AMIR, last_day=date(2026, 11, 27))}
    assert acting_for("maya", delegations, NOW, excluded=frozenset()) == ("amir", "Amir Haddad")
    after_diane_is_back = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert acting_for("maya", delegations, after_diane_is_back, excluded=frozenset()) == ("diane", "Diane Tremblay")
    after_maya_is_back = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert acting_for("maya", delegations, after_maya_is_back, excluded=frozenset()) is None
    assert acting_for("amir", delegations, NOW, excluded=frozenset()) is None


def test_the_submitter_is_never_the_acting_approver():
    delegations = {"maya": delegate(MAYA, SAM)}
    assert acting_for("maya", delegations, NOW, excluded={"sam"}) is None
    delegations = {"maya": delegate(MAYA, DIANE), "diane": delegate(DIANE, SAM)}
    assert acting_for("maya", delegations, NOW, excluded={"sam"}) == ("diane", "Diane Tremblay")
