"""One outbox row for an action's notifications on SharePoint (bot/adapters/outbox_groups.py), with the
outbox's guarantees kept: each message delivered once, a restart resumes with what is left, a member to
retry moves to a row of its own without holding the others back, and nothing is lost on the way.
Real msgraph-sdk against the local Graph server; instances are store objects on the same site.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.adapters.outbox_groups import GROUP_KIND
from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sharepoint_store import SharePointStore
from tests.integration.test_graph_realism import IDEA_1, T0, maya_approves
from tests.integration.test_store_contract import add
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.store_probes import pending_outbox

LEASE = 60
TOLD = f"{IDEA_1}:decision_update:1:0"  # Sam hears of Maya's decision
ASKED = f"{IDEA_1}:approval_request:1:1"  # Diane is asked


async def instances(fake_graph, n: int) -> list[SharePointStore]:
    site = await provisioned_site(fake_graph)
    return [SharePointDenStore(graph_client(fake_graph), site) for _ in range(n)]  # with the records' reads


async def decided(store: SharePointStore) -> None:
    """Idea 1 filed, its first request recorded as sent, then Maya's decision (two notifications)."""
    await add(store, 1)
    [request] = await store.claim_due(T0, LEASE, 10)
    await store.complete_many([request.id])
    idea, outbox = await maya_approves(store)
    await store.update(idea, outbox)


def outbox_rows(fake_graph, store) -> list[dict]:
    box = next(sp for sp in fake_graph.sites[store.site_id].values() if sp.name == "DenOutbox")
    return [item.fields for item in box.items.values()]


async def test_a_decisions_notifications_are_one_row_and_a_restart_delivers_only_what_is_left(fake_graph):
    writer, first, after_restart = await instances(fake_graph, 3)
    await decided(writer)
    [group] = [f for f in outbox_rows(fake_graph, writer) if f["Kind"] == GROUP_KIND]
    assert group["State"] == "pending" and await pending_outbox(writer) == 2

    claimed = await first.claim_due(T0 + timedelta(minutes=1), LEASE, 10)
    assert sorted(m.id for m in claimed) == sorted([TOLD, ASKED])
    assert {m.recipient_id for m in claimed} == {"sam", "diane"} and all(m.payload is not None for m in claimed)
    await first.complete_many([TOLD])  # Sam's is recorded; the instance stops before Diane's is
    assert await pending_outbox(writer) == 1

    again = await after_restart.claim_due(T0 + timedelta(minutes=1, seconds=LEASE + 1), LEASE, 10)
    assert [m.id for m in again] == [ASKED], "only what was not recorded is delivered again"
    await after_restart.complete_many([ASKED])
    [group] = [f for f in outbox_rows(fake_graph, writer) if f["Kind"] == GROUP_KIND]
    assert group["State"] == "sent" and await pending_outbox(writer) == 0
    assert await after_restart.claim_due(T0 + timedelta(hours=1), LEASE, 10) == []
    assert await writer.existing_outbox_ids([TOLD, ASKED, f"{IDEA_1}:reminder:1:0:x"]) == {TOLD, ASKED}


async def test_both_recorded_together_is_one_request(fake_graph):
    writer, deliverer = await instances(fake_graph, 2)
    await decided(writer)
    claimed = await deliverer.claim_due(T0 + timedelta(minutes=1), LEASE, 10)
    fake_graph.reset_counts()
    await deliverer.complete_many([m.id for m in claimed])
    assert fake_graph.all_requests() == 1 and await pending_outbox(writer) == 0


async def test_a_member_to_retry_moves_to_its_own_row_and_the_other_is_recorded_sent(fake_graph):
    writer, deliverer = await instances(fake_graph, 2)
    await decided(writer)
    now = T0 + timedelta(minutes=1)
    await deliverer.claim_due(now, LEASE, 10)
    retry_at = now + timedelta(seconds=30)
    await deliverer.reschedule(ASKED, retry_at, 1, "connector answered 503")
    await deliverer.complete_many([TOLD])
    rows = {f["MessageId"]: f for f in outbox_rows(fake_graph, writer)}
    [group] = [f for f in rows.values() if f["Kind"] == GROUP_KIND]
    assert group["State"] == "sent", "Sam's was sent; Diane's is no longer the group's to deliver"
    assert rows[ASKED]["State"] == "pending" and rows[ASKED]["Attempts"] == 1
    assert await deliverer.claim_due(now + timedelta(seconds=10), LEASE, 10) == [], "not before its retry"
    [retried] = await writer.claim_due(retry_at + timedelta(seconds=1), LEASE, 10)
    assert retried.id == ASKED and retried.attempts == 1 and retried.recipient_id == "diane"
    await writer.complete_many([ASKED])
    assert await pending_outbox(writer) == 0


async def test_a_member_given_up_is_kept_as_failed_and_listed_for_its_recipient(fake_graph):
    writer, deliverer = await instances(fake_graph, 2)
    await decided(writer)
    await deliverer.claim_due(T0 + timedelta(minutes=1), LEASE, 10)
    await deliverer.give_up(ASKED, "the conversation is gone")
    await deliverer.complete_many([TOLD])
    assert await pending_outbox(writer) == 0
    assert [(m.id, m.state) for m in await writer.messages_to("diane")] == [(ASKED, "failed")]
    assert [(m.id, m.state) for m in await writer.messages_to("sam") if m.id == TOLD] == [(TOLD, "sent")]


async def test_rows_this_instance_wrote_are_delivered_from_memory_as_one_group(fake_graph):
    [store] = await instances(fake_graph, 1)
    store.deliver_own_writes(lambda: None)
    await add(store, 1)
    [request] = await store.claim_due(T0, LEASE, 10)
    await store.complete_many([request.id])
    idea, outbox = await maya_approves(store)
    await store.update(idea, outbox)
    fake_graph.reset_counts()
    claimed = await store.claim_due(T0, LEASE, 10)
    assert sorted(m.id for m in claimed) == sorted([TOLD, ASKED]) and fake_graph.all_requests() == 0
    await store.complete_many([TOLD])
    await store.complete_many([ASKED])  # recorded apart: Sam's at once, then Diane's with the row sent
    assert fake_graph.all_requests() == 2 and await pending_outbox(store) == 0


async def test_a_group_given_back_on_stop_is_claimed_whole_by_another_instance_at_once(fake_graph):
    writer, stopping, other = await instances(fake_graph, 3)
    await decided(writer)
    now = T0 + timedelta(minutes=1)
    claimed = await stopping.claim_due(now, LEASE, 10)
    await stopping.renew_leases([m.id for m in claimed], now + timedelta(seconds=LEASE * 2))
    assert await other.claim_due(now + timedelta(seconds=LEASE + 1), LEASE, 10) == [], "the renewed lease holds"
    later = now + timedelta(seconds=LEASE + 2)
    await stopping.release([m.id for m in claimed], later)
    taken = await other.claim_due(later + timedelta(seconds=1), LEASE, 10)
    assert sorted(m.id for m in taken) == sorted([TOLD, ASKED])


async def test_one_member_recorded_sent_while_the_other_moves_out_both_stay_recorded(fake_graph):
    writer, deliverer, later = await instances(fake_graph, 3)
    await decided(writer)
    now = T0 + timedelta(minutes=1)
    await deliverer.claim_due(now, LEASE, 10)
    fake_graph.latency_seconds = 0.05  # both writes in flight together, as two lanes of the dispatcher make them
    await asyncio.gather(deliverer.complete_many([TOLD]),
                         deliverer.reschedule(ASKED, now + timedelta(hours=1), 1, "connector answered 503"))
    [group] = [f for f in outbox_rows(fake_graph, writer) if f["Kind"] == GROUP_KIND]
    assert group["State"] == "sent", "neither write undid the other's"
    assert [m.id for m in await later.claim_due(now + timedelta(hours=2), LEASE, 10)] == [ASKED]
