"""The Den challenge's SharePoint lists: challenges, ideas' stages, stage history, funding,
progress updates and channels (provisioned by `python -m bot.admin.provision` like the others).

How a sponsor's decision keeps its guarantees on SharePoint:
- it is one sequential JSON `$batch` whose first request is the challenge's `PATCH` with
  `If-Match` (the gate: every sponsor decision on a challenge passes it, so concurrent clicks on
  two instances make one change; a 412 re-reads and decides again), then the stages it moves;
  nothing is written after a refused gate;
- a stage not written with the gate (past the batch's 20, throttled, or changed by its owner
  meanwhile: consent, a progress update) is re-read and written again, keeping the owner's fields;
- the history, funding, progress and notification rows have unique keys and are written once
  after it, as the idea store writes decisions (settled by reading the key back, owed on disk
  and written in the background when Graph is throttling or down).
A challenge's or stage's version is `<list item id>|<eTag>`, as an idea's is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from msgraph.generated.models.list_item import ListItem

from bot.adapters.den_serialization import (
    challenge_from_dict,
    challenge_to_dict,
    stage_from_dict,
    stage_to_dict,
    summary_from_dict,
)
from bot.adapters.graph_batch import BATCH_LIMIT, Outcome, Request
from bot.adapters.graph_client import odata_string
from bot.adapters.pending_writes import PendingRow
from bot.adapters.sharepoint_connect import SharePointConnectRequests
from bot.adapters.sharepoint_instances import SharePointInstances
from bot.adapters.sharepoint_pitch_day import SharePointPitchDayLists
from bot.adapters.sharepoint_records import SharePointRecords
from bot.adapters.sharepoint_sent_cards import SharePointSentCards
from bot.adapters.sharepoint_slices import whole
from bot.adapters.sharepoint_store import UNIQUE_KEYS, SharePointStore, _dt, _etag, _fields, _iso
from bot.domain.challenge import Challenge
from bot.domain.den_report import IdeaSummary
from bot.domain.model import Idea
from bot.domain.stage import SHORTLISTED_OR_BEYOND, IdeaStage, Stage
from bot.ports import ChannelInfo, ConcurrencyConflict, OutboxMessage, StoreBusy, StoreUnavailable
from bot.ports.retry import conflict_retry

BY_IDEA = whole("IdeaId", "id")  # a hot key of the stages list (a challenge, a stage) is read by idea id ranges


def _version(body: dict[str, Any], item_id: str = "") -> str:
    etag = body.get("eTag") or body.get("@odata.etag") or "*"
    return f"{body.get('id') or item_id}|{etag}"


class SharePointDenStore(
    SharePointConnectRequests, SharePointPitchDayLists, SharePointSentCards, SharePointRecords, SharePointInstances,
    SharePointStore,
):
    """The SharePoint store with the Den challenge's lists (Challenges and Stages ports), pitch day's
    (Panels and Votes), the requests to connect (ConnectRequests), the records register and the
    instances' heartbeats."""

    BODY_FIELDS = ("Body",)

    # ---- challenges -----------------------------------------------------------------------
    def _challenge_values(self, c: Challenge) -> dict[str, Any]:
        return {
            "ChallengeId": c.id,
            "ChallengeName": c.name[:255],
            "OpensAt": _iso(c.opens_at),
            "ClosesAt": _iso(c.closes_at),
            "Body": json.dumps(challenge_to_dict(c), ensure_ascii=False),
        }

    def _challenge_from(self, item: ListItem) -> Challenge:
        return challenge_from_dict(json.loads(_fields(item)["Body"]), version=f"{item.id}|{_etag(item)}")

    async def add_challenge(self, challenge: Challenge, outbox: Sequence[OutboxMessage] = ()) -> None:
        """ChallengeId is unique: a second create of the same challenge finds the first one's row."""
        item, made = await self._api("challenges").create_or_read(
            self._challenge_values(challenge), "ChallengeId", fields=("ChallengeId",)
        )
        if not made:
            raise ConcurrencyConflict(challenge.id)
        challenge.version = f"{item.id}|{_etag(item)}"
        if outbox:
            await self._settle_rows(self._outbox_rows(outbox), Outcome())

    async def get_challenge(self, challenge_id: str) -> Challenge | None:
        item = await self._api("challenges").first("ChallengeId", challenge_id, ("ChallengeId", "Body"))
        return self._challenge_from(item) if item else None

    async def list_challenges(self) -> list[Challenge]:
        items = await self._api("challenges").query(None, ("ChallengeId", "Body"))
        return sorted((self._challenge_from(i) for i in items), key=lambda c: c.opens_at)

    async def update_challenge(self, challenge: Challenge, outbox: Sequence[OutboxMessage] = ()) -> None:
        await self.write_stages(challenge, (), outbox)

    async def save_channel(self, channel: ChannelInfo) -> None:
        api = self._api("channels")
        values = {
            "ChannelKey": channel.key,
            "TeamName": channel.team_name[:255],
            "ChannelName": channel.channel_name[:255],
            "UpdatedAt": _iso(channel.updated_at),
        }
        existing = await api.first("ChannelKey", channel.key, ("ChannelKey",))
        if existing is None:
            try:
                await api.create(values)
                return
            except ConcurrencyConflict:
                existing = await api.first("ChannelKey", channel.key, ("ChannelKey",))
        if existing is not None:
            await api.patch(existing.id, values)

    async def list_channels(self) -> list[ChannelInfo]:
        items = await self._api("channels").query(None, ("ChannelKey", "TeamName", "ChannelName", "UpdatedAt"))
        found = []
        for item in items:
            f = _fields(item)
            found.append(
                ChannelInfo(
                    f["ChannelKey"],
                    f.get("TeamName") or "",
                    f.get("ChannelName") or "",
                    _dt(f.get("UpdatedAt")) or datetime.min,
                )
            )
        return sorted(found, key=lambda c: (c.team_name, c.channel_name))

    # ---- stages ---------------------------------------------------------------------------
    def _stage_values(self, s: IdeaStage) -> dict[str, Any]:
        return {
            "IdeaId": s.idea_id,
            "ChallengeId": s.challenge_id,
            "OwnerId": s.owner_id,
            "Stage": s.stage.value,
            "Body": json.dumps(stage_to_dict(s), ensure_ascii=False),
        }

    def _stage_from(self, item: ListItem) -> IdeaStage:
        return stage_from_dict(json.loads(_fields(item)["Body"]), version=f"{item.id}|{_etag(item)}")

    async def get_stage(self, idea_id: str) -> IdeaStage | None:
        item = await self._api("stages").first("IdeaId", idea_id, ("IdeaId", "Body"))
        return self._stage_from(item) if item else None

    async def list_stages(self, challenge_id: str) -> list[IdeaStage]:
        items = await self._api("stages").query(
            f"fields/ChallengeId eq {odata_string(challenge_id)}", ("Body",), slices=BY_IDEA
        )
        return [self._stage_from(i) for i in items]

    async def list_stages_in(self, stage: Stage) -> list[IdeaStage]:
        items = await self._api("stages").query(
            f"fields/Stage eq {odata_string(stage.value)}", ("Body",), slices=BY_IDEA
        )
        return [self._stage_from(i) for i in items]

    async def _shortlisted_in_challenges(self) -> frozenset[str]:
        """One query per stage on the indexed Stage column (eq, never an OR: lists past the
        threshold), reading only IdeaId: a handful of requests whatever the number of ideas."""
        found: set[str] = set()
        for stage in sorted(SHORTLISTED_OR_BEYOND):
            items = await self._api("stages").query(
                f"fields/Stage eq {odata_string(stage.value)}", ("IdeaId",), slices=BY_IDEA
            )
            found.update(str(_fields(item)["IdeaId"]) for item in items)
        return frozenset(found)

    async def list_challenge_ideas(self, challenge_id: str) -> list[Idea]:
        return await self._list_ideas(f"fields/ChallengeId eq {odata_string(challenge_id)}")

    async def list_challenge_summaries(self, challenge_id: str) -> list[IdeaSummary]:
        items = await self._api("ideas").query(
            f"fields/ChallengeId eq {odata_string(challenge_id)}", ("Body",), slices=self.BY_CREATION
        )
        return [summary_from_dict(json.loads(_fields(item)["Body"])) for item in items]

    def _stage_request(self, request_id: str, stage: IdeaStage) -> Request:
        api = self._api("stages")
        if not stage.version:
            return api.create_request(request_id, self._stage_values(stage))
        item_id, _, etag = str(stage.version).partition("|")
        return api.patch_request(request_id, item_id, self._stage_values(stage), etag)

    def _fact_rows(self, stage: IdeaStage, *, first_write: bool = False) -> list[tuple[str, dict[str, Any]]]:
        """The rows this write adds beside the stage: its latest change (every change on its first
        write, whose history starts with its entry into the pool), funding, latest update."""
        rows: list[tuple[str, dict[str, Any]]] = []
        for change in stage.history if first_write else stage.history[-1:]:
            rows.append(
                (
                    "stage_history",
                    {
                        "ChangeKey": f"{stage.idea_id}:{change.seq}",
                        "IdeaId": stage.idea_id,
                        "ChallengeId": stage.challenge_id,
                        "FromStage": change.from_stage.value if change.from_stage else None,
                        "ToStage": change.to_stage.value,
                        "ChangedAt": _iso(change.at),
                        "ChangedBy": change.by,
                        "Reason": change.reason,
                    },
                )
            )
        if stage.funding is not None and change.to_stage == Stage.IMPLEMENTING:
            f = stage.funding
            rows.append(
                (
                    "funding",
                    {
                        "IdeaId": stage.idea_id,
                        "ChallengeId": stage.challenge_id,
                        "Amount": f.amount,
                        "FundingBranch": f.branch,
                        "Conditions": f.conditions,
                        "RecordedBy": f.recorded_by,
                        "RecordedAt": _iso(f.recorded_at),
                    },
                )
            )
        if stage.updates:
            u = stage.updates[-1]
            rows.append(
                (
                    "progress",
                    {
                        "UpdateKey": f"{stage.idea_id}:{u.seq}",
                        "IdeaId": stage.idea_id,
                        "ProgressStatus": u.status.value,
                        "Note": u.note,
                        "FiledAt": _iso(u.at),
                        "FiledBy": u.by,
                    },
                )
            )
        return rows

    def _owner_rows(self, stage: IdeaStage) -> list[tuple[str, dict[str, Any]]]:
        """The rows an owner's write adds: the change it made (done, stopped) and their update. The
        funding and its change, written with the sponsor's decision (owed on disk if they could not
        be), are not sent again: in a batch a duplicate would stop every row after it."""
        rows = self._fact_rows(stage)
        moved = bool(stage.history) and stage.history[-1].to_stage in (Stage.IMPLEMENTED, Stage.STOPPED)
        return [(key, values) for key, values in rows if key == "progress" or (moved and key == "stage_history")]

    async def write_stages(
        self, challenge: Challenge, stages: Sequence[IdeaStage], outbox: Sequence[OutboxMessage] = ()
    ) -> None:
        item_id, _, etag = str(challenge.version).partition("|")
        if not item_id:
            raise ConcurrencyConflict("challenge has no stored version")
        gate = self._api("challenges").patch_request("gate", item_id, self._challenge_values(challenge), etag)
        challenge.version = await self._gated(gate, stages, outbox)

    async def update_stage(self, stage: IdeaStage, outbox: Sequence[OutboxMessage] = ()) -> None:
        stage.version = await self._gated(self._stage_request("gate", stage), (), outbox, gate_stage=stage)

    async def _gated(
        self,
        gate: Request,
        stages: Sequence[IdeaStage],
        outbox: Sequence[OutboxMessage],
        gate_stage: IdeaStage | None = None,
    ) -> str:
        """The gate, then the stages it moves, in one sequential $batch (nothing after a refused
        gate is written); then the rows beside them (history, funding, progress, notifications),
        each written once whatever happens now. Returns the gate item's new version."""
        stage_ids = {f"s{n}": stage for n, stage in enumerate(stages)}
        first_writes = {id(stage) for stage in stages if not stage.version}  # never stored: no history rows yet
        requests = ([gate] + [self._stage_request(rid, stage) for rid, stage in stage_ids.items()])[:BATCH_LIMIT]
        rows = self._outbox_rows(outbox) + [
            PendingRow(key, str(values[UNIQUE_KEYS[key]]), values)
            for stage in stages
            for key, values in self._fact_rows(stage, first_write=id(stage) in first_writes)
        ]
        if gate_stage is not None:
            owner = self._owner_rows(gate_stage)
            rows += [PendingRow(key, str(values[UNIQUE_KEYS[key]]), values) for key, values in owner]
        # The rows beside the change go after it in the same batch, as many as it holds: written only
        # if the change is; any it could not hold (or refused after it) are written after the batch.
        room = max(0, min(BATCH_LIMIT - len(requests), BATCH_LIMIT - 1))
        requests += self._row_requests(rows[:room], lease=True)
        outcome = await self._batches.run(requests, sequential=True, deadline=self._deadline(self.click_budget))
        if any(r.id == "gate" for r in outcome.leftover):
            raise StoreBusy("the stage change was throttled past the time budget", outcome.retry_after)
        status = outcome.status.get("gate", 0)
        if status in (409, 412):
            raise ConcurrencyConflict("gate")
        if status >= 400 or not status:
            raise StoreUnavailable(f"Graph answered {status} to a stage change")
        gate_item = gate.url.rsplit("/", 2)[-2] if gate.method == "PATCH" else ""
        gate_version = _version(outcome.body.get("gate") or {}, gate_item)
        # The decision is written. The stages not written with it (past the batch, throttled, or
        # changed by their owner meanwhile) are written now, keeping what the owner changed.
        for rid, stage in stage_ids.items():
            if outcome.ok(rid):
                stage.version = _version(outcome.body[rid], str(stage.version).partition("|")[0])
            else:
                await self._rewrite_stage(stage)
        await self._settle_rows(rows, outcome if room else Outcome())
        return gate_version

    async def _rewrite_stage(self, stage: IdeaStage) -> None:
        """After the gate: write the sponsor's move, keeping what the owner changed meanwhile."""
        async for attempt in conflict_retry():
            with attempt:
                stored = await self.get_stage(stage.idea_id)
                if stored is None:
                    stage.version = 0
                    created = await self._api("stages").create(self._stage_values(stage))
                    stage.version = f"{created.id}|{_etag(created)}"
                    return
                stage.consent_to_name = stored.consent_to_name
                if len(stored.updates) > len(stage.updates):
                    stage.updates = stored.updates
                item_id, _, etag = str(stored.version).partition("|")
                await self._api("stages").patch(item_id, self._stage_values(stage), etag)
                fresh = await self.get_stage(stage.idea_id)
                stage.version = fresh.version if fresh else stored.version
