"""Switching the Teams edge loses nothing: what one SDK edge stored, the other answers and posts to.

The app runs on one edge (DEN_TEAMS_EDGE), people install it and the bot is added to a team; then
it restarts on the other edge over the same store. There, with the conversation references and
the team's channel the first edge stored: an organiser opens a challenge (card buttons), the call
for ideas is posted as a new post in the channel, a click on its button in the channel sends the
form to the person's 1:1 chat, the pitch goes to their manager, whose card is refreshed
(Universal Actions' automatic `refresh`) and approved, and the submitter hears of it.
"""

from __future__ import annotations

import pytest

from cards import verbs
from tests.e2e.test_den_challenge import (
    CHALLENGE_FORM,
    CHANNEL,
    DANA,
    OLGA,
    STAFF,
    START,
    add_bot_to_team,
    click_in_channel,
    last_card,
    manager_of,
    ministry_settings,
    wait_for_card,
)
from tests.support.edges import EDGES, both_edges
from tests.support.fake_connector import FakeConnector
from tests.support.people import TENANT_ID, VALID_PITCH
from tests.support.running_app import FakeClock, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, User, button, texts

pytestmark = both_edges

SAM, MANAGER = STAFF[0], manager_of(0)


def approval_request(connector: FakeConnector, approver: User) -> dict | None:
    return next(
        (card for sent in connector.to(approver.conversation_id) for card in sent.cards
         if any(a.get("verb") == verbs.APPROVE for a in card.get("actions", []))),
        None,
    )  # fmt: skip


async def refresh(teams: TeamsClient, user: User, card: dict) -> dict:
    """What Teams posts when it shows a card with `refresh` to one of its `userIds`."""
    activity = teams._base(user, "invoke")
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {**card["refresh"], "trigger": "automatic"}
    status, body = await teams.post(activity)
    assert status == 200, body
    return body


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def test_what_one_edge_stored_the_other_answers_and_posts_to(tmp_path, connector, clock, teams_edge):
    other_edge = next(edge for edge in EDGES if edge != teams_edge)
    db = tmp_path / "den.sqlite3"
    connector.add_to_team(CHANNEL)

    first = await start_app(settings_for_test(db, **ministry_settings(tmp_path), teams_edge=teams_edge), clock)
    try:
        teams = TeamsClient(first.messages_url, connector.url, TENANT_ID)
        for someone in (OLGA, DANA, SAM, MANAGER):
            assert await teams.install(someone) == 201
        assert await add_bot_to_team(teams, OLGA) == 201
    finally:
        await first.stop()

    second = await start_app(settings_for_test(db, **ministry_settings(tmp_path), teams_edge=other_edge), clock)
    try:
        teams = TeamsClient(second.messages_url, connector.url, TENANT_ID)
        form = (await teams.click(OLGA, {"verb": verbs.CHALLENGE_NEW})).card
        assert "General" in texts(form), "the channel the first edge remembered is offered"
        opened = await teams.click(OLGA, button(form, verbs.CHALLENGE_OPEN), CHALLENGE_FORM)
        assert "Challenge opened." in texts(opened.card)

        call = await connector.wait_for(
            lambda c: next((s for s in c.in_channel(CHANNEL) if s.activity.get("summary", "").startswith("Call")), None)
        )
        assert call.conversation_id.startswith(f"{CHANNEL};messageid="), "a new post in the stored channel"
        answer = await click_in_channel(teams, SAM, button(call.cards[0], verbs.CHALLENGE_PITCH))
        assert answer["value"] == "The form is in your chat with Deputy's Den."
        await wait_for_card(connector, SAM, "Pitch an idea")
        pitch_form = last_card(connector, SAM, "Pitch an idea")
        receipt = await teams.click(SAM, button(pitch_form, verbs.PITCH_SUBMIT), VALID_PITCH)
        assert "Thanks, your idea is in!" in texts(receipt.card)

        ask = await connector.wait_for(lambda c: approval_request(c, MANAGER))
        refreshed = await refresh(teams, MANAGER, ask)
        assert refreshed["type"] == "application/vnd.microsoft.card.adaptive"
        assert button(refreshed["value"], verbs.APPROVE), "the refreshed card still asks its approver to decide"
        decided = await teams.click(MANAGER, button(refreshed["value"], verbs.APPROVE), {})
        assert "You decided: Approved" in texts(decided.card)
        await connector.wait_for(
            lambda c: any("approved your idea" in texts(card) for s in c.to(SAM.conversation_id)
                          for card in s.cards) or None
        )  # fmt: skip
    finally:
        await second.stop()
    chats_created_for = {c["members"][0]["aadObjectId"] for c in connector.created if not c.get("isGroup")}
    assert chats_created_for.isdisjoint(p.aad_id for p in (OLGA, DANA, SAM, MANAGER)), (
        "everyone the first edge met was reached through the conversation it stored, none through a new chat"
    )
    assert connector.to(MANAGER.conversation_id) and connector.to(SAM.conversation_id)
