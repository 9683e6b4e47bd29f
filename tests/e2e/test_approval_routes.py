"""Lean approval routes over HTTP: the real app, a controlled clock, the demo org (Olivia Grant
is away), Teams-shaped activities in, and the local Bot Connector recording what goes out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cards import verbs
from tests.support.fake_connector import FakeConnector
from tests.support.inbox import card_saying, cards_to
from tests.support.people import AMIR, DIANE, MAYA, NOAH, OLIVIA, PRIYA, SAM, VALID_PITCH
from tests.support.running_app import FakeClock
from tests.support.teams_client import TeamsClient, User, action, button, nodes, texts, verbs_on
from tests.support.timers import TIMERS_BY_REQUEST, run_timer

TORONTO = ZoneInfo("America/Toronto")
MONDAY = datetime(2026, 11, 9, 9, 0, tzinfo=TORONTO)
ASKS = "An idea needs your decision"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def app_settings() -> dict:
    return TIMERS_BY_REQUEST


@pytest.fixture
async def teams(teams: TeamsClient) -> TeamsClient:
    """Everyone in these tests has the app installed."""
    for person in (SAM, NOAH, PRIYA, MAYA, OLIVIA, DIANE, AMIR):
        await teams.install(person)
    return teams


def deciding(card: dict) -> bool:
    return any(node.get("verb") == verbs.APPROVE for node in nodes(card))


async def pitch(teams: TeamsClient, user: User, **changes) -> dict:
    result = await teams.click(user, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, {**VALID_PITCH, **changes})
    assert result.status == 200 and "Thanks, your idea is in!" in texts(result.card)
    return result.card


async def decide(teams: TeamsClient, user: User, card: dict, verb: str = verbs.APPROVE, comment: str = ""):
    result = await teams.click(user, action(card, verb), {"comment": comment})
    assert result.status == 200
    return result


async def refresh(teams: TeamsClient, user: User, card: dict) -> dict:
    """What Teams does when an old card with `refresh` is shown again."""
    result = await teams.click(user, card["refresh"]["action"])
    assert result.status == 200
    return result.card


async def test_a_low_cost_idea_skips_the_adms_decision_and_informs_them(teams, connector):
    receipt = await pitch(teams, SAM, cost_band="10k_50k")
    assert "Why this route: Under $50,000, the manager and the director decide" in texts(receipt)
    assert "Kept informed (no decision needed): Amir Haddad (ADM)" in texts(receipt)
    await decide(teams, MAYA, await card_saying(connector, MAYA, ASKS))
    await decide(teams, DIANE, await card_saying(connector, DIANE, ASKS))

    fyi = await card_saying(connector, AMIR, "For your information")
    assert not deciding(fyi) and "no decision is needed from you" in texts(fyi)
    assert not cards_to(connector, AMIR, ASKS), "the ADM is never asked to decide"
    approved = await card_saying(connector, SAM, "approved for the Den")
    assert "Amir Haddad was informed" in texts(approved)

    said = await teams.click(AMIR, button(fyi, verbs.COMMENT), {"comment": "Good work, keep me posted."})
    assert "your comment is recorded" in texts(said.card)
    told = await card_saying(connector, SAM, "Amir Haddad commented on")
    assert "Good work, keep me posted." in texts(told)


async def test_an_approver_away_with_a_delegate(teams, connector):
    form = (await teams.click(OLIVIA, {"verb": verbs.DELEGATE_OPEN, "data": {}})).card
    saved = await teams.click(
        OLIVIA, action(form, verbs.DELEGATE_SET), {"delegateId": MAYA.aad_id, "lastDay": "2026-11-20"}
    )
    assert texts(saved.card).count("Maya Singh acts for you until the end of") == 1, "one confirmation"
    assert "handed over" not in texts(saved.card), "no count of nothing"
    loop = await teams.click(
        MAYA, action(form, verbs.DELEGATE_SET), {"delegateId": OLIVIA.aad_id, "lastDay": "2026-11-20"}
    )
    assert "go round in circles" in texts(loop.card), "delegation cannot loop"

    await pitch(teams, NOAH)
    asked = await card_saying(connector, MAYA, ASKS)
    assert "Olivia Grant is away; you act for them as the colleague they named." in texts(asked)
    assert not cards_to(connector, OLIVIA, ASKS)
    decided = await decide(teams, MAYA, asked)
    assert "Maya Singh, acting for Olivia Grant" in texts(decided.card)
    update = await card_saying(connector, NOAH, "approved your idea")
    assert "Approved by Maya Singh, acting for Olivia Grant" in texts(update)
    assert deciding(await card_saying(connector, DIANE, ASKS))


async def test_an_approver_away_without_a_delegate(teams, connector):
    receipt = await pitch(teams, NOAH)
    assert "Now with Diane Tremblay (Director)" in texts(receipt)
    assert "Olivia Grant was away and named nobody to act for them: passed to the next level" in texts(receipt)
    asked = await card_saying(connector, DIANE, ASKS)
    assert deciding(asked)
    assert not cards_to(connector, OLIVIA, ASKS), "nothing waits with someone who is away"


async def test_a_reassign(teams, connector):
    await pitch(teams, SAM)
    maya_card = await card_saying(connector, MAYA, ASKS)
    reassign = button(maya_card, verbs.REASSIGN)
    no_reason = await teams.click(MAYA, reassign, {"reassignTo": PRIYA.aad_id, "reassignReason": ""})
    assert "Please say why" in no_reason.message
    own = await teams.click(MAYA, reassign, {"reassignTo": SAM.aad_id, "reassignReason": "You know it best"})
    assert "pitched this idea" in own.message
    done = await teams.click(
        MAYA, reassign, {"reassignTo": "priya.patel@ministry.example", "reassignReason": "Priya runs this program"}
    )
    assert "Passed to Priya Patel" in texts(done.card) and not deciding(done.card)

    priya_card = await card_saying(connector, PRIYA, ASKS)
    assert "Maya Singh passed this to you: Priya runs this program" in texts(priya_card)
    late = await teams.click(MAYA, action(maya_card, verbs.APPROVE), {"comment": ""})
    assert late.message == "Only Priya Patel can decide this step. Nothing was changed."
    stale = await refresh(teams, MAYA, maya_card)
    assert "Now with Priya Patel (Staff)" in texts(stale) and not deciding(stale), "her own level, not the step's"
    await decide(teams, PRIYA, priya_card)
    assert deciding(await card_saying(connector, DIANE, ASKS))


async def test_a_withdrawal_updates_the_approvers_card(teams, connector):
    receipt = await pitch(teams, SAM)
    maya_card = await card_saying(connector, MAYA, ASKS)
    withdrawn = await teams.click(SAM, button(receipt, verbs.WITHDRAW), {"withdrawReason": "Another team is on it"})
    assert "is withdrawn" in texts(withdrawn.card)

    notice = await card_saying(connector, MAYA, "withdrew this idea")
    assert not deciding(notice) and verbs_on(notice) == [verbs.VIEW_IDEA], "only View"
    shown_again = await refresh(teams, MAYA, maya_card)
    assert "Sam Chen withdrew this idea. Nothing more is needed from you." in texts(shown_again)
    assert "Another team is on it" in texts(shown_again) and not deciding(shown_again)
    late = await teams.click(MAYA, action(maya_card, verbs.APPROVE), {"comment": ""})
    assert late.status == 200 and not deciding(late.card)
    again = await teams.click(SAM, button(receipt, verbs.WITHDRAW), {})
    assert "can't be withdrawn" in again.message


async def test_a_withdrawal_replaces_the_approvers_live_cards_in_place(app, teams, connector, clock):
    receipt = await pitch(teams, SAM)
    request = await card_saying(connector, MAYA, ASKS)
    clock.now = datetime(2026, 11, 12, 10, 0, tzinfo=TORONTO)  # 3 business days: a reminder, a second live card
    assert (await run_timer(app, "nudges"))["reminders"] == 1
    await card_saying(connector, MAYA, "Reminder: an idea is waiting")
    live = [s.activity_id for s in connector.to(MAYA.conversation_id) if s.cards and deciding(s.cards[0])]
    assert len(live) == 2

    await teams.click(SAM, button(receipt, verbs.WITHDRAW), {"withdrawReason": "Another team is on it"})

    def replaced(c: FakeConnector) -> list | None:
        puts = [s for s in c.to(MAYA.conversation_id) if s.method == "PUT"]
        return puts if len(puts) >= 2 else None

    puts = await connector.wait_for(replaced)
    assert sorted(p.activity["id"] for p in puts) == sorted(live), "each live card, in place"
    new_notices = [s for s in connector.to(MAYA.conversation_id) if s.method == "POST" and "withdrew" in str(s.cards)]
    assert new_notices == [], "the cards updated in place say it: no second, identical card"
    for put in puts:
        shown = texts(put.cards[0])
        assert "Sam Chen withdrew this idea. Nothing more is needed from you." in shown and not deciding(put.cards[0])
        assert "Another team is on it" in shown
    late = await teams.click(MAYA, action(request, verbs.APPROVE), {"comment": ""})
    assert "Sam Chen withdrew this idea. Nothing more is needed from you." in texts(late.card)
    assert not deciding(late.card)
    french = await teams.click(MAYA, action(request, verbs.REJECT), {"comment": "Non"}, locale="fr-CA")
    assert "Sam Chen a retiré cette idée." in texts(french.card)
    stranger = await teams.click(NOAH, action(request, verbs.APPROVE), {"comment": ""})
    assert "withdrew" not in str(stranger.body), "nobody else learns of it from a forwarded card"


async def test_an_escalation_after_the_waiting_period(app, teams, connector, clock):
    await pitch(teams, SAM, cost_band="under_10k")  # Maya and Diane decide; Amir is informed
    await decide(teams, MAYA, await card_saying(connector, MAYA, ASKS))
    diane_card = await card_saying(connector, DIANE, ASKS)
    clock.now = datetime(2026, 11, 12, 10, 0, tzinfo=TORONTO)  # Thursday: 3 business days
    assert await run_timer(app, "nudges") == {"reminders": 1, "submittersTold": 0, "escalated": 0}
    clock.now = datetime(2026, 11, 20, 10, 0, tzinfo=TORONTO)  # 9 business days: not yet
    assert (await run_timer(app, "nudges"))["escalated"] == 0
    clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=TORONTO)  # Monday: 10 business days
    assert (await run_timer(app, "nudges"))["escalated"] == 1
    assert (await run_timer(app, "nudges"))["escalated"] == 0, "the new holder gets the full period"

    amir_card = await card_saying(connector, AMIR, ASKS)
    assert "No decision from Diane Tremblay in 10 business days, so this comes to you." in texts(amir_card)
    stale = await refresh(teams, DIANE, diane_card)
    assert "Now with Amir Haddad (ADM)" in texts(stale) and not deciding(stale)
    await decide(teams, AMIR, amir_card)
    approved = await card_saying(connector, SAM, "approved for the Den")
    assert "escalated to Amir Haddad" in texts(approved)


async def test_a_second_look_that_succeeds(teams, connector):
    await pitch(teams, SAM)
    await decide(teams, MAYA, await card_saying(connector, MAYA, ASKS), verbs.REJECT, "Not a priority this year.")
    rejected = await card_saying(connector, SAM, "did not approve")
    ask = button(rejected, verbs.SECOND_LOOK)
    no_reason = await teams.click(SAM, ask, {"secondLookReason": " "})
    assert "Please say why" in no_reason.message
    asked = await teams.click(SAM, ask, {"secondLookReason": "It saves 400 hours a year; see the pilot figures."})
    assert "Diane Tremblay has been asked for a second look" in texts(asked.card)

    diane_card = await card_saying(connector, DIANE, ASKS)
    assert "Sam Chen asks you for a second look: It saves 400 hours a year" in texts(diane_card)
    assert "Not a priority this year." in texts(diane_card)
    await decide(teams, DIANE, diane_card)
    assert deciding(await card_saying(connector, AMIR, ASKS))
    again = await teams.click(SAM, ask, {"secondLookReason": "once more"})
    assert again.message and "Nothing was changed" in again.message
