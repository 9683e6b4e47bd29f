"""A challenge with finalists, stored directly: the starting point of pitch day's tests (the
challenge's own tests cover how ideas get there)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.model import Idea, Person, Role
from bot.domain.pitch import Pitch
from bot.domain.stage import IdeaStage, Stage, StageChange
from bot.ports import ConversationRecord, channel_recipient
from tests.support.chains import build_chain
from tests.support.people import VALID_PITCH

T0 = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)
CHANNEL_KEY = "19:den-channel@thread.tacv2"
OLGA_ID = "a7c6d9e8-b1c3-44d5-a0f1-6c7d8e9f0a07"  # the demo org's Den organiser
DANA_ID = "f6a5b8d7-a0b2-43c4-9fe0-5b6c7d8e9f06"  # the sponsor DM
TITLES = ["Tell us once", "Plain-language letters", "Open data for grants", "Shared intake desk", "Digital signatures"]


def a_challenge(cid: str = "den-2026", *, peoples_choice: bool = True, channel_key: str = CHANNEL_KEY) -> Challenge:
    window = (T0 - timedelta(days=60), T0 - timedelta(days=30))
    draft = ChallengeDraft("The 2026 Den", "How can we serve clients better?", (DANA_ID,), *window,
                           pitch_day=date(2026, 11, 20), peoples_choice=peoples_choice)  # fmt: skip
    made = Challenge.open_new(challenge_id=cid, draft=draft, actor_id=OLGA_ID, is_organiser=True,
                              now=T0 - timedelta(days=61))
    made.channel_key = channel_key
    made.finalists_chosen_at, made.finalists_chosen_by = T0 - timedelta(days=5), DANA_ID
    return made


def finalist_ideas(challenge: Challenge, count: int = 5) -> list[Idea]:
    ideas = []
    for n in range(count):
        submitter = Person(f"staff-{n}", f"Staff Member {n}")
        idea, _ = Idea.submit(idea_id=f"00000000-0000-4000-9000-{n:012d}", reference=f"DEN-2025-{n + 1:04d}",
                              submitter=submitter, pitch=Pitch(**{**VALID_PITCH, "title": TITLES[n % len(TITLES)]}),
                              chain=build_chain(submitter, [Person("maya", "Maya", Role.MANAGER)]),
                              now=T0 - timedelta(days=50))  # fmt: skip
        idea.challenge = challenge.id
        ideas.append(idea)
    return ideas


def finalist_stage(idea: Idea, challenge: Challenge) -> IdeaStage:
    at = T0 - timedelta(days=10)
    history = [StageChange(1, None, Stage.POOL, at, "amir"), StageChange(2, Stage.POOL, Stage.SHORTLISTED, at, DANA_ID),
               StageChange(3, Stage.SHORTLISTED, Stage.FINALIST, at, DANA_ID)]  # fmt: skip
    return IdeaStage(idea.id, challenge.id, idea.submitter.id, Stage.FINALIST, history)


async def seed(store, *, connector_url: str = "", count: int = 5, peoples_choice: bool = True,
               channel_key: str = CHANNEL_KEY):
    """Store a challenge whose finalists are chosen, and (with a connector) the channel it posts to."""
    challenge = a_challenge(peoples_choice=peoples_choice, channel_key=channel_key)
    await store.add_challenge(challenge)
    ideas = finalist_ideas(challenge, count)
    for idea in ideas:
        await store.add(idea)
    await store.write_stages(challenge, [finalist_stage(i, challenge) for i in ideas])
    if connector_url:
        await store.save_conversation(ConversationRecord(
            user_id=channel_recipient(CHANNEL_KEY), user_name="General", conversation_id=CHANNEL_KEY,
            service_url=connector_url, tenant_id="", channel_id="msteams", bot_id="28:deputys-den-bot",
            bot_name="Deputy's Den", user_channel_id="", locale="en-CA", updated_at=T0,
        ))  # fmt: skip
    return challenge, ideas
