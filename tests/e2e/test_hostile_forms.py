"""Property-based, every form past the pitch (issue #20): generated text, numbers, dates and JSON
in every field of the approval routes' forms (reassign, withdraw, a second look, an informed
person's comment, acting approvers), the organiser's challenge form, the sponsor's winners and
funding, the owner's follow-up, the panel's naming and the judges' scorecards, through the real
app over loopback HTTP.

For every example: the turn never fails (no 5xx, never the "something went wrong" reply), and
every text the store then holds for that form is clean by the one rule (no control character,
no bidirectional override, whitespace normalised: cleaning it again changes nothing) and within
its limit. (The pitch form and the decisions are in test_hostile_properties.py, which checks
the same.) Examples are few per form, so the whole suite stays quick on a 2-core machine.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain import stage as stage_rules
from bot.domain.challenge import NAME_MAX, QUESTION_MAX
from bot.domain.inputs import is_clean
from bot.domain.limits import COMMENT_MAX, REASON_MAX
from bot.domain.panel import COMMENT_MAX as SCORE_COMMENT_MAX
from bot.domain.panel import SCORE_MAX, SCORE_MIN
from bot.domain.pitch import FIELD_RULES
from cards import verbs
from tests.e2e.test_hostile_properties import Harness
from tests.support.hostile import json_values, long_text, user_text
from tests.support.people import AMIR, DANA, DIANE, MAYA, SAM
from tests.support.pitch_day import OLGA_ID, a_challenge, finalist_ideas, finalist_stage
from tests.support.teams_client import User, action

FEW = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OLGA = User(OLGA_ID, "Olga Kowalski")
OWNER = User("staff-0", "Staff Member 0")  # the first finalist's submitter, in the seeded challenges

text_ = st.one_of(user_text(300), long_text(1, 3000), json_values())
number_ = st.one_of(
    text_,
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["\u00b2", "9" * 5000, "\u0663", "50 000 $", "$1,000,000", "1e9", "0", "3", " 4 ", "5.0"]),
)
date_ = st.one_of(
    text_,
    st.dates().map(date.isoformat),
    st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "\u0662\u0660\u0662\u0667-01-01", ""]),
)


def clean(value: str, limit: int, *, multiline: bool = True) -> None:
    assert is_clean(value, multiline=multiline), repr(value)
    assert len(value) <= limit, (len(value), limit)


class FormsHarness(Harness):
    """The hostile-input harness, with the organiser named and a fresh challenge on demand."""

    def __init__(self, tmp_path) -> None:
        super().__init__(tmp_path, organiser_ids=frozenset({OLGA_ID}))
        self.challenges = itertools.count(1)

    def fresh_challenge(self) -> tuple[str, list[str]]:
        """A challenge whose three finalists are chosen (stored directly): (its id, finalist ids)."""
        n = next(self.challenges)
        challenge = a_challenge(f"forms-{n:04d}")
        ideas = finalist_ideas(challenge, 3)
        for k, idea in enumerate(ideas):
            idea.id = f"00000000-0000-4000-a000-{n:04d}{k:08d}"
            idea.reference = f"DEN-2024-{n:03d}{k}"

        async def store() -> None:
            await self.app.store.add_challenge(challenge)
            for idea in ideas:
                await self.app.store.add(idea)
            await self.app.store.write_stages(challenge, [finalist_stage(i, challenge) for i in ideas])

        self.run(store())
        return challenge.id, [i.id for i in ideas]

    def answered(self, user, verb: str, data: dict, inputs: dict) -> dict | None:
        """Click; the turn must not fail. Returns the card that answered, if any."""
        result = self.run(self.teams.click(user, {"verb": verb, "data": data}, inputs))
        assert result.status == 200, (verb, result)
        message = result.message if result.body and isinstance(result.body.get("value"), str) else ""
        assert "went wrong" not in message, (verb, message)
        return result.card if result.body and isinstance(result.body.get("value"), dict) else None


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    h = FormsHarness(tmp_path_factory.mktemp("forms"))
    for person in (SAM, MAYA, DIANE, AMIR, DANA, OLGA, OWNER):
        h.run(h.teams.install(person))
    yield h
    h.close()


def check_idea_texts(forms: FormsHarness, user_id: str) -> None:
    for idea in forms.run(forms.app.store.list_by_submitter(user_id, 1000)):
        for rule in FIELD_RULES:
            if rule.max_length:
                clean(getattr(idea.pitch, rule.name), rule.max_length, multiline=rule.multiline)
        for decision in idea.decisions:
            clean(decision.comment, COMMENT_MAX)
        for entry in idea.history:
            clean(entry.reason, max(REASON_MAX, COMMENT_MAX))


# ---- the approval routes' forms ------------------------------------------------------------------
@FEW
@given(reason=text_, to=text_, withdraw=text_, comment=text_)
@example(reason="Away\u202e next\x00 week", to=DIANE.aad_id, withdraw=" no\r\n\r\n\r\n\r\nlonger\t ", comment="x")
def test_reassign_withdraw_and_comment_store_clean_text_within_limits(forms, reason, to, withdraw, comment):
    card = forms.fresh_idea()
    forms.answered(MAYA, verbs.REASSIGN, action(card, verbs.APPROVE)["data"],
                   {"reassignTo": to, "reassignReason": reason})  # fmt: skip
    idea_id = action(card, verbs.APPROVE)["data"]["ideaId"]
    forms.answered(AMIR, verbs.COMMENT, {"ideaId": idea_id}, {"comment": comment})
    forms.answered(SAM, verbs.WITHDRAW, {"ideaId": idea_id}, {"withdrawReason": withdraw})
    check_idea_texts(forms, SAM.aad_id)


@FEW
@given(reject=text_, second=text_)
@example(reject="Not\u2066 now\u2069", second="Please\x07 look again\u202d")
def test_a_second_look_stores_clean_text_within_its_limit(forms, reject, second):
    card = forms.fresh_idea()
    data = action(card, verbs.REJECT)["data"]
    forms.answered(MAYA, verbs.REJECT, data, {"comment": reject})
    forms.answered(SAM, verbs.SECOND_LOOK, {"ideaId": data["ideaId"]}, {"secondLookReason": second})
    check_idea_texts(forms, SAM.aad_id)


@FEW
@given(delegate=st.one_of(text_, st.sampled_from([DIANE.aad_id, SAM.aad_id, MAYA.aad_id])), last_day=date_)
@example(delegate=DIANE.aad_id, last_day="9999-12-31")
@example(delegate=DIANE.aad_id, last_day=(date.today() + timedelta(days=3)).isoformat())
def test_any_acting_approver_form_is_answered_and_never_loops(forms, delegate, last_day):
    forms.answered(MAYA, verbs.DELEGATE_SET, {}, {"delegateId": delegate, "lastDay": last_day})
    stored = forms.run(forms.app.store.get_delegation(MAYA.aad_id))
    if stored is not None:
        assert stored.delegate_id != MAYA.aad_id and (stored.last_day - date.today()).days <= 366
    forms.answered(MAYA, verbs.DELEGATE_END, {}, {})


# ---- the organiser's challenge form -------------------------------------------------------------------
challenge_form = st.fixed_dictionaries(
    {"sponsors": st.one_of(st.just(DANA.aad_id), text_)},
    optional={
        "name": text_, "question": text_, "opens_on": date_, "closes_on": date_, "pitch_day": date_,
        "finalist_count": number_, "program_areas": text_, "peoples_choice": text_, "channel": text_,
        **{f"weight_{k}": number_ for k in ("client_impact", "feasibility", "use_of_digital", "people_plan", "cost")},
    },
)  # fmt: skip


@FEW
@given(form=challenge_form)
@example(form={"name": "Tell\u202e us once\x00", "question": "How?\r\n\r\n\r\n\r\nWhy?", "sponsors": DANA.aad_id,
               "opens_on": date.today().isoformat(), "closes_on": "9999-12-31"})  # fmt: skip
@example(form={"name": "Tell us once", "question": "How?", "sponsors": DANA.aad_id, "finalist_count": "\u00b2",
               "opens_on": date.today().isoformat(), "closes_on": (date.today() + timedelta(days=9)).isoformat(),
               "pitch_day": "9999-12-31"})  # fmt: skip
def test_any_challenge_form_is_refused_at_its_fields_or_stored_clean(forms, form):
    forms.answered(OLGA, verbs.CHALLENGE_OPEN, {}, form)
    for challenge in forms.run(forms.app.store.list_challenges()):
        clean(challenge.name, NAME_MAX, multiline=False)
        clean(challenge.question, QUESTION_MAX)
        assert challenge.pitch_day is None or abs((challenge.pitch_day - date.today()).days) <= 3660


# ---- the sponsor's winners and funding, the owner's follow-up ------------------------------------------
@FEW
@given(reason=text_, amount=number_, branch=text_, conditions=text_, status=st.one_of(
    text_, st.sampled_from(["on_track", "at_risk", "blocked", "done"])), note=text_)  # fmt: skip
@example(reason="Closer\u202e to\x00 clients", amount="\u00b2", branch="Digital", conditions="", status="on_track",
         note="ok")  # fmt: skip
@example(reason="Closer to clients", amount="50 000 $", branch=" Digital\t ", conditions="a\x00b", status="at_risk",
         note="late\u2067 parts")  # fmt: skip
@example(reason="", amount="9" * 5000, branch="Digital", conditions="", status="done", note="")
def test_winners_funding_and_follow_up_forms_store_clean_text_within_limits(
    forms, reason, amount, branch, conditions, status, note
):
    challenge_id, finalists = forms.fresh_challenge()
    forms.answered(DANA, verbs.DEN_WINNERS, {"challengeId": challenge_id, "picks": finalists[0],
                                             "ranking": ",".join(reversed(finalists))}, {"reason": reason})  # fmt: skip
    forms.answered(DANA, verbs.DEN_FUND, {"ideaId": finalists[0]},
                   {"amount": amount, "branch": branch, "conditions": conditions})  # fmt: skip
    forms.answered(OWNER, verbs.DEN_PROGRESS, {"ideaId": finalists[0]}, {"status": status, "note": note})
    challenge = forms.run(forms.app.store.get_challenge(challenge_id))
    clean(challenge.winners_reason, stage_rules.REASON_MAX)
    stage = forms.run(forms.app.store.get_stage(finalists[0]))
    if stage.funding is not None:
        assert 0 < stage.funding.amount <= stage_rules.AMOUNT_MAX
        clean(stage.funding.branch, stage_rules.BRANCH_MAX, multiline=False)
        clean(stage.funding.conditions, stage_rules.CONDITIONS_MAX)
    for update in stage.updates:
        clean(update.note, stage_rules.NOTE_MAX)
    for change in stage.history:
        clean(change.reason, stage_rules.REASON_MAX)


# ---- the panel and the scorecards ---------------------------------------------------------------------
scores_ = st.fixed_dictionaries({}, optional={
    f"score_{k}": number_ for k in ("client_impact", "feasibility", "use_of_digital", "people_plan", "cost")
})  # fmt: skip


@FEW
@given(judges=st.one_of(text_, st.just(f"{MAYA.aad_id},{DIANE.aad_id}")), chair=st.one_of(text_, st.just(MAYA.aad_id)),
       remind_on=date_, remind_time=st.one_of(text_, st.sampled_from(["09:00", "25:61", "9", ""])),
       scores=scores_, comment=text_)  # fmt: skip
@example(judges=MAYA.aad_id, chair=MAYA.aad_id, remind_on="9999-12-31", remind_time="09:00",
         scores={"score_client_impact": "\u00b2", "score_cost": "9" * 5000}, comment="fine\u202e\x00")  # fmt: skip
def test_panel_and_scorecard_forms_are_answered_and_store_clean_text(
    forms, judges, chair, remind_on, remind_time, scores, comment
):
    challenge_id, finalists = forms.fresh_challenge()
    ref = {"challengeId": challenge_id}
    forms.answered(OLGA, verbs.PANEL_NAME, ref, {"judges": judges, "chair": chair, "remind_on": remind_on,
                                                 "remind_time": remind_time})  # fmt: skip
    if forms.run(forms.app.store.get_panel(challenge_id)) is None:
        forms.answered(OLGA, verbs.PANEL_NAME, ref, {"judges": MAYA.aad_id, "chair": MAYA.aad_id})
    card = {**ref, "finalistId": finalists[0]}
    forms.answered(MAYA, verbs.DECLARE, {**card, "conflict": "none"}, {})
    forms.answered(MAYA, verbs.SCORE, card, {**scores, "comment": comment})
    for scorecard in forms.run(forms.app.store.list_scorecards(challenge_id)):
        clean(scorecard.comment, SCORE_COMMENT_MAX)
        assert all(SCORE_MIN <= s <= SCORE_MAX for s in scorecard.scores.values())
