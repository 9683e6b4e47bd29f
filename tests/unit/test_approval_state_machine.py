"""The approval state machine, with no Teams and no storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import events
from bot.domain.model import (
    CommentRequired,
    Idea,
    IdeaStatus,
    NotAllowed,
    NotYourStep,
    Outcome,
    Person,
    Role,
    StaleCard,
)
from bot.domain.pitch import Pitch
from tests.support.cast import AMIR, DANA, DIANE, MAYA, SAM
from tests.support.chains import build_chain

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
PITCH = Pitch("Tell us once", "p", "s", "clients", "client_services", "unknown", "first steps")


def new_idea(chain=None) -> tuple[Idea, list[events.Event]]:
    chain = build_chain(SAM, [MAYA, DIANE, AMIR, DANA]) if chain is None else chain
    return Idea.submit(idea_id="i1", reference="DEN-2026-0001", submitter=SAM, pitch=PITCH, chain=chain, now=T0)


def approve(idea: Idea, who: Person, minutes: int = 1) -> list[events.Event]:
    return idea.decide(
        actor_id=who.id,
        step_index=idea.current_step,
        revision=idea.revision,
        outcome=Outcome.APPROVED,
        comment="",
        now=T0 + timedelta(minutes=minutes),
    )


def test_chain_runs_up_to_and_including_the_first_adm():
    chain = build_chain(SAM, [MAYA, DIANE, AMIR, DANA])
    assert [s.approver_id for s in chain] == ["maya", "diane", "amir"]
    assert [s.role for s in chain] == [Role.MANAGER, Role.DIRECTOR, Role.ADM]


def test_chain_top_role_is_configurable():
    assert [s.approver_id for s in build_chain(SAM, [MAYA, DIANE, AMIR, DANA], top_role=Role.DIRECTOR)] == [
        "maya",
        "diane",
    ]


def test_vacant_links_are_skipped_and_nobody_repeats():
    chain = build_chain(SAM, [None, DIANE, DIANE, None, AMIR])
    assert [s.approver_id for s in chain] == ["diane", "amir"]


def test_submitter_never_approves_their_own_idea():
    looped = build_chain(MAYA, [DIANE, MAYA, AMIR])
    assert "maya" not in [s.approver_id for s in looped]
    with pytest.raises(ValueError):
        Idea.submit(idea_id="x", reference="r", submitter=SAM, pitch=PITCH, chain=build_chain(MAYA, [SAM]), now=T0)


def test_submission_asks_the_first_approver():
    idea, raised = new_idea()
    assert idea.status == IdeaStatus.IN_REVIEW and idea.holder_id == "maya"
    assert raised == [events.IdeaSubmitted("i1"), events.ApprovalRequested("i1", 0, 1, "maya")]


def test_nobody_above_the_submitter_means_approved_at_once():
    idea, raised = new_idea(chain=[])
    assert idea.status == IdeaStatus.APPROVED
    assert events.IdeaApproved("i1") in raised


def test_each_approval_moves_up_and_the_last_one_approves_for_the_den():
    idea, _ = new_idea()
    assert approve(idea, MAYA)[-1] == events.ApprovalRequested("i1", 1, 1, "diane")
    assert approve(idea, DIANE)[-1] == events.ApprovalRequested("i1", 2, 1, "amir")
    assert approve(idea, AMIR)[-1] == events.IdeaApproved("i1")
    assert idea.status == IdeaStatus.APPROVED and idea.holder_id == ""
    assert [d.approver_id for d in idea.decisions] == ["maya", "diane", "amir"]


def test_only_the_current_approver_can_decide():
    idea, _ = new_idea()
    with pytest.raises(NotYourStep):
        idea.decide(actor_id="diane", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    with pytest.raises(NotYourStep):
        idea.decide(actor_id="sam", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    assert idea.decisions == [] and idea.current_step == 0


def test_a_decided_step_cannot_be_decided_again():
    idea, _ = new_idea()
    approve(idea, MAYA)
    with pytest.raises(StaleCard):
        idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="no", now=T0)
    assert len(idea.decisions) == 1


@pytest.mark.parametrize("outcome", [Outcome.RETURNED, Outcome.REJECTED])
def test_return_and_reject_need_a_comment(outcome):
    idea, _ = new_idea()
    with pytest.raises(CommentRequired):
        idea.decide(actor_id="maya", step_index=0, revision=1, outcome=outcome, comment="   ", now=T0)
    assert idea.status == IdeaStatus.IN_REVIEW


def test_reject_ends_the_chain():
    idea, _ = new_idea()
    raised = idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="dup", now=T0)
    assert idea.status == IdeaStatus.REJECTED and events.IdeaRejected("i1") in raised
    with pytest.raises(NotAllowed):
        idea.resubmit(actor_id="sam", pitch=PITCH, revision=1, now=T0)


def test_return_then_resubmit_restarts_at_the_returning_step_and_keeps_history():
    idea, _ = new_idea()
    approve(idea, MAYA)
    idea.decide(actor_id="diane", step_index=1, revision=1, outcome=Outcome.RETURNED, comment="costs?", now=T0)
    assert idea.status == IdeaStatus.RETURNED and idea.holder_id == "sam"

    with pytest.raises(NotYourStep):
        idea.resubmit(actor_id="maya", pitch=PITCH, revision=1, now=T0)
    revised = Pitch("Tell us once v2", "p", "s", "clients", "client_services", "10k_50k", "pilot")
    raised = idea.resubmit(actor_id="sam", pitch=revised, revision=1, now=T0 + timedelta(days=1))

    assert raised[-1] == events.ApprovalRequested("i1", 1, 2, "diane")
    assert idea.revision == 2 and idea.current_step == 1 and idea.pitch == revised
    assert [(d.approver_id, d.outcome) for d in idea.decisions] == [
        ("maya", Outcome.APPROVED),
        ("diane", Outcome.RETURNED),
    ]
    with pytest.raises(StaleCard):  # the old revision's card is stale
        idea.decide(actor_id="diane", step_index=1, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    with pytest.raises(NotAllowed):  # a second resubmit of the same revision changes nothing
        idea.resubmit(actor_id="sam", pitch=revised, revision=1, now=T0)
    approve(idea, DIANE)
    approve(idea, AMIR)
    assert idea.status == IdeaStatus.APPROVED


def test_days_in_status_counts_whole_days():
    idea, _ = new_idea()
    assert idea.days_in_status(T0 + timedelta(days=3, hours=5)) == 3
