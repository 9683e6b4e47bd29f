"""The challenge and the stage state machine: every allowed and every refused move, no storage."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import stage as st
from bot.domain.challenge import (
    DEFAULT_CRITERIA,
    AlreadyClosed,
    AlreadyOpen,
    Challenge,
    ChallengeDraft,
    ChallengePhase,
    NotOrganiser,
    NotSponsor,
    next_challenge,
    open_challenge,
    parse_challenge_form,
)
from bot.domain.stage import ALLOWED, IdeaStage, ProgressStatus, Stage

TZ = ZoneInfo("America/Toronto")
T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
OPENS = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)
CLOSES = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
AFTER = CLOSES + timedelta(days=1)
DANA, LUC, SAM, OLGA = "dana", "luc", "sam", "olga"


def draft(**changes) -> ChallengeDraft:
    base = dict(
        name="Tell us once",
        question="How can clients tell us things only once?",
        sponsor_ids=(DANA, LUC),
        opens_at=OPENS,
        closes_at=CLOSES,
    )
    return ChallengeDraft(**{**base, **changes})


def challenge(**changes) -> Challenge:
    made = Challenge.open_new(
        challenge_id="c1", draft=draft(), actor_id=OLGA, is_organiser=True, now=T0 - timedelta(days=7)
    )
    for name, value in changes.items():
        setattr(made, name, value)
    return made


def pooled(n: int, owner: str = SAM) -> IdeaStage:
    return IdeaStage.enter_pool(idea_id=f"i{n}", challenge_id="c1", owner_id=owner, at=T0, by="amir")


# ---- the table itself --------------------------------------------------------------------
EXPECTED_MOVES = {
    ("pool", "shortlisted"),
    ("pool", "not_selected"),
    ("shortlisted", "pool"),
    ("shortlisted", "finalist"),
    ("shortlisted", "not_selected"),
    ("finalist", "winner"),
    ("finalist", "not_selected"),
    ("winner", "implementing"),
    ("implementing", "implemented"),
    ("implementing", "stopped"),  # the owner reports its implementation stopped
}


@pytest.mark.parametrize("source,target", list(itertools.product(Stage, Stage)))
def test_every_pair_of_stages_is_allowed_or_refused_as_designed(source, target):
    allowed = (source.value, target.value) in EXPECTED_MOVES
    assert st.can_move(source, target) is allowed
    stage = IdeaStage("i1", "c1", SAM, stage=source, history=[st.StageChange(1, None, source, T0, "x")])
    if allowed:
        event = stage._move(target, by=DANA, now=T0 + timedelta(hours=1))
        assert stage.stage == target and event.to_stage == target and event.from_stage == source
        assert stage.history[-1] == st.StageChange(2, source, target, T0 + timedelta(hours=1), DANA)
    else:
        with pytest.raises(st.StageStale):
            stage._move(target, by=DANA, now=T0)
        assert stage.stage == source and len(stage.history) == 1


def test_ended_stages_go_nowhere():
    assert ALLOWED[Stage.IMPLEMENTED] == frozenset() and ALLOWED[Stage.NOT_SELECTED] == frozenset()
    assert ALLOWED[Stage.STOPPED] == frozenset()


# ---- the challenge ------------------------------------------------------------------------
def test_only_an_organiser_opens_a_challenge_and_the_2016_criteria_are_the_default():
    with pytest.raises(NotOrganiser):
        Challenge.open_new(challenge_id="c1", draft=draft(), actor_id=SAM, is_organiser=False, now=T0)
    made = challenge()
    assert made.criteria == list(DEFAULT_CRITERIA) and sum(c.weight for c in made.criteria) == 100
    assert [c.key for c in made.criteria] == ["client_impact", "feasibility", "use_of_digital", "people_plan", "cost"]
    assert made.created_by == OLGA and made.finalist_count == 5 and made.sponsor_ids == [DANA, LUC]


def test_the_window_is_scheduled_then_open_then_closed():
    made = challenge()
    assert made.phase(OPENS - timedelta(seconds=1)) == ChallengePhase.SCHEDULED
    assert made.phase(OPENS) == ChallengePhase.OPEN and made.accepts_pitches(T0)
    assert made.phase(CLOSES) == ChallengePhase.CLOSED and not made.accepts_pitches(CLOSES)


def test_editable_until_it_opens_by_organisers_only():
    made = challenge()
    before = OPENS - timedelta(days=1)
    made.edit(draft=draft(name="Renamed", finalist_count=3), is_organiser=True, now=before)
    assert made.name == "Renamed" and made.finalist_count == 3 and made.updated_at == before
    with pytest.raises(NotOrganiser):
        made.edit(draft=draft(name="Nope"), is_organiser=False, now=before)
    with pytest.raises(AlreadyOpen):
        made.edit(draft=draft(name="Too late"), is_organiser=True, now=OPENS)
    assert made.name == "Renamed"


def test_closed_early_by_an_organiser_once():
    made = challenge()
    with pytest.raises(NotOrganiser):
        made.close_early(actor_id=SAM, is_organiser=False, now=T0)
    made.close_early(actor_id=OLGA, is_organiser=True, now=T0)
    assert made.phase(T0) == ChallengePhase.CLOSED and made.closed_at == T0 and made.closed_by == OLGA
    with pytest.raises(AlreadyClosed):
        made.close_early(actor_id=OLGA, is_organiser=True, now=T0 + timedelta(minutes=1))


def test_the_open_and_the_next_challenge():
    first = challenge()
    later_draft = draft(opens_at=CLOSES + timedelta(days=30), closes_at=CLOSES + timedelta(days=60))
    later = Challenge.open_new(challenge_id="c2", draft=later_draft, actor_id=OLGA, is_organiser=True, now=T0)
    assert open_challenge([first, later], T0) is first
    assert open_challenge([first, later], AFTER) is None
    assert next_challenge([first, later], AFTER) is later
    assert next_challenge([first], AFTER) is None


# ---- the organiser's form -------------------------------------------------------------------
FORM = {
    "name": "Tell us once",
    "question": "How?",
    "sponsors": "dana,luc",
    "opens_on": "2026-09-01",
    "closes_on": "2026-09-30",
    "program_areas": "client_services,policy",
    "finalist_count": "5",
    "pitch_day": "2026-11-05",
    "peoples_choice": "true",
}


def parse(**changes):
    return parse_challenge_form({**FORM, **changes}, tz=TZ, known_sponsors=[DANA, LUC], today=date(2026, 8, 20))


def test_a_valid_form_gives_a_local_window_and_default_weights():
    made, _, errors = parse()
    assert errors == {}
    assert made.opens_at == datetime(2026, 9, 1, tzinfo=TZ) and made.closes_at == datetime(2026, 10, 1, tzinfo=TZ)
    assert made.criteria == DEFAULT_CRITERIA and made.peoples_choice and made.pitch_day == date(2026, 11, 5)
    assert made.sponsor_ids == (DANA, LUC) and made.program_areas == ("client_services", "policy")


@pytest.mark.parametrize(
    "changes,field,code",
    [
        ({"name": ""}, "name", "required"),
        ({"question": "x" * 501}, "question", "too_long"),
        ({"sponsors": "dana,someone"}, "sponsors", "invalid_choice"),
        ({"sponsors": ""}, "sponsors", "required"),
        ({"closes_on": "2026-08-31"}, "closes_on", "before_open"),
        ({"opens_on": "2026-08-01", "closes_on": "2026-08-10"}, "closes_on", "in_past"),
        ({"opens_on": "31/08/2026"}, "opens_on", "invalid_date"),
        ({"finalist_count": "0"}, "finalist_count", "out_of_range"),
        ({"finalist_count": "21"}, "finalist_count", "out_of_range"),
        ({"weight_cost": "40"}, "weights", "weights_sum"),
        ({"weight_cost": "-5"}, "weight_cost", "invalid_number"),
        ({"pitch_day": "2026-09-15"}, "pitch_day", "before_close"),
        ({"program_areas": "astrology"}, "program_areas", "invalid_choice"),
    ],
)
def test_a_bad_form_names_each_bad_field(changes, field, code):
    made, values, errors = parse(**changes)
    assert made is None and errors[field] == code and values["name"] == changes.get("name", FORM["name"])


def test_custom_weights_that_sum_to_100_are_kept():
    made, _, errors = parse(weight_client_impact="40", weight_cost="0")
    assert errors == {} and made.criteria[0].weight == 40 and made.criteria[-1].weight == 0


# ---- shortlisting ---------------------------------------------------------------------------
def test_a_sponsor_shortlists_and_can_undo_until_finalists_are_chosen():
    made, idea = challenge(), pooled(1)
    (event,) = st.shortlist(made, idea, actor_id=LUC, now=T0)
    assert idea.stage == Stage.SHORTLISTED and event == st.StageChanged("i1", 2, Stage.POOL, Stage.SHORTLISTED)
    assert idea.history[-1].by == LUC and idea.history[-1].at == T0
    with pytest.raises(st.AlreadyDone):
        st.shortlist(made, idea, actor_id=DANA, now=T0)
    st.undo_shortlist(made, idea, actor_id=DANA, now=T0 + timedelta(hours=1))
    assert idea.stage == Stage.POOL and idea.history[-1].reason == "shortlist_undone"
    with pytest.raises(st.AlreadyDone):
        st.undo_shortlist(made, idea, actor_id=DANA, now=T0)


def test_only_a_sponsor_of_this_challenge_shortlists():
    made, idea = challenge(), pooled(1)
    for who in (SAM, OLGA, "another-dm"):
        with pytest.raises(NotSponsor):
            st.shortlist(made, idea, actor_id=who, now=T0)
    st.shortlist(made, idea, actor_id=DANA, now=T0)
    with pytest.raises(NotSponsor):
        st.undo_shortlist(made, idea, actor_id=SAM, now=T0)
    assert idea.stage == Stage.SHORTLISTED


def test_no_shortlisting_or_undo_once_finalists_are_chosen():
    made = challenge(finalists_chosen_at=AFTER)
    with pytest.raises(st.FinalistsChosen):
        st.shortlist(made, pooled(1), actor_id=DANA, now=AFTER)
    shortlisted = IdeaStage(
        "i2", "c1", SAM, stage=Stage.SHORTLISTED, history=[st.StageChange(1, None, Stage.SHORTLISTED, T0, DANA)]
    )
    with pytest.raises(st.FinalistsChosen):
        st.undo_shortlist(made, shortlisted, actor_id=DANA, now=AFTER)


def test_a_not_selected_idea_cannot_be_shortlisted():
    idea = pooled(1)
    idea._move(Stage.NOT_SELECTED, by=DANA, now=T0)
    with pytest.raises(st.StageStale):
        st.shortlist(challenge(), idea, actor_id=DANA, now=T0)


# ---- finalists and winners --------------------------------------------------------------------
def shortlisted_pool(n_pool: int = 12, n_short: int = 8) -> tuple[Challenge, list[IdeaStage]]:
    made = challenge()
    ideas = [pooled(n) for n in range(n_pool)]
    for idea in ideas[:n_short]:
        st.shortlist(made, idea, actor_id=DANA, now=T0)
    return made, ideas


def test_finalists_are_chosen_after_the_window_up_to_the_cap():
    made, ideas = shortlisted_pool()
    picks = [f"i{n}" for n in range(5)]
    with pytest.raises(st.WindowStillOpen):
        st.choose_finalists(made, ideas, picks, actor_id=DANA, now=T0)
    with pytest.raises(st.TooManyFinalists):
        st.choose_finalists(made, ideas, [f"i{n}" for n in range(6)], actor_id=DANA, now=AFTER)
    with pytest.raises(st.StageStale):
        st.choose_finalists(made, ideas, ["i0", "i10"], actor_id=DANA, now=AFTER)  # i10 is not shortlisted
    with pytest.raises(st.NothingPicked):
        st.choose_finalists(made, ideas, [], actor_id=DANA, now=AFTER)
    with pytest.raises(NotSponsor):
        st.choose_finalists(made, ideas, picks, actor_id=SAM, now=AFTER)
    assert all(i.stage in (Stage.POOL, Stage.SHORTLISTED) for i in ideas) and made.finalists_chosen_at is None

    changed, raised = st.choose_finalists(made, ideas, picks, actor_id=DANA, now=AFTER)
    assert len(changed) == 12 and raised[-1] == st.FinalistsAnnounced("c1")
    assert [i.stage for i in ideas] == [Stage.FINALIST] * 5 + [Stage.NOT_SELECTED] * 7
    assert [i.furthest for i in ideas[5:]] == [Stage.SHORTLISTED] * 3 + [Stage.POOL] * 4
    assert ideas[6].history[-1].reason == "finalists_chosen" and ideas[6].history[-1].by == DANA
    assert made.finalists_chosen_at == AFTER and made.finalists_chosen_by == DANA
    with pytest.raises(st.AlreadyDone):
        st.choose_finalists(made, ideas, picks, actor_id=LUC, now=AFTER)


def finalists() -> tuple[Challenge, list[IdeaStage]]:
    made, ideas = shortlisted_pool()
    st.choose_finalists(made, ideas, [f"i{n}" for n in range(5)], actor_id=DANA, now=AFTER)
    return made, ideas


def test_winners_come_from_the_finalists():
    made, ideas = shortlisted_pool()
    with pytest.raises(st.StageStale):
        st.choose_winners(made, ideas, ["i0"], actor_id=DANA, now=AFTER)  # no finalists yet
    made, ideas = finalists()
    with pytest.raises(st.StageStale):
        st.choose_winners(made, ideas, ["i7"], actor_id=DANA, now=AFTER)  # not a finalist
    with pytest.raises(NotSponsor):
        st.choose_winners(made, ideas, ["i0"], actor_id=OLGA, now=AFTER)
    changed, raised = st.choose_winners(made, ideas, ["i0"], actor_id=LUC, now=AFTER + timedelta(days=30))
    assert [i.stage for i in ideas[:5]] == [Stage.WINNER] + [Stage.NOT_SELECTED] * 4
    assert ideas[1].furthest == Stage.FINALIST and raised[-1] == st.WinnersAnnounced("c1") and len(changed) == 5
    with pytest.raises(st.AlreadyDone):
        st.choose_winners(made, ideas, ["i0"], actor_id=LUC, now=AFTER)


def test_departing_from_the_panel_ranking_needs_a_reason_which_is_recorded():
    made, ideas = finalists()
    ranking = ["i3", "i0", "i1", "i2", "i4"]
    with pytest.raises(st.ReasonRequired):
        st.choose_winners(made, ideas, ["i0"], actor_id=DANA, now=AFTER, ranking=ranking, reason="  ")
    st.choose_winners(made, ideas, ["i0"], actor_id=DANA, now=AFTER, ranking=ranking, reason="Fits the budget year")
    assert made.winners_reason == "Fits the budget year" and ideas[0].history[-1].reason == "Fits the budget year"


def test_following_the_panel_ranking_needs_no_reason():
    made, ideas = finalists()
    st.choose_winners(made, ideas, ["i1", "i0"], actor_id=DANA, now=AFTER, ranking=["i0", "i1", "i2"])
    assert made.winners_reason == "" and ideas[0].stage == ideas[1].stage == Stage.WINNER


# ---- funding and follow-up ---------------------------------------------------------------------
def winner() -> tuple[Challenge, IdeaStage]:
    made, ideas = finalists()
    st.choose_winners(made, ideas, ["i0"], actor_id=DANA, now=AFTER)
    return made, ideas[0]


def test_funding_a_winner_starts_implementation():
    made, idea = winner()
    with pytest.raises(NotSponsor):
        st.record_funding(made, idea, actor_id=SAM, amount=50_000, branch="Digital", conditions="", now=AFTER)
    for amount, branch in ((0, "Digital"), (-1, "Digital"), (50_000, " ")):
        with pytest.raises(st.InvalidFunding):
            st.record_funding(made, idea, actor_id=DANA, amount=amount, branch=branch, conditions="", now=AFTER)
    st.record_funding(
        made, idea, actor_id=DANA, amount=50_000, branch="Digital", conditions="Quarterly report", now=AFTER
    )
    assert idea.stage == Stage.IMPLEMENTING and idea.funding == st.Funding(
        50_000, "Digital", "Quarterly report", DANA, AFTER
    )
    with pytest.raises(st.AlreadyDone):
        st.record_funding(made, idea, actor_id=DANA, amount=1, branch="X", conditions="", now=AFTER)


def test_only_a_winner_can_be_funded():
    made, ideas = finalists()
    with pytest.raises(st.StageStale):
        st.record_funding(made, ideas[0], actor_id=DANA, amount=10, branch="X", conditions="", now=AFTER)


def test_monthly_updates_by_the_owner_until_done_and_stalled_after_45_days():
    made, idea = winner()
    with pytest.raises(st.StageStale):
        st.file_progress(idea, actor_id=SAM, status=ProgressStatus.ON_TRACK, note="", now=AFTER)  # not funded yet
    st.record_funding(made, idea, actor_id=DANA, amount=50_000, branch="Digital", conditions="", now=AFTER)
    assert not idea.is_stalled(AFTER + timedelta(days=45)) and idea.is_stalled(AFTER + timedelta(days=46))
    with pytest.raises(st.NotOwner):
        st.file_progress(idea, actor_id=DANA, status=ProgressStatus.ON_TRACK, note="", now=AFTER)
    with pytest.raises(st.NoteRequired):
        st.file_progress(idea, actor_id=SAM, status=ProgressStatus.BLOCKED, note=" ", now=AFTER)
    with pytest.raises(st.NoteTooLong):
        st.file_progress(idea, actor_id=SAM, status=ProgressStatus.ON_TRACK, note="x" * 501, now=AFTER)
    month = AFTER + timedelta(days=30)
    (event,) = st.file_progress(idea, actor_id=SAM, status=ProgressStatus.AT_RISK, note="Vendor late", now=month)
    assert event == st.ProgressFiled("i0", 1) and idea.latest_update.status == ProgressStatus.AT_RISK
    assert not idea.is_stalled(month + timedelta(days=45)) and idea.is_stalled(month + timedelta(days=46))
    raised = st.file_progress(idea, actor_id=SAM, status=ProgressStatus.DONE, note="", now=month + timedelta(days=30))
    assert idea.stage == Stage.IMPLEMENTED and raised[-1].to_stage == Stage.IMPLEMENTED
    assert not idea.is_stalled(month + timedelta(days=400))
    with pytest.raises(st.StageStale):
        st.file_progress(idea, actor_id=SAM, status=ProgressStatus.ON_TRACK, note="", now=month)


def test_consent_to_be_named_is_the_finalists_own():
    made, ideas = finalists()
    with pytest.raises(st.NotOwner):
        st.give_consent(ideas[0], actor_id=DANA, consent=True)
    with pytest.raises(st.StageStale):
        st.give_consent(ideas[9], actor_id=SAM, consent=True)  # never a finalist
    st.give_consent(ideas[0], actor_id=SAM, consent=True)
    assert ideas[0].consent_to_name is True
    with pytest.raises(st.AlreadyDone):
        st.give_consent(ideas[0], actor_id=SAM, consent=True)
    st.give_consent(ideas[0], actor_id=SAM, consent=False)
    assert ideas[0].consent_to_name is False


def test_a_funded_idea_whose_implementation_stopped_ends_there_with_its_reason():
    made, idea = winner()
    st.record_funding(made, idea, actor_id=DANA, amount=50_000, branch="Digital", conditions="", now=AFTER)
    with pytest.raises(st.NoteRequired):  # saying why is what makes it worth learning from
        st.file_progress(idea, actor_id=SAM, status=ProgressStatus.STOPPED, note="", now=AFTER)
    month = AFTER + timedelta(days=30)
    raised = st.file_progress(idea, actor_id=SAM, status=ProgressStatus.STOPPED, note="The vendor left", now=month)
    assert idea.stage == Stage.STOPPED and raised[-1].to_stage == Stage.STOPPED
    assert idea.history[-1].reason == "The vendor left"
    assert idea.furthest == Stage.IMPLEMENTING, "how far it got: funded and implementing"
    assert not idea.update_due(month + timedelta(days=90), timedelta(days=30)), "no more check-ins"
    assert not idea.is_stalled(month + timedelta(days=400))
    with pytest.raises(st.StageStale):
        st.file_progress(idea, actor_id=SAM, status=ProgressStatus.ON_TRACK, note="", now=month)
