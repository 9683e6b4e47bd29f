"""A Den challenge with a history, for the dashboard's tests: ideas pitched over several weeks by people
of several branches and levels, decided at different speeds, some still waiting, a shortlist, finalists,
winners, funding and follow-ups (one overdue). Made with the domain itself and written to a store."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import stage as st
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.model import ApprovalStep, Idea, Outcome, Person, Role
from bot.domain.panel import Panel
from bot.domain.stage import ProgressStatus
from tests.support.people import AMIR, DANA, DIANE, MAYA
from tests.support.running_app import settings_for_test, start_app
from tests.support.tab_ideas import a_pitch

OLGA_ID = "c9e8f1a2-d3e5-46f7-8c13-8e9f0a1b2c09"  # the demo organiser
OPENS = datetime(2026, 9, 1, 13, 0, tzinfo=UTC)
CLOSES = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # a Monday
CHALLENGE_ID = "c-tell-us-once"
CHAIN = [
    ApprovalStep(MAYA.aad_id, MAYA.name, Role.MANAGER),
    ApprovalStep(DIANE.aad_id, DIANE.name, Role.DIRECTOR),
    ApprovalStep(AMIR.aad_id, AMIR.name, Role.ADM),
]
BRANCHES = ("Client Services Branch", "Service Design Branch", "Digital Branch", "Policy Branch")
AREAS = ("client_services", "digital_it", "policy", "programs_grants")
TITLES = (
    "Tell us once: one address change", "Plain-language letters", "Online permit renewals",
    "Text reminders for appointments", "Shared calendar for counters", "Bilingual chat for clients",
    "Pre-filled renewal forms", "Weekend counter hours", "One number for every program",
    "Digital signatures for approvals", "Queue times on the website", "Students' ideas board",
)


def a_challenge(sponsor: str = DANA.aad_id) -> Challenge:
    draft = ChallengeDraft("Tell us once", "How can clients tell us something only once?", (sponsor,), OPENS, CLOSES)
    challenge = Challenge.open_new(challenge_id=CHALLENGE_ID, draft=draft, actor_id=OLGA_ID, is_organiser=True,
                                   now=OPENS - timedelta(days=7))
    challenge.finalist_count = 3
    return challenge


def pitched(n: int, *, line: tuple[str, ...] = (DANA.aad_id,), challenge: str = CHALLENGE_ID) -> Idea:
    """The n-th idea: branch, area, level and week vary with n; every third is still waiting somewhere."""
    level = (Role.STAFF, Role.STAFF, Role.MANAGER)[n % 3]
    submitter = Person(f"staff-{n}", f"Person {n}", level, branch=BRANCHES[n % len(BRANCHES)])
    when = OPENS + timedelta(days=2 * n, hours=n % 5)
    idea, _ = Idea.submit(
        idea_id=f"00000000-0000-4000-9000-{n:012d}", reference=f"DEN-2026-{100 + n:04d}", submitter=submitter,
        pitch=a_pitch(TITLES[n % len(TITLES)] + (f" ({n})" if n >= len(TITLES) else ""), area=AREAS[n % 4]),
        chain=list(CHAIN), now=when, line_ids=[s.approver_id for s in CHAIN] + list(line),
    )
    idea.challenge = challenge
    steps = (3, 3, 1, 3, 2, 3)[n % 6]  # how many levels have decided
    moment = when
    for index in range(steps):
        moment += timedelta(days=1 + (n + index) % 4, hours=2)
        outcome = Outcome.REJECTED if n % 7 == 6 and index == 1 else Outcome.APPROVED
        idea.decide(actor_id=CHAIN[index].approver_id, step_index=index, revision=1, outcome=outcome, comment="c",
                    now=moment)
        if not idea.is_open:
            break
    return idea


async def seed_challenge(store, count: int = 14, *, winners: bool = True) -> tuple[Challenge, list[Idea]]:
    """The challenge and `count` ideas, with stages: shortlisted, finalists, then (`winners`) winners,
    funding and updates."""
    challenge = a_challenge()
    challenge.peoples_choice = True
    await store.add_challenge(challenge)
    ideas = [pitched(n) for n in range(count)]
    for idea in ideas:
        if idea.status.value == "rejected" and idea.lesson is None:  # what its submitter learned, shared
            idea.record_lesson(actor_id=idea.submitter.id, text="Start with one program: six at once was too many.",
                               shared=True, now=NOW - timedelta(days=30))
        await store.add(idea)
    approved = [i for i in ideas if i.status.value == "approved"]
    stages = {i.id: st.IdeaStage.enter_pool(idea_id=i.id, challenge_id=challenge.id, owner_id=i.submitter.id,
                                            at=i.decisions[-1].decided_at, by=i.decisions[-1].approver_id)
              for i in approved}
    after = CLOSES + timedelta(days=2)
    shortlist = [i.id for i in approved[:5]]
    for idea_id in shortlist:
        st.shortlist(challenge, stages[idea_id], actor_id=DANA.aad_id, now=after)
    st.choose_finalists(challenge, stages.values(), shortlist[:3], actor_id=DANA.aad_id, now=after + timedelta(days=6))
    if not winners:
        await store.write_stages(challenge, list(stages.values()))
        return challenge, ideas
    winners = shortlist[:2]
    st.choose_winners(challenge, stages.values(), winners, actor_id=DANA.aad_id, now=after + timedelta(days=20))
    for n, idea_id in enumerate(winners):
        st.record_funding(challenge, stages[idea_id], actor_id=DANA.aad_id, amount=(25_000, 140_000)[n],
                          branch="Digital Branch", conditions="", now=after + timedelta(days=21))
    st.give_consent(stages[winners[0]], actor_id=stages[winners[0]].owner_id, consent=True)  # may be named
    # The first winner reports every month; the second has not reported since its funding (overdue).
    st.file_progress(stages[winners[0]], actor_id=stages[winners[0]].owner_id, status=ProgressStatus.ON_TRACK,
                     note="Pilot in two offices.", now=NOW - timedelta(days=10))
    await store.write_stages(challenge, list(stages.values()))
    return challenge, ideas


CHANNEL = "19:den-general@thread.tacv2"


@asynccontextmanager
async def den_app(tmp_path: Path, *, winners: bool = True, channel: bool = False, panel: bool = False):
    """The real app on its own store, Olga Kowalski its organiser, the clock at NOW, the challenge seeded;
    `channel`: posted to a team's channel; `panel`: Maya and Diane judge, Diane chairs."""
    settings = settings_for_test(tmp_path / "den.sqlite3", spool_path=str(tmp_path / "spool.sqlite3"),
                                 organiser_ids=frozenset({OLGA_ID}))
    app = await start_app(settings, clock=lambda: NOW)
    challenge, _ = await seed_challenge(app.store, winners=winners)
    challenge = await app.store.get_challenge(challenge.id)
    if channel:
        challenge.channel_key = CHANNEL
        await app.store.update_challenge(challenge)
    if panel:
        judges = [MAYA.aad_id, DIANE.aad_id]
        await app.store.save_panel(Panel.name(challenge=challenge, judge_ids=judges, chair_id=DIANE.aad_id,
                                              known_ids=judges, actor_id=OLGA_ID, is_organiser=True, now=NOW))
    try:
        yield app
    finally:
        await app.stop()
