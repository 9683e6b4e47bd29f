"""Similar ideas and asking to connect, over HTTP: the receipt offers similar shared ideas, the form
checks for them, *Ask to connect* reaches the submitter with only the asker's branch, and names are
shown only after *Accept* (never after *Decline*, never to anyone else)."""

from __future__ import annotations

from bot.i18n import Messages
from cards import verbs
from tests.e2e.test_core_loop import last_card_with, pitch
from tests.support.people import MAYA, PRIYA, SAM, VALID_PITCH
from tests.support.tab_ideas import PRIYA_PERSON, a_pitch, an_idea
from tests.support.teams_client import button, nodes, texts

SIMILAR = an_idea(90, a_pitch("One address change for every program", VALID_PITCH["problem"], VALID_PITCH["solution"]),
                  submitter=PRIYA_PERSON, approved=True, shared=True)
KEPT = an_idea(91, a_pitch("Address change kept to its route", VALID_PITCH["problem"], VALID_PITCH["solution"]),
               submitter=PRIYA_PERSON, approved=True, shared=False)


async def receipt_with_similar(app, teams, connector):
    await app.store.add(SIMILAR)
    await app.store.add(KEPT)
    await teams.install(PRIYA)
    return await pitch(teams, connector, SAM)


async def test_the_receipt_offers_only_shared_ideas_and_no_names(app, teams, connector):
    receipt = await receipt_with_similar(app, teams, connector)
    shown = texts(receipt)
    assert "Similar ideas already in the Den" in shown
    assert SIMILAR.reference in shown and KEPT.reference not in shown
    assert "Priya" not in shown
    ask = button(receipt, verbs.CONNECT_ASK)
    assert ask["data"] == {"ideaId": SIMILAR.id}


async def test_ask_accept_and_both_learn_the_names(app, teams, connector):
    receipt = await receipt_with_similar(app, teams, connector)
    sent = await teams.click(SAM, button(receipt, verbs.CONNECT_ASK))
    assert SIMILAR.reference in sent.message and "Priya" not in sent.message
    asked = await connector.wait_for(lambda c: last_card_with(c, PRIYA, verbs.CONNECT_ACCEPT))
    assert "Someone in Client Services Branch is working on something similar" in texts(asked)
    assert "Sam" not in texts(asked)
    accepted = await teams.click(PRIYA, button(asked, verbs.CONNECT_ACCEPT))
    assert "Sam Chen" in texts(accepted.card)

    def answer_to_sam(c):
        return next((card for s in c.to(SAM.conversation_id) for card in s.cards
                     if "You are connected" in texts(card)), None)

    answer = await connector.wait_for(answer_to_sam)
    assert "Priya Patel accepted your request" in texts(answer)
    chat = [n for n in nodes(answer) if n.get("type") == "Action.OpenUrl"]
    assert chat and chat[0]["url"].startswith("https://teams.microsoft.com/l/chat/0/0?users=priya.patel")


async def test_decline_shares_no_name(app, teams, connector):
    receipt = await receipt_with_similar(app, teams, connector)
    await teams.click(SAM, button(receipt, verbs.CONNECT_ASK))
    asked = await connector.wait_for(lambda c: last_card_with(c, PRIYA, verbs.CONNECT_DECLINE))
    declined = await teams.click(PRIYA, button(asked, verbs.CONNECT_DECLINE))
    assert "Sam" not in texts(declined.card)

    def answer_to_sam(c):
        return next((card for s in c.to(SAM.conversation_id) for card in s.cards
                     if "Not this time" in texts(card)), None)

    answer = await connector.wait_for(answer_to_sam)
    assert "Priya" not in texts(answer)


async def test_only_the_owner_answers(app, teams, connector):
    receipt = await receipt_with_similar(app, teams, connector)
    await teams.click(SAM, button(receipt, verbs.CONNECT_ASK))
    asked = await connector.wait_for(lambda c: last_card_with(c, PRIYA, verbs.CONNECT_ACCEPT))
    await teams.install(MAYA)
    refused = await teams.click(MAYA, button(asked, verbs.CONNECT_ACCEPT))
    assert "Sam" not in str(refused.body)
    request = await app.store.get_connect_request(f"{SIMILAR.id}:{SAM.aad_id}")
    assert request.state == "pending"


async def test_nobody_asks_about_an_idea_that_is_not_shared(app, teams, connector):
    await receipt_with_similar(app, teams, connector)
    refused = await teams.click(SAM, {"verb": verbs.CONNECT_ASK, "data": {"ideaId": KEPT.id}})
    assert refused.message == Messages("en-US").t("approval.not_found")  # as for an idea that does not exist
    assert await app.store.get_connect_request(f"{KEPT.id}:{SAM.aad_id}") is None


async def test_the_form_checks_for_similar_ideas_and_keeps_what_was_typed(app, teams, connector):
    await app.store.add(SIMILAR)
    await teams.install(SAM)
    await teams.say(SAM, "pitch")
    form = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.PITCH_SIMILAR))
    checked = await teams.click(SAM, button(form, verbs.PITCH_SIMILAR), {**VALID_PITCH, "share": "true"})
    assert SIMILAR.reference in texts(checked.card)
    values = {n["id"]: n.get("value") for n in nodes(checked.card) if str(n.get("type", "")).startswith("Input.")}
    assert values["title"] == VALID_PITCH["title"] and values["share"] == "true"
