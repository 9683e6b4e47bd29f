"""The pilot rehearsal's digest defects, over HTTP: on a Monday a DM types `digest`; its Shortlist
button works (it answered "Sorry, I don't recognise that button"); an idea that has since been
funded says so (not "Shortlisted"), one not selected offers no Shortlist; the header says "today"
(not "the week of Mon, Dec 7 to Mon, Dec 7"); and the sponsor's challenge card comes with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.den_report import stage_entry
from bot.domain.stage import Stage, StageChange
from cards import verbs
from tests.support.inbox import card_saying, cards_to
from tests.support.people import AMIR, DANA, DIANE, MAYA, SAM, VALID_PITCH
from tests.support.running_app import FakeClock
from tests.support.teams_client import TeamsClient, action, button, nodes, texts
from tests.support.timers import TIMERS_BY_REQUEST

TORONTO = ZoneInfo("America/Toronto")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=TORONTO)
ASKS = "An idea needs your decision"
TITLES = ("Tell us once", "Plain-language letters", "Open data for grants")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def app_settings() -> dict:
    return {**TIMERS_BY_REQUEST, "digest_on_request": True}


async def approved_ideas_in_danas_challenge(app, teams: TeamsClient, connector) -> tuple[Challenge, list[str]]:
    draft = ChallengeDraft("The 2026 Den", "How could clients tell us things only once?", (DANA.aad_id,),
                           MONDAY - timedelta(days=7), MONDAY + timedelta(days=7))  # fmt: skip
    challenge = Challenge.open_new(challenge_id="den-2026", draft=draft, actor_id="olga", is_organiser=True,
                                   now=MONDAY - timedelta(days=8))  # fmt: skip
    await app.store.add_challenge(challenge)
    for person in (SAM, MAYA, DIANE, AMIR, DANA):
        await teams.install(person)
    for n, title in enumerate(TITLES):
        fields = {**VALID_PITCH, "title": title, "problem": f"{n}: {VALID_PITCH['problem']}"}
        result = await teams.click(SAM, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, fields)
        assert "Thanks, your idea is in!" in texts(result.card)
    for approver in (MAYA, DIANE, AMIR):
        for card in [await card_saying(connector, approver, title) for title in TITLES]:
            await teams.click(approver, action(card, verbs.APPROVE), {"comment": ""})
    ids = {i.pitch.title: i.id for i in await app.store.list_challenge_ideas(challenge.id)}
    return challenge, [ids[t] for t in TITLES]


async def move(app, challenge_id: str, idea_id: str, *path: Stage) -> None:
    """Stages a sponsor's later decisions would give (their own flows are tested elsewhere)."""
    stage = await app.store.get_stage(idea_id) or stage_entry(await app.store.get(idea_id))  # in the pool
    for target in path:
        stage.history.append(StageChange(len(stage.history) + 1, stage.stage, target, MONDAY, DANA.aad_id))
        stage.stage = target
    await app.store.write_stages(await app.store.get_challenge(challenge_id), [stage])


def shortlist_buttons(card: dict) -> list[str]:
    return [n["data"]["ideaId"] for n in nodes(card) if n.get("verb") == verbs.DIGEST_SHORTLIST]


async def test_the_digest_typed_on_a_monday_shortlists_and_shows_where_each_idea_is(app, teams, connector):
    challenge, (once, letters, grants) = await approved_ideas_in_danas_challenge(app, teams, connector)
    await teams.say(DANA, "digest")
    digest = await card_saying(connector, DANA, "Your Den today")
    shown = texts(digest)
    assert "today so far" in shown and " to " not in shown.split("\n")[1], "no 'Dec 7 to Dec 7'"
    assert "Today" in shown and "This week" not in shown
    assert set(shortlist_buttons(digest)) == {once, letters, grants}
    # The sponsor's challenge card is part of the digest.
    challenge_card = await card_saying(connector, DANA, "The 2026 Den")
    assert challenge_card is not digest and "Shortlist for the Den" not in texts(challenge_card)

    shortlisted = await teams.click(DANA, button(digest, verbs.DIGEST_SHORTLIST) | {
        "data": {**button(digest, verbs.DIGEST_SHORTLIST)["data"], "ideaId": once}}, {})  # fmt: skip
    assert shortlisted.card is not None, shortlisted.message
    assert (await app.store.get_stage(once)).stage == Stage.SHORTLISTED
    assert set(shortlist_buttons(shortlisted.card)) == {letters, grants}

    # Later: "Tell us once" is funded, "Plain-language letters" not selected.
    await move(app, challenge.id, once, Stage.FINALIST, Stage.WINNER, Stage.IMPLEMENTING)
    await move(app, challenge.id, letters, Stage.NOT_SELECTED)
    before = len(cards_to(connector, DANA, "Your Den today"))
    await teams.say(DANA, "digest")
    again = await card_saying(connector, DANA, "Your Den today", count=before + 1)
    shown = texts(again)
    assert "Funded: being implemented" in shown and "Not selected" in shown
    assert "\nShortlisted" not in shown, "a funded idea is not shown as merely shortlisted"
    assert shortlist_buttons(again) == [grants], "only the idea still in the pool offers Shortlist"
