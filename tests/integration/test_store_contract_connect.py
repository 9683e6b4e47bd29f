"""The store contract for requests to connect (ConnectRequests), run against the SQLite store and the
SharePoint store (real msgraph-sdk, the local Graph server, the DenConnectRequests list), each as two
instances on the same records: a request is kept once per asker and idea, with its notification in
the same write; an answer only over the version read; a person's requests, as owner and as asker."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.connect import ConnectRequest, ConnectState
from bot.domain.model import Person
from bot.ports import ConcurrencyConflict, OutboxMessage
from tests.support.store_probes import pending_outbox

# The in-memory store of the use-case tests keeps no requests: these two are the stores that do.
pytestmark = pytest.mark.parametrize("stores", ["sqlite", "sharepoint"], indirect=True)

T0 = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
SAM = Person("sam-id", "Sam Chen", email="sam.chen@example.gov", branch="Client Services Branch")
PRIYA = Person("priya-id", "Priya Patel", email="priya.patel@example.gov", branch="Service Design Branch")
NOAH = Person("o'brien-id", "Noah O'Brien", branch="Policy Branch")  # a quote in an id: escaped in filters


def a_request(idea: int, owner: Person = SAM, asker: Person = PRIYA, minutes: int = 0) -> ConnectRequest:
    idea_id = f"00000000-0000-4000-8000-{idea:012d}"
    return ConnectRequest(ConnectRequest.id_for(idea_id, asker.id), idea_id, f"DEN-2026-{idea:04d}",
                          f"Idea «{idea}» — renewals", owner, asker, T0 + timedelta(minutes=minutes))


def notice(request: ConnectRequest, kind: str = "connect_asked") -> OutboxMessage:
    return OutboxMessage.due_now(f"{kind}:{request.id}", recipient_id=request.owner.id, kind=kind,
                                 idea_id=request.idea_id, now=T0, payload={"request": request.id})


async def test_a_request_is_kept_with_its_notification_and_read_back_whole_by_another_instance(stores):
    first, second = stores
    request = a_request(1)
    await first.add_connect_request(request, [notice(request)])
    assert request.version, "the store gives the request its version"
    assert await pending_outbox(first) == 1, "the owner's card is queued with the request"
    read = await second.get_connect_request(request.id)
    assert read == replace(request, version=read.version)
    assert read.owner.email == "sam.chen@example.gov" and read.idea_title == "Idea «1» — renewals"
    assert await second.get_connect_request(a_request(2).id) is None


async def test_two_instances_asking_at_once_keep_one_request_and_one_notification(stores):
    first, second = stores
    one, other = a_request(3), a_request(3)
    results = await asyncio.gather(first.add_connect_request(one, [notice(one)]),
                                   second.add_connect_request(other, [notice(other)]), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["ConcurrencyConflict", "NoneType"]
    assert await pending_outbox(first) == 1, "the refused ask queued nothing"
    assert len(await first.connect_requests_for(SAM.id)) == 1


async def test_an_answer_is_written_only_over_the_version_it_read(stores):
    first, second = stores
    request = a_request(4)
    await first.add_connect_request(request)
    mine, theirs = await first.get_connect_request(request.id), await second.get_connect_request(request.id)
    assert mine.answer(actor_id=SAM.id, accept=True, now=T0 + timedelta(hours=1))
    await first.update_connect_request(mine, [notice(mine, "connect_answered")])
    assert theirs.answer(actor_id=SAM.id, accept=False, now=T0 + timedelta(hours=2))
    with pytest.raises(ConcurrencyConflict):
        await second.update_connect_request(theirs)  # read before the accept: refused, nothing changed
    stored = await second.get_connect_request(request.id)
    assert stored.state == ConnectState.ACCEPTED and stored.answered_at == T0 + timedelta(hours=1)
    assert await pending_outbox(first) == 1, "the asker's card is queued with the answer"


async def test_a_person_sees_the_requests_made_to_them_and_by_them_newest_first_and_no_one_elses(stores):
    first, second = stores
    to_sam = a_request(5, minutes=1)
    by_sam = a_request(6, owner=PRIYA, asker=SAM, minutes=2)
    to_noah = a_request(7, owner=NOAH, asker=PRIYA, minutes=3)
    for request in (to_sam, by_sam, to_noah):
        await first.add_connect_request(request)
    assert [r.id for r in await second.connect_requests_for(SAM.id)] == [by_sam.id, to_sam.id]
    assert [r.id for r in await second.connect_requests_for(NOAH.id)] == [to_noah.id]
    assert [r.id for r in await second.connect_requests_for(PRIYA.id)] == [to_noah.id, by_sam.id, to_sam.id]
    assert await second.connect_requests_for("someone-else") == []
