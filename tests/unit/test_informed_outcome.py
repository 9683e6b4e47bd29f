"""Which informed levels are told how an idea ended, and when such a message is still worth sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.model import Idea, InformedStep, Outcome, Person, Role
from bot.domain.outbox import MessageKind, still_relevant
from bot.domain.pitch import Pitch
from bot.domain.routing import Rule, route_with
from bot.services.ideas import outbox_for
from tests.support.people import VALID_PITCH

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
SAM = Person("sam", "Sam Chen")
MAYA = Person("maya", "Maya Singh", Role.MANAGER)
DIANE = Person("diane", "Diane Tremblay", Role.DIRECTOR)
AMIR = Person("amir", "Amir Haddad", Role.ADM)
DANA = Person("dana", "Dana Morel", Role.DM)


def idea_told_early() -> Idea:
    """Maya is informed at submission; Diane decides; Amir is informed on approval."""
    route = route_with(Rule("r", (Role.DIRECTOR,), (Role.MANAGER, Role.ADM)), SAM, [MAYA, DIANE, AMIR])
    assert route.informed == [
        InformedStep("maya", "Maya Singh", Role.MANAGER, 0),
        InformedStep("amir", "Amir Haddad", Role.ADM, 1),
    ]
    idea, _ = Idea.submit(idea_id="i", reference="DEN-2026-0001", submitter=SAM, pitch=Pitch(**VALID_PITCH),
                          chain=route.deciders, informed=route.informed, now=T0)  # fmt: skip
    return idea


def outcomes(messages) -> list[tuple[str, dict]]:
    return [(m.recipient_id, m.payload) for m in messages if m.kind == MessageKind.INFORMED_OUTCOME]


def test_approval_tells_those_informed_earlier_but_not_those_the_approval_informs():
    idea = idea_told_early()
    raised = idea.decide(actor_id="diane", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    sent = outbox_for(idea, raised, T0)
    assert outcomes(sent) == [("maya", {"outcome": "approved", "step": 0, "revision": 1})]
    assert [m.recipient_id for m in sent if m.kind == MessageKind.INFORMED] == ["amir"]


def test_a_rejection_reopened_by_a_second_look_is_no_longer_news_and_the_new_ending_is_told_again():
    idea = idea_told_early()
    raised = idea.decide(actor_id="diane", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="No", now=T0)
    (rejection,) = [m for m in outbox_for(idea, raised, T0) if m.kind == MessageKind.INFORMED_OUTCOME]
    assert still_relevant(rejection.kind, idea, rejection.payload["step"], rejection.payload["revision"])

    idea.ask_second_look(actor_id="sam", reason="Please look again", now=T0 + timedelta(hours=1), above=AMIR)
    assert not still_relevant(rejection.kind, idea, rejection.payload["step"], rejection.payload["revision"])
    raised = idea.decide(actor_id="amir", step_index=1, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    (approval,) = [m for m in outbox_for(idea, raised, T0) if m.kind == MessageKind.INFORMED_OUTCOME]
    assert approval.id != rejection.id and approval.recipient_id == "maya"
    assert still_relevant(approval.kind, idea, approval.payload["step"], approval.payload["revision"])


def test_a_withdrawal_tells_the_informed_but_the_holder_only_gets_their_own_card():
    idea = idea_told_early()
    raised = idea.withdraw(actor_id="sam", reason="", now=T0)
    sent = outbox_for(idea, raised, T0)
    assert outcomes(sent) == [("maya", {"outcome": "withdrawn", "step": 0, "revision": 1})]
    assert [m.recipient_id for m in sent if m.kind == MessageKind.WITHDRAWN] == ["diane"]
    assert outbox_for(idea, raised, T0)[0].id == sent[0].id, "the same ids on a retried write"
