"""Issue #19's minor defects on the Den's cards, each as the person met it: irreversible buttons that
asked nothing, scorecards (25 stacked radio buttons, the solution line only, no word about the
judge's own part in the idea, "change my scores" after closing), pitch day's order, and the report's
CSV that needed a Python command."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import stage as st
from bot.domain.calendar import WorkCalendar
from bot.domain.den_report import build_report
from bot.domain.digest import BusinessDays
from bot.domain.model import Outcome, Role
from bot.domain.panel import Conflict, Panel, Scorecard
from bot.domain.voting import Poll
from bot.i18n import Messages
from cards import verbs
from cards.challenge import challenge_card, report_card, stage_update_card
from cards.peoples_choice import peoples_choice_card
from cards.scorecard import pitch_day_card, scorecard_card
from tests.support.pitch_day import OLGA_ID, T0, a_challenge, finalist_ideas
from tests.support.teams_client import nodes, texts
from tests.unit.test_challenge_cards import AFTER, TZ, all_cards, scenario

DAYS = BusinessDays(WorkCalendar.of("America/Toronto"))
M = Messages("en-CA")


def asks_first(card: dict, verb: str) -> dict | None:
    """The ShowCard that holds the button doing `verb`, if the button is behind one."""
    for node in nodes(card):
        if node.get("type") == "Action.ShowCard" and any(n.get("verb") == verb for n in nodes(node["card"])):
            return node
    return None


def bare(card: dict, verb: str) -> list[dict]:
    """Buttons doing `verb` that are not behind a ShowCard."""
    hidden = {id(n) for s in nodes(card) if s.get("type") == "Action.ShowCard" for n in nodes(s["card"])}
    return [n for n in nodes(card) if n.get("verb") == verb and id(n) not in hidden]


def panel_for(challenge, *, chair: str = "diane") -> Panel:
    return Panel(challenge.id, ["maya", "diane", "amir"], chair, OLGA_ID, T0)


# ---- 10: irreversible one-click actions ask first -----------------------------------------------
def test_closing_the_window_and_confirming_finalists_or_winners_ask_on_the_card_first():
    challenge, _, _ = scenario()
    open_card = challenge_card(M, challenge, now=AFTER - timedelta(days=5), tz=TZ, sponsor_names={}, organiser=True,
                               sponsor=False)  # fmt: skip
    cards = all_cards("en-CA")
    for card, verb in ((open_card, verbs.CHALLENGE_CLOSE), (cards["pool_shortlisted"], verbs.DEN_FINALISTS),
                       (cards["pool_winner_picker"], verbs.DEN_WINNERS)):  # fmt: skip
        behind = asks_first(card, verb)
        assert behind is not None and bare(card, verb) == [], verb
        assert "cannot be" in texts(behind["card"]), verb


def test_recusing_closing_scoring_and_closing_voting_ask_on_the_card_first():
    challenge = a_challenge()
    ideas = finalist_ideas(challenge)
    panel = panel_for(challenge)
    poll = Poll(challenge.id, [i.id for i in ideas], OLGA_ID, T0)
    undeclared = scorecard_card(M, challenge, ideas[0], Scorecard(challenge.id, ideas[0].id, "maya"), panel)
    declared = Scorecard(challenge.id, ideas[0].id, "maya")
    declared.declare(panel=panel, actor_id="maya", conflict=Conflict.NONE, now=T0)
    scoring = scorecard_card(M, challenge, ideas[0], declared, panel)
    console = pitch_day_card(M, challenge, ideas, panel, poll, viewer_id="diane", organiser=True, names={},
                             today=challenge.pitch_day)  # fmt: skip
    mine = peoples_choice_card(M, challenge, ideas, poll, personal=True, organiser=True)
    for card, verb in ((undeclared, verbs.DECLARE), (scoring, verbs.DECLARE), (console, verbs.CLOSE_SCORING),
                       (console, verbs.VOTING_CLOSE), (mine, verbs.VOTING_CLOSE)):  # fmt: skip
        recuse_or_close = [n for n in nodes(card) if n.get("verb") == verb and n["data"].get("conflict") != "none"]
        assert recuse_or_close and all(n not in bare(card, verb) for n in recuse_or_close), verb
        assert asks_first(card, verb) is not None
    assert [n["data"]["conflict"] for n in bare(undeclared, verbs.DECLARE)] == ["none"], "no conflict: one click"


def test_a_refused_finalist_choice_keeps_the_ticked_boxes_and_says_why_beside_them():
    picker = all_cards("en-CA")["pool_winner_picker"]
    [boxes] = [n for n in nodes(picker) if n.get("id") == "picks"]
    assert boxes["value"] == "i1"
    assert next(n for n in nodes(picker) if n.get("id") == "reason")["value"] == "Ready this quarter"
    assert any(n.get("color") == "Attention" and n["text"] == "Say why" for n in nodes(picker))


# ---- 16: pitch day's order --------------------------------------------------------------------
def test_before_pitch_day_neither_closing_scoring_nor_choosing_winners_is_offered():
    challenge = a_challenge()
    ideas = finalist_ideas(challenge)
    eve = challenge.pitch_day - timedelta(days=1)
    console = pitch_day_card(M, challenge, ideas, panel_for(challenge), None, viewer_id="diane", organiser=False,
                             names={}, today=eve)  # fmt: skip
    assert asks_first(console, verbs.CLOSE_SCORING) is None and "on pitch day" in texts(console)
    on_the_day = pitch_day_card(M, challenge, ideas, panel_for(challenge), None, viewer_id="diane", organiser=False,
                                names={}, today=challenge.pitch_day)  # fmt: skip
    assert asks_first(on_the_day, verbs.CLOSE_SCORING) is not None
    before = all_cards("en-CA")["pool_before_pitch_day"]
    assert asks_first(before, verbs.DEN_WINNERS) is None and "on pitch day" in texts(before)


def test_the_winner_picker_shows_the_panels_rank_and_the_peoples_choice_beside_each_finalist():
    picker = all_cards("en-CA")["pool_winner_picker"]
    [boxes] = [n for n in nodes(picker) if n.get("id") == "picks"]
    titles = [c["title"] for c in boxes["choices"]]
    assert "Panel #1 (4.20)" in titles[0] and "People's Choice: 3 votes" in titles[0]
    assert "Panel #2 (4.00)" in titles[1] and "People's Choice: 1 vote" in titles[1]


# ---- 17 and 11: scorecards --------------------------------------------------------------------
def test_a_scorecard_is_compact_shows_the_whole_pitch_and_tells_the_judge_their_part_in_the_idea():
    challenge = a_challenge()
    idea = finalist_ideas(challenge)[0]
    idea.line_ids = ["amir"]  # Amir manages the submitter
    idea.chain[0] = type(idea.chain[0])("maya", "Maya", Role.MANAGER)
    idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    panel = panel_for(challenge)
    for judge, hint in (("maya", "You approved this idea"), ("amir", "line of management"), ("diane", None)):
        card = scorecard_card(M, challenge, idea, Scorecard(challenge.id, idea.id, judge), panel)
        shown = texts(card)
        if hint:
            assert hint in shown and shown.index(hint) < shown.index("conflict of interest"), judge
        else:
            assert "You approved" not in shown and "line of management" not in shown
    declared = Scorecard(challenge.id, idea.id, "diane")
    declared.declare(panel=panel, actor_id="diane", conflict=Conflict.NONE, now=T0)
    card = scorecard_card(M, challenge, idea, declared, panel)
    choices = [n for n in nodes(card) if n.get("type") == "Input.ChoiceSet"]
    assert len(choices) == len(challenge.criteria) and {c["style"] for c in choices} == {"compact"}
    shown = texts(card)
    for part in (idea.pitch.problem, idea.pitch.solution, idea.pitch.first_steps, idea.pitch.people):
        assert part in shown


def test_a_scorecard_refreshes_so_after_closing_it_no_longer_offers_to_change_scores():
    challenge = a_challenge()
    idea = finalist_ideas(challenge)[0]
    panel = panel_for(challenge)
    mine = Scorecard(challenge.id, idea.id, "maya")
    mine.declare(panel=panel, actor_id="maya", conflict=Conflict.NONE, now=T0)
    mine.score(panel=panel, criteria=challenge.criteria, actor_id="maya",
               form={f"score_{c.key}": "4" for c in challenge.criteria}, now=T0)  # fmt: skip
    before = scorecard_card(M, challenge, idea, mine, panel)
    assert before["refresh"]["action"]["verb"] == verbs.SCORECARD
    assert before["refresh"]["action"]["data"] == {"challengeId": challenge.id, "finalistId": idea.id}
    panel.close_scoring(actor_id="diane", now=T0)
    after = scorecard_card(M, challenge, idea, mine, panel)
    assert "Change my scores" not in texts(after) and not [n for n in nodes(after) if n.get("verb") == verbs.SCORE]


# ---- 15: the CSV from Teams --------------------------------------------------------------------
def test_the_report_offers_a_download_link_not_a_python_command():
    card = all_cards("en-CA")["report"]
    [download] = [n for n in nodes(card) if n.get("type") == "Action.OpenUrl"]
    assert download["url"].startswith("https://den.example/den/report.csv?t=")
    assert "python" not in texts(card).lower()
    assert "python" not in texts(report_card(Messages("fr-CA"), _report())).lower()


def _report():
    challenge, ideas, stages = scenario(3)
    return build_report(challenge, ideas, stages.values(), AFTER, days=DAYS)



# ---- 11: a sibling, text for the wrong person ----------------------------------------------------
def test_an_approver_told_of_a_stage_hears_what_the_submitter_will_do_not_you_will():
    challenge, ideas, stages = scenario(3)
    for idea in ideas:
        st.shortlist(challenge, stages[idea.id], actor_id="dana", now=AFTER)
    st.choose_finalists(challenge, stages.values(), ["i0"], actor_id="dana", now=AFTER)
    finalist = stages["i0"]
    seq = len(finalist.history)
    to_maya = texts(stage_update_card(M, ideas[0], finalist, challenge, seq=seq, for_submitter=False))
    to_staff = texts(stage_update_card(M, ideas[0], finalist, challenge, seq=seq, for_submitter=True))
    assert "you will pitch" not in to_maya and "Staff 0 pitches the idea to the panel" in to_maya
    assert "you will pitch" in to_staff
    not_selected = stages["i1"]
    to_maya = texts(stage_update_card(M, ideas[1], not_selected, challenge, seq=len(not_selected.history),
                                      for_submitter=False))  # fmt: skip
    assert "your idea stays on record" not in to_maya and "Staff 1 can pitch it again" in to_maya


def test_a_funded_ideas_details_no_longer_say_a_deputy_minister_can_shortlist_it():
    cards = all_cards("en-CA")
    funded = texts(cards["details_funded"])
    assert "can shortlist it" not in funded and "Funded" in funded


def test_a_refused_funding_or_follow_up_says_what_to_fix_under_the_fields_as_teams_does():
    """Siblings of issue #19 item 19: these refusals sat at the top of the form in bold default text."""
    cards = all_cards("en-CA")
    for name, field in (("fund_form", "branch"), ("follow_up_again", "note")):
        body = cards[name]["body"]
        at = next(i for i, n in enumerate(body) if n.get("id") == field)
        assert body[at + 1].get("color") == "Attention" and body[at + 1]["text"], name
