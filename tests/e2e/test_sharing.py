"""Sharing by consent, over HTTP: the pitch form asks (off by default), My ideas changes it, the tab
changes it too (its submitter only), and the details card links to the idea's page in the Den tab."""

from __future__ import annotations

import aiohttp

from cards import verbs
from tests.e2e.test_core_loop import last_card_with, pitch
from tests.support.people import MAYA, PRIYA, SAM
from tests.support.teams_client import action, button, input_values, nodes, texts


def last_card_with_button(connector, user, verb):
    """The latest card sent to `user` with a button of that verb anywhere in it (body ActionSets too)."""
    for sent in reversed(connector.to(user.conversation_id)):
        for card in sent.cards:
            if any(n.get("verb") == verb for n in nodes(card)):
                return card
    return None


async def only_idea_of(app, user):
    ideas = await app.store.list_by_submitter(user.aad_id)
    assert len(ideas) == 1
    return ideas[0]


async def test_the_form_asks_and_sharing_is_off_unless_ticked(app, teams, connector):
    await teams.install(SAM)
    await teams.say(SAM, "pitch")
    form = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.PITCH_SUBMIT))
    toggle = next(n for n in nodes(form) if n.get("id") == "share")
    assert toggle["type"] == "Input.Toggle" and toggle["value"] == "false"
    await pitch(teams, connector, SAM)
    assert (await only_idea_of(app, SAM)).shared is False
    await pitch(teams, connector, PRIYA, share="true")
    assert (await only_idea_of(app, PRIYA)).shared is True


async def test_a_form_sent_back_for_a_mistake_keeps_the_consent(teams, connector):
    await teams.install(SAM)
    await teams.say(SAM, "pitch")
    form = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.PITCH_SUBMIT))
    result = await teams.click(SAM, action(form, verbs.PITCH_SUBMIT), {"title": "", "share": "true"})
    assert input_values(result.card)["share"] == "true"


async def test_my_ideas_shares_and_stops_sharing(app, teams, connector):
    await pitch(teams, connector, SAM)
    await teams.say(SAM, "my ideas")
    mine = await connector.wait_for(lambda c: last_card_with_button(c, SAM, verbs.IDEA_SHARE))
    shared = await teams.click(SAM, button(mine, verbs.IDEA_SHARE))
    assert (await only_idea_of(app, SAM)).shared is True
    assert "Shared with the public service" in texts(shared.card)
    await teams.click(SAM, button(shared.card, verbs.IDEA_SHARE))
    assert (await only_idea_of(app, SAM)).shared is False


async def test_nobody_but_the_submitter_changes_the_consent(app, teams, connector):
    await pitch(teams, connector, SAM)
    idea = await only_idea_of(app, SAM)
    await teams.install(MAYA)
    refused = await teams.click(MAYA, {"verb": verbs.IDEA_SHARE, "data": {"ideaId": idea.id, "shared": True}})
    assert refused.status == 200
    assert (await only_idea_of(app, SAM)).shared is False
    async with aiohttp.ClientSession(base_url=app.url) as session:
        for who, expected in ((MAYA, 404), (SAM, 200)):
            async with session.post(f"/tab/api/ideas/{idea.id}/sharing", data={"shared": "true"},
                                    headers={"Authorization": f"Bearer demo:{who.aad_id}"}) as response:
                assert response.status == expected
                body = await response.text()
    assert "Saved: this idea is shared." in body
    assert (await only_idea_of(app, SAM)).shared is True


async def test_view_opens_the_idea_in_the_den_tab_signed_in_as_the_reader(app, teams, connector):
    """Authentication off and no Teams app id (a local trial): each View button is the tab's own page
    for the idea, signed in as whoever the card was sent to, in their language; the page shows it."""
    await teams.install(MAYA)
    receipt = await pitch(teams, connector, SAM)
    idea = await only_idea_of(app, SAM)
    view = next(a for a in receipt["actions"] if a["type"] == "Action.OpenUrl")
    assert view["title"] == f"View {idea.reference}"
    assert view["url"] == f"{app.url}tab?as={SAM.aad_id}&lang=en#/idea/{idea.id}"
    request = await connector.wait_for(lambda c: last_card_with(c, MAYA, verbs.APPROVE))
    maya_view = next(a for a in nodes(request) if a.get("type") == "Action.OpenUrl")
    assert maya_view["url"] == f"{app.url}tab?as={MAYA.aad_id}&lang=en#/idea/{idea.id}"
    async with aiohttp.ClientSession() as session:
        for link in (view["url"], maya_view["url"]):  # what the shell asks for that address
            shell_url, route = link.split("#/")
            reader = shell_url.split("as=")[1].split("&")[0]
            async with session.get(shell_url) as shell:
                assert shell.status == 200
            async with session.get(f"{app.url}tab/api/{route.replace('idea/', 'ideas/')}",
                                   headers={"Authorization": f"Bearer demo:{reader}"}) as page:
                assert page.status == 200
                assert idea.pitch.title in await page.text()
    # The details card (the chat's own view) keeps its *Open in the Den tab*.
    await teams.click(SAM, button(receipt, verbs.VIEW_IDEA))
    card = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.MY_IDEAS))
    links = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    assert [a["title"] for a in links] == ["Open in the Den tab"]
    assert links[0]["url"].endswith(f"/tab?as={SAM.aad_id}&lang=en#/idea/{idea.id}")
