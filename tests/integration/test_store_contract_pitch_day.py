"""The store contract for pitch day (panels, scorecards, People's Choice polls and votes), run
against the SQLite store and the SharePoint store (real msgraph-sdk, local Graph server), each as
two store objects on the same records (two app instances), and the use-case tests' in-memory store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.panel import Conflict, Panel, Scorecard
from bot.domain.voting import Poll
from bot.ports import ConcurrencyConflict, OutboxMessage

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def note(n: int, recipient: str = "kim") -> OutboxMessage:
    return OutboxMessage.due_now(f"c1:panel:{n}:{recipient}", recipient_id=recipient, kind="approval_request",
                                 idea_id="c1", now=T0)  # fmt: skip


def a_panel() -> Panel:
    return Panel("c1", ["jo", "kim", "lee"], "jo", "olga", T0, remind_at=T0 + timedelta(hours=3))


async def test_a_panel_is_stored_with_its_notifications_and_updated_conditionally(stores):
    mine, other = stores
    panel = a_panel()
    await mine.save_panel(panel, [note(1, "kim"), note(1, "lee")])
    assert panel.version
    got = await other.get_panel("c1")
    assert got.judge_ids == ["jo", "kim", "lee"] and got.chair_id == "jo" and got.remind_at == panel.remind_at
    assert sorted(m.recipient_id for m in await mine.claim_due(T0, 60, 10)) == ["kim", "lee"]
    assert await mine.get_panel("nope") is None
    with pytest.raises(ConcurrencyConflict):
        await other.save_panel(a_panel())  # a second panel for the challenge
    got.close_scoring(actor_id="jo", now=T0)
    await other.save_panel(got, [note(2, "olga")])
    panel.now_pitching = 2  # stale: written before scoring closed
    with pytest.raises(ConcurrencyConflict):
        await mine.save_panel(panel, [note(3, "sam")])
    final = await mine.get_panel("c1")
    assert final.scoring_closed and final.now_pitching == -1
    assert [m.recipient_id for m in await mine.claim_due(T0, 60, 10)] == ["olga"]  # not "sam"


async def test_scorecards_are_one_per_judge_and_finalist_and_change_conditionally(stores):
    mine, other = stores
    panel = a_panel()
    await mine.save_panel(panel)
    await mine.save_panel(Panel("c2", ["kim"], "kim", "olga", T0))
    card = Scorecard("c1", "f1", "kim")
    card.declare(panel=panel, actor_id="kim", conflict=Conflict.NONE, now=T0)
    await mine.save_scorecard(card)
    with pytest.raises(ConcurrencyConflict):
        await other.save_scorecard(Scorecard("c1", "f1", "kim"))
    theirs = await other.get_scorecard("c1", "f1", "kim")
    theirs.scores, theirs.comment, theirs.scored_at = {"cost": 4}, "Clear « plan »", T0
    await other.save_scorecard(theirs)
    card.scores = {"cost": 1}
    with pytest.raises(ConcurrencyConflict):
        await mine.save_scorecard(card)
    recused = Scorecard("c1", "f2", "lee")
    recused.declare(panel=panel, actor_id="lee", conflict=Conflict.RECUSED, now=T0)
    await mine.save_scorecard(recused)
    await mine.save_scorecard(Scorecard("c2", "f1", "kim"))
    listed = await mine.list_scorecards("c1")
    assert [(c.finalist_id, c.judge_id, c.conflict) for c in listed] == [
        ("f1", "kim", Conflict.NONE), ("f2", "lee", Conflict.RECUSED)]  # fmt: skip
    assert listed[0].scores == {"cost": 4} and listed[0].comment == "Clear « plan »" and listed[0].scored_at == T0
    assert listed[1].declared_at == T0
    assert await mine.get_scorecard("c1", "f9", "kim") is None


async def test_a_poll_is_one_per_challenge_and_closes_conditionally(stores):
    mine, other = stores
    poll = Poll("c1", ["f1", "f2"], "olga", T0, channel_key="19:den@thread.tacv2")
    await mine.save_poll(poll)
    with pytest.raises(ConcurrencyConflict):
        await other.save_poll(Poll("c1", ["f1"], "olga", T0))
    theirs = await other.get_poll("c1")
    theirs.remember_for_refresh("29:sam")
    theirs.card_id = "1700000000000"
    await other.save_poll(theirs)
    poll.close(actor_id="olga", is_organiser=True, counts={"f1": 3}, now=T0)
    with pytest.raises(ConcurrencyConflict):
        await mine.save_poll(poll)
    fresh = await mine.get_poll("c1")
    assert fresh.is_open and fresh.refresh_ids == ["29:sam"] and fresh.card_id == "1700000000000"
    for voter, finalist in (("ana", "f1"), ("bo", "f1"), ("cy", "f1"), ("di", "f2")):
        await other.cast_vote("c1", voter, finalist, T0)
    fresh.close(actor_id="olga", is_organiser=True, counts={"f1": 3, "f2": 1}, now=T0)
    await mine.save_poll(fresh)
    got = await other.get_poll("c1")
    assert not got.is_open and got.counts == {"f1": 3, "f2": 1} and got.closed_by == "olga"


async def open_polls(store, *challenge_ids: str) -> None:
    for challenge_id in challenge_ids:
        await store.save_poll(Poll(challenge_id, ["f1", "f2"], "olga", T0))


async def test_one_vote_per_person_per_challenge_and_a_move_changes_that_one_vote(stores):
    mine, other = stores
    await open_polls(mine, "c1", "c2")
    first = await mine.cast_vote("c1", "sam", "f1", T0)
    assert first.is_new and first.vote.finalist_id == "f1"
    again = await other.cast_vote("c1", "sam", "f1", T0 + timedelta(seconds=1))
    assert again.unchanged and again.vote.moves == 0
    moved = await other.cast_vote("c1", "sam", "f2", T0 + timedelta(seconds=2))
    assert moved.moved and moved.previous == "f1" and moved.vote.moves == 1
    await mine.cast_vote("c2", "sam", "f1", T0)  # another challenge: another vote
    await mine.cast_vote("c1", "ana", "f2", T0)
    assert await mine.count_votes("c1") == {"f2": 2}
    assert await mine.count_votes("c2") == {"f1": 1}
    vote = await other.get_vote("c1", "sam")
    assert vote.finalist_id == "f2" and vote.moves == 1 and vote.cast_at == T0
    assert vote.changed_at == T0 + timedelta(seconds=2)
    assert await mine.get_vote("c1", "nobody") is None


async def test_concurrent_clicks_from_two_instances_never_make_two_votes(stores):
    mine, other = stores
    await open_polls(other, "c1")
    voters = [f"v{n}" for n in range(12)]
    # Every voter double-clicks on both instances at once, for two different finalists.
    clicks = [s.cast_vote("c1", v, f, T0) for v in voters for s, f in ((mine, "f1"), (other, "f2"), (mine, "f1"))]
    results = await asyncio.gather(*clicks)
    counts = await other.count_votes("c1")
    assert sum(counts.values()) == len(voters)
    assert sum(1 for r in results if r.is_new) == len(voters)  # exactly one click per voter created the vote
    for v in voters:
        stored = await mine.get_vote("c1", v)
        assert stored.finalist_id in ("f1", "f2")
