"""Choosing winners after the panel has scored: the sponsor's pick is checked against the panel's
ranking even though the pool card's button carries only the challenge (the service reads the
ranking itself). Following the ranking (or either side of a tie at the top) needs no reason;
departing from it needs one, which is recorded. Before the chair closes scoring, no reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.organisers import OrganiserRoster
from bot.domain.panel import Conflict, Panel, Scorecard
from bot.domain.stage import Stage
from bot.services.challenge import ChallengeService, Status
from tests.support.memory_store import MemoryStore
from tests.support.pitch_day import DANA_ID, OLGA_ID, T0, seed
from tests.support.running_app import DEMO_ORG, FakeClock

JUDGES = ["judge-a", "judge-b"]


PITCH_DAY_EVENING = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # 17:00 in Toronto on the seeded pitch day


@pytest.fixture
async def den():
    store = MemoryStore()
    directory = OrgFileDirectory.from_file(DEMO_ORG)
    service = ChallengeService(store, directory, OrganiserRoster(), clock=FakeClock(PITCH_DAY_EVENING),
                               tz=ZoneInfo("America/Toronto"))  # fmt: skip
    challenge, ideas = await seed(store, count=3)
    return store, service, challenge, [i.id for i in ideas]


async def score_panel(store: MemoryStore, challenge, marks: dict[str, int], *, closed: bool = True) -> None:
    """Both judges give each finalist `marks[finalist]` on every criterion."""
    panel = Panel(challenge.id, JUDGES, JUDGES[0], OLGA_ID, T0 - timedelta(days=2))
    await store.save_panel(panel)  # scores are taken only while the panel's scoring is open
    for judge in JUDGES:
        for finalist, mark in marks.items():
            card = Scorecard(challenge.id, finalist, judge)
            card.declare(panel=panel, actor_id=judge, conflict=Conflict.NONE, now=T0)
            form = {f"score_{c.key}": str(mark) for c in challenge.criteria}
            card.score(panel=panel, criteria=challenge.criteria, actor_id=judge, form=form, now=T0)
            await store.save_scorecard(card)
    if closed:
        panel.close_scoring(actor_id=JUDGES[0], now=T0)
        await store.save_panel(panel)


async def test_picking_below_the_panels_first_needs_a_reason_which_is_then_recorded(den):
    store, service, challenge, (first, second, third) = den
    await score_panel(store, challenge, {first: 5, second: 3, third: 2})
    refused = await service.choose_winners(actor_id=DANA_ID, challenge_id=challenge.id, picks=[second])
    assert (refused.status, refused.reason) == (Status.REFUSED, "reason_required")
    assert (await store.get_stage(second)).stage == Stage.FINALIST, "nothing changed"
    chosen = await service.choose_winners(actor_id=DANA_ID, challenge_id=challenge.id, picks=[second],
                                          reason="Ready to start this quarter")  # fmt: skip
    assert chosen.status == Status.RECORDED
    assert (await store.get_challenge(challenge.id)).winners_reason == "Ready to start this quarter"
    assert (await store.get_stage(second)).stage == Stage.WINNER


async def test_following_the_ranking_or_either_side_of_a_tie_needs_no_reason(den):
    store, service, challenge, (first, second, third) = den
    await score_panel(store, challenge, {first: 4, second: 4, third: 2})  # first and second tie at #1
    chosen = await service.choose_winners(actor_id=DANA_ID, challenge_id=challenge.id, picks=[second])
    assert chosen.status == Status.RECORDED
    assert (await store.get_challenge(challenge.id)).winners_reason == ""


async def test_before_scoring_closes_the_sponsor_needs_no_reason(den):
    store, service, challenge, (first, second, third) = den
    await score_panel(store, challenge, {first: 5, second: 3, third: 2}, closed=False)
    chosen = await service.choose_winners(actor_id=DANA_ID, challenge_id=challenge.id, picks=[third])
    assert chosen.status == Status.RECORDED


async def test_no_winners_before_pitch_day_and_the_picker_shows_the_panel_and_the_peoples_choice(den):
    """Issue #19: winners were accepted nine days before pitch day, from a picker without the ranking."""
    store, service, challenge, (first, second, third) = den
    await score_panel(store, challenge, {first: 5, second: 3, third: 2})
    service.clock.now = datetime(2026, 11, 19, 22, 0, tzinfo=UTC)  # the day before pitch day, in Toronto
    refused = await service.choose_winners(actor_id=DANA_ID, challenge_id=challenge.id, picks=[first])
    assert (refused.status, refused.reason) == (Status.REFUSED, "before_pitch_day")
    assert (await store.get_stage(first)).stage == Stage.FINALIST, "nothing changed"
    service.clock.now = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)  # 00:00 in Toronto: pitch day has come
    panel, votes = await service.pitch_day_results(challenge, [first, second, third])
    assert [panel[f].rank for f in (first, second, third)] == [1, 2, 3] and votes is None  # no vote closed yet
    chosen = await service.choose_winners(actor_id=DANA_ID, challenge_id=challenge.id, picks=[first])
    assert chosen.status == Status.RECORDED
