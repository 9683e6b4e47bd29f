"""Where an idea stands in its Den challenge, as its submitter sees it over HTTP ("my ideas" and the
idea's details card), from the pool to funded, a monthly update due, filed, and implemented; an idea
the chain did not approve says it never entered. Also: an organiser named only through the Entra
group (DEN_ORGANISER_GROUP_ID) gets the organisers' welcome.

The real app with a controlled clock and the local Bot Connector; the ministry of
tests/e2e/test_den_challenge.py (its helpers too).
"""

from __future__ import annotations

from datetime import datetime

import aiohttp
import pytest

from cards import verbs
from tests.e2e.test_den_challenge import (
    AMIR,
    CHALLENGE_FORM,
    CHANNEL,
    DANA,
    OLGA,
    STAFF,
    TORONTO,
    add_bot_to_team,
    asked_to_decide,
    decide_button,
    director_of,
    last_card,
    manager_of,
    ministry_settings,
    settle,
)
from tests.support.fake_connector import FakeConnector
from tests.support.people import VALID_PITCH
from tests.support.running_app import FakeClock
from tests.support.teams_client import TeamsClient, User, button, texts
from tests.support.timers import run_timer

START = datetime(2026, 9, 1, 10, 0, tzinfo=TORONTO)
PITCHER, TURNED_DOWN = STAFF[0], STAFF[1]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def app_settings(tmp_path) -> dict:
    return ministry_settings(tmp_path)  # Olga is an organiser through the Entra group only


async def my_ideas(teams: TeamsClient, connector: FakeConnector, user: User, locale: str = "en-US") -> dict:
    before = len(connector.to(user.conversation_id))
    french = locale.startswith("fr")
    await teams.say(user, "mes idées" if french else "my ideas", locale=locale)
    title = "Mes idées" if french else "My ideas"

    def answered(c: FakeConnector) -> dict | None:
        found = [card for s in c.to(user.conversation_id)[before:] for card in s.cards if title in texts(card)]
        return found[-1] if found else None

    return await connector.wait_for(answered)


async def details_of(teams: TeamsClient, connector: FakeConnector, user: User, locale: str = "en-US") -> str:
    """The details card of the person's most recent idea, as the View button posts it (a new card)."""
    shown = await my_ideas(teams, connector, user, locale)
    before = len(connector.to(user.conversation_id))
    await teams.click(user, button(shown, verbs.VIEW_IDEA))

    def posted(c: FakeConnector) -> str | None:
        found = [texts(card) for s in c.to(user.conversation_id)[before:] for card in s.cards]
        return next((t for t in found if t.startswith("Idea DEN-")), None)

    return await connector.wait_for(posted)


async def approve_all(teams: TeamsClient, connector: FakeConnector, k: int, idea_id: str) -> None:
    for approver in (manager_of(k), director_of(k), AMIR):
        await connector.wait_for(lambda c, a=approver: asked_to_decide(c, a, idea_id) or None, 15)
        await teams.click(approver, decide_button(connector, approver, idea_id, verbs.APPROVE), {"comment": ""})


@pytest.mark.parametrize("ending", ["done", "stopped"])
async def test_my_ideas_and_details_follow_the_idea_through_the_challenge(app, teams, connector, clock, ending):
    connector.add_to_team(CHANNEL)
    for someone in (DANA, AMIR, OLGA, PITCHER, TURNED_DOWN, manager_of(0), director_of(0)):
        await teams.install(someone)
    welcome = connector.to(OLGA.conversation_id)[0].cards[0]
    assert "As a Den organiser you run the challenge" in texts(welcome), "organiser through the Entra group"
    assert await add_bot_to_team(teams, OLGA) in (200, 201)

    form = (await teams.click(OLGA, {"verb": verbs.CHALLENGE_NEW})).card
    fields = {**CHALLENGE_FORM, "name": "Tell us *once*", "peoples_choice": "false"}
    opened = await teams.click(OLGA, button(form, verbs.CHALLENGE_OPEN), fields)
    challenge_id = button(opened.card, verbs.CHALLENGE_CLOSE)["data"]["challengeId"]

    ideas = {}
    for user in (PITCHER, TURNED_DOWN):
        submit = {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None, "challengeId": challenge_id}}
        result = await teams.click(user, submit, {**VALID_PITCH, "title": f"Idea of {user.name}"})
        assert "Thanks, your idea is in!" in texts(result.card)
        ideas[user] = button(result.card, verbs.VIEW_IDEA)["data"]["ideaId"]
    assert "Tell us \\*once\\*: In approval" in texts(await my_ideas(teams, connector, PITCHER))

    await settle(app, clock)
    await approve_all(teams, connector, 0, ideas[PITCHER])
    await connector.wait_for(lambda c: asked_to_decide(c, manager_of(1), ideas[TURNED_DOWN]) or None, 15)
    await teams.click(
        manager_of(1),
        decide_button(connector, manager_of(1), ideas[TURNED_DOWN], verbs.REJECT),
        {"comment": "Not this year"},
    )
    await settle(app, clock)

    # ---- approved: in the pool; not approved: it never entered (not "in approval") ----------------------
    shown = texts(await my_ideas(teams, connector, PITCHER))
    assert "Tell us \\*once\\*: In the pool" in shown and "In this stage since" in shown
    shown = texts(await my_ideas(teams, connector, TURNED_DOWN))
    assert "Pitched to Tell us \\*once\\*. It did not enter the challenge." in shown and "In approval" not in shown
    seen = await details_of(teams, connector, PITCHER)
    assert "In the Den challenge\nTell us \\*once\\*: In the pool" in seen

    # ---- shortlisted, finalist, winner, funded ---------------------------------------------------------
    clock.now = datetime(2026, 9, 15, 9, 0, tzinfo=TORONTO)
    await settle(app, clock)
    await teams.click(DANA, {"verb": verbs.DEN_SHORTLIST, "data": {"ideaId": ideas[PITCHER]}})
    assert "Tell us \\*once\\*: Shortlisted" in await details_of(teams, connector, PITCHER)
    pool = (await teams.click(DANA, {"verb": verbs.DEN_POOL, "data": {"challengeId": challenge_id}})).card
    await teams.click(DANA, button(pool, verbs.DEN_FINALISTS), {"picks": ideas[PITCHER]})
    assert "Tell us \\*once\\*: Finalist" in await details_of(teams, connector, PITCHER)
    clock.now = datetime(2026, 10, 16, 9, 0, tzinfo=TORONTO)
    pool = (await teams.click(DANA, {"verb": verbs.DEN_POOL, "data": {"challengeId": challenge_id}})).card
    pool = (await teams.click(DANA, button(pool, verbs.DEN_WINNERS), {"picks": ideas[PITCHER], "reason": ""})).card
    assert "Tell us \\*once\\*: Winner" in texts(await my_ideas(teams, connector, PITCHER))
    fund_form = (await teams.click(DANA, button(pool, verbs.DEN_FUND_FORM))).card
    await teams.click(
        DANA, button(fund_form, verbs.DEN_FUND), {"amount": "$75,000", "branch": "Digital *Branch*", "conditions": ""}
    )
    seen = await details_of(teams, connector, PITCHER)
    assert "Tell us \\*once\\*: Funded: being implemented" in seen
    assert "The first monthly implementation update is asked for a month later." in seen
    assert "$75,000" in seen and "Digital \\*Branch\\*" in seen

    # ---- a month on: the update is due; filed; then done -----------------------------------------------
    clock.advance(days=31)
    assert "Its monthly implementation update is due." in texts(await my_ideas(teams, connector, PITCHER))
    assert (await run_timer(app, "nudges"))["followUps"] == 1
    await settle(app, clock)
    follow_up = last_card(connector, PITCHER, "How is implementation going?")
    await teams.click(PITCHER, button(follow_up, verbs.DEN_PROGRESS), {"status": "on_track", "note": ""})
    shown = texts(await my_ideas(teams, connector, PITCHER))
    assert "Last implementation update: On track" in shown and "is due" not in shown
    fr = texts(await my_ideas(teams, connector, PITCHER, locale="fr-CA"))
    assert "Dernier état d’avancement\u00a0: En bonne voie" in fr
    if ending == "stopped":
        await stopped_with_a_lesson(app, teams, connector, follow_up, ideas[PITCHER])
        return
    await teams.click(PITCHER, button(follow_up, verbs.DEN_PROGRESS), {"status": "done", "note": "Live everywhere"})
    seen = await details_of(teams, connector, PITCHER)
    assert "Tell us \\*once\\*: Implemented" in seen and "Implemented: reported done" in seen


async def stopped_with_a_lesson(
    app, teams: TeamsClient, connector: FakeConnector, follow_up: dict, idea_id: str
) -> None:
    """A funded idea whose implementation stopped: the note says why; the card thanks, invites a
    lesson once; the lesson, shared, is on the idea's page and in the tab's Lessons learned."""
    progress = button(follow_up, verbs.DEN_PROGRESS)
    refused = await teams.click(PITCHER, progress, {"status": "stopped", "note": ""})
    assert "Please add a note saying what puts it at risk, blocks it or stopped it." in texts(refused.card)
    filed = await teams.click(PITCHER, progress, {"status": "stopped", "note": "The vendor left the market"})
    shown = texts(filed.card)
    assert "Stopped: it will not go ahead" in shown and "It is marked stopped: no more check-ins." in shown
    invitation = button(filed.card, verbs.LESSON_OPEN)
    assert (await teams.click(PITCHER, invitation)).status == 200
    lesson = "Line up a second vendor before funding: one supplier was a single point of failure."
    thanks = await teams.click(PITCHER, {"verb": verbs.LESSON_SAVE, "data": {"ideaId": idea_id}},
                               {"lesson": lesson, "shareLesson": "true"})
    assert "Thank you for sharing what you learned" in texts(thanks.card)
    assert "Tell us \\*once\\*: Implementation stopped" in texts(await my_ideas(teams, connector, PITCHER))
    async with aiohttp.ClientSession(base_url=app.url) as session:
        for path in ("/tab/api/ideas?lessons=1&q=vendor", f"/tab/api/ideas/{idea_id}"):
            async with session.get(path, headers={"Authorization": f"Bearer demo:{manager_of(2).aad_id}"}) as page:
                assert page.status == 200, path
                assert "second vendor" in (await page.text()).replace("<mark>", "").replace("</mark>", "")
