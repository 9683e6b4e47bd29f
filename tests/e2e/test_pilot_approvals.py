"""The pilot rehearsal's approval defects, over HTTP: ending a delegation (the button, typed, in
French) sends new ideas back to the approver; deciding from "my approvals" keeps the list, and so
does opening one idea from it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cards import verbs
from tests.support.inbox import card_saying, cards_to
from tests.support.people import DIANE, MAYA, PRIYA, SAM, VALID_PITCH
from tests.support.running_app import FakeClock
from tests.support.teams_client import TeamsClient, User, action, button, input_values, nodes, texts
from tests.support.timers import TIMERS_BY_REQUEST

TORONTO = ZoneInfo("America/Toronto")
MONDAY = datetime(2026, 11, 9, 9, 0, tzinfo=TORONTO)
ASKS = "An idea needs your decision"
ENDED = "Your acting approver arrangement has ended: new steps come to you again."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def app_settings() -> dict:
    return TIMERS_BY_REQUEST


@pytest.fixture
async def teams(teams: TeamsClient) -> TeamsClient:
    for person in (SAM, PRIYA, MAYA, DIANE):
        await teams.install(person)
    return teams


async def pitch(teams: TeamsClient, user: User, n: int = 0) -> dict:
    """A distinct pitch each time (so the duplicate check has nothing to say)."""
    topic = ["letters", "forms", "kiosks", "maps"][n % 4]
    fields = {**VALID_PITCH, "title": f"Idea number {n}: {topic} online", "solution": f"Solution {n}: a new way.",
              "problem": f"Problem {n}: " + VALID_PITCH["problem"]}  # fmt: skip
    result = await teams.click(user, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, fields)
    assert result.status == 200 and "Thanks, your idea is in!" in texts(result.card), texts(result.card)
    return result.card


async def latest_card(connector, user: User, phrase: str) -> dict:
    return await card_saying(connector, user, phrase, count=len(cards_to(connector, user, phrase)) + 1)


async def delegate_to_priya(teams: TeamsClient) -> dict:
    form = (await teams.click(MAYA, {"verb": verbs.DELEGATE_OPEN, "data": {}})).card
    saved = await teams.click(MAYA, action(form, verbs.DELEGATE_SET), {"delegateId": PRIYA.aad_id,
                                                                      "lastDay": "2026-11-20"})  # fmt: skip
    assert "Priya Patel acts for you until the end of" in texts(saved.card)
    return saved.card


async def test_an_approver_back_early_ends_the_delegation_and_new_ideas_come_to_them(teams, connector):
    form = await delegate_to_priya(teams)
    await pitch(teams, SAM, 1)
    assert "you act for" in texts(await card_saying(connector, PRIYA, ASKS)).lower()

    # The button sends none of the form's inputs: the required person and last day do not stop it.
    end = action(form, verbs.DELEGATE_END)
    assert end.get("associatedInputs") == "none"
    ended = await teams.click(MAYA, end)
    assert ENDED in texts(ended.card)
    assert not any(node.get("verb") == verbs.DELEGATE_END for node in nodes(ended.card))
    back_with_maya = await card_saying(connector, MAYA, ASKS)  # the waiting step came back
    assert "Idea number 1" in texts(back_with_maya)

    await pitch(teams, SAM, 2)
    asked = await card_saying(connector, MAYA, "Idea number 2")
    assert ASKS in texts(asked) and not cards_to(connector, PRIYA, "Idea number 2")

    # Typed, in English and in French.
    await delegate_to_priya(teams)
    await teams.say(MAYA, "I'm back")
    assert ENDED in texts(await card_saying(connector, MAYA, ENDED))
    await delegate_to_priya(teams)
    await teams.say(MAYA, "Je suis de retour", locale="fr-CA")
    told = await card_saying(connector, MAYA, "a pris fin")
    assert told.get("lang") == "fr"
    await pitch(teams, SAM, 3)
    assert button(await card_saying(connector, MAYA, "Idea number 3"), verbs.APPROVE)
    assert not cards_to(connector, PRIYA, "Idea number 3")


def box(card: dict, n: int = 0) -> str:
    """The comment box of the n-th idea waiting in a my-approvals list (each is named by its idea)."""
    return [b for b in nodes(card) if b.get("verb") == verbs.APPROVE][n]["data"]["commentField"]


async def test_deciding_from_my_approvals_keeps_the_list(teams, connector):
    for n in range(3):
        await pitch(teams, SAM, n)
    await card_saying(connector, MAYA, ASKS, count=3)
    await teams.say(MAYA, "my approvals")
    listed = await card_saying(connector, MAYA, "Waiting for your decision")
    assert "3 waiting" in texts(listed)

    approved = await teams.click(MAYA, button(listed, verbs.APPROVE), {box(listed): "Good", box(listed, 2): "Later"})
    card = approved.card
    assert "Decided: Approved. Sam Chen will be told." in texts(card)
    assert "2 waiting" in texts(card)
    assert [n["data"]["ideaId"] for n in nodes(card) if n.get("verb") == verbs.APPROVE] == [
        n["data"]["ideaId"] for n in nodes(listed) if n.get("verb") == verbs.APPROVE
    ][1:]
    assert input_values(card)[box(listed, 2)] == "Later", "what was typed under another idea is kept"

    # A refusal (no comment for a return) says why under that idea; the list and the mark stay.
    refused = await teams.click(MAYA, button(card, verbs.RETURN), {box(card): ""})
    assert "Please add a comment so Sam Chen knows what to change or why." in texts(refused.card)
    assert "Decided: Approved." in texts(refused.card) and "2 waiting" in texts(refused.card)

    returned = await teams.click(MAYA, button(refused.card, verbs.RETURN), {box(refused.card): "Say what it costs"})
    assert texts(returned.card).count("Decided:") == 2 and "1 waiting" in texts(returned.card)
    assert "Decided: Returned for changes." in texts(returned.card)
    last = await teams.click(MAYA, button(returned.card, verbs.APPROVE), {box(returned.card): ""})
    assert texts(last.card).count("Decided:") == 3 and "Nothing else is waiting for your decision." in texts(last.card)
    assert ASKS in texts(await card_saying(connector, DIANE, ASKS, count=2))


async def test_opening_one_idea_from_my_approvals_keeps_the_list_and_posts_the_idea_below(teams, connector):
    for n in range(2):
        await pitch(teams, SAM, n)
    await card_saying(connector, MAYA, ASKS, count=2)
    await teams.say(MAYA, "my approvals")
    listed = await card_saying(connector, MAYA, "Waiting for your decision")
    second = [n for n in nodes(listed) if n.get("verb") == verbs.OPEN_APPROVAL][1]

    before = len(cards_to(connector, MAYA, "Idea number 1"))  # the request and the list name it
    opened = await teams.click(MAYA, second, {box(listed): "typed, not sent", box(listed, 1): ""})
    kept = opened.card  # the list again, as it was: the approver keeps their place and what they typed
    assert "Waiting for your decision" in texts(kept) and "2 waiting" in texts(kept)
    assert input_values(kept)[box(listed)] == "typed, not sent"
    assert "DEN-2026-0002 is open below, on its own card." in texts(kept)
    assert [n["data"]["ideaId"] for n in nodes(kept) if n.get("verb") == verbs.APPROVE] == [
        n["data"]["ideaId"] for n in nodes(listed) if n.get("verb") == verbs.APPROVE
    ]
    below = await card_saying(connector, MAYA, "Idea number 1", count=before + 1)
    assert "Waiting for your decision" not in texts(below)
    assert button(below, verbs.APPROVE)["data"]["ideaId"] == second["data"]["ideaId"]
    assert "Solution 1: a new way." in texts(below), "the idea itself, in full"

    # Deciding it on its own card, then from the list: the list, still there, carries on.
    await teams.click(MAYA, button(below, verbs.APPROVE), {"comment": ""})
    from_list = await teams.click(MAYA, button(kept, verbs.APPROVE), {box(kept): ""})
    assert "Waiting for your decision" in texts(from_list.card) and "Nothing else is waiting" in texts(from_list.card)

    # An Open on a list posted before this change (no list in its data) keeps the card as it is.
    old = await teams.click(MAYA, {"verb": verbs.OPEN_APPROVAL, "data": {"ideaId": second["data"]["ideaId"]}})
    assert old.message == "DEN-2026-0002 is open below, on its own card."

    await teams.say(MAYA, "mes approbations", locale="fr-CA")
    french = await card_saying(connector, MAYA, "Rien n’attend votre décision")
    assert french.get("lang") == "fr"
