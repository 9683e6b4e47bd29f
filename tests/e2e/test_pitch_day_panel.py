"""Pitch day over HTTP: an organiser names the panel, three judges score five finalists in their
1:1 chats (one recusal, one changed score), the chair closes scoring, and the results (ranking
with ties, quorum) reach the chair, the organisers and the sponsor only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from cards import verbs
from tests.support.inbox import cards_to
from tests.support.people import AMIR, DANA, DIANE, MAYA, SAM, TENANT_ID
from tests.support.pitch_day import CHANNEL_KEY, OLGA_ID, T0, seed
from tests.support.running_app import FakeClock, settings_for_test, start_app
from tests.support.settle import settled
from tests.support.teams_client import TeamsClient, User, action, button, nodes, texts

OLGA = User(OLGA_ID, "Olga Kowalski")
JUDGES = (MAYA, DIANE, AMIR)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def app_settings() -> dict:
    return {"organiser_ids": OLGA_ID}


def scorecards(connector, judge: User) -> dict[str, dict]:
    """The judge's scorecards, by finalist id (from their Declare buttons)."""
    found = {}
    for card in cards_to(connector, judge):
        for node in nodes(card):
            if node.get("type") == "Action.Execute" and node.get("verb") == verbs.DECLARE:
                found[node["data"]["finalistId"]] = card
    return found


def uniform(card_or_criteria, value: int) -> dict[str, str]:
    return {node["id"]: str(value) for node in nodes(card_or_criteria) if str(node.get("id", "")).startswith("score_")}


async def test_three_judges_score_five_finalists_and_the_chair_closes_scoring(app, connector, clock):
    challenge, ideas = await seed(app.store, connector_url=connector.url)
    teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
    for person in (*JUDGES, OLGA, DANA, SAM):
        await teams.install(person)
    ref = {"challengeId": challenge.id}

    # Someone who is not an organiser cannot name the panel, and is told why.
    refused = await teams.click(SAM, {"verb": verbs.PANEL_NAME, "data": ref},
                                {"judges": MAYA.aad_id, "chair": MAYA.aad_id})  # fmt: skip
    assert refused.message == "Only Den organisers can name the panel."
    assert await app.store.get_panel(challenge.id) is None

    console = await teams.click(OLGA, {"verb": verbs.PITCH_DAY, "data": ref})
    form = await teams.click(OLGA, action(console.card, verbs.PANEL_FORM))
    named = await teams.click(
        OLGA, action(form.card, verbs.PANEL_NAME),
        {"judges": ",".join(j.aad_id for j in JUDGES), "chair": DIANE.aad_id, "remind_on": "", "remind_time": ""},
    )  # fmt: skip
    assert "The panel is named: 3 judges are being told." in texts(named.card)

    # Each judge: told, with the pitch-day date, and one scorecard per finalist, declaration first.
    for judge in JUDGES:
        await connector.wait_for(lambda c, j=judge: len(scorecards(c, j)) == 5 or None)
        told = next(c for c in cards_to(connector, judge) if "You are on the panel" in texts(c))
        assert "Pitch day is November 20, 2026." in texts(told) and "Diane Tremblay" in texts(told)
        first = next(iter(scorecards(connector, judge).values()))
        assert "conflict of interest" in texts(first) and not uniform(first, 1)  # no scores before declaring
    assert scorecards(connector, SAM) == {}

    f = [i.id for i in ideas]
    plan = {  # judge -> finalist -> score for every criterion (None: recuse)
        MAYA: {f[0]: 2, f[1]: 5, f[2]: 5, f[3]: 3, f[4]: 2},
        DIANE: {f[0]: 4, f[1]: 3, f[2]: 5, f[3]: 3, f[4]: 2},
        AMIR: {f[0]: 4, f[1]: 4, f[2]: None, f[3]: 3, f[4]: 2},
    }

    async def judge_scores(judge: User) -> None:
        for finalist, value in plan[judge].items():
            card = scorecards(connector, judge)[finalist]
            if value is None:
                recuse = {"verb": verbs.DECLARE, "data": {**ref, "finalistId": finalist, "conflict": "recused"}}
                recused = await teams.click(judge, button(card, verbs.DECLARE) | {"data": recuse["data"]})
                assert "Your recusal is recorded" in texts(recused.card)
                late = await teams.click(judge, {"verb": verbs.SCORE, "data": {**ref, "finalistId": finalist}},
                                         uniform(scorecards(connector, MAYA)[finalist], 5))  # fmt: skip
                assert "Your recusal is recorded" in texts(late.card) and "Save my scores" not in texts(late.card)
                continue
            declared = await teams.click(judge, button(card, verbs.DECLARE))
            assert "Recorded: no conflict of interest." in texts(declared.card)
            saved = await teams.click(judge, button(declared.card, verbs.SCORE), uniform(declared.card, value))
            assert "Your scores are saved." in texts(saved.card)

    await asyncio.gather(*(judge_scores(j) for j in JUDGES))

    # Amir's last finalist: one criterion off the uniform score (weighted mean still 2).
    amir_f5 = await teams.click(AMIR, {"verb": verbs.SCORECARD, "data": {**ref, "finalistId": f[4]}})
    odd = uniform(amir_f5.card, 2) | {"score_client_impact": "1", "score_feasibility": "3"}
    assert "Your changed scores are saved." in texts((await teams.click(AMIR, button(amir_f5.card, verbs.SCORE),
                                                                         odd)).card)  # fmt: skip

    # Maya changes her mind about the first finalist; a missing score is refused and loses nothing.
    mine = await teams.click(MAYA, {"verb": verbs.SCORECARD, "data": {**ref, "finalistId": f[0]}})
    incomplete = await teams.click(MAYA, button(mine.card, verbs.SCORE), {**uniform(mine.card, 4), "score_cost": "",
                                                                         "comment": "Strong on clients"})  # fmt: skip
    assert "Some scores are missing." in texts(incomplete.card) and "Strong on clients" in texts(incomplete.card)
    changed = await teams.click(MAYA, button(mine.card, verbs.SCORE), uniform(mine.card, 4))
    assert "Your changed scores are saved." in texts(changed.card)

    # Only named judges score; only the chair closes scoring; results are private until then.
    stranger = await teams.click(SAM, {"verb": verbs.SCORE, "data": {**ref, "finalistId": f[0]}}, uniform(mine.card, 1))
    assert stranger.message == "Only the judges named on the panel can see and fill in scorecards."
    not_chair = await teams.click(MAYA, {"verb": verbs.CLOSE_SCORING, "data": ref})
    assert not_chair.message == "Only the chair of the panel can do that."
    early = await teams.click(OLGA, {"verb": verbs.RESULTS, "data": ref})
    assert early.message == "Results are available once the chair closes scoring."
    assert not (await app.store.get_panel(challenge.id)).scoring_closed

    early_close = await teams.click(DIANE, {"verb": verbs.CLOSE_SCORING, "data": ref})  # T0: four days early
    assert early_close.message == "Scoring closes on pitch day or later, once the finalists have pitched."
    assert not (await app.store.get_panel(challenge.id)).scoring_closed
    clock.now = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)  # pitch day, 16:00 in Toronto: every finalist pitched

    closed = await teams.click(DIANE, {"verb": verbs.CLOSE_SCORING, "data": ref})
    assert "Scoring is closed." in texts(closed.card)
    again = await teams.click(DIANE, {"verb": verbs.CLOSE_SCORING, "data": ref})
    assert "closed scoring" in texts(again.card)
    too_late = await teams.click(MAYA, button(mine.card, verbs.SCORE), uniform(mine.card, 1))
    assert "The chair has closed scoring." in texts(too_late.card)

    def results_of(user: User) -> list[dict]:
        return [c for c in cards_to(connector, user) if "Panel results" in texts(c)]

    for reader in (DIANE, OLGA, DANA):
        await connector.wait_for(lambda c, r=reader: results_of(r) or None)
    shown = texts(results_of(DANA)[0])
    # f3 5.00 (2 judges: below quorum); f1 and f2 4.00 (a tie); f4 3.00; f5 2.00
    order = [line for line in shown.splitlines() if " place" in line.split(" · ")[0]]
    assert order == [
        "1st place · DEN-2025-0003 · Open data for grants",
        "2nd place (tie) · DEN-2025-0001 · Tell us once",
        "2nd place (tie) · DEN-2025-0002 · Plain-language letters",
        "4th place · DEN-2025-0004 · Shared intake desk",
        "5th place · DEN-2025-0005 · Digital signatures",
    ]
    assert "Below quorum: scored by 2 judges, fewer than the 3 required." in shown
    assert shown.count("Below quorum") == 1
    assert "lowest 3.00, highest 5.00" in shown  # f2's spread
    assert "lowest 1.80, highest 2.20" not in shown  # judges' weighted scores of f5 are all 2.00
    # The results never reach the other judges, the finalists, or anyone else.
    await settled(app.store, clock)
    for other in (MAYA, AMIR, SAM):
        assert results_of(other) == []
    peek = await teams.click(MAYA, {"verb": verbs.RESULTS, "data": ref})
    assert peek.message == "The panel's results are only for the chair, the organisers and the sponsors."

    stored = {(c.judge_id, c.finalist_id): c for c in await app.store.list_scorecards(challenge.id)}
    assert stored[(AMIR.aad_id, f[2])].conflict.value == "recused" and stored[(AMIR.aad_id, f[2])].scores == {}
    assert stored[(MAYA.aad_id, f[0])].changes == 1 and set(stored[(MAYA.aad_id, f[0])].scores.values()) == {4}


async def test_one_reminder_reaches_judges_with_scoring_left_and_the_chair_moves_the_room(tmp_path, connector):
    clock = FakeClock(T0)
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", organiser_ids=OLGA_ID), clock=clock)
    try:
        connector.add_to_team(CHANNEL_KEY)
        challenge, ideas = await seed(app.store, connector_url=connector.url, count=2)
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        for person in (*JUDGES, OLGA):
            await teams.install(person)
        ref = {"challengeId": challenge.id}
        named = await teams.click(OLGA, {"verb": verbs.PANEL_NAME, "data": ref},
                                  {"judges": ",".join(j.aad_id for j in JUDGES), "chair": DIANE.aad_id,
                                   "remind_on": "2026-11-20", "remind_time": "16:30"})  # fmt: skip
        assert "The panel is named" in texts(named.card)
        for judge in JUDGES:
            await connector.wait_for(lambda c, j=judge: len(scorecards(c, j)) == 2 or None)
        # Maya finishes (scores one, recuses from the other); Diane does one of two; Amir nothing.
        first = await teams.click(MAYA, button(scorecards(connector, MAYA)[ideas[0].id], verbs.DECLARE))
        await teams.click(MAYA, button(first.card, verbs.SCORE), uniform(first.card, 3))
        await teams.click(MAYA, {"verb": verbs.DECLARE, "data": {**ref, "finalistId": ideas[1].id,
                                                                 "conflict": "recused"}})  # fmt: skip
        declared = await teams.click(DIANE, button(scorecards(connector, DIANE)[ideas[0].id], verbs.DECLARE))
        await teams.click(DIANE, button(declared.card, verbs.SCORE), uniform(declared.card, 4))
        await teams.click(AMIR, button(scorecards(connector, AMIR)[ideas[0].id], verbs.DECLARE))  # declared, not scored

        def reminders(user: User) -> list[dict]:
            return [c for c in cards_to(connector, user) if "A reminder about scoring" in texts(c)]

        await asyncio.sleep(0.3)
        assert all(reminders(j) == [] for j in JUDGES)  # not before the set time (16:30 Toronto, 21:30 UTC)
        clock.now = datetime(2026, 11, 20, 21, 31, tzinfo=UTC)
        await connector.wait_for(lambda c: (reminders(DIANE) and reminders(AMIR)) or None)
        assert "2 finalists" in texts(reminders(AMIR)[0]) and "1 finalist to" in texts(reminders(DIANE)[0])
        clock.now += timedelta(days=2)
        await asyncio.sleep(0.3)
        assert [len(reminders(j)) for j in JUDGES] == [0, 1, 1]  # one reminder, to those with scoring left

        # The room: only the chair moves the channel's "now pitching" card.
        refused = await teams.click(MAYA, {"verb": verbs.ROOM, "data": {**ref, "step": 1}})
        assert refused.message == "Only the chair of the panel can do that."
        started = await teams.click(DIANE, {"verb": verbs.ROOM, "data": {**ref, "step": 1}})
        assert "The room's card is updated in the channel." in texts(started.card)
        room = await connector.wait_for(lambda c: next((s for s in c.in_channel(CHANNEL_KEY) if s.cards), None))
        assert "Finalist 1 of 2" in texts(room.cards[0]) and ideas[0].pitch.title in texts(room.cards[0])
        in_thread = {"conversation": {"conversationType": "channel", "tenantId": TENANT_ID, "isGroup": True,
                                      "id": f"{CHANNEL_KEY};messageid=1"}}  # fmt: skip
        nope = await teams.click(AMIR, action(room.cards[0], verbs.ROOM) | {"data": {**ref, "step": 1}}, **in_thread)
        assert nope.message == "Only the chair of the panel can do that."
        moved = await teams.click(DIANE, {"verb": verbs.ROOM, "data": {**ref, "step": 1}}, **in_thread)
        assert "Finalist 2 of 2" in texts(moved.card)
        update = await connector.wait_for(
            lambda c: next((s for s in c.in_channel(CHANNEL_KEY) if s.method == "PUT"), None))
        assert "Finalist 2 of 2" in texts(update.cards[0])
    finally:
        await app.stop()


async def test_naming_fewer_judges_than_the_quorum_warns_at_the_field_and_can_be_confirmed(app, connector):
    """A walk found a panel of 2 accepted without a word, and the results then below quorum."""
    challenge, _ = await seed(app.store, connector_url=connector.url)
    teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
    for person in (MAYA, DIANE, OLGA):
        await teams.install(person)
    console = await teams.click(OLGA, {"verb": verbs.PITCH_DAY, "data": {"challengeId": challenge.id}})
    form = await teams.click(OLGA, action(console.card, verbs.PANEL_FORM))
    two = {"judges": f"{MAYA.aad_id},{DIANE.aad_id}", "chair": DIANE.aad_id, "remind_on": "", "remind_time": ""}

    warned = await teams.click(OLGA, action(form.card, verbs.PANEL_NAME), two)
    shown = texts(warned.card)
    assert "You named 2 judges, but the results count a finalist only when at least 3 judges score it" in shown
    assert shown.index("You named 2 judges") < shown.index("Judges\n"), "said before the field, above it"
    assert await app.store.get_panel(challenge.id) is None, "nothing saved yet"
    assert f"{MAYA.aad_id},{DIANE.aad_id}" in str(warned.card), "what she chose is kept"
    french = await teams.click(OLGA, action(form.card, verbs.PANEL_NAME), two, locale="fr-CA")
    assert "Vous avez nommé 2 membres du jury" in texts(french.card)

    anyway = [a for a in warned.card["actions"] if a.get("data", {}).get("belowQuorumConfirmed")]
    assert [a["title"] for a in anyway] == ["Save this panel anyway"]
    named = await teams.click(OLGA, anyway[0], two)
    assert "The panel is named: 2 judges are being told." in texts(named.card)
    assert (await app.store.get_panel(challenge.id)).judge_ids == [MAYA.aad_id, DIANE.aad_id]
