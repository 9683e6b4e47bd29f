"""Issue #20's cases that fail the same way every time, each reproduced over HTTP against the
running app, then held: numbers and dates no form should take (a score of "²" or of 5,000
nines, the same as a funding amount; a challenge closing on 9999-12-31; naming the panel of a
challenge whose pitch day is 9999-12-31), what an unexpected failure says, and 200 presses of
the channel's "Pitch an idea" button across two app instances.

(The races of #20, delegation loops and closing votes and scoring, run on two app processes in
test_hardening_races.py.)
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import date, timedelta

import pytest

from bot.domain.outbox import MessageKind
from cards import verbs
from dialogs.main import MainDialog
from tests.support.inbox import cards_to
from tests.support.people import DANA, MAYA, SAM, TENANT_ID
from tests.support.pitch_day import OLGA_ID, T0, seed
from tests.support.running_app import FakeClock, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, User, action, nodes, texts

OLGA = User(OLGA_ID, "Olga Kowalski")
NINES = "9" * 5000
UNPARSEABLE = ["\u00b2", NINES]  # each crashed the turn before (ValueError)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(days=7))  # after the seeded challenge's pitch day (winners wait for it)


@pytest.fixture
def app_settings() -> dict:
    return {"organiser_ids": OLGA_ID}


def score_ids(card: dict) -> list[str]:
    return [n["id"] for n in nodes(card) if str(n.get("id", "")).startswith("score_")]


async def a_judge_s_scorecard(app, connector, teams) -> tuple[dict, str]:
    """Maya named to the panel, her first scorecard declared: (the card, the finalist's id)."""
    challenge, ideas = await seed(app.store, connector_url=connector.url)
    for person in (MAYA, OLGA):
        await teams.install(person)
    ref = {"challengeId": challenge.id}
    small = {**ref, "belowQuorumConfirmed": True}  # one judge, on purpose
    named = await teams.click(OLGA, {"verb": verbs.PANEL_NAME, "data": small}, {"judges": MAYA.aad_id,
                                                                               "chair": MAYA.aad_id})  # fmt: skip
    assert "The panel is named" in texts(named.card)
    finalist = ideas[0].id
    declared = await teams.click(MAYA, {"verb": verbs.DECLARE, "data": {**ref, "finalistId": finalist,
                                                                         "conflict": "none"}})  # fmt: skip
    return declared.card, finalist


@pytest.mark.parametrize("typed", UNPARSEABLE, ids=["superscript-two", "5000-nines"])
async def test_a_score_that_is_not_a_plain_number_is_refused_at_the_field(app, connector, teams, typed):
    card, finalist = await a_judge_s_scorecard(app, connector, teams)
    [first, *others] = score_ids(card)
    answer = await teams.click(MAYA, action(card, verbs.SCORE), {first: typed, **dict.fromkeys(others, "3")})
    assert answer.status == 200 and answer.card is not None, answer
    shown = texts(answer.card)
    assert "Choose a score from 1 to 5." in shown and "went wrong" not in shown
    stored = await app.store.get_scorecard("den-2026", finalist, MAYA.aad_id)
    assert stored is not None and stored.scores == {}, "nothing scored"


async def a_winner(app, connector, teams) -> str:
    challenge, ideas = await seed(app.store, connector_url=connector.url)
    await teams.install(DANA)
    picked = await teams.click(DANA, {"verb": verbs.DEN_WINNERS, "data": {"challengeId": challenge.id,
                                                                           "picks": ideas[0].id}})  # fmt: skip
    assert picked.status == 200
    return ideas[0].id


@pytest.mark.parametrize("typed", UNPARSEABLE, ids=["superscript-two", "5000-nines"])
async def test_a_funding_amount_that_is_not_a_plain_number_is_refused_at_the_field(app, connector, teams, typed):
    idea_id = await a_winner(app, connector, teams)
    answer = await teams.click(DANA, {"verb": verbs.DEN_FUND, "data": {"ideaId": idea_id}},
                               {"amount": typed, "branch": "Client Services", "conditions": ""})  # fmt: skip
    assert answer.status == 200 and answer.card is not None, answer
    card = answer.card
    amount_at = next(i for i, n in enumerate(card["body"]) if n.get("id") == "amount")
    assert card["body"][amount_at + 1]["text"] == "Please enter an amount in dollars, in digits, for example 50,000."
    assert (await app.store.get_stage(idea_id)).funding is None


async def test_a_funding_amount_as_people_write_it_is_taken(app, connector, teams):
    idea_id = await a_winner(app, connector, teams)
    typed = {"amount": "50 000 $", "branch": " Client\u202e Services ", "conditions": "a\x00b"}
    answer = await teams.click(DANA, {"verb": verbs.DEN_FUND, "data": {"ideaId": idea_id}}, typed)
    assert answer.status == 200
    funding = (await app.store.get_stage(idea_id)).funding
    assert (funding.amount, funding.branch, funding.conditions) == (50_000, "Client Services", "ab")


CHALLENGE_FORM = {
    "name": "Tell us once",
    "question": "How could our clients tell us things only once?",
    "sponsors": DANA.aad_id,
    "opens_on": "2026-12-01",
    "closes_on": "2026-12-14",
    "finalist_count": "5",
    "peoples_choice": "false",
}


@pytest.mark.parametrize(
    ("field", "typed", "said"),
    [
        ("closes_on", "9999-12-31", "Please choose a date within ten years of today."),  # OverflowError before
        ("pitch_day", "9999-12-31", "Please choose a date within ten years of today."),
        ("finalist_count", "\u00b2", "Please enter a whole number in digits, for example 5."),
        ("weight_cost", NINES[:3], "Please enter a number in the allowed range."),
        ("opens_on", "\u0662\u0660\u0662\u0667-01-01", "Please enter a date."),  # Arabic-Indic digits
    ],
)
async def test_a_challenge_form_with_a_date_or_number_out_of_bounds_says_so_at_the_field(
    app, connector, teams, field, typed, said
):
    await teams.install(OLGA)
    answer = await teams.click(OLGA, {"verb": verbs.CHALLENGE_OPEN, "data": {}}, {**CHALLENGE_FORM, field: typed})
    assert answer.status == 200 and answer.card is not None, answer
    body = answer.card["body"]
    at = next(i for i, n in enumerate(body) if n.get("id") == field)
    assert said in [n.get("text") for n in body[at + 1 : at + 3]], texts(answer.card)
    assert await app.store.list_challenges() == []


async def test_naming_the_panel_of_a_challenge_whose_pitch_day_is_9999_12_31_works(app, connector, teams):
    """A challenge stored before the date rule, pitch day on the last day a calendar has."""
    challenge, _ = await seed(app.store, connector_url=connector.url)
    stored = await app.store.get_challenge(challenge.id)
    stored.pitch_day = date(9999, 12, 31)
    await app.store.update_challenge(stored)
    await teams.install(OLGA)
    small = {"challengeId": challenge.id, "belowQuorumConfirmed": True}  # one judge, on purpose
    named = await teams.click(OLGA, {"verb": verbs.PANEL_NAME, "data": small},
                              {"judges": MAYA.aad_id, "chair": MAYA.aad_id})  # fmt: skip
    assert named.status == 200 and "The panel is named" in texts(named.card), named
    assert (await app.store.get_panel(challenge.id)).remind_at is None


# ---- an unexpected failure -----------------------------------------------------------------------------
async def test_an_unexpected_failure_says_nothing_changed_and_gives_a_reference_found_in_the_logs(
    app, connector, teams, monkeypatch, caplog
):
    """The reply used to promise "Nothing you sent has been lost; please try again", which is
    false for an input that fails the same way every time."""
    await teams.install(SAM)

    async def broken(self, *args, **kwargs):
        raise RuntimeError("what Sam typed: secret words")

    monkeypatch.setattr(MainDialog, "on_action", broken)
    monkeypatch.setattr(MainDialog, "on_text", broken)
    caplog.set_level(logging.ERROR)

    def reference_in(answer: str) -> str:
        assert "nothing was changed" in answer and "Nothing you sent has been lost" not in answer, answer
        reference = answer.rsplit(" ", 1)[-1].rstrip(".")
        assert reference.startswith("ERR-"), answer
        [logged] = [r for r in caplog.records if getattr(r, "error_reference", None) == reference]
        assert logged.getMessage() == "turn failed" and logged.error_type == "RuntimeError"
        assert "secret words" not in str(logged.__dict__), "never what a person typed"
        return reference

    clicked = await teams.click(SAM, {"verb": verbs.HELP, "data": {}})
    assert clicked.status == 200
    first = reference_in(clicked.message)
    await teams.say(SAM, "help")
    said = await connector.wait_for(
        lambda c: next((s.activity["text"] for s in c.to(SAM.conversation_id)
                        if "went wrong" in str(s.activity.get("text"))), None)
    )  # fmt: skip
    assert reference_in(said) != first, "one reference per failure"


# ---- the channel's "Pitch an idea", pressed 200 times ---------------------------------------------------
async def test_two_hundred_presses_of_pitch_an_idea_on_two_instances_send_one_form(tmp_path, connector, clock):
    db = tmp_path / "den.sqlite3"
    settings = settings_for_test(db)
    first, second = await start_app(settings, clock), await start_app(settings, clock)
    try:
        clients = [TeamsClient(a.messages_url, connector.url, TENANT_ID) for a in (first, second)]
        await clients[0].install(SAM)

        async def press(n: int) -> str:
            answer = await clients[n % 2].click(SAM, {"verb": verbs.CHALLENGE_PITCH, "data": {"challengeId": "c1"}})
            assert answer.status == 200, answer
            return answer.message

        toasts = []
        for burst in range(10):  # 20 at a time, alternating instances
            toasts += await asyncio.gather(*(press(burst * 20 + n) for n in range(20)))
        sent, already = SENT, ALREADY
        assert toasts.count(sent) >= 1 and toasts.count(sent) + toasts.count(already) == 200
        assert forms_queued(db) == 1, "one form for 200 presses"
        await connector.wait_for(lambda c: [x for x in cards_to(c, SAM) if "Pitch an idea" in texts(x)] or None)
        clock.advance(minutes=3)
        assert await press(0) == sent, "a press a while later sends it again"
        assert forms_queued(db) == 2
    finally:
        await first.stop()
        await second.stop()


SENT = "The form is in your chat with Deputy's Den."
ALREADY = "The form is already in your chat with Deputy's Den (it may take a moment to arrive)."


def forms_queued(db) -> int:
    with sqlite3.connect(db) as connection:
        query = "SELECT COUNT(*) FROM outbox WHERE kind = ?"
        return connection.execute(query, (MessageKind.PITCH_FORM.value,)).fetchone()[0]
