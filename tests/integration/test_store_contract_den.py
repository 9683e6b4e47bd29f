"""The store contract for the Den challenge (challenges, stages, history, funding, progress, channels),
run against the SQLite store and the SharePoint store (real msgraph-sdk, local Graph server)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import stage as st
from bot.domain.calendar import DigestWeek, WorkCalendar
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.den_report import IdeaSummary
from bot.domain.digest import DigestQuery, DigestRules
from bot.domain.model import Outcome
from bot.domain.stage import IdeaStage, ProgressStatus, Stage
from bot.ports import ChannelInfo, ConcurrencyConflict, OutboxMessage
from tests.integration.test_store_contract import add, new_idea
from tests.support.store_probes import pending_outbox

T0 = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
CLOSES = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
AFTER = CLOSES + timedelta(days=1)


def a_challenge(cid: str = "c1", **changes) -> Challenge:
    draft = ChallengeDraft(
        "Tell us once", "How can clients tell us things only once?", ("dana", "luc"), T0 - timedelta(days=1), CLOSES
    )
    made = Challenge.open_new(challenge_id=cid, draft=draft, actor_id="olga", is_organiser=True, now=T0)
    for name, value in changes.items():
        setattr(made, name, value)
    return made


def note(n: int, recipient: str = "sam") -> OutboxMessage:
    return OutboxMessage.due_now(
        f"c1:stage:{n}:{recipient}", recipient_id=recipient, kind="stage_update", idea_id=f"i{n}", now=T0
    )


def idea_id(n: int) -> str:
    return new_idea(n)[0].id


def pooled(n: int) -> IdeaStage:
    return IdeaStage.enter_pool(idea_id=f"i{n}", challenge_id="c1", owner_id=f"s{n}", at=T0, by="amir")


async def test_a_challenge_is_stored_read_and_listed_once(store):
    challenge = a_challenge(peoples_choice=True, program_areas=["policy"])
    await store.add_challenge(challenge, [note(0, "channel:19:abc@thread.tacv2")])
    got = await store.get_challenge("c1")
    assert got.name == challenge.name and got.sponsor_ids == ["dana", "luc"] and got.criteria == challenge.criteria
    assert got.opens_at == challenge.opens_at and got.peoples_choice and got.program_areas == ["policy"]
    assert [c.id for c in await store.list_challenges()] == ["c1"] and await store.get_challenge("nope") is None
    with pytest.raises(ConcurrencyConflict):
        await store.add_challenge(a_challenge())
    assert [m.recipient_id for m in await store.claim_due(T0, 60, 10)] == ["channel:19:abc@thread.tacv2"]


async def test_a_challenge_update_is_conditional_and_writes_nothing_when_stale(store):
    await store.add_challenge(a_challenge())
    mine, theirs = await store.get_challenge("c1"), await store.get_challenge("c1")
    mine.close_early(actor_id="olga", is_organiser=True, now=T0)
    await store.update_challenge(mine, [note(1)])
    theirs.name = "Overwritten"
    with pytest.raises(ConcurrencyConflict):
        await store.update_challenge(theirs, [note(2)])
    stored = await store.get_challenge("c1")
    assert stored.closed_early_at == T0 and stored.name == "Tell us once"
    assert [m.id for m in await store.claim_due(T0, 60, 10)] == ["c1:stage:1:sam"]
    stored.close_announced = True
    await store.update_challenge(stored)  # the version read back is good for the next write
    assert (await store.get_challenge("c1")).close_announced


async def test_a_sponsor_decision_writes_challenge_stages_and_notes_together(store):
    await store.add_challenge(a_challenge())
    challenge = await store.get_challenge("c1")
    stage = pooled(1)
    raised = st.shortlist(challenge, stage, actor_id="dana", now=T0)
    assert raised and stage.version == 0
    await store.write_stages(challenge, [stage], [note(1)])
    stored = await store.get_stage("i1")
    assert stored.stage == Stage.SHORTLISTED and stored.history == stage.history and stored.owner_id == "s1"
    assert [s.idea_id for s in await store.list_stages("c1")] == ["i1"]
    assert [s.idea_id for s in await store.list_stages_in(Stage.SHORTLISTED)] == ["i1"]
    assert await store.list_stages_in(Stage.FINALIST) == [] and await store.get_stage("i9") is None
    # Undo with the versions read back: both the challenge and the stage moved on.
    st.undo_shortlist(challenge, stage, actor_id="dana", now=T0 + timedelta(hours=1))
    await store.write_stages(challenge, [stage])
    assert (await store.get_stage("i1")).stage == Stage.POOL
    assert len(await store.claim_due(T0, 60, 10)) == 1


async def test_a_stale_gate_writes_nothing_at_all(stores):
    one, two = stores
    await one.add_challenge(a_challenge())
    first, second = await one.get_challenge("c1"), await two.get_challenge("c1")
    a, b = pooled(1), pooled(2)
    st.shortlist(first, a, actor_id="dana", now=T0)
    st.shortlist(second, b, actor_id="luc", now=T0)
    await one.write_stages(first, [a], [note(1)])
    with pytest.raises(ConcurrencyConflict):
        await two.write_stages(second, [b], [note(2)])
    assert await two.get_stage("i2") is None
    assert [m.idea_id for m in await two.claim_due(T0, 60, 10)] == ["i1"]


async def test_concurrent_clicks_on_two_instances_make_one_change(stores):
    await stores[0].add_challenge(a_challenge())
    copies = [await stores[n % 2].get_challenge("c1") for n in range(4)]
    stages = [pooled(1) for _ in range(4)]
    for challenge, stage in zip(copies, stages, strict=True):
        st.shortlist(challenge, stage, actor_id="dana", now=T0)
    results = await asyncio.gather(
        *(stores[n % 2].write_stages(c, [s], [note(1)]) for n, (c, s) in enumerate(zip(copies, stages, strict=True))),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in results if r is not None)
    assert len((await stores[1].get_stage("i1")).history) == 2


async def test_choosing_finalists_moves_many_stages_in_one_decision(store):
    """25 ideas: more rows than one SharePoint $batch holds, still one decision and every row written."""
    await store.add_challenge(a_challenge())
    challenge = await store.get_challenge("c1")
    stages = [pooled(n) for n in range(25)]
    for stage in stages[:8]:
        st.shortlist(challenge, stage, actor_id="dana", now=T0)
    await store.write_stages(challenge, stages[:8])
    stored = {s.idea_id: s for s in await store.list_stages("c1")}
    stages = [stored.get(f"i{n}", pooled(n)) for n in range(25)]
    changed, _ = st.choose_finalists(challenge, stages, [f"i{n}" for n in range(5)], actor_id="dana", now=AFTER)
    await store.write_stages(challenge, changed, [note(n) for n in range(25)])
    final = {s.idea_id: s for s in await store.list_stages("c1")}
    assert len(final) == 25 and sum(s.stage == Stage.FINALIST for s in final.values()) == 5
    assert sum(s.stage == Stage.NOT_SELECTED for s in final.values()) == 20
    assert final["i6"].furthest == Stage.SHORTLISTED and final["i20"].furthest == Stage.POOL
    assert (await store.get_challenge("c1")).finalists_chosen_at == AFTER
    assert await pending_outbox(store) == 25


async def test_funding_and_progress_updates_are_kept(store):
    await store.add_challenge(a_challenge())
    challenge = await store.get_challenge("c1")
    stage = pooled(1)
    st.shortlist(challenge, stage, actor_id="dana", now=T0)
    await store.write_stages(challenge, [stage])
    changed, _ = st.choose_finalists(challenge, [stage], ["i1"], actor_id="dana", now=AFTER)
    await store.write_stages(challenge, changed)
    changed, _ = st.choose_winners(challenge, changed, ["i1"], actor_id="luc", now=AFTER, ranking=["i1"])
    await store.write_stages(challenge, changed)
    st.record_funding(
        challenge,
        stage,
        actor_id="luc",
        amount=75_000,
        branch="Digital Services",
        conditions="Report to the ADM's table quarterly",
        now=AFTER,
    )
    await store.write_stages(challenge, [stage])
    mine, stale = await store.get_stage("i1"), await store.get_stage("i1")
    assert mine.funding == st.Funding(75_000, "Digital Services", "Report to the ADM's table quarterly", "luc", AFTER)
    st.file_progress(mine, actor_id="s1", status=ProgressStatus.ON_TRACK, note="Pilot in Sudbury", now=AFTER)
    await store.update_stage(mine, [note(1, "dana")])
    st.file_progress(stale, actor_id="s1", status=ProgressStatus.BLOCKED, note="duplicate", now=AFTER)
    with pytest.raises(ConcurrencyConflict):
        await store.update_stage(stale)
    st.file_progress(mine, actor_id="s1", status=ProgressStatus.DONE, note="", now=AFTER + timedelta(days=30))
    await store.update_stage(mine)
    stored = await store.get_stage("i1")
    assert [u.status for u in stored.updates] == [ProgressStatus.ON_TRACK, ProgressStatus.DONE]
    assert stored.stage == Stage.IMPLEMENTED and [s.idea_id for s in await store.list_stages_in(Stage.IMPLEMENTED)]
    assert [c.to_stage for c in stored.history][-3:] == [Stage.WINNER, Stage.IMPLEMENTING, Stage.IMPLEMENTED]


async def test_ideas_are_listed_by_challenge(store):
    one = await add(store, 1)
    one.challenge = "c1"
    await store.update(one)
    await add(store, 2)
    assert [i.id for i in await store.list_challenge_ideas("c1")] == [one.id]
    assert await store.list_challenge_ideas("c2") == []
    [summary] = await store.list_challenge_summaries("c1")
    assert summary == IdeaSummary.of(one)
    assert await store.list_challenge_summaries("c2") == []
    decided = await store.get(one.id)
    decided.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    await store.update(decided)
    [summary] = await store.list_challenge_summaries("c1")
    assert summary == IdeaSummary.of(decided) and summary.last_decided_by == "maya"


async def test_the_digest_reads_the_challenges_shortlist_as_well_as_the_old_flag(store):
    """An idea is shortlisted in the digest when its stage is shortlisted or beyond (however it got
    there), or when the old flag is set; in the pool, taken off the shortlist or not selected: not."""
    paths = {
        1: (Stage.SHORTLISTED,),
        2: (Stage.SHORTLISTED, Stage.FINALIST),
        3: (Stage.SHORTLISTED, Stage.POOL),  # taken off again
        4: (Stage.NOT_SELECTED,),
        5: (),  # in the pool
        6: None,  # shortlisted by the old flag, before the one shortlist
    }
    approved_at = T0 + timedelta(days=1)
    for n, path in paths.items():
        idea = await add(store, n)
        for step in range(len(idea.chain)):
            idea.decide(actor_id=idea.chain[step].approver_id, step_index=step, revision=1,
                        outcome=Outcome.APPROVED, comment="", now=approved_at)  # fmt: skip
        if path is None:
            idea.shortlist(dm_id="dana", now=approved_at)
        await store.update(idea)
        if path is not None:
            stage = IdeaStage.enter_pool(idea_id=idea.id, challenge_id="c1", owner_id="sam", at=approved_at, by="x")
            for k, to in enumerate(path):
                stage._move(to, by="dana", now=approved_at + timedelta(hours=k + 1))
            await store.update_stage(stage)
    expected = {idea_id(n): n in (1, 2, 6) for n in paths}

    scanned = {d.id: d.shortlisted async for page in store.scan_for_digest(None) for d in page}
    assert {i: scanned.get(i) for i in expected} == expected
    assert not any(shortlisted for i, shortlisted in scanned.items() if i not in expected), "(past records)"
    now = T0 + timedelta(days=3)
    query = DigestQuery(DigestWeek.ending_at(now, UTC), now, WorkCalendar.of("UTC"), DigestRules(list_limit=10))
    listed = (await store.digest_figures(["dana"], query))["dana"].approved
    assert {d.id: d.shortlisted for d in listed} == expected
    assert [d.shortlisted for d in listed] == [False] * 3 + [True] * 3, "what the DM can still act on first"


async def test_channels_are_registered_once_and_renamed(store):
    await store.save_channel(ChannelInfo("19:abc@thread.tacv2", "Ministry", "General", T0))
    await store.save_channel(ChannelInfo("19:abc@thread.tacv2", "Ministry", "Den", T0 + timedelta(days=1)))
    await store.save_channel(ChannelInfo("19:def@thread.tacv2", "Innovation Office", "General", T0))
    assert [(c.team_name, c.channel_name) for c in await store.list_channels()] == [
        ("Innovation Office", "General"),
        ("Ministry", "Den"),
    ]
