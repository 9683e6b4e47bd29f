"""Lessons learned, over HTTP: when an idea ends without going ahead, its submitter is invited once
(on the card that says so) to write what was learned; with consent it is shown, with the idea, to
the whole public service; without, it stays with its submitter."""

from __future__ import annotations

import aiohttp

from cards import verbs
from tests.e2e.test_core_loop import approval_card_for, pitch
from tests.e2e.test_sharing import last_card_with_button, only_idea_of
from tests.support.people import DIANE, MAYA, PRIYA, SAM
from tests.support.teams_client import button, texts

LESSON = "Talk to the regional offices before pitching: they knew the demand."


async def rejected_idea(app, teams, connector):
    for person in (MAYA, DIANE):
        await teams.install(person)
    await pitch(teams, connector, SAM)
    card = await approval_card_for(connector, MAYA)
    reject = button(card, verbs.REJECT)
    await teams.click(MAYA, reject, {"comment": "Not this year: the budget is committed."})
    return await connector.wait_for(lambda c: last_card_with_button(c, SAM, verbs.LESSON_OPEN))


async def tab_titles(app, who, **query):
    async with aiohttp.ClientSession(base_url=app.url) as session:
        async with session.get("/tab/api/ideas", params=query,
                               headers={"Authorization": f"Bearer demo:{who.aad_id}"}) as response:
            return await response.text()


async def test_the_invitation_comes_once_with_the_rejection_and_a_shared_lesson_is_found(app, teams, connector):
    invitation = await rejected_idea(app, teams, connector)
    assert "Share what you learned" in texts(invitation)
    await teams.click(SAM, button(invitation, verbs.LESSON_OPEN))
    form = await connector.wait_for(lambda c: last_card_with_button(c, SAM, verbs.LESSON_SAVE))
    thanks = await teams.click(SAM, button(form, verbs.LESSON_SAVE), {"lesson": LESSON, "shareLesson": "true"})
    assert "Thank you for sharing what you learned" in texts(thanks.card)
    idea = await only_idea_of(app, SAM)
    assert idea.lesson.text == LESSON and idea.lesson.shared
    found = await tab_titles(app, PRIYA, lessons="1", q="regional")
    assert idea.pitch.title in found and "Talk to the <mark>regional</mark> offices" in found
    invitations = [card for s in connector.to(SAM.conversation_id) for card in s.cards
                   if any(n.get("verb") == verbs.LESSON_OPEN for n in [*card.get("actions", [])])]
    assert len(invitations) == 1  # invited once


async def test_a_lesson_kept_private_stays_with_its_submitter(app, teams, connector):
    invitation = await rejected_idea(app, teams, connector)
    await teams.click(SAM, button(invitation, verbs.LESSON_OPEN))
    form = await connector.wait_for(lambda c: last_card_with_button(c, SAM, verbs.LESSON_SAVE))
    thanks = await teams.click(SAM, button(form, verbs.LESSON_SAVE), {"lesson": LESSON, "shareLesson": "false"})
    assert "you can share it later" in texts(thanks.card)
    assert "Talk to the" not in await tab_titles(app, PRIYA, lessons="1", q="regional")
    assert "Talk to the" not in await tab_titles(app, MAYA, lessons="1", q="regional")
    idea = await only_idea_of(app, SAM)
    for who, shown in ((MAYA, False), (SAM, True)):
        async with aiohttp.ClientSession(base_url=app.url) as session:
            async with session.get(f"/tab/api/ideas/{idea.id}",
                                   headers={"Authorization": f"Bearer demo:{who.aad_id}"}) as response:
                assert ("Talk to the regional" in await response.text()) is shown


async def test_nobody_else_writes_the_lesson_and_an_idea_still_going_has_none(app, teams, connector):
    invitation = await rejected_idea(app, teams, connector)
    refused = await teams.click(MAYA, button(invitation, verbs.LESSON_OPEN))
    assert refused.body and "couldn't find" in str(refused.body)
    await pitch(teams, connector, PRIYA)
    open_idea = await only_idea_of(app, PRIYA)
    refused = await teams.click(PRIYA, {"verb": verbs.LESSON_SAVE, "data": {"ideaId": open_idea.id}},
                                {"lesson": LESSON})
    assert (await only_idea_of(app, PRIYA)).lesson is None


async def tab(app, who, path, form=None, locale="en-CA"):
    headers = {"Authorization": f"Bearer demo:{who.aad_id}", "X-Den-Locale": locale}
    async with aiohttp.ClientSession(base_url=app.url) as session:
        if form is None:
            async with session.get(path, headers=headers) as response:
                return response.status, await response.text()
        async with session.post(path, data=form, headers=headers) as response:
            return response.status, await response.text()


async def test_withdrawing_from_my_ideas_in_the_tab_invites_a_lesson_as_the_chat_does(app, teams, connector):
    await teams.install(MAYA)
    await pitch(teams, connector, SAM)
    idea = await only_idea_of(app, SAM)
    status, mine = await tab(app, SAM, "/tab/api/mine")
    assert status == 200 and idea.pitch.title in mine and f"/tab/api/ideas/{idea.id}/withdraw" in mine
    # Only its submitter withdraws it: anyone else is answered as for an idea that does not exist.
    status, _ = await tab(app, MAYA, f"/tab/api/ideas/{idea.id}/withdraw", {"reason": "mine now"})
    assert status == 404 and (await only_idea_of(app, SAM)).status.value == "in_review"
    status, _ = await tab(app, SAM, f"/tab/api/ideas/{idea.id}/withdraw", {"reason": "x" * 501})
    assert status == 200 and (await only_idea_of(app, SAM)).status.value == "in_review", "too long: nothing done"

    status, page = await tab(app, SAM, f"/tab/api/ideas/{idea.id}/withdraw", {"reason": "Another team does it"},
                             locale="fr-CA")
    assert status == 200 and (await only_idea_of(app, SAM)).status.value == "withdrawn"
    assert f"L’idée {idea.reference} a été retirée." in page
    assert "Dire ce que vous avez appris" in page and "Ce que vous avez appris peut aider" in page
    assert f'href="#/idea/{idea.id}"' in page and f"/tab/api/ideas/{idea.id}/withdraw" not in page
    told = await connector.wait_for(lambda c: next(
        (card for s in c.to(MAYA.conversation_id) for card in s.cards if "withdrew" in texts(card)), None))
    assert idea.reference in texts(told)

    status, page = await tab(app, SAM, f"/tab/api/ideas/{idea.id}")
    assert 'data-post="/tab/api/ideas/' in page and "/lesson" in page, "the idea's page has the lesson form"
    status, page = await tab(app, SAM, f"/tab/api/ideas/{idea.id}/lesson", {"lesson": LESSON, "share": "true"})
    assert "Saved: thank you for sharing what you learned." in page
    assert "Talk to the" in (await tab_titles(app, PRIYA, lessons="1", q="regional"))
    status, mine = await tab(app, SAM, "/tab/api/mine")
    assert "Write what you learned" not in mine, "invited once: the invitation was on the answer to the withdrawal"


async def test_the_idea_page_in_the_tab_offers_its_submitter_the_same_withdraw(app, teams, connector):
    await teams.install(MAYA)
    await pitch(teams, connector, SAM)
    idea = await only_idea_of(app, SAM)
    withdraw = f'data-post="/tab/api/ideas/{idea.id}/withdraw"'
    status, page = await tab(app, SAM, f"/tab/api/ideas/{idea.id}", locale="fr-CA")
    assert status == 200 and withdraw in page and 'name="back" value="idea"' in page
    assert "Retirer de l’examen" in page and "Retirer cette idée? Son examen prendra fin" in page, "asks again"
    status, page = await tab(app, MAYA, f"/tab/api/ideas/{idea.id}")
    assert status == 200 and withdraw not in page, "only its submitter is offered it"

    status, page = await tab(app, SAM, f"/tab/api/ideas/{idea.id}/withdraw",
                             {"reason": "Another team does it", "back": "idea"})
    assert status == 200 and (await only_idea_of(app, SAM)).status.value == "withdrawn"
    assert f"{idea.reference} is withdrawn. Whoever held it has been told." in page
    assert withdraw not in page and f"/tab/api/ideas/{idea.id}/lesson" in page, "its page again, with the lesson form"
    told = await connector.wait_for(lambda c: next(
        (card for s in c.to(MAYA.conversation_id) for card in s.cards if "withdrew" in texts(card)), None))
    assert idea.reference in texts(told)
    status, page = await tab(app, SAM, f"/tab/api/ideas/{idea.id}/withdraw", {"back": "idea"})
    assert status == 200 and "already been decided or withdrawn" in page, "a second try changes nothing"
