"""The behaviour every store must have: the SQLite store, the SharePoint store, and the in-memory one.

The SharePoint store talks through the real msgraph-sdk, over HTTP, to the local Graph server,
once as that server answers by default and once with a real tenant's awkward behaviours on
("sharepoint-strict": a unique-column clash answered 500, every fifth request inside a $batch
throttled with its own Retry-After, site paths only in their documented forms).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.sharepoint_store import SharePointStore
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.calendar import DigestWeek, WorkCalendar
from bot.domain.digest import Counts, DigestFigures, DigestIdea, DigestQuery, DigestRules
from bot.domain.model import Idea, IdeaStatus, Outcome, Person, Role
from bot.domain.pitch import Pitch
from bot.ports import ConcurrencyConflict, ConversationRecord, OutboxMessage
from bot.services.ideas import outbox_for
from tests.support.cast import DIANE, MAYA
from tests.support.chains import build_chain
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.large_lists import fill_past_threshold
from tests.support.memory_store import MemoryStore
from tests.support.people import VALID_PITCH
from tests.support.store_probes import digest_deliveries, held_by, pending_outbox

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def strict(graph) -> None:
    graph.behaviours.unique_clash_status = 500
    graph.behaviours.inner_throttle_every = 5
    graph.behaviours.inner_retry_after = "0"
    graph.behaviours.strict_site_paths = True


@pytest.fixture(params=["sqlite", "sharepoint", "sharepoint-strict", "sharepoint-large", "memory"])
async def store(request, tmp_path, fake_graph):
    if request.param == "sqlite":
        made = SqliteStore(tmp_path / "den.sqlite3")
    elif request.param == "memory":
        made = MemoryStore()  # the use-case tests' store must behave as the real ones do
    else:
        site = await provisioned_site(fake_graph)
        if request.param == "sharepoint-strict":
            strict(fake_graph)
        if request.param == "sharepoint-large":
            fill_past_threshold(fake_graph, site)
        made = SharePointStore(graph_client(fake_graph), site, page_size=50)
    await made.open()
    yield made
    await made.close()


def new_idea(n: int, submitter: Person | None = None, created: datetime = T0) -> tuple[Idea, list]:
    submitter = submitter or Person("sam", "Sam Chen")
    return Idea.submit(
        idea_id=f"00000000-0000-4000-8000-{n:012d}",
        reference=f"DEN-2026-{n:04d}",
        submitter=submitter,
        pitch=Pitch(**{**VALID_PITCH, "title": f"Idea {n}"}),
        chain=build_chain(submitter, [MAYA, DIANE]),
        now=created,
        line_ids=["maya", "diane", "dana"],
    )


async def add(store, n: int, **kwargs) -> Idea:
    idea, raised = new_idea(n, **kwargs)
    await store.add(idea, outbox_for(idea, raised, idea.created_at))
    return idea


async def test_create_then_get_returns_the_same_idea(store):
    idea = await add(store, 1, submitter=Person("o'brien", "Siobhán O'Brien"))
    got = await store.get(idea.id)
    assert got.reference == idea.reference and got.pitch == idea.pitch and got.submitter == idea.submitter
    assert got.chain == idea.chain and got.status == IdeaStatus.IN_REVIEW and got.line_ids == idea.line_ids
    assert await store.get("00000000-0000-4000-8000-999999999999") is None


async def test_the_same_idea_cannot_be_created_twice(store):
    await add(store, 1)
    with pytest.raises(ConcurrencyConflict):
        await add(store, 1)


async def test_references_count_up_without_gaps_or_repeats(store):
    refs = [await store.next_reference(2026) for _ in range(3)] + [await store.next_reference(2027)]
    assert refs == ["DEN-2026-0001", "DEN-2026-0002", "DEN-2026-0003", "DEN-2027-0001"]


async def test_list_by_submitter_pages_to_the_end_newest_first(store):
    for n in range(120):
        await add(store, n, created=T0 + timedelta(minutes=n))
    await add(store, 500, submitter=Person("someone-else", "Other"))
    mine = await store.list_by_submitter("sam", limit=1000)
    assert len(mine) == 120
    assert mine[0].pitch.title == "Idea 119" and mine[-1].pitch.title == "Idea 0"
    assert len(await store.list_by_submitter("sam", limit=5)) == 5


async def test_quotes_in_values_are_data_never_query(store):
    await add(store, 1, submitter=Person("o'brien", 'Kids\' "Tell us once"'))
    await add(store, 2, submitter=Person("x' or fields/SubmitterId ne 'y", "Injector"))
    assert [i.submitter.name for i in await store.list_by_submitter("o'brien")] == ['Kids\' "Tell us once"']
    assert len(await store.list_by_submitter("x' or fields/SubmitterId ne 'y")) == 1
    assert await store.list_by_submitter("nobody' or 'a' eq 'a") == []


async def test_list_by_holder_and_for_the_digest(store):
    stored_before = len(await store.list_for_digest(None))  # (past records, on lists filled past the threshold)
    first = await add(store, 1)
    second = await add(store, 2)
    raised = second.decide(
        actor_id="maya", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="no", now=T0 + timedelta(days=3)
    )
    await store.update(second, outbox_for(second, raised, T0))
    assert [i.id for i in await held_by(store, "maya")] == [first.id]
    assert [i.id for i in await store.list_open()] == [first.id]
    assert {i.id for i in await store.list_for_digest(T0 + timedelta(days=1))} == {first.id, second.id}
    assert {i.id for i in await store.list_for_digest(T0 + timedelta(days=10))} == {first.id}
    assert len(await store.list_for_digest(None)) == stored_before + 2


async def test_update_is_conditional_on_the_version_read(store):
    await add(store, 1)
    mine, theirs = await store.get(new_idea(1)[0].id), await store.get(new_idea(1)[0].id)
    raised = mine.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    await store.update(mine, outbox_for(mine, raised, T0))
    theirs.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="x", now=T0)
    with pytest.raises(ConcurrencyConflict):
        await store.update(theirs, outbox_for(theirs, [], T0))
    stored = await store.get(mine.id)
    assert [d.outcome for d in stored.decisions] == [Outcome.APPROVED] and stored.holder_id == "diane"
    again = await store.get(mine.id)  # a fresh read can be updated again
    raised = again.decide(actor_id="diane", step_index=1, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    await store.update(again, outbox_for(again, raised, T0))
    assert (await store.get(mine.id)).status == IdeaStatus.APPROVED


async def test_two_concurrent_updates_one_wins(store):
    await add(store, 1)
    copies = [await store.get(new_idea(1)[0].id) for _ in range(4)]
    for copy in copies:
        copy.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0)
    results = await asyncio.gather(*(store.update(c) for c in copies), return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in results if r is not None)


async def test_outbox_lease_reschedule_complete_and_idempotent_enqueue(store):
    await add(store, 1)  # queues the approval request
    claimed = await store.claim_due(T0, 60, 10)
    assert [m.kind for m in claimed] == ["approval_request"]
    assert await store.claim_due(T0 + timedelta(seconds=30), 60, 10) == [], "leased"
    message = claimed[0]
    await store.reschedule(message.id, T0 + timedelta(seconds=120), 1, "connector answered 429")
    [again] = await store.claim_due(T0 + timedelta(seconds=121), 60, 10)
    assert again.attempts == 1 and again.last_error == "connector answered 429"
    await store.complete(again.id)
    assert await pending_outbox(store) == 0
    reminder = OutboxMessage("i:reminder:1", "maya", "reminder", "i", T0, T0, {"days": 3})
    await store.enqueue([reminder])
    await store.enqueue([reminder])
    assert await store.existing_outbox_ids(["i:reminder:1", "i:reminder:2"]) == {"i:reminder:1"}
    assert await pending_outbox(store) == 1


async def test_a_lease_is_renewed_while_a_send_is_in_flight_and_released_when_never_sent(store):
    await add(store, 1)
    await add(store, 2)
    first, second = sorted(await store.claim_due(T0, 60, 10), key=lambda m: m.idea_id)
    await store.renew_leases([first.id], T0 + timedelta(seconds=180))
    assert [m.id for m in await store.claim_due(T0 + timedelta(seconds=90), 60, 10)] == [second.id], (
        "the renewed lease still holds; the other one expired and was taken again"
    )
    await store.release([second.id], T0 + timedelta(seconds=100))
    assert [m.id for m in await store.claim_due(T0 + timedelta(seconds=100), 60, 10)] == [second.id]
    await store.complete(first.id)
    await store.renew_leases([first.id], T0 + timedelta(seconds=600))  # a late renewal changes nothing
    assert [m.id for m in await store.claim_due(T0 + timedelta(seconds=700), 60, 10)] == [second.id]


async def test_many_sends_are_recorded_together_and_never_claimed_again(store):
    for n in range(1, 24):
        await add(store, n)
    claimed: list[OutboxMessage] = []
    while len(claimed) < 22:  # more than one $batch of 20 on SharePoint (which claims 20 at a time)
        claimed += await store.claim_due(T0, 60, 22 - len(claimed))
    [unclaimed] = await store.claim_due(T0, 60, 10)
    await store.release([unclaimed.id], T0)  # due again, and not held by this store
    done = [m.id for m in claimed[:21]] + [unclaimed.id]
    await store.complete_many(done)
    await store.complete_many([])
    assert await pending_outbox(store) == 1
    later = T0 + timedelta(minutes=5)  # every lease has lapsed: only what was not recorded comes back
    assert [m.id for m in await store.claim_due(later, 60, 50)] == [claimed[21].id]


async def test_a_claim_takes_each_persons_earliest_messages_up_to_a_cap_counting_those_held(store):
    queued = [("maya", n) for n in range(5)] + [("diane", n) for n in range(5, 8)] + [("sam", n) for n in (8, 9)]
    await store.enqueue([
        OutboxMessage(f"i{n}:reminder:{n}", who, "reminder", f"i{n}", T0, T0 + timedelta(seconds=n), {"days": 3})
        for who, n in queued
    ])  # fmt: skip
    later = T0 + timedelta(minutes=1)
    first = await store.claim_due(later, 60, 10, per_recipient=2, holding={"sam": 2, "dana": 1})
    assert sorted(m.id for m in first) == ["i0:reminder:0", "i1:reminder:1", "i5:reminder:5", "i6:reminder:6"], (
        "each person's two earliest; none for Sam, whose two places are taken"
    )
    second = await store.claim_due(later, 60, 10, per_recipient=2, holding={"maya": 2, "diane": 2})
    assert sorted(m.id for m in second) == ["i8:reminder:8", "i9:reminder:9"]
    third = await store.claim_due(later, 60, 10)
    assert sorted(m.id for m in third) == ["i2:reminder:2", "i3:reminder:3", "i4:reminder:4", "i7:reminder:7"]


async def test_the_outbox_backlog_counts_what_is_undelivered_and_the_oldest_due_one(store):
    assert (await store.outbox_backlog(T0)).pending == 0
    await add(store, 1, created=T0)
    await add(store, 2, created=T0 + timedelta(minutes=5))
    backlog = await store.outbox_backlog(T0 + timedelta(minutes=10))
    assert backlog.pending == backlog.due == 2 and backlog.oldest_due_at == T0
    assert backlog.oldest_due_age_seconds(T0 + timedelta(minutes=10)) == 600
    first = min(await store.claim_due(T0 + timedelta(minutes=6), 60, 10), key=lambda m: m.created_at)
    await store.complete(first.id)
    backlog = await store.outbox_backlog(T0 + timedelta(minutes=10))
    assert backlog.pending == 1 and backlog.oldest_due_at == T0 + timedelta(minutes=5)


async def test_a_notification_scheduled_for_later_is_not_late_until_it_is_due(store):
    next_week = T0 + timedelta(days=7)
    await store.enqueue([
        OutboxMessage("c1:window_closed", "channel", "window_closed", "c1", T0, next_week, {}),
    ])  # fmt: skip
    two_days_on = await store.outbox_backlog(T0 + timedelta(days=2))
    assert (two_days_on.pending, two_days_on.due, two_days_on.scheduled) == (1, 0, 1)
    assert two_days_on.oldest_due_age_seconds(T0 + timedelta(days=2)) == 0, "queued two days ago, due next week"
    an_hour_late = next_week + timedelta(hours=1)
    backlog = await store.outbox_backlog(an_hour_late)
    assert (backlog.due, backlog.oldest_due_at) == (1, next_week), "late from when it became due, not from queuing"
    assert backlog.oldest_due_age_seconds(an_hour_late) == 3600


async def test_retries_and_leases_do_not_reset_a_due_notifications_lateness(store):
    await store.enqueue([OutboxMessage("i1:reminder:1", "maya", "reminder", "i1", T0, T0, {"days": 3})])
    [claimed] = await store.claim_due(T0 + timedelta(minutes=1), 60, 10)  # leased (SharePoint moves NotBefore)
    await store.reschedule(claimed.id, T0 + timedelta(minutes=30), 1, "429")  # Teams throttled it: retry later
    at = T0 + timedelta(minutes=20)
    backlog = await store.outbox_backlog(at)
    assert (backlog.pending, backlog.due, backlog.oldest_due_at) == (1, 1, T0), "still due since T0, still undelivered"
    assert backlog.oldest_due_age_seconds(at) == 1200


async def test_the_digest_scan_pages_light_projections_of_the_stored_ideas(store):
    stored_before = len(await store.list_for_digest(None))  # (past records, on lists filled past the threshold)
    ideas = [await add(store, n, created=T0 + timedelta(minutes=n)) for n in range(1, 6)]
    decided = await store.get(ideas[0].id)
    decided.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.REJECTED, comment="No", now=T0)
    await store.update(decided)
    pages = [page async for page in store.scan_for_digest(None, page_size=2)]
    sizes = [len(page) for page in pages]
    assert set(sizes[:-1]) == {2} and sizes[-1] in (1, 2), "a page at a time"
    assert sum(sizes) == stored_before + 5
    scanned = {d.id: d for page in pages for d in page}
    for idea in ideas:
        assert scanned[idea.id] == DigestIdea.of(await store.get(idea.id))
    assert scanned[ideas[0].id].decisions[0].outcome == Outcome.REJECTED
    since = [d.id async for page in store.scan_for_digest(T0 + timedelta(days=1)) for d in page]
    assert sorted(since) == sorted(i.id for i in ideas[1:]), "since: the open ones, and what changed since"


async def test_digest_figures_count_list_and_time_each_dms_ideas(store):
    """The digest's figures through the port: the SQLite store aggregates in SQL, the others scan."""
    stored_before = len(await store.list_for_digest(None))  # (past records, on lists filled past the threshold)
    ideas = [await add(store, n, created=T0 + timedelta(hours=n)) for n in range(1, 5)]
    elsewhere, _ = new_idea(9, submitter=Person("olga-staff", "Olga's staff", branch="Elsewhere"))
    elsewhere.line_ids = ["olga"]  # another ministry's
    await store.add(elsewhere)
    approved = await store.get(ideas[0].id)
    approved.decide(
        actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=T0 + timedelta(days=1)
    )
    await store.update(approved)
    approved.decide(
        actor_id="diane", step_index=1, revision=1, outcome=Outcome.APPROVED, comment="", now=T0 + timedelta(days=4)
    )
    await store.update(approved)
    returned = await store.get(ideas[1].id)
    returned.decide(
        actor_id="maya", step_index=0, revision=1, outcome=Outcome.RETURNED, comment="more", now=T0 + timedelta(days=2)
    )
    await store.update(returned)  # fmt: skip
    calendar = WorkCalendar.of("America/Toronto")
    now = T0 + timedelta(days=14)
    query = DigestQuery(week=DigestWeek.so_far(now, calendar.tz), now=now, calendar=calendar,
                        rules=DigestRules(list_limit=1))  # fmt: skip
    figures = await store.digest_figures(["dana", "nobody"], query)
    dana = figures["dana"]
    assert dana.so_far == Counts(new_pitches=4, approved=2, returned=1, rejected=0, approved_for_den=1, staff_pitched=1)
    assert dana.this_week == Counts(), "nothing happened this week"
    assert [i.id for i in dana.approved] == [ideas[0].id] and dana.approved_total == 1
    assert [i.id for i in dana.stalled] == [ideas[2].id] and dana.stalled_total == 2, "oldest first, one shown"
    assert dana.waiting_total == 0 and dana.recent == []
    assert dana.timings == {Role.MANAGER: Counter({1: 1, 2: 1}), Role.DIRECTOR: Counter({3: 1})}  # business days
    assert dana.by_area == [("client_services", 1)] and dana.by_branch == [("-", 1)]
    assert figures["nobody"] == DigestFigures()
    whole = await store.digest_figures(["dana", "nobody"], replace(query, rules=DigestRules(whole_ministry=True)))
    assert whole["dana"] == whole["nobody"] and whole["nobody"].so_far.new_pitches == stored_before + 5


async def test_the_store_takes_a_health_probe_write(store):
    assert await store.probe_write()
    assert await store.probe_write(), "a second probe overwrites the first"


async def test_conversation_references_are_kept_and_replaced(store):
    record = ConversationRecord("sam", "Sam", "a:1", "https://smba", "t", "msteams", "28:bot", "Den", "29:sam")
    await store.save_conversation(record)
    await store.save_conversation(ConversationRecord(**{**record.__dict__, "conversation_id": "a:2"}))
    assert (await store.get_conversation("sam")).conversation_id == "a:2"
    anyone = await store.any_conversation()  # (on lists filled past the threshold, maybe a past one)
    assert anyone is not None and anyone == await store.get_conversation(anyone.user_id)
    assert await store.get_conversation("nobody") is None


async def test_a_language_choice_is_remembered_and_outlives_a_new_conversation(store):
    assert await store.get_language("sam") is None, "no choice yet: the Teams locale decides"
    await store.set_language("sam", "fr", T0)
    record = ConversationRecord("sam", "Sam", "a:1", "https://smba", "t", "msteams", "28:bot", "Den", "29:sam")
    await store.save_conversation(ConversationRecord(**{**record.__dict__, "locale": "en-US"}))
    assert await store.get_language("sam") == "fr"
    await asyncio.gather(store.set_language("sam", "en", T0), store.set_language("sam", "en", T0))
    assert await store.get_language("sam") == "en"
    assert await store.get_language("o'brien") is None
    assert await store.language_and_locale("sam") == ("en", "en-US")
    assert await store.language_and_locale("o'brien") == (None, None)
    await store.save_conversation(ConversationRecord(**{**record.__dict__, "user_id": "noa", "locale": "fr-CA"}))
    assert await store.language_and_locale("noa") == (None, "fr-CA"), "no choice: the Teams locale seen"


async def test_a_digest_is_claimed_once_per_dm_and_week(store):
    claims = await asyncio.gather(*(store.claim_digest("dana", "2026-W48", T0, 600) for _ in range(3)))
    assert sorted(claims) == [False, False, True]
    await store.record_digest("dana", "2026-W48", "failed", "connector answered 503", T0)
    assert await store.claim_digest("dana", "2026-W48", T0, 600), "a failed delivery may be tried again"
    await store.record_digest("dana", "2026-W48", "sent", "", T0)
    assert not await store.claim_digest("dana", "2026-W48", T0 + timedelta(hours=2), 600)
    assert await digest_deliveries(store, "2026-W48") == {"dana": ("sent", "")}


async def test_a_dm_s_digest_states_for_some_weeks(store):
    await store.claim_digest("dana", "2026-W48", T0, 600)
    await store.record_digest("dana", "2026-W48", "sent", "", T0)
    await store.claim_digest("dana", "2026-W49", T0, 600)
    await store.claim_digest("amir", "2026-W50", T0, 600)
    assert await store.digest_states("dana", ["2026-W48", "2026-W49", "2026-W50"]) == {
        "2026-W48": "sent",
        "2026-W49": "sending",
    }
    assert await store.digest_states("dana", []) == {}


async def test_entra_object_ids_come_back_as_the_same_strings(store):
    approver = "b2e1d4f3-6c7e-4f80-9bac-1d2e3f4a5b02"
    message = OutboxMessage("m:1", approver, "reminder", "9c1d2e3f-0000-4000-8000-000000000001", T0, T0, {})
    await store.enqueue([message])
    [claimed] = await store.claim_due(T0, 60, 10)
    assert claimed.recipient_id == approver and isinstance(claimed.recipient_id, str)
    assert claimed.idea_id == "9c1d2e3f-0000-4000-8000-000000000001" and isinstance(claimed.idea_id, str)


# ---- acting approvers and approval routes ------------------------------------------------------
async def test_a_delegation_is_kept_replaced_and_ends(store):
    from datetime import date

    from bot.domain.calendar import WorkCalendar
    from bot.domain.delegation import new_delegation

    cal = WorkCalendar.of("America/Toronto")
    sam = Person("sam", "Sam Chen")
    first = new_delegation(principal=MAYA, delegate=DIANE, last_day=date(2026, 11, 6), now=T0, calendar=cal, active={})
    await store.save_delegation(first)
    assert await store.get_delegation("maya") == first
    assert await store.delegations_in_force(T0) == {"maya": first}
    # A new one replaces the old: one row per approver.
    second = new_delegation(principal=MAYA, delegate=sam, last_day=date(2026, 11, 3), now=T0, calendar=cal, active={})
    await store.save_delegation(second)
    assert await store.get_delegation("maya") == second
    assert await store.delegations_in_force(T0) == {"maya": second}
    assert await store.delegations_in_force(T0 + timedelta(days=3)) == {}, "ended at midnight, Toronto time"
    assert await store.get_delegation("nobody") is None


async def test_route_history_and_a_withdrawal_survive_the_store(store):
    idea = await add(store, 1)
    stored = await store.get(idea.id)
    stored.act_for(DIANE, reason="delegation", now=T0 + timedelta(hours=1))
    await store.update(stored, outbox_for(stored, [], T0))
    assert [i.id for i in await store.list_by_holder("diane")] == [idea.id]
    assert await store.list_by_holder("maya") == []
    again = await store.get(idea.id)
    assert again.current_approver.on_behalf_of_name == "Maya Singh" and again.history == stored.history
    again.withdraw(actor_id="sam", reason="Not needed now", now=T0 + timedelta(hours=2))
    await store.update(again)
    final = await store.get(idea.id)
    assert final.status == IdeaStatus.WITHDRAWN and final.history[-1].reason == "Not needed now"
    assert await store.list_by_holder("diane") == [] and idea.id not in [i.id for i in await store.list_open()]


async def test_configuration_is_kept_and_replaced(store):
    from bot.ports import StoredSetting

    assert await store.get_setting("routing") is None
    first = StoredSetting("routing", "default:\n  decide: [manager]\n", T0, "Admin One")
    await store.put_setting(first)
    got = await store.get_setting("routing")
    assert (got.text, got.updated_by, got.updated_at) == (first.text, "Admin One", T0)
    await store.put_setting(
        StoredSetting("routing", "default:\n  decide: [director]\n", T0 + timedelta(hours=1), "Two")
    )
    got = await store.get_setting("routing")
    assert got.text.endswith("[director]\n") and got.updated_by == "Two"
