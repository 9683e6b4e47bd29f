"""Issue #14 over HTTP: each person's language (Teams locale, or the remembered Français / English
switch), cards written in the reader's language, views posted as new cards, an idea's details,
revised pitches, validation next to the field, and role-specific welcomes."""

from __future__ import annotations

import pytest

from cards import verbs
from tests.support.fake_connector import FakeConnector
from tests.support.inbox import card_saying, cards_to
from tests.support.people import AMIR, DANA, DIANE, MAYA, PRIYA, SAM, VALID_PITCH
from tests.support.teams_client import TeamsClient, User, action, button, input_values, nodes, texts


async def next_card(connector: FakeConnector, user: User, before: int) -> dict:
    sent = await connector.wait_for(lambda c: [x for s in c.to(user.conversation_id)[before:] for x in s.cards] or None)
    return sent[-1]


async def pitch(teams: TeamsClient, user: User = SAM, **changes) -> dict:
    await teams.install(user)
    form = {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}
    result = await teams.click(user, form, {**VALID_PITCH, **changes})
    assert result.status == 200
    return result.card


async def test_a_french_teams_locale_gets_french_without_asking(teams, connector):
    await teams.install(SAM)
    before = len(cards_to(connector, SAM))
    await teams.say(SAM, "aide", locale="fr-CA")
    shown = texts(await next_card(connector, SAM, before))
    assert "Comment fonctionne Deputy's Den" in shown or "Proposer une idée" in shown
    assert "Pitch an idea" not in shown


async def test_the_language_switch_is_remembered_and_each_reader_gets_their_own(teams, connector, app):
    """Sam chooses French (his Teams is in English); Maya reads English. Each card is in its reader's language."""
    for person in (SAM, MAYA):
        await teams.install(person)
    welcome = await card_saying(connector, SAM, "Welcome to Deputy's Den")
    before = len(cards_to(connector, SAM))
    switched = await teams.click(SAM, action(welcome, verbs.LANGUAGE))
    assert switched.message == "Je vous écrirai désormais en français.", "the welcome card stays as it was"
    french_card = await next_card(connector, SAM, before)
    french_welcome = texts(french_card)
    assert "Bienvenue" in french_welcome and "English" in french_welcome
    assert french_card["lang"] == "fr" and welcome["lang"] == "en", "screen readers read each in its language"
    assert await app.store.get_language(SAM.aad_id) == "fr"

    before = len(cards_to(connector, SAM))
    await teams.say(SAM, "help")  # typed in English, from an English Teams: the choice still holds
    assert "Proposer une idée" in texts(await next_card(connector, SAM, before))

    receipt = await pitch(teams, SAM)
    assert "Merci, votre idée a bien été reçue" in texts(receipt)
    maya_card = await card_saying(connector, MAYA, "An idea needs your decision")
    assert "Approval chain" in texts(maya_card), "Maya reads English whatever language Sam writes in"
    assert maya_card["lang"] == "en"
    await teams.click(MAYA, action(maya_card, verbs.APPROVE), {"comment": ""})
    update = await card_saying(connector, SAM, "Maya Singh, gestionnaire")
    assert "approved your idea" not in texts(update)

    before = len(cards_to(connector, SAM))
    await teams.say(SAM, "english")
    assert "Welcome to Deputy's Den" in texts(await next_card(connector, SAM, before))
    assert await app.store.get_language(SAM.aad_id) == "en"


async def test_my_ideas_on_the_receipt_posts_a_new_card_and_keeps_the_receipt(teams, connector):
    """Issue #14: the My ideas button replaced the receipt, and with it the only view of the chain."""
    receipt = await pitch(teams, SAM)
    before = len(cards_to(connector, SAM))
    result = await teams.click(SAM, action(receipt, verbs.MY_IDEAS))
    assert result.body["type"] == "application/vnd.microsoft.activity.message", "the receipt is not replaced"
    mine = texts(await next_card(connector, SAM, before))
    assert "My ideas" in mine and VALID_PITCH["title"] in mine

    before = len(cards_to(connector, SAM))
    await teams.click(SAM, action(receipt, verbs.VIEW_IDEA))
    details = texts(await next_card(connector, SAM, before))
    assert VALID_PITCH["solution"] in details and "Where it is now" in details and "Deciding now" in details


async def test_a_rejected_idea_lists_no_next_approver(teams, connector):
    """Issue #14: a rejected idea still listed the later approvers as "Next"."""
    for person in (MAYA, DIANE):
        await teams.install(person)
    await pitch(teams, SAM)
    card = await card_saying(connector, MAYA, "An idea needs your decision")
    decided = await teams.click(MAYA, action(card, verbs.REJECT), {"comment": "Not this year"})
    update = await card_saying(connector, SAM, "did not approve")
    for shown in (texts(decided.card), texts(update)):
        assert "Next" not in shown
        assert "Not reached" in shown
    assert "Rejected by Maya Singh" in texts(update) and "Comment: Not this year" in texts(update)


async def test_a_revised_pitch_is_marked_with_what_changed_and_the_earlier_comment(teams, connector):
    """Issue #14: a revised pitch reached the approver looking exactly like a new one."""
    await teams.install(MAYA)
    await pitch(teams, SAM)
    card = await card_saying(connector, MAYA, "An idea needs your decision")
    await teams.click(MAYA, action(card, verbs.RETURN), {"comment": "Please add the cost of the pilot."})
    form = await card_saying(connector, SAM, "asked for changes")
    values = {**input_values(form), "first_steps": "Pilot in two regions; cost about $40,000."}
    await teams.click(SAM, action(form, verbs.PITCH_RESUBMIT), values)
    resent = await card_saying(connector, SAM, "Your revised pitch is on its way")  # posted as a new card

    second = texts(await card_saying(connector, MAYA, "An idea needs your decision", count=2))
    assert "Revision 2: a revised pitch" in second
    assert "Changed in this revision: First steps." in second
    assert "First steps (changed)" in second and "Problem (changed)" not in second
    assert "Your earlier comment: Please add the cost of the pilot." in second

    before = len(cards_to(connector, SAM))
    await teams.click(SAM, action(resent, verbs.VIEW_IDEA))
    details = texts(await next_card(connector, SAM, before))
    assert "Revision history" in details and "Revision 2, sent" in details
    assert "Comment it answers, from Maya Singh: Please add the cost of the pilot." in details
    assert f"First steps before: {VALID_PITCH['first_steps']}" in details, "what changed, not only where"


async def test_a_missing_comment_is_said_under_the_comment_box(teams, connector):
    """Issue #14: "Please add a comment" appeared at the top of a tall card, far from the box."""
    await teams.install(MAYA)
    await pitch(teams, SAM)
    card = await card_saying(connector, MAYA, "An idea needs your decision")
    refused = await teams.click(MAYA, action(card, verbs.REJECT), {"comment": ""})
    body = refused.card["body"]
    where = next(i for i, element in enumerate(body) if element.get("id") == "comment")
    message = "Please add a comment so Sam Chen knows what to change or why."
    assert body[where + 1]["text"] == message, "the message sits right under the box"
    assert body[where]["errorMessage"] == message
    assert all(message != element.get("text") for element in body[:where]), "not repeated at the top"


@pytest.mark.parametrize(
    ("person", "phrase"),
    [
        (SAM, "Pitch it here"),
        (MAYA, "Your staff's ideas come to you here"),
        (AMIR, "Your staff's ideas come to you here"),
        (DANA, "Every Monday you get a digest"),
    ],
)
async def test_each_role_gets_its_own_welcome(teams, connector, person, phrase):
    """Issue #14: approvers and the DM got the staff welcome."""
    await teams.install(person)
    welcome = await card_saying(connector, person, "Welcome to Deputy's Den")
    assert phrase in texts(welcome)
    assert button(welcome, verbs.LANGUAGE)["title"] == "Français"


APPROVER_VERBS = [verbs.MY_APPROVALS, verbs.DELEGATE_OPEN]


def verbs_on(card: dict) -> list[str]:
    """Every button's verb, in the card's actions or in its body."""
    return [node["verb"] for node in nodes(card) if node.get("type") == "Action.Execute" and "verb" in node]


@pytest.mark.parametrize(("person", "approver"), [(MAYA, True), (AMIR, True), (SAM, False), (DANA, False)])
async def test_approvers_welcome_offers_my_approvals_and_an_acting_approver(teams, connector, person, approver):
    """A walk found Maya's welcome with no My approvals nor Someone acts for me (in either language)."""
    await teams.install(person)
    welcome = await card_saying(connector, person, "Welcome to Deputy's Den")
    assert all(v in verbs_on(welcome) for v in APPROVER_VERBS) == approver
    assert any(v in verbs_on(welcome) for v in APPROVER_VERBS) == approver
    switched = await teams.click(person, action(welcome, verbs.LANGUAGE))
    french = await card_saying(connector, person, "Bienvenue")
    assert switched.status == 200 and all(v in verbs_on(french) for v in APPROVER_VERBS) == approver
    if approver:
        assert "Mes approbations" in texts(french)


async def test_a_colleague_a_step_was_passed_to_gets_the_approver_buttons_too(teams, connector):
    await teams.install(MAYA)
    await pitch(teams, SAM)
    asked = await card_saying(connector, MAYA, "An idea needs your decision")
    await teams.install(PRIYA)
    before = await card_saying(connector, PRIYA, "Welcome to Deputy's Den")
    assert not any(v in verbs_on(before) for v in APPROVER_VERBS), "staff, holding nothing yet"
    passed = await teams.click(
        MAYA, button(asked, verbs.REASSIGN), {"reassignTo": PRIYA.aad_id, "reassignReason": "Priya runs it"}
    )
    assert passed.status == 200
    await card_saying(connector, PRIYA, "An idea needs your decision")
    await teams.install(PRIYA)
    after = await card_saying(connector, PRIYA, "Welcome to Deputy's Den", count=2)
    assert all(v in verbs_on(after) for v in APPROVER_VERBS)
