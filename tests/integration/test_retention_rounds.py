"""The daily disposal round of transitory records, as the app runs it: checked every hour, each class
on its own (one refused or failing never stops the others), an unfinished round tried again at the
next check, a round missed while no instance ran done at the next one (kept with the records, not
in any host's memory), and on SharePoint lists filled past the list view threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.retention_file import load_retention_file
from bot.domain.retention import RecordClass
from bot.ports import OutboxMessage, SentCard, StoreUnavailable
from bot.services.records import RecordsService
from bot.services.schedule import daily
from bot.settings import ROOT
from tests.support.large_lists import THRESHOLD

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # 10:00 in Toronto, after the day's 09:00 round
SCHEDULE = load_retention_file(ROOT / "data" / "retention.yml")
NINE = daily("09:00", ZoneInfo("America/Toronto"))
TRANSITORY = (RecordClass.NOTIFICATIONS, RecordClass.DIGESTS, RecordClass.DELIVERY_LOGS)


async def old_rows(store) -> None:
    old = NOW - timedelta(days=40)
    await store.enqueue([OutboxMessage("m:old", "maya", "reminder", "i", old, old, {})])
    await store.complete("m:old")
    assert await store.claim_digest("dana", "2025-W30", NOW, 600)
    await store.record_digest("dana", "2025-W30", "sent", "", NOW)
    await store.remember_card(SentCard("m:old", "i", "maya", "1:a", old))


async def authorized(store, at: datetime) -> RecordsService:
    records = RecordsService(store, SCHEDULE, clock=lambda: at)
    for record_class in TRANSITORY:
        if await records.standing_authorization(record_class) is None:
            await records.authorize(record_class, by="Deputy Head", item="DEN-07", standing=True)
    return records


@pytest.mark.parametrize("stores", ["sqlite", "sharepoint"], indirect=True)
async def test_a_failing_class_never_stops_the_others_and_is_tried_again_at_the_next_check(stores):
    mine, other = stores
    await old_rows(mine)
    records = await authorized(mine, NOW)
    real, refusing = mine.stored_records, {RecordClass.NOTIFICATIONS}

    async def refused_for_some(record_class):
        if record_class in refusing:
            raise StoreUnavailable("Graph answered 500: past the list view threshold")
        return await real(record_class)

    mine.stored_records = refused_for_some
    first = {p.summary.record_class for p in await records.routine_when_due(NINE)}
    assert first == {RecordClass.DIGESTS, RecordClass.DELIVERY_LOGS}, "the others went ahead"
    assert records.unfinished == {RecordClass.NOTIFICATIONS}
    assert await other.existing_outbox_ids(["m:old"]) == {"m:old"}
    refusing.clear()
    again = await records.routine_when_due(NINE)  # the next hourly check, not tomorrow
    assert {p.summary.record_class for p in again} == {RecordClass.NOTIFICATIONS}
    assert await other.existing_outbox_ids(["m:old"]) == set() and not records.unfinished
    assert await records.routine_when_due(NINE) is None, "done for today"
    elsewhere = RecordsService(other, SCHEDULE, clock=lambda: NOW + timedelta(hours=1))
    assert await elsewhere.routine_when_due(NINE) is None, "another instance reads today's round from the records"
    tomorrow = RecordsService(other, SCHEDULE, clock=lambda: NOW + timedelta(days=2))
    assert await tomorrow.routine_when_due(NINE) == [], "a missed day runs at the first check after it"


@pytest.mark.parametrize("stores", ["sharepoint-large"], indirect=True)
async def test_the_round_destroys_what_is_due_on_lists_past_the_threshold(stores, fake_graph):
    mine, other = stores
    await old_rows(mine)
    records = await authorized(mine, NOW)
    fake_graph.threshold_refusals.clear()
    done = {p.summary.record_class: p.destroyed for p in await records.routine_when_due(NINE)}
    # (the lists' past rows, from 2025, are due as well: more than the threshold in each list)
    assert all(done[c] > THRESHOLD for c in TRANSITORY), done
    assert not records.unfinished and fake_graph.threshold_refusals == []
    assert await other.existing_outbox_ids(["m:old"]) == set()
    assert await other.stored_records(RecordClass.DELIVERY_LOGS) == []


@pytest.mark.parametrize("stores", ["sharepoint-large"], indirect=True)
async def test_every_class_is_read_for_disposal_on_lists_past_the_threshold(stores, fake_graph):
    """Every sweep's reading, whatever the class, works on lists past the threshold (none is refused),
    and finds the lists' past records (more than the threshold in each list that grows with use)."""
    mine, _ = stores
    fake_graph.threshold_refusals.clear()
    found = {record_class: await mine.stored_records(record_class) for record_class in RecordClass}
    assert fake_graph.threshold_refusals == []
    grown = (RecordClass.IDEAS, RecordClass.DECISIONS, RecordClass.STAGE_HISTORY, RecordClass.VOTES,
             RecordClass.SCORECARDS, *TRANSITORY)  # fmt: skip
    assert all(len(found[c]) > THRESHOLD for c in grown), {c: len(found[c]) for c in grown}
