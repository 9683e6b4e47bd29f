"""Every card of the Den challenge, in every stage an idea can be in, validated by Microsoft's
Adaptive Cards library and kept well under Teams' 28 KB."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from bot.domain import stage as st
from bot.domain.calendar import WorkCalendar
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.den_report import build_report, stages_of
from bot.domain.digest import BusinessDays
from bot.domain.model import Idea, Outcome, Person
from bot.domain.panel import FinalistResult
from bot.domain.pitch import Pitch
from bot.domain.stage import ProgressStatus, Standing
from bot.i18n import Messages
from cards import my_ideas_card, pitch_form_card
from cards.challenge import (
    Choosing,
    announcement_card,
    call_for_ideas_card,
    challenge_card,
    challenge_digest_card,
    challenge_form_card,
    challenge_preface,
    challenges_card,
    consent_card,
    follow_up_card,
    funding_form_card,
    idea_view_card,
    late_pitch_card,
    pitch_privately_card,
    pool_card,
    progress_filed_card,
    report_card,
    stage_update_card,
    window_closed_card,
)
from cards.details import idea_details_card
from tests.support.card_validator import card_problems, needs_node
from tests.support.cast import DANA, MAYA
from tests.support.chains import build_chain
from tests.support.people import VALID_PITCH
from tests.support.teams_client import texts

DAYS = BusinessDays(WorkCalendar.of("America/Toronto"))
TZ = ZoneInfo("America/Toronto")
T0 = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
CLOSES = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
AFTER = CLOSES + timedelta(days=2)


def scenario(n: int = 12, text_size: int = 0):
    draft = ChallengeDraft(
        "Tell us once",
        "How could clients tell us things only once?",
        ("dana",),
        T0 - timedelta(days=1),
        CLOSES,
        program_areas=("client_services",),
        pitch_day=CLOSES.date() + timedelta(days=30),
        peoples_choice=True,
    )
    challenge = Challenge.open_new(challenge_id="c1", draft=draft, actor_id="olga", is_organiser=True, now=T0)
    challenge.channel_key = "19:abc@thread.tacv2"
    ideas = []
    for k in range(n):
        submitter = Person(f"s{k}", f"Staff {k}", branch="Client Services Branch")
        pitch = {**VALID_PITCH, "title": f"Idea {k} " + "t" * min(text_size, 100)}
        idea, _ = Idea.submit(
            idea_id=f"i{k}",
            reference=f"DEN-2026-{k:04d}",
            submitter=submitter,
            pitch=Pitch(**pitch),
            chain=build_chain(submitter, [MAYA]),
            now=T0,
        )
        idea.challenge = "c1"
        idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
        ideas.append(idea)
    stages = stages_of(ideas, [])
    return challenge, ideas, stages


def all_cards(locale: str = "en-US") -> dict[str, dict]:
    m = Messages(locale)
    challenge, ideas, stages = scenario()
    rows = lambda: [(i, stages[i.id]) for i in ideas]  # noqa: E731
    cards = {
        "form": challenge_form_card(m, form_id="f", sponsors=[DANA], channels=[("19:abc", "Ministry › General")]),
        "form_errors": challenge_form_card(
            m,
            form_id="f",
            sponsors=[DANA],
            channels=[],
            challenge_id="c1",
            values={"name": ""},
            errors={"name": "required", "weights": "weights_sum"},
            notice="Only organisers",
        ),
        "challenge": challenge_card(
            m,
            challenge,
            now=T0,
            tz=TZ,
            sponsor_names={"dana": "Dana Morel"},
            organiser=True,
            sponsor=True,
            headline="Opened",
        ),
        "challenges": challenges_card(m, [challenge], now=T0, tz=TZ, organiser=True, user_id="olga"),
        "challenges_empty": challenges_card(m, [], now=T0, tz=TZ, organiser=False, user_id="sam"),
        "call": call_for_ideas_card(m, challenge, tz=TZ),
        "closed": window_closed_card(m, challenge, pitched=24),
        "late": late_pitch_card(m, challenge, now=T0 - timedelta(days=3), tz=TZ),
        "late_none": late_pitch_card(m, None, now=T0, tz=TZ),
        "pitch_with_question": pitch_form_card(
            m, form_id="f", preface=challenge_preface(m, challenge, tz=TZ), challenge_id="c1"
        ),
        "pitch_privately": pitch_privately_card(m, "c1"),
        "pool_open": pool_card(m, challenge, rows(), now=T0),
    }
    for idea in ideas[:8]:
        st.shortlist(challenge, stages[idea.id], actor_id="dana", now=T0)
    cards["pool_shortlisted"] = pool_card(m, challenge, rows(), now=AFTER, headline="Shortlisted")
    cards["update_shortlisted"] = stage_update_card(m, ideas[0], stages["i0"], challenge, seq=2, for_submitter=True)
    cards["update_shortlisted_approver"] = stage_update_card(
        m, ideas[0], stages["i0"], challenge, seq=2, for_submitter=False
    )
    st.choose_finalists(challenge, stages.values(), [f"i{k}" for k in range(5)], actor_id="dana", now=AFTER)
    cards["pool_finalists"] = pool_card(m, challenge, rows(), now=AFTER)
    cards["pool_before_pitch_day"] = pool_card(
        m, challenge, rows(), now=AFTER, choosing=Choosing(today=challenge.pitch_day - timedelta(days=1))
    )
    ranked = {f"i{k}": FinalistResult(f"i{k}", Fraction(21 - k, 5), Fraction(3), Fraction(5), 3, 0, k + 1, False, False)
              for k in range(5)}  # fmt: skip
    cards["pool_winner_picker"] = pool_card(m, challenge, rows(), now=AFTER, choosing=Choosing(
        today=challenge.pitch_day, picked=["i1"], reason="Ready this quarter", problem="Say why", panel=ranked,
        votes={"i0": 3, "i1": 1}))  # fmt: skip
    cards["update_finalist"] = consent_card(m, ideas[0], stages["i0"], challenge)
    cards["update_not_selected"] = stage_update_card(m, ideas[10], stages["i10"], challenge, seq=2, for_submitter=True)
    cards["announce_finalists"] = announcement_card(m, challenge, [(i, stages[i.id]) for i in ideas[:5]], winners=False)
    st.give_consent(stages["i0"], actor_id="s0", consent=True)
    st.choose_winners(challenge, stages.values(), ["i0"], actor_id="dana", now=AFTER, ranking=["i1"], reason="Budget")
    cards["pool_winners"] = pool_card(m, challenge, rows(), now=AFTER)
    cards["view"] = idea_view_card(m, ideas[0], stages["i0"], challenge, {"dana": "Dana Morel"})
    cards["announce_winners"] = announcement_card(m, challenge, [(ideas[0], stages["i0"])], winners=True)
    cards["fund_form"] = funding_form_card(m, ideas[0], notice="Please enter an amount")
    st.record_funding(
        challenge, stages["i0"], actor_id="dana", amount=50_000, branch="Digital", conditions="Q", now=AFTER
    )
    cards["update_funded"] = stage_update_card(m, ideas[0], stages["i0"], challenge, seq=5, for_submitter=True)
    cards["follow_up"] = follow_up_card(m, ideas[0], stages["i0"])
    st.file_progress(stages["i0"], actor_id="s0", status=ProgressStatus.AT_RISK, note="Vendor", now=AFTER)
    cards["follow_up_again"] = follow_up_card(
        m, ideas[0], stages["i0"], notice="A note is needed", values={"status": "blocked"}
    )
    cards["progress_filed"] = progress_filed_card(m, ideas[0], stages["i0"])
    report = build_report(challenge, ideas, stages.values(), AFTER + timedelta(days=60), days=DAYS)
    cards["digest"] = challenge_digest_card(m, report)
    cards["report"] = report_card(m, report, csv_url="https://den.example/den/report.csv?t=abc", csv_minutes=15)
    standings = {
        "i0": Standing("Tell us once", stages["i0"], update_due=True),
        "i1": Standing("Tell us *once*", stages.get("i1")),
        "i2": Standing("Tell us once"),
    }
    cards["my_ideas"] = my_ideas_card(m, ideas[:3], AFTER, limit=20, standings=standings)
    cards["details_funded"] = idea_details_card(m, ideas[0], standings["i0"])
    cards["details_not_entered"] = idea_details_card(m, ideas[2], standings["i2"])
    return cards


@needs_node
def test_every_challenge_card_parses_and_validates_in_the_adaptive_cards_library():
    cards = all_cards()
    assert card_problems(cards) == {}


def test_a_big_pool_and_report_stay_well_under_the_teams_size_limit():
    m = Messages("en-US")
    challenge, ideas, stages = scenario(n=400, text_size=100)
    pool = pool_card(m, challenge, [(i, stages[i.id]) for i in ideas], now=T0)
    assert len(json.dumps(pool).encode()) < 24 * 1024
    assert "…and 370 more." in json.dumps(pool, ensure_ascii=False)
    report = report_card(m, build_report(challenge, ideas, stages.values(), T0, days=DAYS))
    assert len(json.dumps(report).encode()) < 24 * 1024


def test_the_not_selected_thank_you_says_how_far_the_idea_got():
    m = Messages("en-US")
    challenge, ideas, stages = scenario()
    for idea in ideas[:8]:
        st.shortlist(challenge, stages[idea.id], actor_id="dana", now=T0)
    st.choose_finalists(challenge, stages.values(), ["i0"], actor_id="dana", now=AFTER)
    shortlisted = json.dumps(stage_update_card(m, ideas[3], stages["i3"], challenge, seq=3, for_submitter=True))
    pooled = json.dumps(stage_update_card(m, ideas[10], stages["i10"], challenge, seq=2, for_submitter=True))
    assert "It reached this stage: Shortlisted" in shortlisted and "Thank you for your idea" in shortlisted
    assert "It reached this stage: In the pool" in pooled


def test_the_channel_names_only_finalists_who_consented():
    m = Messages("en-US")
    challenge, ideas, stages = scenario()
    for idea in ideas[:2]:
        st.shortlist(challenge, stages[idea.id], actor_id="dana", now=T0)
    st.choose_finalists(challenge, stages.values(), ["i0", "i1"], actor_id="dana", now=AFTER)
    st.give_consent(stages["i0"], actor_id="s0", consent=True)
    st.give_consent(stages["i1"], actor_id="s1", consent=False)
    shown = json.dumps(announcement_card(m, challenge, [(i, stages[i.id]) for i in ideas[:2]], winners=False))
    assert "Staff 0" in shown and "Staff 1" not in shown and "From Client Services Branch" in shown


def test_a_french_reader_sees_no_english_on_any_challenge_card():
    from tests.unit.test_catalogue import _texts, catalogue

    fragments = {
        key: [p for p in (part.strip(" .,:;()") for part in re.split(r"\{[a-z_]*\}", value)) if len(p.split()) >= 2]
        for key, value in catalogue("en").items()
        if key != "app.name"
    }
    leaks = {}
    for name, card in all_cards("fr-CA").items():
        shown = "\n".join(_texts(card))
        found = [key for key, parts in fragments.items() if parts and all(part in shown for part in parts)]
        if found:
            leaks[name] = found
    assert leaks == {}
    assert "Proposer une idée" in "\n".join(_texts(all_cards("fr-CA")["call"]))


def test_a_challenge_closed_early_says_when_it_really_closed():
    """A walk found "Closed to new pitches. Sep 1 to Sep 30" for a window the organiser closed early."""
    challenge, _, _ = scenario(n=0)
    early = T0 + timedelta(days=5)  # September 7, in Toronto
    challenge.close_early(actor_id="olga", is_organiser=True, now=early)
    for locale, closed, planned in (
        ("en-US", "closed early on September 7, 2026", "September 30, 2026"),
        ("fr-CA", "fermé plus tôt que prévu, le 7 septembre 2026", "30 septembre 2026"),
    ):
        m = Messages(locale)
        listed = texts(challenges_card(m, [challenge], now=early, tz=TZ, organiser=True, user_id="olga"))
        assert closed in listed and planned not in listed
        shown = texts(
            challenge_card(m, challenge, now=early, tz=TZ, sponsor_names={}, organiser=True, sponsor=False)
        )
        assert m.t("den.window_closed_early", opens="", closed="", planned="").split("(")[1][:8] in shown
        assert planned in shown and ("September 7, 2026" in shown or "7 septembre 2026" in shown)
    still_open, _, _ = scenario(n=0)
    assert "closed early" not in texts(challenges_card(Messages("en"), [still_open], now=T0, tz=TZ,
                                                       organiser=True, user_id="olga"))
