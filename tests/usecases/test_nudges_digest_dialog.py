"""Nudger, DigestService and MainDialog called directly: reminders, the weekly digest and its buttons, flows."""

from __future__ import annotations

import uuid
from datetime import timedelta

from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.model import Outcome
from bot.domain.outbox import MessageKind
from bot.domain.stage import Stage
from cards import verbs
from dialogs.turn import Turn
from tests.support.people import DANA, DIANE, MAYA, SAM, VALID_PITCH
from tests.support.store_probes import digest_deliveries
from tests.support.teams_client import action, nodes, texts


def turn(user) -> Turn:
    return Turn(user_id=user.aad_id, user_name=user.name, locale="en-US")


def button(card, verb):
    return next(n for n in nodes(card) if n.get("type") == "Action.Execute" and n.get("verb") == verb)


async def filed(den, title="Tell us once"):
    result = await den.ideas.submit_pitch(
        submitter_id=SAM.aad_id,
        submitter_name=SAM.name,
        # "confirm": several ideas on one problem on purpose (no "send it anyway?" first)
        form={**VALID_PITCH, "title": title, "formId": str(uuid.uuid4()), "confirm": "duplicate"},
    )
    return result.idea


async def test_reminders_once_a_day_after_three_business_days_and_the_submitter_told_after_seven(den):
    await filed(den)
    assert (await den.nudger.run()).reminders == 0
    den.clock.advance(days=3)  # Thursday: 3 business days
    assert (await den.nudger.run()).reminders == 1
    assert (await den.nudger.run()).reminders == 0  # once a day
    den.clock.advance(days=2)  # Saturday: no pass on a weekend
    assert (await den.nudger.run()).reminders == 0
    den.clock.advance(days=4)  # the Wednesday after: 7 business days
    result = await den.nudger.run()
    assert (result.reminders, result.submitters_told) == (1, 1)
    await den.deliver()
    kinds = {q.message.kind for q in den.store.outbox.values() if q.state == "sent"}
    assert {MessageKind.REMINDER, MessageKind.WAITING} <= kinds
    reminders = [card for card, summary in den.channel.to(MAYA.aad_id) if summary.startswith("Reminder:")]
    assert len(reminders) == 2 and button(reminders[0], verbs.APPROVE)  # the one-click buttons come along


async def test_the_digest_goes_to_each_dm_once_a_week(den):
    await filed(den)
    den.clock.advance(days=7)
    first = await den.digests.run()
    assert [(d.dm_id, d.outcome) for d in first.deliveries] == [(DANA.aad_id, "sent")]
    again = await den.digests.run()
    assert [d.outcome for d in again.deliveries] == ["already_sent"]
    assert await digest_deliveries(den.store, first.week_key) == {DANA.aad_id: ("sent", "")}
    [(card, _)] = den.channel.to(DANA.aad_id)
    assert "Tell us once" in texts(card)


async def test_the_dms_buttons_shortlist_and_nudge_and_refuse_anyone_else(den):
    idea = await filed(den, "Stalled one")
    approved = await filed(den, "Approved one")
    for step, who in enumerate((MAYA, DIANE)):
        await den.ideas.decide(
            actor_id=who.aad_id, idea_id=approved.id, step_index=step, revision=1, outcome=Outcome.APPROVED, comment=""
        )
    amir = (await den.store.get(approved.id)).chain[2].approver_id
    await den.ideas.decide(
        actor_id=amir, idea_id=approved.id, step_index=2, revision=1, outcome=Outcome.APPROVED, comment=""
    )
    den.clock.advance(days=9)
    card = await den.digests.preview(DANA.aad_id)
    shortlist, nudge = button(card, verbs.DIGEST_SHORTLIST), button(card, verbs.DIGEST_NUDGE)
    assert nudge["data"]["ideaId"] == idea.id

    refused = await den.dialog.on_action(turn(SAM), verbs.DIGEST_SHORTLIST, shortlist["data"])
    assert refused.card is None and refused.message

    nowhere = await den.dialog.on_action(turn(DANA), verbs.DIGEST_SHORTLIST, shortlist["data"])
    assert nowhere.card is None and "no challenge you sponsor" in nowhere.message
    draft = ChallengeDraft("Tell us once", "How?", (DANA.aad_id,), den.clock() - timedelta(days=1),
                           den.clock() + timedelta(days=9))  # fmt: skip
    await den.store.add_challenge(
        Challenge.open_new(challenge_id="c1", draft=draft, actor_id="olga", is_organiser=True, now=den.clock())
    )
    after = await den.dialog.on_action(turn(DANA), verbs.DIGEST_SHORTLIST, shortlist["data"])
    assert "Shortlisted" in texts(after.card) and (await den.store.get(approved.id)).shortlisted_by == ""
    assert (await den.store.get_stage(approved.id)).stage == Stage.SHORTLISTED, "the challenge's one shortlist"
    after = await den.dialog.on_action(turn(DANA), verbs.DIGEST_NUDGE, nudge["data"])
    assert "Reminder sent today" in texts(after.card)
    await den.deliver()
    [(reminder, _)] = den.channel.to(MAYA.aad_id)[-1:]
    assert "Dana Morel" in texts(reminder)


async def test_main_dialog_pitch_then_approve_in_one_click(den):
    form = await den.dialog.on_text(turn(SAM), "pitch an idea")
    submit = action(form.card, verbs.PITCH_SUBMIT)
    receipt = await den.dialog.on_action(turn(SAM), verbs.PITCH_SUBMIT, {**submit["data"], **VALID_PITCH})
    assert "Maya Singh" in texts(receipt.card)
    await den.deliver()
    [(ask, _)] = den.channel.to(MAYA.aad_id)
    approve = action(ask, verbs.APPROVE)
    decided = await den.dialog.on_action(turn(MAYA), verbs.APPROVE, {**approve["data"], "comment": ""})
    assert "Approved" in texts(decided.card)
    # no decision buttons left: only View, which (as the app is wired) opens the idea in the Den tab
    [view] = decided.card["actions"]
    assert view["type"] == "Action.OpenUrl" and view["url"].endswith(f"#/idea/{approve['data']['ideaId']}")
    mine = await den.dialog.on_text(turn(SAM), "my ideas")
    assert VALID_PITCH["title"] in texts(mine.card) and "Diane Tremblay" in texts(mine.card)


async def test_unknown_text_gets_a_polite_answer_and_the_menu(den):
    reply = await den.dialog.on_text(turn(SAM), "what is this")
    assert "what is this" in reply.message and reply.card is None
    assert "Pitch an idea" in texts(reply.follow_ups[0]) and den.store.ideas == {}


async def test_every_verb_a_card_can_carry_has_a_route(den):
    declared = {value for name, value in vars(verbs).items() if name.isupper() and isinstance(value, str)}
    unknown = turn(SAM).messages.t("error.unknown_action")
    for verb in sorted(declared):
        reply = await den.dialog.on_action(turn(SAM), verb, {})
        assert reply.message != unknown, verb
    # language.set switched Sam to French on the way: the refusal is in the language he now reads.
    unknown_now = (await den.dialog.localise(turn(SAM))).messages.t("error.unknown_action")
    assert (await den.dialog.on_action(turn(SAM), "no.such.verb", {})).message == unknown_now
