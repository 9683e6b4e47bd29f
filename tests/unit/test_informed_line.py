"""Who a card lists as kept informed: once each, and never someone who decides a step."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.pitch import Pitch
from bot.domain.routing import Rule, route_with
from bot.i18n import Messages
from cards.approval_routes import informed_card
from cards.idea import chain_view, pitch_summary
from tests.support.cast import SAM

T0 = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
MAYA = Person("maya", "Maya Singh", Role.MANAGER)
DIANE = Person("diane", "Diane Tremblay", Role.DIRECTOR)
AMIR = Person("amir", "Amir Haddad", Role.ADM)
SMALL = Rule("small", (Role.MANAGER, Role.DIRECTOR), (Role.ADM,), why={"en": "Under $50,000."})
PITCH = Pitch("Tell us once", "p", "s", "clients", "client_services", "under_10k", "first steps")


def small_idea() -> Idea:
    route = route_with(SMALL, SAM, [MAYA, DIANE, AMIR])
    idea, _ = Idea.submit(
        idea_id="i", reference="DEN-2026-0002", submitter=SAM, pitch=PITCH, chain=route.deciders,
        now=T0, informed=route.informed, route_rule=route.rule, route_why=dict(route.why),
    )  # fmt: skip
    return idea


def count(card: dict, needle: str) -> int:
    return json.dumps(card, ensure_ascii=False).count(needle)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_informed_card_lists_the_informed_level_once(language):
    m = Messages(language)
    idea = small_idea()
    line = m.t("route.informed", names=m.t("chain.step", name="Amir Haddad", role=m.t("role.adm")))
    card = informed_card(m, idea, summary=pitch_summary(m, idea, full=False), chain=chain_view(m, idea))
    assert count(card, line) == 1


@pytest.mark.parametrize("language", ["en", "fr"])
def test_someone_passed_a_step_and_deciding_it_is_not_also_kept_informed(language):
    m = Messages(language)
    idea = small_idea()
    idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    idea.reassign(actor_id="diane", actor_name="Diane Tremblay", to=AMIR, reason="Amir knows it", now=T0)
    idea.decide(actor_id="amir", step_index=1, revision=1, outcome=Outcome.REJECTED, comment="Not now", now=T0)
    chain = json.dumps(chain_view(m, idea), ensure_ascii=False)
    assert "Amir Haddad" in chain  # he decided the step
    assert m.t("route.informed", names="").strip() not in chain
