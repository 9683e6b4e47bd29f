"""Issue #20's rules that only the store can keep, on SQLite, SharePoint (the local Graph server)
and the in-memory store, each as two store objects on the same records (two app instances):

- a delegation that would close a loop is refused inside the write, whatever the other instance
  wrote a moment before;
- a vote is recorded only while voting is open, and a score only while scoring is open,
  checked in the same write.

Each race runs many rounds, so a race that one interleaving in five would let through is caught.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.calendar import WorkCalendar
from bot.domain.delegation import DelegationProblem, DelegationRefused, closes_a_loop, new_delegation, onward_of
from bot.domain.model import Person
from bot.domain.panel import Conflict, Panel, Scorecard, ScoringClosed
from bot.domain.voting import Poll, VotingClosed, frozen_counts_hold
from bot.ports import ConcurrencyConflict

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
CAL = WorkCalendar.of("America/Toronto")
AMIR, DANA, DIANE = Person("amir", "Amir Haddad"), Person("dana", "Dana Morel"), Person("diane", "Diane Tremblay")
ROUNDS = 12


def naming(principal: Person, delegate: Person, now: datetime):
    """A delegation as the service builds it when the other instance's write is not yet visible."""
    return new_delegation(principal=principal, delegate=delegate, last_day=date(2026, 11, 20), now=now,
                          calendar=CAL, active={})  # fmt: skip


async def test_a_delegation_closing_a_loop_is_refused_by_the_store_itself(stores):
    first, second = stores
    await first.save_delegation(naming(AMIR, DANA, T0), now=T0)
    with pytest.raises(DelegationRefused) as refused:
        await second.save_delegation(naming(DANA, AMIR, T0), now=T0)
    assert refused.value.problem == DelegationProblem.LOOP
    assert set(await second.delegations_in_force(T0)) == {"amir"}, "nothing written"
    # Through a third person too, and a loop-free one is still taken.
    await second.save_delegation(naming(DANA, DIANE, T0), now=T0)
    with pytest.raises(DelegationRefused):
        await first.save_delegation(naming(DIANE, AMIR, T0), now=T0)
    # Amir replacing his own delegation is no loop with his old one.
    await first.save_delegation(naming(AMIR, DIANE, T0), now=T0)
    # Ending one early (no `now`) is never refused, and frees the way.
    ended = await first.get_delegation("amir")
    await first.save_delegation(replace(ended, ends_at=T0 + timedelta(minutes=1)))
    later = T0 + timedelta(minutes=2)
    await second.save_delegation(naming(DIANE, AMIR, later), now=later)


async def test_two_people_naming_each_other_at_once_on_two_instances_never_both_succeed(stores):
    first, second = stores
    outcomes = []
    for n in range(ROUNDS):
        now = T0 + timedelta(hours=n)
        results = await asyncio.gather(
            first.save_delegation(naming(AMIR, DANA, now), now=now),
            second.save_delegation(naming(DANA, AMIR, now), now=now),
            return_exceptions=True,
        )
        refused = [r for r in results if isinstance(r, DelegationRefused)]
        assert [r for r in results if r is not None and not isinstance(r, DelegationRefused)] == []
        assert len(refused) == 1, f"round {n}: exactly one is refused, got {results}"
        in_force = await first.delegations_in_force(now)
        assert not any(closes_a_loop(p, d, onward_of(in_force, now)) for p, d in onward_of(in_force, now).items())
        outcomes.append("amir" in in_force)
        for principal in ("amir", "dana"):  # both end before the next round
            stored = await first.get_delegation(principal)
            if stored is not None and stored.active(now):
                await first.save_delegation(replace(stored, ends_at=now + timedelta(minutes=1)))


# ---- votes and scores, conditional on voting and scoring being open -----------------------------------
async def close_voting(store, challenge_id: str) -> Poll:
    """What closing voting does: count, freeze, write; counted again if a vote landed meanwhile."""
    for _ in range(20):
        poll = await store.get_poll(challenge_id)
        poll.close(actor_id="olga", is_organiser=True, counts=await store.count_votes(challenge_id), now=T0)
        try:
            await store.save_poll(poll)
            return poll
        except ConcurrencyConflict:
            continue
    raise AssertionError("could not close voting")


async def test_a_vote_after_voting_closed_is_refused_in_the_write(stores):
    first, second = stores
    await first.save_poll(Poll("c1", ["f1", "f2"], "olga", T0))
    await first.cast_vote("c1", "sam", "f1", T0)
    await close_voting(second, "c1")
    with pytest.raises(VotingClosed):
        await first.cast_vote("c1", "ana", "f2", T0)  # the voter's instance read the poll open before
    with pytest.raises(VotingClosed):
        await first.cast_vote("c1", "sam", "f2", T0)  # nor a move
    assert await first.count_votes("c1") == {"f1": 1} and (await first.get_poll("c1")).counts == {"f1": 1, "f2": 0}
    with pytest.raises(VotingClosed):
        await first.cast_vote("never-opened", "sam", "f1", T0)


async def test_closing_with_counts_that_miss_a_vote_is_refused_and_counted_again(stores):
    first, second = stores
    await first.save_poll(Poll("c1", ["f1", "f2"], "olga", T0))
    poll = await first.get_poll("c1")
    poll.close(actor_id="olga", is_organiser=True, counts=await first.count_votes("c1"), now=T0)
    await second.cast_vote("c1", "sam", "f2", T0)  # after the count, before the write
    with pytest.raises(ConcurrencyConflict):
        await first.save_poll(poll)
    closed = await close_voting(first, "c1")
    assert closed.counts == {"f1": 0, "f2": 1} and (await second.get_poll("c1")).counts == closed.counts


async def test_a_score_after_scoring_closed_is_refused_in_the_write(stores):
    first, second = stores
    await first.save_panel(Panel("c1", ["kim", "lee"], "kim", "olga", T0))
    card = Scorecard("c1", "f1", "lee")
    panel = await first.get_panel("c1")
    card.declare(panel=panel, actor_id="lee", conflict=Conflict.NONE, now=T0)  # read open on the first instance
    chair = await second.get_panel("c1")
    chair.close_scoring(actor_id="kim", now=T0)
    await second.save_panel(chair)
    with pytest.raises(ScoringClosed):
        await first.save_scorecard(card)
    assert await second.list_scorecards("c1") == []


async def test_votes_racing_the_close_on_two_instances_are_each_counted_or_refused(stores):
    first, second = stores
    for n in range(ROUNDS):
        challenge_id = f"race-{n}"
        await first.save_poll(Poll(challenge_id, ["f1", "f2"], "olga", T0))

        async def vote(voter: int, challenge_id: str = challenge_id):
            store = first if voter % 2 else second
            try:
                await store.cast_vote(challenge_id, f"v{voter}", "f1" if voter % 3 else "f2", T0)
                return True
            except VotingClosed:
                return False

        *cast, closed = await asyncio.gather(*(vote(v) for v in range(8)), close_voting(second, challenge_id))
        stored = await first.count_votes(challenge_id)
        assert sum(stored.values()) == sum(cast), f"round {n}: every accepted vote stored, no refused one"
        assert frozen_counts_hold(closed, stored), f"round {n}: the result counts exactly the stored votes"
