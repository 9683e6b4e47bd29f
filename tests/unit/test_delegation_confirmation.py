"""Saving an acting approver confirms it once, and counts handed-over steps only when there were some."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.delegation import Delegation
from bot.i18n import Messages
from cards.approval_routes import delegation_card
from tests.support.teams_client import texts

T0 = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
DIANE_ACTS = Delegation(
    principal_id="maya", principal_name="Maya Singh", delegate_id="diane", delegate_name="Diane Tremblay",
    starts_at=T0, ends_at=datetime(2026, 12, 18, 5, 0, tzinfo=UTC), created_at=T0, last_day=date(2026, 12, 17),
)  # fmt: skip


@pytest.mark.parametrize("language, day", [("en", "December 17, 2026"), ("fr", "17 décembre 2026")])
def test_the_saved_arrangement_is_confirmed_once_without_a_count_of_nothing(language, day):
    m = Messages(language)
    shown = texts(delegation_card(m, today=T0.date(), current=DIANE_ACTS, handed_over=0))
    assert shown.count("Diane Tremblay") == 1 and day in shown
    assert m.count("delegate.handed_over", 1).removeprefix("1 ") not in shown
    assert m.count("delegate.handed_over", 2).removeprefix("2 ") not in shown


@pytest.mark.parametrize("language", ["en", "fr"])
def test_steps_handed_over_are_counted_when_there_are_some(language):
    m = Messages(language)
    shown = texts(delegation_card(m, today=T0.date(), current=DIANE_ACTS, handed_over=2))
    assert shown.count("Diane Tremblay") == 1
    assert m.count("delegate.handed_over", 2) in shown and "2" in m.count("delegate.handed_over", 2)


def test_opening_the_form_later_still_says_who_acts():
    m = Messages("en")
    shown = texts(delegation_card(m, today=T0.date(), current=DIANE_ACTS))
    assert shown.count("Diane Tremblay acts for you until the end of December 17, 2026") == 1
