"""Issue #19's minor defects on the approval side, each as the person met it, through the dialogs on
the in-memory store: a returned idea offers Revise and Withdraw where its submitter looks (and the
revised form's receipt is a new card), text meant for someone else, route explanations that match
the route built, the welcomes and help, and the duplicate-pitch warning."""

from __future__ import annotations

import uuid

from bot.domain.model import IdeaStatus, Outcome
from bot.i18n import Messages
from cards import receipt_card, verbs
from dialogs.turn import Turn
from tests.support.people import AMIR, DIANE, MAYA, NOAH, SAM, VALID_PITCH
from tests.support.teams_client import User, nodes, texts

OLGA = User("c9e8f1a2-d3e5-46f7-8c13-8e9f0a1b2c09", "Olga Kowalski")  # Innovation Office, reports to Amir
DANA = User("f6a5b8d7-a0b2-43c4-9fe0-5b6c7d8e9f06", "Dana Morel")


def turn(user, locale: str = "en-US") -> Turn:
    return Turn(user_id=user.aad_id, user_name=user.name, locale=locale)


def verbs_on(card) -> list[str]:
    return [n["verb"] for n in nodes(card) if n.get("type") == "Action.Execute"]


def action(card, verb):
    return next(n for n in nodes(card) if n.get("type") == "Action.Execute" and n.get("verb") == verb)


async def pitch(den, who=SAM, **form):
    fields = {**VALID_PITCH, "formId": str(uuid.uuid4()), "confirm": "duplicate", **form}
    return (await den.ideas.submit_pitch(submitter_id=who.aad_id, submitter_name=who.name, form=fields)).idea


async def returned(den, title="Tell us once"):
    idea = await pitch(den, title=title)
    await den.ideas.decide(actor_id=MAYA.aad_id, idea_id=idea.id, step_index=0, revision=1,
                           outcome=Outcome.RETURNED, comment="Add the costs")  # fmt: skip
    return idea


# ---- 9: a returned idea, where its submitter looks --------------------------------------------
async def test_my_ideas_and_the_details_offer_revise_and_withdraw_for_a_returned_idea(den):
    idea = await returned(den)
    mine = (await den.dialog.on_text(turn(SAM), "my ideas")).card
    assert {verbs.REVISE_OPEN, verbs.WITHDRAW} <= set(verbs_on(mine))
    details = (await den.dialog.on_action(turn(SAM), verbs.VIEW_IDEA, {"ideaId": idea.id})).follow_ups[0]
    assert {verbs.REVISE_OPEN, verbs.WITHDRAW} <= set(verbs_on(details))
    maya_sees = (await den.dialog.on_action(turn(MAYA), verbs.VIEW_IDEA, {"ideaId": idea.id})).follow_ups[0]
    assert not {verbs.REVISE_OPEN, verbs.WITHDRAW} & set(verbs_on(maya_sees)), "only the submitter's moves"

    revise = await den.dialog.on_action(turn(SAM), verbs.REVISE_OPEN, action(mine, verbs.REVISE_OPEN)["data"])
    [form] = revise.follow_ups  # posted as a new card: "my ideas" stays as it was
    assert "Add the costs" in texts(form) and verbs.PITCH_RESUBMIT in verbs_on(form)
    assert (await den.dialog.on_action(turn(MAYA), verbs.REVISE_OPEN, {"ideaId": idea.id})).follow_ups == []


async def test_the_revised_pitch_s_receipt_is_posted_as_a_new_card(den):
    idea = await returned(den)
    form = {**VALID_PITCH, "title": "Tell us once, with costs", "ideaId": idea.id, "revision": 1}
    reply = await den.dialog.on_action(turn(SAM), verbs.PITCH_RESUBMIT, form)
    [receipt] = reply.follow_ups
    assert "Your revised pitch is on its way" in texts(receipt)
    assert reply.card is not None and idea.reference in texts(reply.card)
    assert verbs.PITCH_RESUBMIT not in verbs_on(reply.card), "the form far up the chat is no longer a form"
    assert (await den.store.get(idea.id)).revision == 2


async def test_withdrawing_from_my_ideas_uses_that_idea_s_reason_and_shows_the_list_again(den):
    first = await pitch(den, title="First idea")
    second = await returned(den, title="Second idea")
    mine = (await den.dialog.on_text(turn(SAM), "my ideas")).card
    reason_boxes = [n["id"] for n in nodes(mine) if n.get("type") == "Input.Text"]
    assert len(reason_boxes) == 2 and len(set(reason_boxes)) == 2, "one reason box per idea, ids unique"
    withdraw = next(a for a in nodes(mine) if a.get("verb") == verbs.WITHDRAW and a["data"]["ideaId"] == second.id)
    data = {**withdraw["data"], withdraw["data"]["reasonField"]: "Merged with my first idea"}
    reply = await den.dialog.on_action(turn(SAM), verbs.WITHDRAW, data)
    assert "My ideas" in texts(reply.card) and f"{second.reference} is withdrawn" in texts(reply.card)
    stored = await den.store.get(second.id)
    assert stored.status == IdeaStatus.WITHDRAWN and stored.history[-1].reason == "Merged with my first idea"
    assert (await den.store.get(first.id)).status == IdeaStatus.IN_REVIEW


# ---- 11: text for the wrong person -------------------------------------------------------------
async def test_after_final_approval_only_the_submitter_is_told_they_will_hear_here(den):
    idea = await pitch(den, cost_band="under_10k")  # small: Maya and Diane decide, Amir is informed
    for step, who in enumerate((MAYA, DIANE)):
        await den.ideas.decide(actor_id=who.aad_id, idea_id=idea.id, step_index=step, revision=1,
                               outcome=Outcome.APPROVED, comment="")  # fmt: skip
    await den.deliver()
    told_here = "you will be told here"
    [informed, *_] = [card for card, _ in den.channel.to(AMIR.aad_id)]
    assert told_here not in texts(informed) and "Sam Chen will be told" in texts(informed)
    refreshed = await den.dialog.on_action(turn(DIANE), verbs.REFRESH, {"ideaId": idea.id})
    assert told_here not in texts(refreshed.card)
    final_update = [card for card, _ in den.channel.to(SAM.aad_id)][-1]
    assert told_here in texts(final_update)


# ---- 13: route explanations that match the route -----------------------------------------------
async def test_a_small_idea_decided_by_the_adm_says_why_not_that_the_manager_and_director_decide(den):
    idea = await pitch(den, who=OLGA, cost_band="under_10k")  # Olga reports to Amir (ADM) directly
    assert [s.approver_id for s in idea.chain] == [AMIR.aad_id]
    receipt = texts(receipt_card(Messages("en-US"), await den.store.get(idea.id)))
    assert "the manager and the director decide" not in receipt
    assert "nearest manager, Amir Haddad (ADM), decides" in receipt
    french = texts(receipt_card(Messages("fr-CA"), await den.store.get(idea.id)))
    assert "Amir Haddad, SMA, qui décide" in french  # a level beside a name, as everywhere in French


async def test_steps_passed_because_someone_was_away_or_withdrawn_do_not_say_a_decision_came_first(den):
    noah = await pitch(den, who=NOAH)  # Olivia is away: Diane, who decides next anyway, takes it on
    stored = await den.store.get(noah.id)
    assert stored.current_step == 1 and stored.chain[1].approver_id == DIANE.aad_id
    await den.ideas.decide(actor_id=DIANE.aad_id, idea_id=noah.id, step_index=1, revision=1,
                           outcome=Outcome.REJECTED, comment="Not this year")  # fmt: skip
    shown = texts((await den.dialog.on_action(turn(NOAH), verbs.VIEW_IDEA, {"ideaId": noah.id})).follow_ups[0])
    assert shown.count("Not reached: the decision was taken before this step") == 1  # Amir's step only
    assert "Olivia Grant was away" in shown

    sams = await pitch(den, title="Another idea")
    await den.dialog.on_action(turn(SAM), verbs.WITHDRAW, {"ideaId": sams.id})
    shown = texts((await den.dialog.on_action(turn(SAM), verbs.VIEW_IDEA, {"ideaId": sams.id})).follow_ups[0])
    assert "the decision was taken before" not in shown
    assert "withdrawn while it waited here" in shown and "withdrawn before this step" in shown


# ---- 18: welcomes and help -----------------------------------------------------------------------
async def test_the_organiser_s_welcome_offers_challenges_and_the_dm_s_the_digest(den):
    assert verbs.CHALLENGES in verbs_on(await den.dialog.welcome(turn(OLGA)))
    assert verbs.DIGEST_OPEN in verbs_on(await den.dialog.welcome(turn(DANA)))
    assert not {verbs.CHALLENGES, verbs.DIGEST_OPEN} & set(verbs_on(await den.dialog.welcome(turn(SAM))))
    opened = await den.dialog.on_action(turn(OLGA), verbs.CHALLENGES, {})
    assert opened.follow_ups and "Den challenges" in texts(opened.follow_ups[0])  # posted below the welcome


async def test_help_lists_challenges_digest_and_acting_and_staff_learn_how_to_take_part(den):
    help_text = texts((await den.dialog.on_text(turn(SAM), "help")).card)
    assert all(f"`{word}`" in help_text for word in ("challenges", "digest", "acting"))
    french = texts((await den.dialog.on_text(turn(SAM, "fr-CA"), "aide")).card)
    assert all(f"`{word}`" in french for word in ("défis", "résumé", "intérim"))
    staff = texts((await den.dialog.on_text(turn(SAM), "challenges")).card)
    assert "run by the Den organisers" in staff and "To take part" in staff
    assert "To take part" not in texts((await den.dialog.on_text(turn(OLGA), "challenges")).card)


# ---- 19: the duplicate warning -------------------------------------------------------------------
async def test_the_duplicate_warning_sits_by_its_buttons_and_offers_cancel(den):
    await pitch(den)
    again = {**VALID_PITCH, "formId": str(uuid.uuid4())}
    form = (await den.dialog.on_action(turn(SAM), verbs.PITCH_SUBMIT, again)).card
    assert [a["verb"] for a in form["actions"]] == [verbs.PITCH_SUBMIT, verbs.PITCH_CANCEL]
    assert "send it anyway?" in form["body"][-1]["text"], "the question sits just above its two buttons"
    cancelled = await den.dialog.on_action(turn(SAM), verbs.PITCH_CANCEL, form["actions"][1]["data"])
    assert "not sent" in texts(cancelled.card) and len(den.store.ideas) == 1


async def test_a_field_the_server_refuses_is_marked_as_teams_marks_its_own(den):
    form = (await den.dialog.on_action(turn(SAM), verbs.PITCH_SUBMIT, {**VALID_PITCH, "title": ""})).card
    body = form["body"]
    title = next(i for i, n in enumerate(body) if n.get("id") == "title")
    assert body[title + 1]["color"] == "Attention" and "Title" in body[title + 1]["text"]
