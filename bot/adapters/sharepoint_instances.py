"""The instances' heartbeats on SharePoint: one Graph request a beat.

The `DenInstances` list holds one item, `roster`, with a column per instance slot (`Slot01` ...
`Slot16`, each `<instance id>|<seen at>|<share>`). An instance claims a slot once (a read, then a
write conditional on the item's eTag, so two instances never take the same slot); each beat after
that is a single `PATCH` of its own slot, which Graph answers with every field of the item, that is
every instance's last beat. The share it declares is decided from the previous answer (at most one
beat old). A beat is also a write Graph took, so the health probe counts it and skips its own write
for a while. Mixed into the SharePoint store.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.field_value_set import FieldValueSet

from bot.adapters.graph_client import fresh_headers
from bot.adapters.sharepoint_store import _dt, _etag, _fields, _graph_call, _iso
from bot.domain.budget import InstanceBeat
from bot.ports import ConcurrencyConflict
from bot.ports.instances import Decide

ROSTER = "roster"
SLOTS = tuple(f"Slot{n:02d}" for n in range(1, 17))
REUSE_AFTER = timedelta(minutes=10)  # a slot whose instance has been silent this long may be taken
CLAIM_ATTEMPTS = 8


def beat_text(beat: InstanceBeat) -> str:
    return f"{beat.instance_id}|{_iso(beat.seen_at)}|{beat.share:g}"


def parse_slots(fields: dict[str, Any]) -> dict[str, InstanceBeat]:
    """slot name -> the beat it holds (empty or unreadable slots left out)."""
    found = {}
    for slot in SLOTS:
        parts = str(fields.get(slot) or "").split("|")
        seen = _dt(parts[1]) if len(parts) == 3 else None
        if seen is not None:
            try:
                found[slot] = InstanceBeat(parts[0], seen, float(parts[2]))
            except ValueError:
                continue
    return found


class NoFreeSlot(Exception):
    """Every slot is held by an instance heard from in the last ten minutes."""


class SharePointInstances:
    """Instances over the DenInstances list."""

    # Provided by SharePointStore.
    _api: Any
    _roster_item: str | None = None
    _roster_slot: str | None = None
    _roster: dict[str, InstanceBeat] | None = None
    _probe_ok_at: float | None

    async def heartbeat(self, instance_id: str, now: datetime, decide: Decide) -> tuple[float, list[InstanceBeat]]:
        if self._roster_slot is None or self._roster is None:
            return await self._claim(instance_id, now, decide)
        share = decide([b for slot, b in self._roster.items() if slot != self._roster_slot])
        fields = await self._patch_roster({self._roster_slot: beat_text(InstanceBeat(instance_id, now, share))})
        self._roster = parse_slots(fields)
        mine = self._roster.get(self._roster_slot)
        if mine is None or mine.instance_id != instance_id:
            self._roster_slot = None  # taken over while this instance was silent: claim a slot again next beat
        return share, list(self._roster.values())

    async def leave(self, instance_id: str) -> None:
        if self._roster_slot is not None and self._roster_item is not None:
            await self._patch_roster({self._roster_slot: ""})
        self._roster_slot = self._roster = None

    async def _claim(self, instance_id: str, now: datetime, decide: Decide) -> tuple[float, list[InstanceBeat]]:
        api = self._api("instances")
        for _ in range(CLAIM_ATTEMPTS):
            item = await api.first("Name", ROSTER, ["Name", *SLOTS])
            if item is None:
                item, _ = await api.create_or_read({"Name": ROSTER}, "Name", fields=SLOTS)
            self._roster_item = item.id
            beats = parse_slots(_fields(item))
            slot = _free_slot(beats, instance_id, now)
            share = decide([b for s, b in beats.items() if s != slot])
            try:
                fields = await self._patch_roster({slot: beat_text(InstanceBeat(instance_id, now, share))}, _etag(item))
            except ConcurrencyConflict:
                continue  # another instance wrote the roster since it was read: read it again
            self._roster_slot, self._roster = slot, parse_slots(fields)
            return share, list(self._roster.values())
        raise ConcurrencyConflict("the instances' roster kept changing")

    async def _patch_roster(self, values: dict[str, Any], etag: str = "*") -> dict[str, Any]:
        """One PATCH of the roster's fields; Graph answers with all of them."""
        items = self._api("instances").items
        try:
            answer = await items.by_list_item_id(self._roster_item).fields.patch(
                FieldValueSet(additional_data=values),
                request_configuration=RequestConfiguration(headers=fresh_headers(If_Match=etag)),
            )
        except APIError as error:
            raise _graph_call(error) from error
        raw = answer.additional_data if answer is not None and answer.additional_data else {}
        self._probe_ok_at = time.monotonic()  # a write Graph took: the health probe need not write again
        return {k: str(v) if isinstance(v, UUID) else v for k, v in raw.items()}


def _free_slot(beats: dict[str, InstanceBeat], instance_id: str, now: datetime) -> str:
    """This instance's own slot (a restart with the same id), else an empty one, else a long-silent one."""
    for slot, beat in beats.items():
        if beat.instance_id == instance_id:
            return slot
    for slot in SLOTS:
        if slot not in beats:
            return slot
    silent = [slot for slot, beat in beats.items() if now - beat.seen_at > REUSE_AFTER]
    if silent:
        return min(silent, key=lambda s: beats[s].seen_at)
    raise NoFreeSlot(f"all {len(SLOTS)} instance slots are in use")
