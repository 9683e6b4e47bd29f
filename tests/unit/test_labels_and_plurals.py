"""Who is shown at which level, and numbers said as each language says them (pilot rehearsal, items
12 and 14): a reassigned step shows its holder's own level, an acting approver says whom they act
for, French shows a level rather than a gendered role noun, plurals come from the plural rules, and
percentages and required labels are written as each locale writes them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.model import Idea, Outcome, Role
from bot.domain.outbox import DecisionFacts
from bot.domain.pitch import Pitch
from bot.domain.routing import Rule, route_with
from bot.i18n import Messages
from cards import approval_card, receipt_card
from cards.challenge import window_closed_card
from cards.decision_update import decision_update_card
from cards.idea import chain_view
from tests.support.cast import AMIR, DIANE, MAYA, SAM
from tests.support.people import VALID_PITCH
from tests.support.teams_client import nodes, texts
from tests.unit.test_challenge_cards import all_cards as challenge_cards
from tests.unit.test_challenge_cards import scenario
from tests.unit.test_pitch_day_cards import pitch_day_cards

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
EN, FR = Messages("en-CA"), Messages("fr-CA")


def _idea() -> Idea:
    rule = Rule("all", (Role.MANAGER, Role.DIRECTOR), (), why={})
    route = route_with(rule, SAM, [MAYA, DIANE, AMIR])
    idea, _ = Idea.submit(
        idea_id="i", reference="DEN-2026-0007", submitter=SAM, pitch=Pitch(**VALID_PITCH), chain=route.deciders, now=T0
    )
    return idea


def test_a_step_reassigned_to_an_adm_shows_the_adm_as_adm_not_as_manager():
    idea = _idea()
    idea.reassign(actor_id="maya", actor_name="Maya Singh", to=AMIR, reason="Amir knows it", now=T0)
    shown = texts(chain_view(EN, idea)) + texts(approval_card(EN, idea, viewer_id="maya"))
    assert "Amir Haddad (ADM)" in shown and "Amir Haddad (Manager)" not in shown
    idea.decide(actor_id="amir", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    update = texts(decision_update_card(EN, DecisionFacts.of(idea, idea.decisions[-1], just_decided=True)))
    assert "Amir Haddad (ADM) approved your idea DEN-2026-0007" in update


def test_someone_acting_for_a_director_is_named_with_whom_they_act_for():
    idea = _idea()
    idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    idea.act_for(AMIR, reason="delegation", now=T0)
    idea.decide(actor_id="amir", step_index=1, revision=1, outcome=Outcome.REJECTED, comment="Not now", now=T0)
    update = texts(decision_update_card(EN, DecisionFacts.of(idea, idea.decisions[-1], just_decided=True)))
    assert "Amir Haddad, acting for Diane Tremblay (Director) did not approve DEN-2026-0007." in update
    french = texts(decision_update_card(FR, DecisionFacts.of(idea, idea.decisions[-1], just_decided=True)))
    assert "Amir Haddad, par intérim au nom de Diane Tremblay, à la direction, n’a pas approuvé" in french


def test_french_shows_a_persons_level_not_a_gendered_role_noun():
    idea = _idea()
    shown = texts(receipt_card(FR, idea)) + texts(chain_view(FR, idea))
    assert "Diane Tremblay, à la direction" in shown and "Maya Singh, gestionnaire" in shown
    assert "directeur" not in shown and "directrice" not in shown


def test_counts_use_the_plural_rules_in_both_languages():
    challenge, *_ = scenario(3)
    assert "1 idea was pitched" in texts(window_closed_card(EN, challenge, pitched=1))
    assert "4 ideas were pitched" in texts(window_closed_card(EN, challenge, pitched=4))
    assert "1 idée a été proposée" in texts(window_closed_card(FR, challenge, pitched=1))
    assert "No idea was pitched" in texts(window_closed_card(EN, challenge, pitched=0))
    for locale in ("en-CA", "fr-CA"):
        shown = "\n".join(texts(c) for c in [*pitch_day_cards(locale).values(), *challenge_cards(locale).values()])
        for marker in ("(s)", "(e)", "(es)"):
            assert marker not in shown, (locale, marker)
    ranks = texts(pitch_day_cards("fr-CA")["results"])
    assert "1er rang" in ranks and "1e rang" not in ranks


def test_required_labels_have_one_star_and_percentages_follow_the_locale():
    for locale in ("en-CA", "fr-CA"):
        for name, card in challenge_cards(locale).items():
            for node in nodes(card):
                assert not str(node.get("label", "")).rstrip().endswith("*"), (name, node["label"])
    english = texts(pitch_day_cards("en-CA")["scorecard_score"])
    french = texts(pitch_day_cards("fr-CA")["scorecard_score"])
    assert "%)" in english and " %" not in english and "20%" in texts(challenge_cards("en-CA")["challenge"])
    assert "\u00a0%" in french and "20\u00a0%" in texts(challenge_cards("fr-CA")["challenge"])


def test_french_elides_de_before_a_name_that_starts_with_a_vowel():
    amir = FR.t("comments.new_title", name="Amir Haddad", reference="DEN-1")
    assert amir == "Nouveau commentaire d’Amir Haddad sur DEN-1"
    assert FR.t("comments.new_title", name="Sam Chen", reference="DEN-1") == "Nouveau commentaire de Sam Chen sur DEN-1"
    assert FR.t("my_approvals.from", name="Olga Kowalski", duration="2 jours").startswith("D’Olga Kowalski,")
    assert EN.t("comments.new_title", name="Amir Haddad", reference="DEN-1") == "Amir Haddad commented on DEN-1"
