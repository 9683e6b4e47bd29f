"""People's Choice over HTTP, in the challenge's channel: 200 people vote at once through two app
instances on one store, 30 of them move their vote, and the final counts are exact; each voter
sees their own vote; counts stay hidden until an organiser closes voting; the result is shown
on the card and announced in the channel."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from datetime import datetime, time
from zoneinfo import ZoneInfo

from app import DEN_KEY
from bot.domain.voting import REFRESH_LIMIT
from cards import verbs
from tests.support.people import SAM, TENANT_ID
from tests.support.pitch_day import CHANNEL_KEY, OLGA_ID, T0, seed
from tests.support.running_app import FakeClock, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, User, button, nodes, texts

OLGA = User(OLGA_ID, "Olga Kowalski")
IN_CHANNEL = {"conversation": {"conversationType": "channel", "tenantId": TENANT_ID, "isGroup": True,
                               "id": f"{CHANNEL_KEY};messageid=1"}}  # a click on the card's thread  # fmt: skip


def vote_buttons(card: dict) -> dict[str, dict]:
    return {n["data"]["finalistId"]: n for n in nodes(card) if n.get("verb") == verbs.VOTE}


async def test_two_hundred_voters_through_two_instances_and_thirty_move(tmp_path, connector):
    db = tmp_path / "den.sqlite3"
    settings = settings_for_test(db, organiser_ids=OLGA_ID)
    clocks = FakeClock(T0), FakeClock(T0)
    first = await start_app(settings, clock=clocks[0])
    second = await start_app(settings, clock=clocks[1])
    try:
        connector.add_to_team(CHANNEL_KEY)
        challenge, ideas = await seed(first.store, connector_url=connector.url)
        one = TeamsClient(first.messages_url, connector.url, TENANT_ID)
        two = TeamsClient(second.messages_url, connector.url, TENANT_ID)
        ref = {"challengeId": challenge.id}

        # Before pitch day the console offers no Open, and an old card's Open is refused politely.
        console = await one.click(OLGA, {"verb": verbs.PITCH_DAY, "data": ref})
        assert not any(n.get("verb") == verbs.VOTING_OPEN for n in nodes(console.card))
        early = await one.click(OLGA, {"verb": verbs.VOTING_OPEN, "data": ref})
        assert early.message == "People's Choice voting opens on pitch day, once the finalists have pitched."
        early_fr = await one.click(OLGA, {"verb": verbs.VOTING_OPEN, "data": ref}, locale="fr-CA")
        assert early_fr.message.startswith("Le vote du Prix du public s’ouvre à la journée des présentations")
        assert not any(s.cards for s in connector.in_channel(CHANNEL_KEY)), "nothing was posted"
        for clock in clocks:  # pitch day comes
            clock.now = datetime.combine(challenge.pitch_day, time(10), tzinfo=ZoneInfo("America/Toronto"))
        console = await one.click(OLGA, {"verb": verbs.PITCH_DAY, "data": ref})
        assert any(n.get("verb") == verbs.VOTING_OPEN for n in nodes(console.card))

        # Only organisers open voting; anyone else is told why and nothing is posted.
        refused = await one.click(SAM, {"verb": verbs.VOTING_OPEN, "data": ref})
        assert refused.message == "Only Den organisers can open or close People's Choice voting."
        opened = await one.click(OLGA, {"verb": verbs.VOTING_OPEN, "data": ref})
        assert "People's Choice voting is open" in texts(opened.card)
        posted = await connector.wait_for(lambda c: next((s for s in c.in_channel(CHANNEL_KEY) if s.cards), None))
        card = posted.cards[0]
        assert set(vote_buttons(card)) == {i.id for i in ideas}
        assert card["refresh"]["action"]["verb"] == verbs.VOTE_VIEW and card["refresh"]["userIds"] == []
        assert "Show my vote" in texts(card) and "vote(s)" not in texts(card)  # counts hidden

        rng = random.Random(12)
        voters = [User(str(uuid.UUID(int=rng.getrandbits(128))), f"Voter {n}") for n in range(200)]
        first_choice = {v: rng.choice(ideas).id for v in voters}
        movers = voters[:30]
        final_choice = dict(first_choice)
        for v in movers:
            final_choice[v] = next(i.id for i in ideas if i.id != first_choice[v])

        async def vote(client: TeamsClient, voter: User, finalist: str) -> str:
            result = await client.click(voter, vote_buttons(card)[finalist], **IN_CHANNEL)
            assert result.status == 200
            return texts(result.card)

        answers = await asyncio.gather(
            *(vote(one if n % 2 else two, v, first_choice[v]) for n, v in enumerate(voters))
        )  # fmt: skip
        assert all("Your vote is recorded." in a for a in answers)
        title = {i.id: i.pitch.title for i in ideas}
        assert f"Your vote: {title[first_choice[voters[7]]]}" in answers[7]
        assert "vote(s)" not in "".join(answers)  # nobody sees counts while voting is open

        moved = await asyncio.gather(*(vote(two if n % 2 else one, v, final_choice[v]) for n, v in enumerate(movers)))
        assert all("Your vote has moved. You still have one vote." in a for a in moved)
        again = await vote(one, voters[50], final_choice[voters[50]])  # a second click on the same finalist
        assert "That is already your vote." in again

        # Each voter's own view (the card's refresh) shows their vote, whichever instance answers.
        view = await two.click(movers[3], {"verb": verbs.VOTE_VIEW, "data": ref}, **IN_CHANNEL)
        assert f"Your vote: {title[final_choice[movers[3]]]}" in texts(view.card)

        # The channel card's automatic-refresh list holds the first 60 voters (Teams' limit).
        for running in (first, second):
            await running.runner.app[DEN_KEY].pitch_day.settle()
        updated = [s for s in connector.in_channel(CHANNEL_KEY) if s.method == "PUT"]
        assert updated, "the card's refresh list was updated in place"
        assert len(updated[-1].cards[0]["refresh"]["userIds"]) <= REFRESH_LIMIT
        stored_poll = await first.store.get_poll(challenge.id)
        assert len(stored_poll.refresh_ids) == REFRESH_LIMIT
        assert set(stored_poll.refresh_ids) <= {v.channel_id for v in voters}

        not_organiser = await two.click(SAM, {"verb": verbs.VOTING_CLOSE, "data": ref}, **IN_CHANNEL)
        assert not_organiser.message == "Only Den organisers can open or close People's Choice voting."
        assert (await first.store.get_poll(challenge.id)).is_open

        organiser_view = await one.click(OLGA, {"verb": verbs.VOTE_VIEW, "data": ref}, **IN_CHANNEL)
        closed = await two.click(OLGA, button(organiser_view.card, verbs.VOTING_CLOSE), **IN_CHANNEL)
        expected = Counter(final_choice.values())
        assert await first.store.count_votes(challenge.id) == dict(expected)
        poll = await second.store.get_poll(challenge.id)
        assert poll.counts == {i.id: expected.get(i.id, 0) for i in ideas} and poll.total == 200
        shown = texts(closed.card)
        for idea in ideas:
            votes = expected.get(idea.id, 0)
            assert f"{votes} vote{'' if votes == 1 else 's'}" in shown
        assert "200 votes in all." in shown

        late = await vote(one, voters[0], final_choice[voters[1]] if final_choice[voters[1]] != final_choice[voters[0]]
                          else next(i.id for i in ideas if i.id != final_choice[voters[0]]))  # fmt: skip
        assert "People's Choice voting is closed." in late
        assert await first.store.count_votes(challenge.id) == dict(expected)  # the late click changed nothing

        top = max(expected.values())
        winners = [title[i.id] for i in ideas if expected.get(i.id) == top]
        announced = await connector.wait_for(
            lambda c: next((s for s in c.in_channel(CHANNEL_KEY) if s.method == "POST" and s.cards
                            and "People's Choice result" in texts(s.cards[0])), None)
        )  # fmt: skip
        assert all(w in texts(announced.cards[0]) for w in winners)
        final_card = [s for s in connector.in_channel(CHANNEL_KEY) if s.method == "PUT"][-1].cards[0]
        assert "refresh" not in final_card
        assert "200 votes in all." in texts(final_card) and "200 voix en tout." in texts(final_card), "both languages"
    finally:
        await first.stop()
        await second.stop()
