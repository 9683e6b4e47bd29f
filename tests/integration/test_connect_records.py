"""Requests to connect (the tab's "Ask to connect", on both stores) under the retention
schedule and in an access request: due a year after they were answered (or asked, if never answered),
destroyed only under an authorization, with the disposal record; each side's export shows the request,
naming the other person only once the owner accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.retention_file import load_retention_file
from bot.domain.connect import ConnectRequest
from bot.domain.model import Person
from bot.domain.retention import RecordClass
from bot.ports.records import EntryKind
from bot.services.access import AccessService
from bot.services.in_force import InForce
from bot.services.records import DisposalRefused, RecordsService
from bot.settings import ROOT
from bot.web.personal_information import as_html, as_json

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
SCHEDULE = InForce(load_retention_file(ROOT / "data" / "retention.yml"))  # the file's, none uploaded
KIM = Person("kim-id", "Kim Nguyen", branch="Service Design Branch")
LEE = Person("lee-id", "Lee Park", branch="Benefits Branch")
ROBIN = Person("robin-id", "Robin Roy", branch="Policy Branch")

# Two store objects on the same records: two app instances (tests/integration/conftest.py).
pytestmark = pytest.mark.parametrize("stores", ["sqlite", "sharepoint"], indirect=True)


class People:
    async def get_person(self, who: str) -> Person | None:
        return next((p for p in (KIM, LEE, ROBIN) if who == p.id), None)


def request(idea: str, owner: Person, asker: Person, asked: datetime, answer: bool | None = None,
            answered: datetime | None = None) -> ConnectRequest:  # fmt: skip
    made = ConnectRequest(ConnectRequest.id_for(idea, asker.id), idea, f"DEN-2025-{idea}", f"Idea {idea}", owner,
                          asker, asked)  # fmt: skip
    if answer is not None:
        made.answer(actor_id=owner.id, accept=answer, now=answered or asked)
    return made


async def some_requests(store) -> dict[str, str]:
    made = {
        "answered_long_ago": request("i1", LEE, KIM, NOW - timedelta(days=500), True, NOW - timedelta(days=400)),
        "asked_long_ago": request("i2", KIM, ROBIN, NOW - timedelta(days=380)),  # never answered
        "answered_lately": request("i3", ROBIN, KIM, NOW - timedelta(days=500), False, NOW - timedelta(days=100)),
        "someone_elses": request("i4", LEE, ROBIN, NOW - timedelta(days=10)),
    }
    for r in made.values():
        await store.add_connect_request(r)
    return {name: r.id for name, r in made.items()}


async def test_requests_to_connect_are_disposed_of_only_under_an_authorization(stores):
    mine, other = stores
    ids = await some_requests(mine)
    records = RecordsService(mine, SCHEDULE, clock=lambda: NOW)
    due = await records.due_records(RecordClass.CONNECTION_REQUESTS, NOW)
    assert sorted(r.key for r in due) == sorted([ids["answered_long_ago"], ids["asked_long_ago"]])
    [summary] = [s for s in await records.due() if s.record_class is RecordClass.CONNECTION_REQUESTS]
    assert summary.count == 2 and summary.oldest == NOW - timedelta(days=400)
    with pytest.raises(DisposalRefused, match="DEN-06"):
        await records.authorize(RecordClass.CONNECTION_REQUESTS, by="Deputy Head", item="DEN-01")
    authorization = await records.authorize(RecordClass.CONNECTION_REQUESTS, by="Deputy Head", item="DEN-06")
    plan = await records.dispose(authorization.key, by="Pat Admin", dry_run=True)
    assert plan.dry_run and len(plan.records) == 2
    assert await other.get_connect_request(ids["answered_long_ago"]) is not None, "a dry run changes nothing"
    plan = await records.dispose(authorization.key, by="Pat Admin")
    assert plan.destroyed == 2
    for gone in ("answered_long_ago", "asked_long_ago"):
        assert await other.get_connect_request(ids[gone]) is None
    for kept in ("answered_lately", "someone_elses"):
        assert await other.get_connect_request(ids[kept]) is not None
    [disposal] = await other.register_entries(EntryKind.DISPOSAL)
    assert disposal.record_class == "connection_requests" and disposal.body["count"] == 2
    assert disposal.body["authorizedBy"] == "Deputy Head" and disposal.by == "Pat Admin"
    assert disposal.body["oldest"].startswith((NOW - timedelta(days=400)).date().isoformat())


async def test_each_side_sees_its_requests_and_the_other_name_only_once_accepted(stores):
    mine, _ = stores
    await some_requests(mine)
    access = AccessService(mine, People(), clock=lambda: NOW)
    kim = (await access.information_about(KIM.id))["connectionRequests"]
    assert [(r["role"], r["idea"], r["answer"], r["with"], r["branch"]) for r in kim] == [
        ("asked", "DEN-2025-i1", "accepted", "Lee Park", "Benefits Branch"),  # Lee accepted: named
        ("asked", "DEN-2025-i3", "declined", "", ""),  # Robin declined: never named to Kim
        ("askedOfYou", "DEN-2025-i2", "pending", "", "Policy Branch"),  # the branch Kim's card showed
    ]
    assert kim[0]["answeredAt"] == (NOW - timedelta(days=400)).isoformat() and kim[2]["answeredAt"] is None
    exported = as_json(await access.information_about(KIM.id))
    assert "DEN-2025-i4" not in exported and "Robin Roy" not in exported, "nothing about a request Kim is not in"
    page = as_html(await access.information_about(KIM.id))
    assert "Requests to connect" in page and "Demandes de contact" in page and "Acceptée" in page
    robin = (await access.information_about(ROBIN.id))["connectionRequests"]
    assert {r["idea"]: r["with"] for r in robin} == {"DEN-2025-i2": "", "DEN-2025-i3": "", "DEN-2025-i4": ""}
    asked_of_robin = {r["idea"]: r["branch"] for r in robin if r["role"] == "askedOfYou"}
    assert asked_of_robin == {"DEN-2025-i3": "Service Design Branch"}
