"""The selection panel's rules: who judges, conflicts of interest, scoring, privacy and results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from bot.domain import panel as p
from bot.domain.challenge import Challenge, ChallengeDraft, Criterion
from bot.domain.panel import Conflict, Panel, Scorecard

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
CRITERIA = [Criterion("client_impact", 40), Criterion("feasibility", 30), Criterion("cost", 30)]
KNOWN = ["jo", "kim", "lee", "max", "guest#EXT#"]
FINALISTS = ["f1", "f2", "f3", "f4", "f5"]


def challenge() -> Challenge:
    draft = ChallengeDraft("Tell us once", "How?", ("dana",), T0 - timedelta(days=40), T0 - timedelta(days=10),
                           criteria=tuple(CRITERIA), peoples_choice=True)  # fmt: skip
    return Challenge.open_new(challenge_id="c1", draft=draft, actor_id="olga", is_organiser=True, now=T0)


def panel(**changes) -> Panel:
    made = Panel.name(challenge=challenge(), judge_ids=["jo", "kim", "lee"], chair_id="jo", known_ids=KNOWN,
                      actor_id="olga", is_organiser=True, now=T0)  # fmt: skip
    for name, value in changes.items():
        setattr(made, name, value)
    return made


def form(*values: int, comment: str = "Solid plan") -> dict:
    return {**{f"score_{c.key}": str(v) for c, v in zip(CRITERIA, values, strict=True)}, "comment": comment}


def scored(judge: str, finalist: str, *values: int, the_panel: Panel | None = None) -> Scorecard:
    the_panel = the_panel or panel()
    card = Scorecard("c1", finalist, judge)
    card.declare(panel=the_panel, actor_id=judge, conflict=Conflict.NONE, now=T0)
    card.score(panel=the_panel, criteria=CRITERIA, actor_id=judge, form=form(*values), now=T0)
    return card


def recused(judge: str, finalist: str) -> Scorecard:
    card = Scorecard("c1", finalist, judge)
    card.declare(panel=panel(), actor_id=judge, conflict=Conflict.RECUSED, now=T0)
    return card


# ---- naming the panel ---------------------------------------------------------------------
def test_only_an_organiser_names_the_panel():
    with pytest.raises(p.NotOrganiser):
        Panel.name(challenge=challenge(), judge_ids=["jo"], chair_id="jo", known_ids=KNOWN, actor_id="sam",
                   is_organiser=False, now=T0)  # fmt: skip


@pytest.mark.parametrize(
    ("judges", "chair", "code"),
    [([], "jo", "no_judges"), (["jo", "zed"], "jo", "unknown_judge"), (["jo", "kim"], "lee", "chair_not_judge"),
     ([f"j{n}" for n in range(16)], "j0", "too_many_judges")],  # fmt: skip
)
def test_a_panel_needs_known_judges_and_a_chair_among_them(judges, chair, code):
    with pytest.raises(p.InvalidPanel) as refused:
        Panel.name(challenge=challenge(), judge_ids=judges, chair_id=chair, known_ids=[*KNOWN, *judges[:1]],
                   actor_id="olga", is_organiser=True, now=T0)  # fmt: skip
    assert refused.value.code == code


def test_guests_count_and_duplicates_are_dropped():
    made = Panel.name(challenge=challenge(), judge_ids=["jo", "guest#EXT#", "jo", " "], chair_id="jo",
                      known_ids=KNOWN, actor_id="olga", is_organiser=True, now=T0)  # fmt: skip
    assert made.judge_ids == ["jo", "guest#EXT#"] and made.chair_id == "jo" and made.named_by == "olga"


def test_the_panel_can_be_renamed_until_scoring_closes():
    current = panel(version=3)
    renamed = Panel.name(challenge=challenge(), judge_ids=["kim", "max"], chair_id="max", known_ids=KNOWN,
                         actor_id="olga", is_organiser=True, now=T0, current=current)  # fmt: skip
    assert renamed is current and renamed.judge_ids == ["kim", "max"] and renamed.version == 3
    current.close_scoring(actor_id="max", now=T0)
    with pytest.raises(p.ScoringClosed):
        Panel.name(challenge=challenge(), judge_ids=["kim"], chair_id="kim", known_ids=KNOWN, actor_id="olga",
                   is_organiser=True, now=T0, current=current)  # fmt: skip


# ---- declarations and scores ----------------------------------------------------------------
def test_a_judge_declares_before_scoring():
    card = Scorecard("c1", "f1", "kim")
    with pytest.raises(p.DeclarationNeeded):
        card.score(panel=panel(), criteria=CRITERIA, actor_id="kim", form=form(4, 4, 4), now=T0)
    assert card.declare(panel=panel(), actor_id="kim", conflict=Conflict.NONE, now=T0)
    assert not card.declare(panel=panel(), actor_id="kim", conflict=Conflict.NONE, now=T0)  # second click
    assert card.score(panel=panel(), criteria=CRITERIA, actor_id="kim", form=form(4, 3, 5), now=T0)
    assert card.scores == {"client_impact": 4, "feasibility": 3, "cost": 5} and card.is_scored


def test_a_recused_judge_cannot_score_and_the_recusal_is_final():
    card = recused("lee", "f2")
    assert card.conflict == Conflict.RECUSED and card.declared_at == T0 and card.is_done and not card.is_scored
    with pytest.raises(p.Recused):
        card.score(panel=panel(), criteria=CRITERIA, actor_id="lee", form=form(5, 5, 5), now=T0)
    with pytest.raises(p.Recused):
        card.declare(panel=panel(), actor_id="lee", conflict=Conflict.NONE, now=T0)


def test_recusing_after_scoring_sets_the_scores_aside():
    card = scored("kim", "f1", 5, 5, 5)
    assert card.declare(panel=panel(), actor_id="kim", conflict=Conflict.RECUSED, now=T0)
    assert card.scores == {} and card.comment == "" and not card.is_scored


def test_only_the_named_judge_scores_their_own_card():
    card = Scorecard("c1", "f1", "kim")
    for actor in ("max", "jo"):  # not on the panel; on the panel but not this card's judge
        with pytest.raises(p.NotJudge):
            card.declare(panel=panel(), actor_id=actor, conflict=Conflict.NONE, now=T0)
    off_panel = Scorecard("c1", "f1", "max")
    with pytest.raises(p.NotJudge):
        off_panel.declare(panel=panel(), actor_id="max", conflict=Conflict.NONE, now=T0)
    assert card.conflict == Conflict.UNDECLARED


@pytest.mark.parametrize(
    ("values", "errors"),
    [({"score_client_impact": "6", "score_feasibility": "0", "score_cost": "x"},
      {"client_impact": "out_of_range", "feasibility": "out_of_range", "cost": "invalid_number"}),
     ({"score_client_impact": "\u00b2", "score_feasibility": "9" * 5000, "score_cost": 3},  # issue #20: a crash before
      {"client_impact": "invalid_number", "feasibility": "invalid_number"}),
     ({"score_client_impact": "3"}, {"feasibility": "required", "cost": "required"}),
     ({**form(3, 3, 3), "comment": "x" * 1001}, {"comment": "too_long"})],  # fmt: skip
)
def test_scores_are_checked_on_the_server(values, errors):
    card = Scorecard("c1", "f1", "kim")
    card.declare(panel=panel(), actor_id="kim", conflict=Conflict.NONE, now=T0)
    with pytest.raises(p.InvalidScores) as refused:
        card.score(panel=panel(), criteria=CRITERIA, actor_id="kim", form=values, now=T0)
    assert refused.value.errors == errors and card.scores == {}


def test_a_judge_changes_scores_until_the_chair_closes_scoring():
    the_panel = panel()
    card = scored("kim", "f1", 2, 2, 2, the_panel=the_panel)
    later = T0 + timedelta(minutes=5)
    assert card.score(panel=the_panel, criteria=CRITERIA, actor_id="kim", form=form(4, 4, 4), now=later)
    assert card.changes == 1 and card.scored_at == T0 and card.changed_at == later
    assert not card.score(panel=the_panel, criteria=CRITERIA, actor_id="kim", form=form(4, 4, 4), now=later)
    with pytest.raises(p.NotChair):
        the_panel.close_scoring(actor_id="kim", now=later)
    the_panel.close_scoring(actor_id="jo", now=later)
    with pytest.raises(p.ScoringClosed):
        card.score(panel=the_panel, criteria=CRITERIA, actor_id="kim", form=form(5, 5, 5), now=later)
    with pytest.raises(p.ScoringClosed):
        the_panel.close_scoring(actor_id="jo", now=later)
    assert card.scores["cost"] == 4


# ---- results --------------------------------------------------------------------------------
def test_results_are_private_until_closed_and_then_only_for_chair_organisers_and_sponsors():
    the_panel, the_challenge = panel(), challenge()
    assert not p.may_see_results(the_panel, the_challenge, "jo", is_organiser=True)
    the_panel.close_scoring(actor_id="jo", now=T0)
    assert p.may_see_results(the_panel, the_challenge, "jo", is_organiser=False)  # chair
    assert p.may_see_results(the_panel, the_challenge, "olga", is_organiser=True)
    assert p.may_see_results(the_panel, the_challenge, "dana", is_organiser=False)  # sponsor
    assert not p.may_see_results(the_panel, the_challenge, "kim", is_organiser=False)  # another judge
    assert not p.may_see_results(the_panel, the_challenge, "sam", is_organiser=False)  # a finalist


def test_weighted_mean_spread_judges_and_ranking_with_ties():
    cards = [
        scored("jo", "f1", 5, 4, 3), scored("kim", "f1", 3, 4, 5), scored("lee", "f1", 4, 4, 4),
        scored("jo", "f2", 4, 4, 4), scored("kim", "f2", 4, 4, 4), scored("lee", "f2", 4, 4, 4),
        scored("jo", "f3", 5, 5, 5), scored("kim", "f3", 5, 5, 5), recused("lee", "f3"),
        scored("jo", "f4", 1, 1, 1), scored("kim", "f4", 2, 2, 2), scored("lee", "f4", 3, 3, 3),
    ]  # fmt: skip
    got = {r.finalist_id: r for r in p.results(panel(), CRITERIA, FINALISTS, cards, quorum=3)}
    # f1: jo 0.4*5+0.3*4+0.3*3 = 4.1, kim 1.2+1.2+1.5 = 3.9, lee 4.0 -> mean 4.0
    assert got["f1"].mean == 4 and got["f1"].lowest == Fraction(39, 10) and got["f1"].highest == Fraction(41, 10)
    assert got["f1"].judges == 3 and got["f1"].rank == 2 and got["f1"].tied
    assert got["f2"].mean == 4 and got["f2"].rank == 2 and got["f2"].tied  # a tie shown as a tie
    assert got["f3"].mean == 5 and got["f3"].rank == 1 and got["f3"].judges == 2 and got["f3"].recusals == 1
    assert got["f3"].below_quorum and not got["f1"].below_quorum
    assert got["f4"].mean == 2 and got["f4"].rank == 4 and not got["f4"].tied  # 1, 2, 2, 4
    assert got["f5"].mean is None and got["f5"].rank is None and got["f5"].judges == 0 and got["f5"].below_quorum
    order = [r.finalist_id for r in p.results(panel(), CRITERIA, FINALISTS, cards, quorum=3)]
    assert order == ["f3", "f1", "f2", "f4", "f5"]


def test_only_current_judges_complete_cards_count_and_quorum_is_a_setting():
    the_panel = panel()
    undeclared = Scorecard("c1", "f1", "lee")
    declared_only = Scorecard("c1", "f1", "kim")
    declared_only.declare(panel=the_panel, actor_id="kim", conflict=Conflict.NONE, now=T0)
    former = scored("max", "f1", 1, 1, 1, the_panel=panel(judge_ids=["jo", "kim", "lee", "max"]))
    cards = [scored("jo", "f1", 3, 3, 3), undeclared, declared_only, former]
    (f1,) = [r for r in p.results(the_panel, CRITERIA, ["f1"], cards, quorum=1) if r.finalist_id == "f1"]
    assert f1.mean == 3 and f1.judges == 1 and not f1.below_quorum


def test_one_reminder_goes_to_judges_with_work_left_once_the_time_has_come():
    the_panel = panel(remind_at=T0 + timedelta(hours=2))
    cards = [scored("jo", f, 3, 3, 3) for f in ("f1", "f2")] + [scored("kim", "f1", 3, 3, 3), recused("kim", "f2")]
    assert p.judges_to_remind(the_panel, ["f1", "f2"], cards, T0) == []
    assert p.judges_to_remind(the_panel, ["f1", "f2"], cards, T0 + timedelta(hours=2)) == ["lee"]
    the_panel.close_scoring(actor_id="jo", now=T0)
    assert p.judges_to_remind(the_panel, ["f1", "f2"], cards, T0 + timedelta(hours=3)) == []


def test_only_the_chair_advances_the_room_and_it_stays_in_bounds():
    the_panel = panel()
    with pytest.raises(p.NotChair):
        the_panel.advance(actor_id="kim", finalist_count=3)
    assert [the_panel.advance(actor_id="jo", finalist_count=3) for _ in range(5)] == [0, 1, 2, 3, 3]
    assert the_panel.advance(actor_id="jo", finalist_count=3, step=-1) == 2
