"""Use cases, called directly on the in-memory store: pitching, deciding, the outbox, the spool."""

from __future__ import annotations

import uuid

from bot.domain.model import IdeaStatus, Outcome
from bot.domain.outbox import MessageKind, step_message_id
from bot.ports import DeliveryFailed
from bot.services.ideas import ActionStatus
from tests.support.people import AMIR, DIANE, MAYA, PRIYA, SAM, VALID_PITCH
from tests.support.store_probes import pending_outbox
from tests.support.teams_client import texts


async def pitch(den, form=None, who=SAM):
    form = {**VALID_PITCH, "formId": str(uuid.uuid4()), **(form or {})}
    return await den.ideas.submit_pitch(submitter_id=who.aad_id, submitter_name=who.name, form=form)


async def test_a_valid_pitch_is_filed_with_its_chain_and_asks_the_first_approver(den):
    result = await pitch(den)
    idea = result.idea
    assert idea.reference == "DEN-2026-0001" and idea.status == IdeaStatus.IN_REVIEW
    assert [s.approver_id for s in idea.chain] == [MAYA.aad_id, DIANE.aad_id, AMIR.aad_id]
    request_id = step_message_id(MessageKind.APPROVAL_REQUEST, idea.id, 1, 0)
    assert await den.store.existing_outbox_ids([request_id]) == {request_id}
    assert await den.deliver() == 1
    [(card, summary)] = den.channel.to(MAYA.aad_id)
    assert summary == "An idea needs your decision" and VALID_PITCH["title"] in texts(card)


async def test_an_invalid_pitch_stores_nothing_and_says_what_is_wrong(den):
    result = await pitch(den, {"title": "", "cost_band": "a yacht"})
    assert result.idea is None and set(result.errors) >= {"title", "cost_band"}
    assert den.store.ideas == {} and await pending_outbox(den.store) == 0


async def test_the_same_form_sent_twice_is_one_idea(den):
    form = {**VALID_PITCH, "formId": str(uuid.uuid4())}
    first = await den.ideas.submit_pitch(submitter_id=SAM.aad_id, submitter_name=SAM.name, form=form)
    second = await den.ideas.submit_pitch(submitter_id=SAM.aad_id, submitter_name=SAM.name, form=form)
    assert first.idea.id == second.idea.id and len(den.store.ideas) == 1


async def test_a_form_naming_someone_elses_idea_files_a_new_idea_and_leaves_theirs(den):
    sams = (await pitch(den)).idea
    priyas = (await pitch(den, {"formId": sams.id, "title": "Priya's own idea"}, who=PRIYA)).idea
    assert priyas is not None and priyas.id != sams.id and priyas.submitter.id == PRIYA.aad_id
    assert (await den.store.get(sams.id)).submitter.id == SAM.aad_id and len(den.store.ideas) == 2


async def test_decisions_only_the_holder_once_and_the_next_step_is_asked(den):
    idea = (await pitch(den)).idea
    decide = dict(idea_id=idea.id, step_index=0, revision=1, outcome=Outcome.APPROVED, comment="")
    assert (await den.ideas.decide(actor_id=DIANE.aad_id, **decide)).status == ActionStatus.NOT_YOURS
    assert (await den.ideas.decide(actor_id=MAYA.aad_id, **decide)).status == ActionStatus.RECORDED
    assert (await den.ideas.decide(actor_id=MAYA.aad_id, **decide)).status == ActionStatus.ALREADY_DECIDED
    rejected = dict(decide, step_index=1, outcome=Outcome.REJECTED)
    assert (await den.ideas.decide(actor_id=DIANE.aad_id, **rejected)).status == ActionStatus.COMMENT_REQUIRED
    stored = await den.store.get(idea.id)
    assert stored.current_step == 1 and len(stored.decisions) == 1
    await den.deliver()
    assert len(den.channel.to(DIANE.aad_id)) == 1  # asked once
    [(update, _)] = den.channel.to(SAM.aad_id)
    assert "Maya Singh" in texts(update)


async def test_a_request_decided_before_delivery_is_not_sent(den):
    idea = (await pitch(den)).idea
    await den.ideas.decide(
        actor_id=MAYA.aad_id, idea_id=idea.id, step_index=0, revision=1, outcome=Outcome.APPROVED, comment=""
    )
    await den.deliver()
    assert den.channel.to(MAYA.aad_id) == []  # the domain says it no longer matters
    assert await pending_outbox(den.store) == 0


async def test_a_throttled_send_is_rescheduled_and_a_permanent_failure_given_up(den):
    await pitch(den)
    den.channel.failures = [DeliveryFailed("connector answered 429", retry_after=30)]
    assert await den.deliver() == 1
    [queued] = [q for q in den.store.outbox.values() if q.state == "pending"]
    # Told to wait is not a failed attempt (issue #20): the wait is the connector's, exactly.
    assert queued.message.attempts == 0 and (queued.message.not_before - den.clock()).total_seconds() == 30
    den.clock.advance(seconds=31)
    den.channel.failures = [DeliveryFailed("connector answered 403", permanent=True)]
    await den.deliver()
    assert queued.message.id in {i for i, q in den.store.outbox.items() if q.state == "failed"}
    assert den.channel.sent == []


async def test_a_pitch_during_an_outage_is_spooled_then_filed_once_with_a_receipt(den):
    den.store.down = True
    result = await pitch(den)
    assert result.spooled and result.idea is None and len(den.spool.pitches) == 1
    assert await den.ideas.file_spooled() == 0  # still down: kept
    den.store.down = False
    assert await den.ideas.file_spooled() == 1
    assert await den.ideas.file_spooled() == 0 and len(den.store.ideas) == 1
    await den.deliver()
    [(receipt, summary)] = den.channel.to(SAM.aad_id)
    assert summary.startswith("DEN-2026-0001") or "DEN-2026-0001" in texts(receipt)
