"""The approval service called directly on the in-memory store: acting arrangements that end,
"my approvals", escalation that moves on, and the rules that must hold."""

from __future__ import annotations

import uuid
from datetime import date

from bot.bootstrap import ROUTING_KEY
from bot.domain.model import HistoryKind, IdeaStatus, Outcome
from bot.domain.routing import EscalationAction, EscalationPolicy
from bot.ports import Absence, StoredSetting
from bot.services.ideas import ActionStatus
from cards import verbs
from dialogs.turn import Turn
from tests.support.people import AMIR, DANA, DIANE, MAYA, NOAH, OLIVIA, SAM, VALID_PITCH
from tests.support.running_app import ROUTING_FILE
from tests.support.teams_client import input_values, texts


def turn(user) -> Turn:
    return Turn(user_id=user.aad_id, user_name=user.name, locale="en-US")


async def filed(den, who=SAM, **changes):
    # "confirm": these tests file several ideas on one problem on purpose (no "send it anyway?" first)
    form = {**VALID_PITCH, **changes, "formId": str(uuid.uuid4()), "confirm": "duplicate"}
    result = await den.ideas.submit_pitch(submitter_id=who.aad_id, submitter_name=who.name, form=form)
    return result.idea


async def test_when_a_delegation_ends_the_waiting_steps_go_back(den):
    # Monday 2 Nov: Maya names Diane until Wednesday.
    set_ = await den.approvals.delegate(actor_id=MAYA.aad_id, delegate_id=DIANE.aad_id, last_day=date(2026, 11, 4))
    assert set_.problem is None and set_.steps_handed_over == 0
    idea = await filed(den)
    assert idea.holder_id == DIANE.aad_id and idea.current_approver.on_behalf_of_id == MAYA.aad_id
    assert [i.id for i in await den.approvals.my_approvals(DIANE.aad_id)] == [idea.id]
    mine = await den.dialog.on_text(turn(MAYA), "my approvals")
    assert "Diane Tremblay holds this for you; you can still decide." in texts(mine.card)

    den.clock.advance(days=3)  # Thursday: the arrangement is over
    await den.nudger.run()
    back = await den.store.get(idea.id)
    assert back.holder_id == MAYA.aad_id and back.history[-1].reason == "back"
    await den.deliver()
    asks = [card for card, _ in den.channel.to(MAYA.aad_id) if "An idea needs your decision" in texts(card)]
    assert asks and "Diane Tremblay no longer acts for you" in texts(asks[-1])


async def test_im_back_ends_it_early_and_existing_steps_come_back(den):
    idea = await filed(den)
    result = await den.approvals.delegate(actor_id=MAYA.aad_id, delegate_id=DIANE.aad_id, last_day=date(2026, 11, 20))
    assert result.steps_handed_over == 1
    assert (await den.store.get(idea.id)).holder_id == DIANE.aad_id
    reply = await den.dialog.on_action(turn(MAYA), verbs.DELEGATE_END, {})
    assert "has ended" in texts(reply.card)
    assert (await den.store.get(idea.id)).holder_id == MAYA.aad_id
    assert await den.approvals.delegation_of(MAYA.aad_id) is None


async def test_my_approvals_lists_what_waits_oldest_first_with_its_buttons(den):
    first = await filed(den, title="First")
    den.clock.advance(hours=2)
    second = await filed(den, title="Second")
    reply = await den.dialog.on_text(turn(MAYA), "my approvals")
    shown = texts(reply.card)
    assert shown.index("First") < shown.index("Second")
    assert [i.id for i in await den.approvals.my_approvals(MAYA.aad_id)] == [first.id, second.id]
    # A decision from the list uses that idea's own comment box.
    approve = [n for n in reply.card["body"][2]["items"][-1]["actions"] if n["verb"] == verbs.REJECT][0]
    other_box, own_box = f"comment-{second.id}", f"comment-{first.id}"
    assert approve["data"]["commentField"] == own_box
    refused = await den.dialog.on_action(turn(MAYA), verbs.REJECT, {**approve["data"], other_box: "Not this one"})
    assert "add a comment" in texts(refused.card)
    assert input_values(refused.card)[other_box] == "Not this one", "what was typed under the other idea stays"
    rejected = await den.dialog.on_action(turn(MAYA), verbs.REJECT, {**approve["data"], own_box: "Not this one"})
    assert "Decided: Rejected." in texts(rejected.card) and "Second" in texts(rejected.card)  # the list stays
    assert (await den.store.get(first.id)).status == IdeaStatus.REJECTED
    assert (await den.store.get(second.id)).status == IdeaStatus.IN_REVIEW


async def test_escalation_that_moves_on_records_the_silence(den):
    # An administrator uploads rules that move on after 5 business days; they win when the app starts.
    text = ROUTING_FILE.read_text(encoding="utf-8")
    text = text.replace("after_business_days: 10", "after_business_days: 5")
    text = text.replace("action: manager", "action: move_on")
    await den.store.put_setting(StoredSetting(ROUTING_KEY, text, den.clock(), "an administrator"))
    assert (await den.routes.load()).escalation == EscalationPolicy(5, EscalationAction.MOVE_ON)
    idea = await filed(den)
    den.clock.advance(days=7)  # next Monday: 5 business days
    assert (await den.nudger.run()).escalated == 1
    moved = await den.store.get(idea.id)
    assert moved.holder_id == DIANE.aad_id
    entry = moved.history[-1]
    assert (entry.kind, entry.reason, entry.days, entry.from_name) == (
        HistoryKind.MOVED_ON,
        "no_decision",
        5,
        "Maya Singh",
    )


async def test_nobody_is_handed_their_own_idea_as_a_delegate(den):
    # Olivia (away) names Noah, her own staff member, then Noah pitches: the step must not go to him.
    await den.approvals.delegate(actor_id=OLIVIA.aad_id, delegate_id=NOAH.aad_id, last_day=date(2026, 11, 20))
    idea = await filed(den, who=NOAH)
    assert idea.holder_id == DIANE.aad_id, "Olivia is away: past her to the next level, never to Noah"
    reassigned = await den.approvals.reassign(
        actor_id=DIANE.aad_id, idea_id=idea.id, step_index=idea.current_step, revision=1, to_id=NOAH.aad_id, reason="x"
    )
    assert reassigned.status == ActionStatus.OWN_IDEA
    withdrawn = await den.approvals.withdraw(actor_id=AMIR.aad_id, idea_id=idea.id)
    assert withdrawn.status == ActionStatus.NOT_YOURS
    assert (await den.store.get(idea.id)).holder_id == DIANE.aad_id


async def test_a_later_step_is_handed_on_just_before_its_request_goes_out(den):
    """After a click the card answers at once; whether the next approver has someone acting for them
    is settled when their request is about to be delivered, and only the acting approver gets it."""
    await den.approvals.delegate(actor_id=DIANE.aad_id, delegate_id=DANA.aad_id, last_day=date(2026, 11, 20))
    idea = await filed(den)
    await den.deliver()
    asked = await den.ideas.decide(
        actor_id=MAYA.aad_id, idea_id=idea.id, step_index=0, revision=1, outcome=Outcome.APPROVED, comment=""
    )
    assert asked.idea.holder_id == DIANE.aad_id, "the click's own write does not wait for the hand-over"
    await den.deliver()
    now = await den.store.get(idea.id)
    assert now.holder_id == DANA.aad_id and now.current_approver.on_behalf_of_id == DIANE.aad_id
    assert not [c for c, _ in den.channel.to(DIANE.aad_id) if "An idea needs your decision" in texts(c)]
    [ask] = [c for c, _ in den.channel.to(DANA.aad_id) if "An idea needs your decision" in texts(c)]
    assert "You act for Diane Tremblay" in texts(ask)


async def test_the_daily_pass_moves_a_step_whose_approver_went_away_afterwards(den):
    idea = await filed(den)
    assert idea.holder_id == MAYA.aad_id

    class MayaAway:
        async def absence(self, user_id, now):
            return Absence() if user_id == MAYA.aad_id else None

    den.approvals.assigner.availability = MayaAway()  # her automatic reply went on after the request
    den.clock.advance(days=1)
    await den.nudger.run()
    moved = await den.store.get(idea.id)
    assert moved.holder_id == DIANE.aad_id
    assert (moved.history[-1].kind, moved.history[-1].reason) == (HistoryKind.MOVED_ON, "away")


async def test_an_old_card_shows_nothing_to_someone_with_no_part_in_the_idea(den):
    idea = await filed(den)
    for verb in (verbs.REFRESH, verbs.OPEN_APPROVAL):
        outsider = await den.dialog.on_action(turn(NOAH), verb, {"ideaId": idea.id})
        assert outsider.card is None and "couldn't find that idea" in outsider.message
        insider = await den.dialog.on_action(turn(MAYA), verb, {"ideaId": idea.id})
        [shown] = [insider.card] if verb == verbs.REFRESH else insider.follow_ups  # Open posts it below
        assert VALID_PITCH["title"] in texts(shown)


async def test_a_request_whose_approver_is_in_and_acted_for_by_nobody_is_sent_as_it_is(den):
    """The check before delivery reads only: an idea nobody needs to hand on is neither copied nor
    written; one whose approver has since gone away is handed on."""
    idea = await filed(den)
    [message] = [m for m in await den.store.claim_due(den.clock(), 60, 10) if m.idea_id == idea.id]
    assert not await den.approvals.assigner.may_settle(idea, den.clock())
    assert await den.approvals.settle_before_delivery(message, idea) is False
    assert (await den.store.get(idea.id)).version == idea.version

    class MayaAway:
        async def absence(self, user_id, now):
            return Absence() if user_id == MAYA.aad_id else None

    den.approvals.assigner.availability = MayaAway()
    assert await den.approvals.assigner.may_settle(idea, den.clock())
    assert await den.approvals.settle_before_delivery(message, idea) is True
    assert (await den.store.get(idea.id)).holder_id == DIANE.aad_id
