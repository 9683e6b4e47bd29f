"""The dashboard's rules and figures: who may see which scope, and figures that equal the report's and
the digest's for the same ideas (the same computation, checked here on a seeded challenge)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from bot.domain import stage as st
from bot.domain.calendar import DigestWeek, WorkCalendar
from bot.domain.dashboard import DASHBOARD_STEPS, DashboardScope, build_dashboard, dashboard_scope, may_open_dashboard
from bot.domain.den_report import build_report
from bot.domain.digest import BusinessDays, DigestIdea, DigestRules, build_digest, median_of
from bot.domain.model import Person, Role
from bot.domain.visibility import Viewer
from tests.support.den_dashboard import CHALLENGE_ID, CLOSES, NOW, a_challenge, pitched
from tests.support.people import DANA

CALENDAR = WorkCalendar.of("America/Toronto")
OTHER_DM = "other-dm"


def seeded():
    """14 ideas in Dana's ministry, 4 in another DM's, and the stages of the approved ones."""
    challenge = a_challenge()
    ideas = [pitched(n) for n in range(14)] + [pitched(n, line=(OTHER_DM,)) for n in range(20, 24)]
    approved = [i for i in ideas if i.status.value == "approved"]
    stages = {i.id: st.IdeaStage.enter_pool(idea_id=i.id, challenge_id=CHALLENGE_ID, owner_id=i.submitter.id,
                                            at=i.decisions[-1].decided_at, by="x") for i in approved}
    after = CLOSES + timedelta(days=2)
    picks = [i.id for i in approved[:4]]
    for idea_id in picks:
        st.shortlist(challenge, stages[idea_id], actor_id=DANA.aad_id, now=after)
    st.choose_finalists(challenge, stages.values(), picks[:3], actor_id=DANA.aad_id, now=after + timedelta(days=5))
    st.choose_winners(challenge, stages.values(), picks[:2], actor_id=DANA.aad_id, now=after + timedelta(days=19))
    st.record_funding(challenge, stages[picks[0]], actor_id=DANA.aad_id, amount=30_000, branch="Digital",
                      conditions="", now=after + timedelta(days=20))
    return challenge, ideas, list(stages.values())


def dashboard_of(scope, ideas, stages):
    return build_dashboard(scope, [DigestIdea.of(i) for i in ideas], stages, now=NOW, days=BusinessDays(CALENDAR),
                           follow_up_after=timedelta(days=30))


def test_the_funnel_participation_and_funded_ideas_are_the_reports():
    challenge, ideas, stages = seeded()
    report = build_report(challenge, ideas, stages, NOW, days=BusinessDays(CALENDAR))
    dashboard = dashboard_of(DashboardScope(CHALLENGE_ID), ideas, stages)
    assert {t.key: t.median for t in dashboard.stage_times} == report.median_days  # business days, both
    assert next(t for t in dashboard.stage_times if t.key == "in_review").median is not None
    assert [s.step for s in dashboard.funnel] == list(DASHBOARD_STEPS)
    assert {s.step: s.count for s in dashboard.funnel} == report.funnel
    assert dashboard.funnel[0].count == 18 and dashboard.funnel[0].share == 1
    winners = next(s for s in dashboard.funnel if s.step == "winner")
    assert winners.count == 2 and winners.share == pytest.approx(2 / 18)
    assert winners.from_previous == pytest.approx(2 / 3)
    assert dashboard.by_branch == report.by_branch and dashboard.by_program_area == report.by_program_area
    assert dict(dashboard.by_level) == dict(report.by_level)
    assert [k for k, _ in dashboard.by_level] == ["staff", "manager"]
    assert [f.line for f in dashboard.funded] == report.funded and dashboard.funded[0].overdue  # no update in 30 days
    assert sum(v for _, v in dashboard.by_week) == 18 and all(day.weekday() == 0 for day, _ in dashboard.by_week)


def test_time_at_each_level_is_the_digests_and_what_waits_is_listed_oldest_first_with_its_holder():
    _, ideas, stages = seeded()
    mine = [i for i in ideas if DANA.aad_id in i.line_ids]
    dashboard = dashboard_of(DashboardScope(CHALLENGE_ID, ministry_of=DANA.aad_id), ideas, stages)
    week = DigestWeek.so_far(NOW, CALENDAR.tz)
    digest = build_digest(Person(DANA.aad_id, DANA.name, Role.DM), mine, week=week, now=NOW, calendar=CALENDAR,
                          rules=DigestRules(list_limit=100))
    assert {t.key: (t.median, t.cases) for t in dashboard.level_times} == {
        t.role.value: (t.median_days, t.decisions) for t in digest.timings
    }
    assert dashboard.slowest_level.key == digest.slowest.role.value
    waiting = sorted(digest.pending + digest.stalled, key=lambda r: (r.since, r.reference))
    assert dashboard.waiting == waiting and len(waiting) == 4
    assert [r.holder_name for r in dashboard.waiting][:2] == ["Diane Tremblay", "Amir Haddad"]


def test_median_and_slowest_count_business_days():
    _, ideas, stages = seeded()
    dashboard = dashboard_of(DashboardScope(CHALLENGE_ID), ideas, stages)
    days = BusinessDays(CALENDAR)
    manager = Counter(days.between(d.requested_at, d.decided_at) for i in ideas for d in i.decisions
                      if i.chain[d.step_index].role == Role.MANAGER)
    timing = next(t for t in dashboard.level_times if t.key == "manager")
    assert (timing.median, timing.slowest, timing.cases) == (median_of(manager), max(manager), sum(manager.values()))
    in_review = next(t for t in dashboard.stage_times if t.key == "in_review")
    assert in_review.cases == sum(1 for i in ideas if i.status.value == "approved")
    approval = Counter(days.between(i.created_at, i.decisions[-1].decided_at) for i in ideas
                       if i.status.value == "approved")
    assert (in_review.median, in_review.slowest) == (median_of(approval), max(approval))
    assert next(t for t in dashboard.stage_times if t.key == "implementing").cases == 0  # none has moved on yet


def test_a_deputy_minister_sees_only_their_ministrys_ideas():
    _, ideas, stages = seeded()
    whole = dashboard_of(DashboardScope(CHALLENGE_ID), ideas, stages)
    theirs = dashboard_of(DashboardScope(CHALLENGE_ID, ministry_of=OTHER_DM), ideas, stages)
    assert whole.funnel[0].count == 18 and theirs.funnel[0].count == 4
    assert all(r.reference >= "DEN-2026-0120" for r in theirs.waiting)


def test_who_may_open_which_dashboard():
    challenge = a_challenge()
    organiser, sponsor = Viewer("olga", organiser=True), Viewer(DANA.aad_id, sponsor_of=frozenset({challenge.id}))
    other_dm, staff, guest = Viewer(OTHER_DM), Viewer("sam"), Viewer("guest", member=False, organiser=True)
    assert dashboard_scope(organiser, is_dm=False, challenge=challenge, year=2026) == DashboardScope(CHALLENGE_ID, 2026)
    assert dashboard_scope(organiser, is_dm=False, challenge=None, year=2026) == DashboardScope("", 2026)
    assert dashboard_scope(sponsor, is_dm=True, challenge=challenge, year=2026) == DashboardScope(CHALLENGE_ID, 2026)
    assert dashboard_scope(sponsor, is_dm=True, challenge=None, year=2026).ministry_of == DANA.aad_id
    assert dashboard_scope(other_dm, is_dm=True, challenge=challenge, year=2026).ministry_of == OTHER_DM
    assert dashboard_scope(staff, is_dm=False, challenge=challenge, year=2026) is None
    assert dashboard_scope(staff, is_dm=False, challenge=None, year=2026) is None
    assert dashboard_scope(guest, is_dm=False, challenge=None, year=2026) is None
    assert [may_open_dashboard(v, is_dm=dm) for v, dm in ((organiser, False), (sponsor, False), (other_dm, True),
                                                           (staff, False), (guest, True))] == [True, True, True,
                                                                                              False, False]


def test_the_year_counts_the_ideas_pitched_that_year_in_the_ministrys_time_zone():
    _, ideas, stages = seeded()
    assert dashboard_of(DashboardScope("", 2026), ideas, stages).funnel[0].count == 18
    assert dashboard_of(DashboardScope("", 2025), ideas, stages).funnel[0].count == 0
