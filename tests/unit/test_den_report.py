"""The challenge report from a seeded challenge: funnel, time at each stage, participation, funded ideas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import stage as st
from bot.domain.calendar import WorkCalendar
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.den_report import CSV_COLUMNS, build_report, stages_of
from bot.domain.digest import BusinessDays
from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.pitch import Pitch
from bot.domain.stage import ProgressStatus, Stage
from tests.support.chains import build_chain

T0 = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)  # a Wednesday
DAYS = BusinessDays(WorkCalendar.of("America/Toronto"))
CLOSES = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
MAYA = Person("maya", "Maya Singh", Role.MANAGER, branch="Service Ontario")
DANA = "dana"


def a_challenge() -> Challenge:
    draft = ChallengeDraft("Tell us once", "How?", (DANA,), T0 - timedelta(days=1), CLOSES)
    return Challenge.open_new(challenge_id="c1", draft=draft, actor_id="olga", is_organiser=True, now=T0)


def pitched(n: int, outcome: Outcome | None, branch: str = "Digital", challenge: str = "c1") -> Idea:
    submitter = Person(f"s{n}", f"Staff {n}", Role.STAFF, branch=branch)
    area = "policy" if n % 2 else "client_services"
    pitch = Pitch(f"Idea {n}", "p", "s", "clients", area, "unknown", "f")
    idea, _ = Idea.submit(
        idea_id=f"i{n}",
        reference=f"DEN-2026-{n:04d}",
        submitter=submitter,
        pitch=pitch,
        chain=build_chain(submitter, [MAYA]),
        now=T0,
    )
    idea.challenge = challenge
    if outcome is not None:
        idea.decide(actor_id="maya", step_index=0, revision=1, outcome=outcome, comment="c", now=T0 + timedelta(days=2))
    return idea


def test_funnel_times_participation_and_funded_ideas():
    challenge = a_challenge()
    ideas = [pitched(n, Outcome.APPROVED, branch="Digital" if n < 4 else "Policy") for n in range(6)]
    ideas += [pitched(6, Outcome.REJECTED), pitched(7, None), pitched(8, Outcome.APPROVED, challenge="other")]
    stages = stages_of(ideas[:6], [])
    assert set(stages) == {f"i{n}" for n in range(6)} and all(s.version == 0 for s in stages.values())
    later = T0 + timedelta(days=4)
    for n in range(4):
        st.shortlist(challenge, stages[f"i{n}"], actor_id=DANA, now=later)
    after = CLOSES + timedelta(days=1)
    st.choose_finalists(challenge, stages.values(), ["i0", "i1"], actor_id=DANA, now=after)
    st.choose_winners(challenge, stages.values(), ["i0"], actor_id=DANA, now=after + timedelta(days=10))
    st.record_funding(
        challenge,
        stages["i0"],
        actor_id=DANA,
        amount=25_000,
        branch="Digital",
        conditions="",
        now=after + timedelta(days=11),
    )

    now = after + timedelta(days=11 + 46)
    report = build_report(challenge, ideas, stages.values(), now, days=DAYS)
    assert report.funnel == {
        "pitched": 8,
        "approved": 6,
        "shortlisted": 4,
        "finalist": 2,
        "winner": 1,
        "implementing": 1,
        "implemented": 0,
    }
    # business days: pitched on a Wednesday, approved on the Friday (2); in the pool from that Friday
    # to the Sunday it was shortlisted: 2 calendar days, 0 business days
    assert report.median_days["in_review"] == 2 and report.median_days["pool"] == 0
    assert report.by_branch == [("Digital", 6), ("Policy", 2)]
    assert dict(report.by_program_area) == {"client_services": 4, "policy": 4} and report.by_level == [("staff", 8)]
    (funded,) = report.funded
    assert funded.reference == "DEN-2026-0000" and funded.amount == 25_000 and funded.stalled and funded.latest is None
    assert report.stalled == [funded]
    assert [r["reference"] for r in report.rows()] == [f"DEN-2026-{n:04d}" for n in range(8)]
    assert set(report.rows()[0]) == set(CSV_COLUMNS) and report.rows()[0]["stage"] == "implementing"
    assert report.rows()[5]["furthest_stage"] == "pool" and report.rows()[5]["not_selected_at"]
    assert report.rows()[6]["stage"] == "" and report.rows()[6]["approval_status"] == "rejected"

    st.file_progress(stages["i0"], actor_id="s0", status=ProgressStatus.DONE, note="", now=now)
    report = build_report(challenge, ideas, stages.values(), now, days=DAYS)
    assert report.funnel["implemented"] == 1 and report.stalled == [] and report.funded[0].stage == Stage.IMPLEMENTED
