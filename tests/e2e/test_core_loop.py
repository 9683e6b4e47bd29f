"""The core loop over real HTTP: the app on a loopback port, Teams-shaped activities in,
and a local Bot Connector stand-in recording what the bot sends out."""

from __future__ import annotations

import asyncio
import datetime as dt

from cards import verbs
from tests.support.edges import both_edges
from tests.support.fake_connector import FakeConnector
from tests.support.inbox import card_saying
from tests.support.people import AMIR, DIANE, MAYA, PRIYA, SAM, VALID_PITCH
from tests.support.settle import settled
from tests.support.store_probes import pending_outbox
from tests.support.teams_client import TeamsClient, User, action, input_values, texts, verbs_on

pytestmark = both_edges

YEAR = dt.datetime.now(dt.UTC).year


def _asks_decision(card: dict) -> bool:
    return any(a.get("verb") == verbs.APPROVE for a in card.get("actions", []))


def last_card_with(connector: FakeConnector, user: User, verb: str):
    for sent in reversed(connector.to(user.conversation_id)):
        for card in sent.cards:
            if any(a.get("verb") == verb for a in card.get("actions", [])):
                return card
    return None


async def approval_card_for(connector: FakeConnector, user: User, *, count: int = 1):
    """Wait until `user` has received `count` approval cards; return the latest."""

    def ready(c: FakeConnector):
        cards = [
            card
            for sent in c.to(user.conversation_id)
            for card in sent.cards
            if any(a.get("verb") == verbs.APPROVE for a in card.get("actions", []))
        ]
        return cards[-1] if len(cards) >= count else None

    return await connector.wait_for(ready)


async def update_saying(connector: FakeConnector, user: User, phrase: str) -> dict:
    """Wait for a card sent to `user` whose text contains `phrase`; return it."""

    def ready(c: FakeConnector):
        found = [card for sent in c.to(user.conversation_id) for card in sent.cards if phrase in texts(card)]
        return found[-1] if found else None

    return await connector.wait_for(ready)


async def pitch(teams: TeamsClient, connector: FakeConnector, user: User = SAM, **changes) -> dict:
    """Install, ask for the form, fill it in, submit; return the receipt card."""
    await teams.install(user)
    assert await teams.say(user, "pitch") in (200, 201)
    form = await connector.wait_for(lambda c: last_card_with(c, user, verbs.PITCH_SUBMIT))
    result = await teams.click(user, action(form, verbs.PITCH_SUBMIT), {**VALID_PITCH, **changes})
    assert result.status == 200
    return result.card


async def install_approvers(teams: TeamsClient) -> None:
    for approver in (MAYA, DIANE, AMIR):
        await teams.install(approver)


async def test_install_shows_welcome_card_with_the_three_choices_and_the_language_switch(teams, connector):
    assert await teams.install(SAM) in (200, 201)
    card = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.PITCH_OPEN))
    assert "Welcome to Deputy's Den" in texts(card)
    assert [a["verb"] for a in card["actions"]] == [verbs.PITCH_OPEN, verbs.MY_IDEAS, verbs.HELP, verbs.LANGUAGE]
    assert card["actions"][-1]["title"] == "Français"
    assert card["version"] == "1.5"


async def test_invalid_pitch_comes_back_with_values_kept_and_a_message_per_field(teams, connector, app):
    await teams.install(SAM)
    await teams.say(SAM, "new idea")
    form = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.PITCH_SUBMIT))
    bad = {**VALID_PITCH, "title": "   ", "problem": "x" * 2001, "cost_band": "a-million"}

    result = await teams.click(SAM, action(form, verbs.PITCH_SUBMIT), bad)

    assert result.status == 200
    again = result.card
    shown = texts(again)
    assert 'Please fill in "Title of your idea"' in shown
    assert "please keep it to 2,000 characters (you have 2,001)" in shown
    assert 'Please pick one of the options for "Rough cost"' in shown
    values = input_values(again)
    assert values["problem"] == "x" * 2001
    assert values["solution"] == VALID_PITCH["solution"]
    assert action(again, verbs.PITCH_SUBMIT)["data"]["formId"] == action(form, verbs.PITCH_SUBMIT)["data"]["formId"]
    await settled(app.store)
    assert not connector.to(MAYA.conversation_id) and not connector.created, "an invalid pitch reaches nobody"


async def test_valid_pitch_gets_a_receipt_and_the_manager_an_approval_card(teams, connector):
    await install_approvers(teams)
    receipt = await pitch(teams, connector)

    shown = texts(receipt)
    assert f"DEN-{YEAR}-0001" in shown
    assert "Now with Maya Singh (Manager)" in shown
    for name in ("Maya Singh", "Diane Tremblay", "Amir Haddad"):
        assert name in shown, "the receipt shows the whole chain"

    card = await approval_card_for(connector, MAYA)
    shown = texts(card)
    assert VALID_PITCH["title"] in shown and "Pitched by Sam Chen" in shown
    assert [a.get("verb") for a in card["actions"]][:3] == [verbs.APPROVE, verbs.RETURN, verbs.REJECT]
    assert card["actions"][3]["type"] == "Action.ShowCard"  # pass to a colleague
    assert last_card_with(connector, DIANE, verbs.APPROVE) is None, "the director waits for the manager"


async def test_whole_chain_approved_one_click_each(teams, connector):
    await install_approvers(teams)
    await pitch(teams, connector)

    for approver in (MAYA, DIANE, AMIR):
        card = await approval_card_for(connector, approver)
        result = await teams.click(approver, action(card, verbs.APPROVE), {"comment": "Good one"})
        assert result.status == 200
        decided = result.card
        assert "You decided: Approved" in texts(decided)
        verbs_left = verbs_on(decided)
        assert verbs_left == [verbs.VIEW_IDEA], "the decision buttons are gone once decided; View stays"

    for name in ("Maya Singh (Manager)", "Diane Tremblay (Director)"):
        await update_saying(connector, SAM, f"{name} approved your idea DEN-{YEAR}-0001")
    final = await update_saying(connector, SAM, f"DEN-{YEAR}-0001 is approved for the Den")
    assert "Comment: Good one" in texts(final)
    ideas = await teams_my_ideas(teams, connector)
    assert "Approved for the Den" in ideas


async def teams_my_ideas(teams: TeamsClient, connector: FakeConnector, user: User = SAM) -> str:
    before = len(connector.to(user.conversation_id))
    await teams.say(user, "my ideas")
    sent = await connector.wait_for(lambda c: c.to(user.conversation_id)[before:] or None)
    return texts(sent[-1].cards[0])


async def test_reject_needs_a_comment_then_tells_the_submitter(teams, connector, app):
    await install_approvers(teams)
    await pitch(teams, connector)
    card = await approval_card_for(connector, MAYA)

    no_comment = await teams.click(MAYA, action(card, verbs.REJECT), {"comment": "  "})
    assert "Please add a comment" in texts(no_comment.card)
    assert action(no_comment.card, verbs.REJECT), "the buttons stay so the approver can try again"

    result = await teams.click(MAYA, action(card, verbs.REJECT), {"comment": "Already covered by the 2025 plan."})
    assert "You decided: Rejected" in texts(result.card)
    shown = texts(await update_saying(connector, SAM, "Maya Singh (Manager) did not approve"))
    assert "Already covered by the 2025 plan." in shown
    await settled(app.store)
    assert last_card_with(connector, DIANE, verbs.APPROVE) is None


async def test_return_then_resubmit_restarts_at_the_step_that_returned_it(teams, connector, app):
    await install_approvers(teams)
    await pitch(teams, connector)
    await teams.click(MAYA, action(await approval_card_for(connector, MAYA), verbs.APPROVE), {"comment": ""})
    diane_card = await approval_card_for(connector, DIANE)
    returned = await teams.click(DIANE, action(diane_card, verbs.RETURN), {"comment": "Add the pilot's cost."})
    assert "You decided: Returned for changes" in texts(returned.card)

    update = await update_saying(connector, SAM, "Diane Tremblay (Director) asked for changes")
    assert "Add the pilot's cost." in texts(update)
    values = input_values(update)
    assert values["title"] == VALID_PITCH["title"], "the form comes back filled in"
    resubmit = action(update, verbs.PITCH_RESUBMIT)

    revised = {**values, "cost_band": "10k_50k", "first_steps": "Pilot costs $30k over 3 months."}
    sent = await teams.click(SAM, resubmit, revised)
    assert "Its receipt is below." in texts(sent.card), "the form far up the chat becomes a one-line note"
    receipt = await card_saying(connector, SAM, "Your revised pitch is on its way")  # a new card, in view
    assert "Now with Diane Tremblay" in texts(receipt)

    second = await approval_card_for(connector, DIANE, count=2)
    shown = texts(second)
    assert "Pilot costs $30k over 3 months." in shown
    assert "Returned for changes by Diane Tremblay" in shown and "Add the pilot's cost." in shown, "history kept"
    assert action(second, verbs.APPROVE)["data"]["revision"] == 2
    maya_cards = [c for s in connector.to(MAYA.conversation_id) for c in s.cards if _asks_decision(c)]
    assert len(maya_cards) == 1, "the manager, who already approved, is not asked again"

    again = await teams.click(SAM, resubmit, revised)
    assert "Your revised pitch is on its way" in texts(again.card), "a second resubmit click changes nothing"
    await settled(app.store)
    assert len([c for s in connector.to(DIANE.conversation_id) for c in s.cards if _asks_decision(c)]) == 2


async def test_a_revision_that_changes_nothing_is_not_sent_and_the_form_keeps_what_was_typed(teams, connector, app):
    await install_approvers(teams)
    await pitch(teams, connector)
    card = await approval_card_for(connector, MAYA)
    await teams.click(MAYA, action(card, verbs.RETURN), {"comment": "Add the pilot's cost."})
    update = await update_saying(connector, SAM, "Maya Singh (Manager) asked for changes")
    values = input_values(update)

    same = {**values, "title": f"  {values['title']}  "}  # only spaces around it: nothing really changed
    answer = await teams.click(SAM, action(update, verbs.PITCH_RESUBMIT), same)
    shown = texts(answer.card)
    assert "Nothing has changed since this pitch went to Maya Singh, so it was not sent again." in shown
    assert "Add the pilot's cost." in shown, "the approver's comment stays above the form"
    kept = input_values(answer.card)
    assert {k: kept[k] for k in VALID_PITCH} == {k: v.strip() for k, v in VALID_PITCH.items()}, "nothing typed is lost"
    assert action(answer.card, verbs.PITCH_RESUBMIT)["data"]["revision"] == 1, "the same form, ready to send"
    idea = await app.store.get(action(card, verbs.APPROVE)["data"]["ideaId"])
    assert idea.status.value == "returned" and idea.revision == 1 and not idea.earlier_pitches
    await settled(app.store)
    assert len([c for s in connector.to(MAYA.conversation_id) for c in s.cards if _asks_decision(c)]) == 1

    changed = {**kept, "first_steps": "Pilot costs $30k over 3 months."}
    sent = await teams.click(SAM, action(answer.card, verbs.PITCH_RESUBMIT), changed)
    assert "Its receipt is below." in texts(sent.card), "a real change is sent as before"
    assert "Pilot costs $30k over 3 months." in texts(await approval_card_for(connector, MAYA, count=2))


async def test_someone_else_clicking_changes_nothing_and_is_told_why(teams, connector, app):
    await install_approvers(teams)
    await pitch(teams, connector)
    card = await approval_card_for(connector, MAYA)

    forged = await teams.click(PRIYA, action(card, verbs.APPROVE), {"comment": "me too"})
    assert forged.status == 200
    assert forged.message == "Only Maya Singh can decide this step. Nothing was changed."
    submitter_self = await teams.click(SAM, action(card, verbs.APPROVE), {})
    assert "Only Maya Singh" in submitter_self.message

    idea_id = action(card, verbs.APPROVE)["data"]["ideaId"]
    idea = await app.store.get(idea_id)
    assert idea.decisions == [] and idea.current_step == 0


async def test_double_click_records_exactly_one_decision(teams, connector, app):
    await install_approvers(teams)
    await pitch(teams, connector)
    card = await approval_card_for(connector, MAYA)
    approve = action(card, verbs.APPROVE)

    results = await asyncio.gather(*(teams.click(MAYA, approve, {"comment": "yes"}) for _ in range(5)))

    assert all(r.status == 200 for r in results)
    idea = await app.store.get(approve["data"]["ideaId"])
    assert len(idea.decisions) == 1 and idea.current_step == 1
    recorded = [r for r in results if "You decided: Approved" in texts(r.card)]
    assert len(recorded) == 1
    assert all("already decided" in texts(r.card) for r in results if r not in recorded)
    await approval_card_for(connector, DIANE)
    await settled(app.store)
    assert len([c for s in connector.to(DIANE.conversation_id) for c in s.cards]) == 2  # welcome + one request


async def test_click_on_an_old_card_returns_the_current_state(teams, connector):
    await install_approvers(teams)
    await pitch(teams, connector)
    maya_card = await approval_card_for(connector, MAYA)
    await teams.click(MAYA, action(maya_card, verbs.APPROVE), {})
    await teams.click(DIANE, action(await approval_card_for(connector, DIANE), verbs.APPROVE), {})

    old = await teams.click(MAYA, action(maya_card, verbs.REJECT), {"comment": "changed my mind"})

    shown = texts(old.card)
    assert "This step was already decided: Approved by Maya Singh" in shown
    assert "Deciding now" in shown and "Amir Haddad" in shown
    assert verbs_on(old.card) == [verbs.VIEW_IDEA], "no decision buttons for Maya now"


async def test_vacant_manager_is_skipped(teams, connector):
    await install_approvers(teams)
    receipt = await pitch(teams, connector, user=PRIYA)
    assert "Now with Diane Tremblay (Director)" in texts(receipt)
    await approval_card_for(connector, DIANE)


async def test_approver_never_seen_gets_a_new_conversation(teams, connector):
    await pitch(teams, connector)  # Maya never installed the app nor wrote to the bot
    created = await connector.wait_for(lambda c: c.created or None)
    assert created[0]["members"][0]["id"] == MAYA.aad_id
    conversation = f"a:created-{MAYA.aad_id}"
    sent = await connector.wait_for(lambda c: [s for s in c.to(conversation) if s.cards] or None)
    assert action(sent[0].cards[0], verbs.APPROVE)["data"]["step"] == 0


async def test_connector_throttling_delays_but_never_loses_the_notification(teams, connector, app):
    await install_approvers(teams)
    await teams.install(SAM)
    await teams.say(SAM, "pitch")
    form = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.PITCH_SUBMIT))
    connector.fail_next(2, status=429, retry_after="0")
    connector.fail_next(1, status=503, retry_after=None)
    attempts_before = connector.attempts

    receipt = await teams.click(SAM, action(form, verbs.PITCH_SUBMIT), VALID_PITCH)

    assert "Thanks, your idea is in!" in texts(receipt.card), "the decision to accept stands at once"
    card = await approval_card_for(connector, MAYA)
    assert action(card, verbs.APPROVE)
    assert connector.attempts - attempts_before == 4, "three failures, then the delivery"
    await settled(app.store)
    assert await pending_outbox(app.store) == 0


async def test_a_throttled_reply_in_the_users_turn_is_retried(teams, connector):
    await teams.install(SAM)
    connector.fail_next(1, status=429, retry_after="0")
    shown = await teams_my_ideas(teams, connector)
    assert "You haven't pitched an idea yet" in shown


async def test_my_ideas_shows_status_holder_and_days(teams, connector):
    await install_approvers(teams)
    await pitch(teams, connector)
    shown = await teams_my_ideas(teams, connector)
    assert f"DEN-{YEAR}-0001: {VALID_PITCH['title']}" in shown
    assert "In review. With Maya Singh for less than a business day" in shown, "no '0 day(s)'"


async def test_unknown_text_gets_a_polite_answer_and_help(teams, connector):
    await teams.install(SAM)
    await teams.say(SAM, "what is this?")
    sent = await connector.wait_for(lambda c: len(c.to(SAM.conversation_id)) >= 3 and c.to(SAM.conversation_id))
    assert sent[1].activity["text"] == (
        'Sorry, I didn\'t understand "what is this?". You can type `pitch`, `my ideas` or `help`.'
    )
    assert "How Deputy's Den works" in texts(sent[2].cards[0])


async def test_healthz_reports_the_store(app):
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"{app.url}healthz") as response:
        assert response.status == 200
        body = await response.json()
        assert body["status"] == "ok" and body["store"] == "ok"


async def test_the_manifests_pages_are_served(app):
    import aiohttp

    async with aiohttp.ClientSession() as session:
        pages = (
            ("about", "Deputy's Den", "about-fr"),
            ("privacy", "Privacy notice", "privacy-fr"),
            ("terms", "Terms of use", "terms-fr"),
            ("about-fr", "l’application Microsoft Teams du ministère", "about"),
            ("privacy-fr", "Avis de collecte de renseignements personnels", "privacy"),
            ("terms-fr", "Conditions d’utilisation", "terms"),
        )
        for page, phrase, other_language in pages:
            async with session.get(f"{app.url}{page}") as response:
                html = await response.text()
                assert response.status == 200 and phrase in html
                assert response.headers["Content-Type"] == "text/html; charset=utf-8"
                assert f'<a href="{other_language}" hreflang=' in html
