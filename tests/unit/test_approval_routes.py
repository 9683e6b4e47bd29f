"""The lean approval chain in the domain: informed levels, acting approvers, reassignment,
withdrawal, escalation (in business days) and a second look, each recorded in the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import events
from bot.domain.calendar import WorkCalendar
from bot.domain.escalation import business_days_waiting, escalation_due
from bot.domain.model import (
    AlreadyUsed,
    CommentRequired,
    HistoryKind,
    Idea,
    IdeaStatus,
    NotAllowed,
    NotYourStep,
    Outcome,
    OwnIdea,
    Person,
    Role,
    StaleCard,
)
from bot.domain.pitch import Pitch
from bot.domain.routing import EscalationPolicy, Rule, route_with
from tests.support.cast import AMIR, DANA, DIANE, MAYA, SAM

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # Monday 09:00 in Toronto
CAL = WorkCalendar.of("America/Toronto")
LEA = Person("lea", "Léa Roy", Role.MANAGER)
PITCH = Pitch("Tell us once", "p", "s", "clients", "client_services", "under_10k", "first steps")
SMALL = Rule("small", decide=(Role.MANAGER, Role.DIRECTOR), inform=(Role.ADM,), why={"en": "small"})
FULL = Rule("default", decide=(Role.MANAGER, Role.DIRECTOR, Role.ADM))


def new_idea(rule: Rule = FULL) -> tuple[Idea, list[events.Event]]:
    route = route_with(rule, SAM, [MAYA, DIANE, AMIR, DANA])
    return Idea.submit(
        idea_id="i1",
        reference="DEN-2026-0001",
        submitter=SAM,
        pitch=PITCH,
        chain=route.deciders,
        now=T0,
        informed=route.informed,
        route_rule=route.rule,
        route_why=dict(route.why),
    )


def decide(idea: Idea, who: Person, outcome=Outcome.APPROVED, comment="", at=T0) -> list[events.Event]:
    return idea.decide(
        actor_id=who.id, step_index=idea.current_step, revision=idea.revision, outcome=outcome, comment=comment, now=at
    )


def kinds(idea: Idea) -> list[HistoryKind]:
    return [h.kind for h in idea.history]


# ---- informed levels ------------------------------------------------------------------
def test_a_small_idea_skips_the_adms_decision_and_informs_them_on_approval():
    idea, raised = new_idea(SMALL)
    assert [s.approver_id for s in idea.chain] == ["maya", "diane"]
    assert not any(isinstance(e, events.Informed) for e in raised)
    decide(idea, MAYA)
    raised = decide(idea, DIANE)
    assert idea.status == IdeaStatus.APPROVED
    assert events.Informed("i1", "amir", 0) in raised
    assert idea.history[-1].kind == HistoryKind.INFORMED and idea.history[-1].to_name == "Amir Haddad"
    assert idea.route_rule == "small" and idea.route_why == {"en": "small"}


def test_an_informed_person_cannot_decide_but_can_comment():
    idea, _ = new_idea(SMALL)
    with pytest.raises(NotYourStep):
        decide(idea, AMIR)
    raised = idea.comment(actor_id="amir", actor_name="Amir Haddad", text="Good one.", now=T0)
    assert raised == [events.CommentAdded("i1", "amir", 1)]
    assert idea.history[-1].reason == "Good one."
    with pytest.raises(NotYourStep):
        idea.comment(actor_id="sam", actor_name="Sam Chen", text="me too", now=T0)
    with pytest.raises(CommentRequired):
        idea.comment(actor_id="amir", actor_name="Amir Haddad", text="  ", now=T0)


# ---- acting approvers -------------------------------------------------------------------
def test_a_delegate_decides_recorded_as_acting_for_the_approver():
    idea, _ = new_idea()
    raised = idea.act_for(DIANE, reason="delegation", now=T0)
    assert events.ApprovalRequested("i1", 0, 1, "diane", handoff=1) in raised
    assert idea.holder_id == "diane"
    step = idea.current_approver
    assert (step.approver_name, step.on_behalf_of_name) == ("Diane Tremblay", "Maya Singh")
    decide(idea, DIANE)
    d = idea.decisions[-1]
    assert (d.approver_name, d.on_behalf_of_name) == ("Diane Tremblay", "Maya Singh")
    assert idea.history[0].kind == HistoryKind.ACTING and idea.history[0].reason == "delegation"


def test_the_approver_may_still_decide_while_someone_acts_for_them():
    idea, _ = new_idea()
    idea.act_for(DIANE, reason="away", now=T0)
    decide(idea, MAYA)
    d = idea.decisions[-1]
    assert (d.approver_id, d.approver_name, d.on_behalf_of_id) == ("maya", "Maya Singh", "")


def test_nobody_is_handed_their_own_idea():
    idea, _ = new_idea()
    with pytest.raises(OwnIdea):
        idea.act_for(SAM, reason="delegation", now=T0)
    with pytest.raises(OwnIdea):
        idea.reassign(actor_id="maya", actor_name="Maya Singh", to=SAM, reason="you know it best", now=T0)
    assert idea.holder_id == "maya" and idea.history == []
    assert not idea.may_decide("sam")


def test_an_away_approver_with_nobody_to_act_is_moved_past_with_a_note():
    idea, _ = new_idea()
    raised = idea.move_on(reason="away", now=T0)
    assert idea.current_step == 1 and idea.holder_id == "diane"
    assert events.ApprovalRequested("i1", 1, 1, "diane", handoff=1) in raised
    entry = idea.history[-1]
    assert (entry.kind, entry.from_name, entry.reason) == (HistoryKind.MOVED_ON, "Maya Singh", "away")


# ---- reassignment ------------------------------------------------------------------------
def test_the_current_approver_reassigns_with_a_reason():
    idea, _ = new_idea()
    with pytest.raises(CommentRequired):
        idea.reassign(actor_id="maya", actor_name="Maya Singh", to=LEA, reason=" ", now=T0)
    with pytest.raises(NotYourStep):
        idea.reassign(actor_id="diane", actor_name="Diane Tremblay", to=LEA, reason="x", now=T0)
    raised = idea.reassign(actor_id="maya", actor_name="Maya Singh", to=LEA, reason="Léa runs that program", now=T0)
    assert events.StepHandedOver("i1", 0, 1, "maya", "lea") in raised
    assert idea.holder_id == "lea" and idea.current_approver.role == Role.MANAGER
    entry = idea.history[-1]
    assert (entry.kind, entry.actor_name, entry.to_name, entry.reason) == (
        HistoryKind.REASSIGNED,
        "Maya Singh",
        "Léa Roy",
        "Léa runs that program",
    )
    with pytest.raises(NotYourStep):  # Maya's old card is stale now
        decide(idea, MAYA)
    decide(idea, LEA)
    assert idea.holder_id == "diane"


# ---- withdrawal ------------------------------------------------------------------------------
def test_the_submitter_withdraws_while_in_review():
    idea, _ = new_idea()
    with pytest.raises(NotYourStep):
        idea.withdraw(actor_id="maya", reason="", now=T0)
    raised = idea.withdraw(actor_id="sam", reason="Found a better way", now=T0)
    assert raised == [events.IdeaWithdrawn("i1", 0, 1, "maya")]
    assert idea.status == IdeaStatus.WITHDRAWN and idea.holder_id == "" and not idea.is_open
    assert idea.history[-1].kind == HistoryKind.WITHDRAWN and idea.history[-1].reason == "Found a better way"
    with pytest.raises(StaleCard):
        decide(idea, MAYA)
    with pytest.raises(NotAllowed):
        idea.withdraw(actor_id="sam", reason="", now=T0)


def test_a_decided_idea_cannot_be_withdrawn():
    idea, _ = new_idea(SMALL)
    decide(idea, MAYA)
    decide(idea, DIANE)
    with pytest.raises(NotAllowed):
        idea.withdraw(actor_id="sam", reason="", now=T0)


# ---- escalation ----------------------------------------------------------------------------------
def test_escalation_counts_business_days_from_when_the_holder_got_the_step():
    idea, _ = new_idea()  # Monday 2 Nov
    policy = EscalationPolicy(after_business_days=5)
    friday = T0 + timedelta(days=4)
    assert business_days_waiting(idea, friday, CAL) == 4 and escalation_due(idea, friday, CAL, policy) is None
    sunday = T0 + timedelta(days=6)
    assert escalation_due(idea, sunday, CAL, policy) is None  # the weekend does not count
    next_monday = T0 + timedelta(days=7)
    assert escalation_due(idea, next_monday, CAL, policy) == 5
    holiday_cal = WorkCalendar.of("America/Toronto", [next_monday.date()])
    assert escalation_due(idea, next_monday, holiday_cal, policy) is None
    assert escalation_due(idea, next_monday, CAL, EscalationPolicy(5, enabled=False)) is None
    # A hand-over restarts the count for the new holder.
    idea.reassign(actor_id="maya", actor_name="Maya Singh", to=LEA, reason="r", now=T0 + timedelta(days=3))
    assert escalation_due(idea, next_monday, CAL, policy) is None


def test_escalation_to_the_approvers_manager_outside_the_chain():
    idea, _ = new_idea(SMALL)  # the ADM is only informed: not a decider
    decide(idea, MAYA)
    raised = idea.escalate(to=AMIR, days=10, now=T0 + timedelta(days=14))
    assert idea.holder_id == "amir" and idea.current_step == 1
    assert events.StepHandedOver("i1", 1, 1, "diane", "amir") in raised
    entry = idea.history[-1]
    assert (entry.kind, entry.from_name, entry.to_name, entry.days) == (
        HistoryKind.ESCALATED,
        "Diane Tremblay",
        "Amir Haddad",
        10,
    )
    with pytest.raises(NotYourStep):  # Diane's card is stale now
        decide(idea, DIANE)


def test_escalation_to_someone_who_decides_later_moves_on_instead():
    idea, _ = new_idea()
    idea.escalate(to=DIANE, days=10, now=T0 + timedelta(days=14))
    assert idea.current_step == 1 and idea.holder_id == "diane"
    entry = idea.history[-1]
    assert (entry.kind, entry.reason, entry.days) == (HistoryKind.MOVED_ON, "no_decision", 10)


def test_moving_on_past_the_last_step_approves_with_the_silence_recorded():
    idea, _ = new_idea(SMALL)
    decide(idea, MAYA)
    raised = idea.escalate(to=None, days=10, now=T0 + timedelta(days=14))
    assert idea.status == IdeaStatus.APPROVED
    assert events.Informed("i1", "amir", 0) in raised
    assert HistoryKind.MOVED_ON in kinds(idea)


# ---- second look ------------------------------------------------------------------------------------
def test_a_second_look_goes_to_the_next_level_up_once_with_a_reason():
    idea, _ = new_idea()
    decide(idea, MAYA, Outcome.REJECTED, "Not now.")
    assert idea.second_look_reviewer().approver_id == "diane"
    with pytest.raises(NotYourStep):
        idea.ask_second_look(actor_id="maya", reason="x", now=T0)
    with pytest.raises(CommentRequired):
        idea.ask_second_look(actor_id="sam", reason="  ", now=T0)
    raised = idea.ask_second_look(actor_id="sam", reason="The cost is covered by savings.", now=T0)
    assert events.SecondLookRequested("i1", 1, 1, "diane") in raised
    assert idea.status == IdeaStatus.IN_REVIEW and idea.holder_id == "diane"
    assert idea.history[-1].kind == HistoryKind.SECOND_LOOK and idea.history[-1].from_name == "Maya Singh"
    decide(idea, DIANE)  # Diane overturns it; the chain carries on to the ADM
    assert idea.holder_id == "amir"
    decide(idea, AMIR, Outcome.REJECTED, "No budget.")
    with pytest.raises(AlreadyUsed):
        idea.ask_second_look(actor_id="sam", reason="again", now=T0, above=DANA)


def test_a_second_look_after_the_last_step_goes_to_that_approvers_manager():
    idea, _ = new_idea(SMALL)
    decide(idea, MAYA)
    decide(idea, DIANE, Outcome.REJECTED, "No.")
    assert idea.second_look_reviewer() is None
    with pytest.raises(NotAllowed):
        idea.ask_second_look(actor_id="sam", reason="please", now=T0)  # nobody named above
    idea.ask_second_look(actor_id="sam", reason="please", now=T0, above=AMIR)
    assert [s.approver_id for s in idea.chain] == ["maya", "diane", "amir"] and idea.holder_id == "amir"
    decide(idea, AMIR)
    assert idea.status == IdeaStatus.APPROVED


def test_only_a_rejected_idea_gets_a_second_look():
    idea, _ = new_idea()
    with pytest.raises(NotAllowed):
        idea.ask_second_look(actor_id="sam", reason="r", now=T0)


def test_every_route_detail_survives_the_stores_json():
    from bot.adapters.serialization import idea_from_dict, idea_to_dict

    idea, _ = new_idea(SMALL)
    idea.act_for(DIANE, reason="away", now=T0)
    idea.comment(actor_id="amir", actor_name="Amir Haddad", text="Keen.", now=T0)
    decide(idea, DIANE, Outcome.REJECTED, "No.")
    idea.ask_second_look(actor_id="sam", reason="Please.", now=T0, above=AMIR)
    idea.reassign(actor_id="amir", actor_name="Amir Haddad", to=DANA, reason="Yours.", now=T0 + timedelta(hours=1))
    copy = idea_from_dict(idea_to_dict(idea), version=idea.version)
    assert copy == idea
    assert copy.decisions[0].on_behalf_of_name == "Maya Singh"


def test_records_written_before_routes_existed_still_read():
    from bot.adapters.serialization import idea_from_dict, idea_to_dict

    idea, _ = new_idea()
    old = idea_to_dict(idea)
    for key in ("informed", "routeRule", "routeWhy", "history", "secondLookUsed", "heldSince"):
        old.pop(key)
    copy = idea_from_dict(old)
    assert copy.history == [] and copy.informed == [] and copy.held_since is None
    assert copy.waiting_since == idea.status_since


def test_when_the_acting_arrangement_ends_the_step_goes_back():
    idea, _ = new_idea()
    idea.act_for(DIANE, reason="delegation", now=T0)
    assert idea.acting_reason() == "delegation"
    raised = idea.hand_back(now=T0 + timedelta(days=2))
    assert idea.holder_id == "maya" and idea.current_approver.on_behalf_of_id == ""
    assert events.ApprovalRequested("i1", 0, 1, "maya", handoff=2) in raised
    entry = idea.history[-1]
    assert (entry.kind, entry.reason, entry.from_name, entry.to_name) == (
        HistoryKind.ACTING,
        "back",
        "Diane Tremblay",
        "Maya Singh",
    )
    assert idea.acting_reason() == ""
    with pytest.raises(NotAllowed):
        idea.hand_back(now=T0)
