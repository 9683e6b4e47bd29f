"""Every kind of card the bot sends, parsed and validated by Microsoft's Adaptive Cards library."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.outbox import DecisionFacts
from bot.domain.pitch import Pitch
from bot.i18n import Messages
from cards import (
    approval_card,
    help_card,
    idea_status_card,
    my_ideas_card,
    notice_card,
    pitch_form_card,
    receipt_card,
    returned_card,
    welcome_card,
)
from cards.approval import decided_card
from cards.common import in_language
from cards.decision_update import decision_update_card
from cards.details import idea_details_card
from cards.digest import digest_card
from cards.my_information import my_information_card
from cards.reminder import reminder_card
from cards.status import shortlisted_card
from cards.waiting import waiting_card
from cards.welcome import Audience
from tests.support.card_validator import card_problems, needs_node
from tests.support.cast import SAM
from tests.support.chains import build_chain
from tests.support.people import VALID_PITCH
from tests.unit.test_digest_content import digest_for_dana

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
CHAIN = build_chain(SAM, [Person("maya", "Maya Singh", Role.MANAGER), Person("amir", "Amir Haddad", Role.ADM)])


def all_cards(locale: str = "en-US") -> dict[str, dict]:
    m = Messages(locale)
    idea, _ = Idea.submit(
        idea_id="i", reference="DEN-2026-0001", submitter=SAM, pitch=Pitch(**VALID_PITCH), chain=CHAIN, now=T0
    )
    cards = {
        "welcome": welcome_card(m),
        "help": help_card(m),
        "notice": notice_card(m, "Hello", with_menu=True),
        "form": pitch_form_card(m, form_id="f"),
        "form_errors": pitch_form_card(m, form_id="f", values={"title": ""}, errors={"title": "required"}),
        "receipt": receipt_card(m, idea),
        "approval": approval_card(m, idea, viewer_id="maya"),
        "approval_other": approval_card(m, idea, viewer_id="priya", notice="Only Maya"),
        "my_ideas_empty": my_ideas_card(m, [], T0, limit=20),
        "my_information": my_information_card(
            m, {"ideasPitched": 2, "actionsOnOthersIdeas": 1, "scoresGiven": 0, "messagesSent": 14}, reference="ACC-1"
        ),
    }
    idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.RETURNED, comment="More data", now=T0)
    cards["returned"] = returned_card(m, idea, idea.decisions[-1], form_id="g")
    cards["my_ideas_returned"] = my_ideas_card(m, [idea], T0, limit=20)  # with Revise and Withdraw
    cards["details_returned"] = idea_details_card(m, idea)
    cards["form_duplicate"] = pitch_form_card(m, form_id="f", notice="Pitched before", confirm="duplicate")
    cards["update_returned"] = decision_update_card(m, DecisionFacts.of(idea, idea.decisions[-1]))
    cards["decided"] = decided_card(m, idea, idea.decisions[-1])
    revised = Pitch(**{**VALID_PITCH, "title": "Tell us once, province-wide", "cost_band": "50k_250k"})
    idea.resubmit(actor_id="sam", pitch=revised, revision=1, now=T0 + timedelta(days=1))
    cards["approval_revised"] = approval_card(m, idea, viewer_id="maya")
    cards["approval_comment_needed"] = approval_card(m, idea, viewer_id="maya", comment_error="Add a comment")
    idea.decide(actor_id="maya", step_index=0, revision=2, outcome=Outcome.APPROVED, comment="", now=T0)
    cards["update"] = decision_update_card(m, DecisionFacts.of(idea, idea.decisions[-1]))
    cards["status"] = idea_status_card(m, idea, headline="Where it is")
    cards["my_ideas"] = my_ideas_card(m, [idea] * 25, T0 + timedelta(days=2), limit=20)
    cards["reminder"] = reminder_card(m, idea, viewer_id="amir", days=6, from_dm="Dana Morel")
    cards["waiting"] = waiting_card(m, idea, days=8)
    cards["details_in_review"] = idea_details_card(m, idea)
    idea.decide(actor_id="amir", step_index=1, revision=2, outcome=Outcome.APPROVED, comment="Go", now=T0)
    idea.shortlist(dm_id="dana", now=T0)
    cards["details_shortlisted"] = idea_details_card(m, idea)
    cards["shortlisted"] = shortlisted_card(m, idea)
    for audience in Audience:
        cards[f"welcome_{audience.value}"] = in_language(welcome_card(m, audience), m)
    digest = digest_for_dana()
    cards["digest"] = digest_card(m, digest, nudged={"i3"}, report_url="https://sharepoint.example/den", stall_days=5)
    cards["digest_quiet"] = digest_card(m, digest_for_dana([]))
    cards.update(route_cards(m))
    from tests.unit.test_pitch_day_cards import pitch_day_cards

    cards.update({f"pitch_day/{name}": card for name, card in pitch_day_cards(locale).items()})
    return cards


def route_cards(m: Messages) -> dict[str, dict]:
    """The lean-route cards: informed, withdrawn, hand-overs, a second look, my approvals, acting approvers."""
    from datetime import date

    from bot.domain.calendar import WorkCalendar
    from bot.domain.delegation import new_delegation
    from bot.domain.routing import Rule, route_with
    from cards.approval_routes import (
        comment_card,
        delegation_card,
        informed_card,
        informed_outcome_card,
        my_approvals_card,
        withdrawn_card,
    )
    from cards.idea import chain_view, pitch_summary

    maya, diane = Person("maya", "Maya Singh", Role.MANAGER), Person("diane", "Diane Tremblay", Role.DIRECTOR)
    amir = Person("amir", "Amir Haddad", Role.ADM)
    rule = Rule("small", (Role.MANAGER, Role.DIRECTOR), (Role.ADM,), why={"en": "Under $50,000."})
    route = route_with(rule, SAM, [maya, diane, amir])
    idea, _ = Idea.submit(
        idea_id="r", reference="DEN-2026-0002", submitter=SAM, pitch=Pitch(**VALID_PITCH), chain=route.deciders,
        now=T0, informed=route.informed, route_rule=route.rule, route_why=dict(route.why),
    )  # fmt: skip
    cards = {"receipt_route": receipt_card(m, idea)}
    idea.act_for(diane, reason="away_next_level", now=T0)
    cards["approval_acting"] = approval_card(m, idea, viewer_id="diane")
    idea.reassign(actor_id="diane", actor_name="Diane Tremblay", to=amir, reason="Amir knows it", now=T0)
    cards["approval_reassigned"] = approval_card(m, idea, viewer_id="amir")
    cards["approval_stale"] = approval_card(m, idea, viewer_id="maya")
    idea.comment(actor_id="amir", actor_name="Amir Haddad", text="Keen.", now=T0)
    summary, chain = pitch_summary(m, idea, full=False), chain_view(m, idea)
    cards["informed"] = informed_card(m, idea, summary=summary, chain=chain, notice="Sent")
    cards["comment"] = comment_card(m, idea, idea.history[-1], chain=chain)
    idea.decide(actor_id="amir", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="No", now=T0)
    cards["rejected_second_look"] = idea_status_card(m, idea, headline=m.t("status.rejected"))
    idea.ask_second_look(actor_id="sam", reason="Please", now=T0)
    cards["approval_second_look"] = approval_card(m, idea, viewer_id="diane")
    other = copy.copy(idea)
    other.id = f"{idea.id}-2"  # a second idea waiting: each has its own comment box
    cards["my_approvals"] = my_approvals_card(m, [idea, other], T0, waiting_days=lambda _: 3)
    cards["my_approvals_none"] = my_approvals_card(m, [], T0, waiting_days=lambda _: 0)
    idea.withdraw(actor_id="sam", reason="Later", now=T0)
    cards["withdrawn"] = withdrawn_card(m, idea, summary=summary, chain=chain_view(m, idea))
    cards["informed_outcome"] = informed_outcome_card(m, idea, summary=summary, chain=chain_view(m, idea))
    cal = WorkCalendar.of()
    last = date(2026, 11, 6)
    current = new_delegation(principal=maya, delegate=diane, last_day=last, now=T0, calendar=cal, active={})
    cards["delegate"] = delegation_card(m, today=date(2026, 11, 2), current=current, people=[("d", "Diane")])
    cards["delegate_email"] = delegation_card(m, today=date(2026, 11, 2), current=None, problem="Bad")
    return cards


@needs_node
def test_every_card_parses_and_validates_in_the_adaptive_cards_library():
    cards = all_cards() | {f"fr/{name}": card for name, card in all_cards("fr-CA").items()}
    assert card_problems(cards) == {}


def test_cards_stay_well_under_the_teams_message_size_limit():
    longest = {**VALID_PITCH, "problem": "p" * 2000, "solution": "s" * 2000, "first_steps": "f" * 1000}
    idea, _ = Idea.submit(idea_id="i", reference="r", submitter=SAM, pitch=Pitch(**longest), chain=CHAIN, now=T0)
    card = approval_card(Messages("en-US"), idea, viewer_id="maya")
    assert len(json.dumps(card).encode()) < 28 * 1024
