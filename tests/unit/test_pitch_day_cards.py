"""Pitch day's cards: they validate with Microsoft's Adaptive Cards library, stay small, and show
each person only what is theirs to see."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import unquote

import pytest

from bot.domain.model import IdeaStatus
from bot.domain.panel import Conflict, Panel, Scorecard, results
from bot.domain.voting import Poll
from bot.i18n import Messages
from bot.services.pitch_day import PitchDay
from cards import verbs
from cards.peoples_choice import now_pitching_card, peoples_choice_card, peoples_choice_result_card
from cards.scorecard import (
    my_scorecards_card,
    panel_form_card,
    panel_named_card,
    panel_reminder_card,
    pitch_day_card,
    results_card,
    scorecard_card,
)
from cards.tab_links import TabLinks
from dialogs.voting import ChannelCards
from tests.support.card_validator import card_problems, needs_node
from tests.support.pitch_day import OLGA_ID, T0, a_challenge, finalist_ideas
from tests.support.teams_client import nodes, texts

JUDGES = ["maya", "diane", "amir"]


def scored(judge: str, finalist: str, value: int, challenge, panel) -> Scorecard:
    card = Scorecard(challenge.id, finalist, judge)
    card.declare(panel=panel, actor_id=judge, conflict=Conflict.NONE, now=T0)
    form = {f"score_{c.key}": str(value) for c in challenge.criteria} | {"comment": f"Note by {judge}"}
    card.score(panel=panel, criteria=challenge.criteria, actor_id=judge, form=form, now=T0)
    return card


def pitch_day_cards(locale: str = "en-CA") -> dict[str, dict]:
    """Every pitch-day card, in one locale (also used by the catalogue's tests)."""
    m = Messages(locale)
    challenge = a_challenge()
    ideas = finalist_ideas(challenge)
    panel = Panel(challenge.id, JUDGES, "diane", OLGA_ID, T0, remind_at=T0 + timedelta(days=5))
    mine = scored("maya", ideas[0].id, 4, challenge, panel)
    cards = [mine, scored("diane", ideas[0].id, 2, challenge, panel), scored("amir", ideas[1].id, 5, challenge, panel)]
    recused = Scorecard(challenge.id, ideas[2].id, "maya")
    recused.declare(panel=panel, actor_id="maya", conflict=Conflict.RECUSED, now=T0)
    poll = Poll(challenge.id, [i.id for i in ideas], OLGA_ID, T0, refresh_ids=["29:a", "29:b"])
    undeclared = Scorecard(challenge.id, ideas[1].id, "maya")
    made = {
        "pitch_day": pitch_day_card(m, challenge, ideas, panel, poll, viewer_id="diane", organiser=True,
                                    names={"maya": "Maya Singh"}, done={"maya": 2}),  # fmt: skip
        "pitch_day_empty": pitch_day_card(m, challenge, ideas, None, None, viewer_id=OLGA_ID, organiser=True, names={}),
        "panel_form": panel_form_card(m, challenge, values={"judges": "maya"}, known=[("maya", "Maya Singh")]),
        "panel_form_errors": panel_form_card(m, challenge, values={}, errors={"judges": "chair_not_judge"},
                                             known=[(OLGA_ID, "Olga Kowalski")]),
        "panel_named": panel_named_card(m, challenge, panel, ideas, chair_name="Diane Tremblay"),
        "scorecard_declare": scorecard_card(m, challenge, ideas[1], undeclared, panel),
        "scorecard_score": scorecard_card(m, challenge, ideas[0], mine, panel, notice="Saved"),
        "scorecard_errors": scorecard_card(m, challenge, ideas[0], mine, panel, notice="Fix",
                                           errors={"cost": "required"}, values={"comment": "kept"}),  # fmt: skip
        "scorecard_recused": scorecard_card(m, challenge, ideas[2], recused, panel),
        "my_scorecards": my_scorecards_card(m, challenge, ideas, [mine, recused], panel),
        "reminder": panel_reminder_card(m, challenge, 3),
        "peoples_choice": peoples_choice_card(m, challenge, ideas, poll),
        "peoples_choice_mine": peoples_choice_card(m, challenge, ideas, poll, my_vote=ideas[1].id, personal=True,
                                                   organiser=True, notice="Recorded"),  # fmt: skip
        "room_start": now_pitching_card(m, challenge, ideas, panel),
    }
    panel.now_pitching = 1
    made["room"] = now_pitching_card(m, challenge, ideas, panel)
    panel.now_pitching = len(ideas)
    made["room_done"] = now_pitching_card(m, challenge, ideas, panel)
    panel.close_scoring(actor_id="diane", now=T0)
    made["scorecard_closed"] = scorecard_card(m, challenge, ideas[0], mine, panel)
    ranked = results(panel, challenge.criteria, [i.id for i in ideas], cards, quorum=3)
    made["results"] = results_card(m, challenge, ideas, ranked, quorum=3, closed_at=T0)
    poll.close(actor_id=OLGA_ID, is_organiser=True, counts={ideas[0].id: 5, ideas[3].id: 5, ideas[1].id: 2}, now=T0)
    made["peoples_choice_closed"] = peoples_choice_card(m, challenge, ideas, poll)
    made["peoples_choice_result"] = peoples_choice_result_card(m, challenge, ideas, poll)
    return made


@needs_node
@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
def test_every_pitch_day_card_validates_in_the_adaptive_cards_library(locale):
    cards = pitch_day_cards(locale)
    assert card_problems(cards) == {}


def test_pitch_day_cards_stay_well_under_the_teams_size_limit():
    for name, card in pitch_day_cards().items():
        assert len(json.dumps(card).encode()) < 28 * 1024, name


def test_a_judge_sees_only_their_own_scores_and_the_results_show_no_judge():
    cards = pitch_day_cards()
    assert "Note by maya" in texts(cards["scorecard_score"]) and "Note by diane" not in texts(cards["scorecard_score"])
    shown = texts(cards["results"])
    assert not any(f"Note by {j}" in shown or j in shown for j in JUDGES)
    assert "1st place · DEN-2025-0002" in shown and "lowest 2.00, highest 4.00" in shown and "Below quorum" in shown


def test_the_peoples_choice_card_refreshes_for_listed_voters_and_hides_counts_while_open():
    cards = pitch_day_cards()
    open_card, mine = cards["peoples_choice"], cards["peoples_choice_mine"]
    assert open_card["refresh"]["userIds"] == ["29:a", "29:b"] and open_card["refresh"]["action"]["verb"] == "pc.view"
    assert "vote(s)" not in texts(open_card) + texts(mine)
    assert "Your vote: Plain-language letters" in texts(mine) and "Your vote:" not in texts(open_card)
    assert [n["title"] for n in nodes(mine) if n.get("verb") == "pc.close"] == ["Yes, close voting"]
    [asks_first] = [n for n in nodes(mine) if n.get("type") == "Action.ShowCard" and n["title"] == "Close voting"]
    assert "cannot be undone" in texts(asks_first["card"]), "closing voting asks again on the card"
    assert not [n for n in nodes(open_card) if n.get("verb") == "pc.close"]  # the everyone view has no Close
    closed = texts(cards["peoples_choice_closed"])
    assert "A tie for People's Choice: Tell us once · Shared intake desk, with 5 votes each." in closed
    assert "refresh" not in cards["peoples_choice_closed"] and "12 votes in all." in closed


def test_buttons_that_send_no_input_are_not_stopped_by_the_cards_required_ones():
    """A button whose action needs none of the card's inputs (recusing on a scorecard, ending an
    acting approver arrangement) sends none: the client's required-input check must not stop it."""
    from datetime import date

    from bot.domain.delegation import Delegation
    from cards import verbs
    from cards.approval_routes import delegation_card

    m = Messages("en-CA")
    scorecard = pitch_day_cards()["scorecard_score"]
    [recuse] = [n for n in nodes(scorecard) if n.get("verb") == "pd.declare"]
    assert recuse["data"]["conflict"] == "recused" and recuse["associatedInputs"] == "none"
    save = next(n for n in nodes(scorecard) if n.get("verb") == "pd.score")
    assert "associatedInputs" not in save  # saving scores sends them, and they are required
    current = Delegation("maya", "Maya Singh", "diane", "Diane Tremblay", T0, T0 + timedelta(days=3), T0,
                         date(2026, 11, 19))  # fmt: skip
    form = delegation_card(m, today=date(2026, 11, 16), current=current, people=[("diane", "Diane Tremblay")])
    [end] = [n for n in nodes(form) if n.get("verb") == verbs.DELEGATE_END]
    assert end["associatedInputs"] == "none"
    assert any(n.get("isRequired") for n in nodes(form))


def _public(idea):
    """An idea its submitter shares, approved for the Den: every member of the channel may open it."""
    idea.status, idea.shared = IdeaStatus.APPROVED, True
    return idea


def _views(card: dict) -> list[str]:
    return [n["data"]["ideaId"] for n in nodes(card) if n.get("verb") == verbs.VIEW_IDEA]


@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
def test_peoples_choice_and_now_pitching_cards_offer_view_for_each_shared_finalist(locale):
    m = Messages(locale)
    challenge = a_challenge()
    ideas = finalist_ideas(challenge, 3)
    shared, private = _public(ideas[0]), ideas[1]
    poll = Poll(challenge.id, [i.id for i in ideas], OLGA_ID, T0)
    panel = Panel(challenge.id, JUDGES, "diane", OLGA_ID, T0, remind_at=T0 + timedelta(days=5))
    panel.now_pitching = 0
    open_card = peoples_choice_card(m, challenge, ideas, poll)
    mine = peoples_choice_card(m, challenge, ideas, poll, my_vote=shared.id, personal=True)
    room = now_pitching_card(m, challenge, ideas, panel)
    poll.close(actor_id=OLGA_ID, is_organiser=True, counts={shared.id: 3, private.id: 1}, now=T0)
    closed = peoples_choice_result_card(m, challenge, ideas, poll)
    made = {"open": open_card, "mine": mine, "room": room, "closed": closed}
    for name, card in made.items():
        assert _views(card) == [shared.id], f"{name}: only the finalist every member may open has View"
    assert not card_problems(made)
    view = "View DEN-2025-0001" if locale == "en-CA" else "Consulter DEN-2025-0001"
    assert view in [n.get("title") for n in nodes(open_card)]


async def test_the_channel_cards_view_buttons_open_the_finalist_in_the_den_tab():
    challenge = a_challenge()
    ideas = finalist_ideas(challenge, 2)
    _public(ideas[0])
    poll = Poll(challenge.id, [i.id for i in ideas], OLGA_ID, T0)
    panel = Panel(challenge.id, JUDGES, "diane", OLGA_ID, T0, remind_at=T0 + timedelta(days=5))
    panel.now_pitching = 0

    class Store:
        async def get_conversation(self, recipient_id):
            return None

    day = PitchDay(challenge, ideas, panel, poll)
    linked = ChannelCards(Store(), None, TabLinks(app_id="11111111-2222-3333-4444-555555555555"))
    for card, _ in (await linked.poll_card(day, poll), await linked.room_card(day, panel)):
        urls = [n["url"] for n in nodes(card) if n.get("type") == "Action.OpenUrl"]
        assert len(urls) == 1 and urls[0].startswith("https://teams.microsoft.com/l/entity/")
        assert ideas[0].id in unquote(urls[0]) and not _views(card)
    unlinked = ChannelCards(Store(), None)  # no tab to open: a details card in a channel would be read by all
    card, _ = await unlinked.room_card(day, panel)
    assert not _views(card) and not [n for n in nodes(card) if n.get("type") == "Action.OpenUrl"]
