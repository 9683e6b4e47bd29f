"""Every kind of card the bot sends, parsed and validated by Microsoft's Adaptive Cards library."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.chain import build_chain
from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.pitch import Pitch
from bot.i18n import Messages
from bot.settings import ROOT
from cards import (
    approval_card,
    help_card,
    idea_status_card,
    my_ideas_card,
    notice_card,
    pitch_form_card,
    receipt_card,
    returned_card,
    submitter_update_card,
    welcome_card,
)
from cards.approval import decided_card
from cards.digest import digest_card
from cards.reminder import reminder_card
from cards.waiting import waiting_card
from tests.support.people import VALID_PITCH
from tests.unit.test_digest_content import digest_for_dana

VALIDATOR = ROOT / "tests" / "support" / "validate_cards.js"
T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
SAM = Person("sam", "Sam Chen")
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
    }
    idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.RETURNED, comment="More data", now=T0)
    cards["returned"] = returned_card(m, idea, idea.decisions[-1], form_id="g")
    cards["decided"] = decided_card(m, idea, idea.decisions[-1])
    idea.resubmit(actor_id="sam", pitch=idea.pitch, revision=1, now=T0 + timedelta(days=1))
    idea.decide(actor_id="maya", step_index=0, revision=2, outcome=Outcome.APPROVED, comment="", now=T0)
    cards["update"] = submitter_update_card(m, idea, idea.decisions[-1])
    cards["status"] = idea_status_card(m, idea, headline="Where it is")
    cards["my_ideas"] = my_ideas_card(m, [idea] * 25, T0 + timedelta(days=2), limit=20)
    cards["reminder"] = reminder_card(m, idea, viewer_id="amir", days=6, from_dm="Dana Morel")
    cards["waiting"] = waiting_card(m, idea, days=8)
    digest = digest_for_dana()
    cards["digest"] = digest_card(m, digest, nudged={"i3"}, report_url="https://sharepoint.example/den", stall_days=5)
    cards["digest_quiet"] = digest_card(m, digest_for_dana([]))
    return cards


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_every_card_parses_and_validates_in_the_adaptive_cards_library():
    if not (ROOT / "node_modules" / "adaptivecards").exists():
        pytest.fail("the adaptivecards npm package is missing: `make test` installs it with npm ci")
    cards = all_cards() | {f"fr/{name}": card for name, card in all_cards("fr-CA").items()}
    result = subprocess.run(
        ["node", str(VALIDATOR)], input=json.dumps(list(cards.values())), capture_output=True, text=True, check=True
    )
    problems = {
        name: verdict
        for name, verdict in zip(cards, json.loads(result.stdout), strict=True)
        if verdict["failures"] or verdict["parseEvents"] or verdict["version"] != "1.5"
    }
    assert problems == {}


def test_cards_stay_well_under_the_teams_message_size_limit():
    longest = {**VALID_PITCH, "problem": "p" * 2000, "solution": "s" * 2000, "first_steps": "f" * 1000}
    idea, _ = Idea.submit(idea_id="i", reference="r", submitter=SAM, pitch=Pitch(**longest), chain=CHAIN, now=T0)
    card = approval_card(Messages("en-US"), idea, viewer_id="maya")
    assert len(json.dumps(card).encode()) < 28 * 1024
