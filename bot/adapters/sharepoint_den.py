"""The Den challenge's SharePoint lists: challenges, ideas' stages, stage history, funding,
progress updates and channels (provisioned by `python -m bot.provision` like the others).

How a sponsor's decision keeps its guarantees on SharePoint:
- it is one JSON `$batch` whose first request is the challenge's `PATCH` with `If-Match` (the
  gate: every sponsor decision on a challenge passes it, so concurrent clicks on two instances
  make one change; a 412 re-reads and decides again), and everything else (the stages it moved,
  their history row, the funding row, the notifications) depends on it;
- a stage row that answers 412/409 after the gate passed was changed by its owner (consent, a
  progress update): it is re-read, the owner's fields are kept, and it is written again;
- rows past the batch's 20 and inner failures (throttling) are written one by one after it; the
  history, funding, progress and outbox rows have unique keys, so a repeat is a harmless 409.
A challenge's or stage's version is `<list item id>|<eTag>`, as an idea's is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.list_item import ListItem
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from bot.adapters.den_serialization import challenge_from_dict, challenge_to_dict, stage_from_dict, stage_to_dict
from bot.adapters.graph_client import odata_string
from bot.adapters.sharepoint_pitch_day import SharePointPitchDayLists
from bot.adapters.sharepoint_store import (
    BATCH_LIMIT,
    SharePointStore,
    _create_ignoring_duplicates,
    _dt,
    _etag,
    _fields,
    _graph_call,
    _iso,
    _outbox_values,
)
from bot.domain.challenge import Challenge
from bot.domain.model import Idea
from bot.domain.stage import IdeaStage, Stage
from bot.ports import ChannelInfo, ConcurrencyConflict, OutboxMessage, StoreUnavailable

Request = tuple[str, dict[str, Any], list[str]]


def _version(body: dict[str, Any], item_id: str = "") -> str:
    etag = body.get("eTag") or body.get("@odata.etag") or "*"
    return f"{body.get('id') or item_id}|{etag}"


class SharePointDenStore(SharePointPitchDayLists, SharePointStore):
    """The SharePoint store with the Den challenge's lists (Challenges and Stages ports) and
    pitch day's (Panels and Votes)."""

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
        api, box = self._api("challenges"), self._api("outbox")
        requests: list[Request] = [("gate", api.create_request(self._challenge_values(challenge)), [])]
        requests += [(f"o{n}", box.create_request(_outbox_values(m)), ["gate"]) for n, m in enumerate(outbox)]
        answers = await self._send(requests[:BATCH_LIMIT])
        status, body = answers["gate"]
        if status == 409:
            raise ConcurrencyConflict(challenge.id)
        if status >= 400:
            raise StoreUnavailable(f"Graph answered {status} to the new challenge")
        challenge.version = _version(body)
        if len(requests) > BATCH_LIMIT or any(s >= 400 and s != 409 for k, (s, _) in answers.items() if k != "gate"):
            await self.enqueue(outbox)

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
        items = await self._api("stages").query(f"fields/ChallengeId eq {odata_string(challenge_id)}", ("Body",))
        return [self._stage_from(i) for i in items]

    async def list_stages_in(self, stage: Stage) -> list[IdeaStage]:
        items = await self._api("stages").query(f"fields/Stage eq {odata_string(stage.value)}", ("Body",))
        return [self._stage_from(i) for i in items]

    async def list_challenge_ideas(self, challenge_id: str) -> list[Idea]:
        return await self._list_ideas(f"fields/ChallengeId eq {odata_string(challenge_id)}")

    def _stage_request(self, stage: IdeaStage) -> dict[str, Any]:
        api = self._api("stages")
        if not stage.version:
            return api.create_request(self._stage_values(stage))
        item_id, _, etag = str(stage.version).partition("|")
        return api.patch_request(item_id, self._stage_values(stage), etag)

    def _fact_rows(self, stage: IdeaStage) -> list[tuple[str, dict[str, Any]]]:
        """The rows this write adds beside the stage: its latest change, funding, latest update."""
        rows: list[tuple[str, dict[str, Any]]] = []
        change = stage.history[-1]
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

    async def write_stages(
        self, challenge: Challenge, stages: Sequence[IdeaStage], outbox: Sequence[OutboxMessage] = ()
    ) -> None:
        item_id, _, etag = str(challenge.version).partition("|")
        if not item_id:
            raise ConcurrencyConflict("challenge has no stored version")
        gate = ("gate", self._api("challenges").patch_request(item_id, self._challenge_values(challenge), etag), [])
        challenge.version = await self._gated(gate, stages, outbox)

    async def update_stage(self, stage: IdeaStage, outbox: Sequence[OutboxMessage] = ()) -> None:
        stage.version = await self._gated(("gate", self._stage_request(stage), []), (), outbox, gate_stage=stage)

    async def _gated(
        self,
        gate: Request,
        stages: Sequence[IdeaStage],
        outbox: Sequence[OutboxMessage],
        gate_stage: IdeaStage | None = None,
    ) -> str:
        """Send the gate and what depends on it; returns the gate item's new version."""
        requests: list[Request] = [gate]
        stage_ids: dict[str, IdeaStage] = {}
        facts: dict[str, tuple[str, dict[str, Any]]] = {}
        for n, stage in enumerate(stages):
            stage_ids[f"s{n}"] = stage
            requests.append((f"s{n}", self._stage_request(stage), ["gate"]))
        for n, stage in enumerate([*stages, *([gate_stage] if gate_stage else [])]):
            for m, (key, values) in enumerate(self._fact_rows(stage)):
                facts[f"f{n}_{m}"] = (key, values)
                requests.append((f"f{n}_{m}", self._api(key).create_request(values), ["gate"]))
        box = self._api("outbox")
        requests += [(f"o{n}", box.create_request(_outbox_values(m)), ["gate"]) for n, m in enumerate(outbox)]

        answers = await self._send(requests[:BATCH_LIMIT])
        status, body = answers["gate"]
        if status in (409, 412):
            raise ConcurrencyConflict("gate")
        if status >= 400:
            raise StoreUnavailable(f"Graph answered {status} to a stage change")
        gate_version = _version(body, str(gate[1].get("url", "")).rsplit("/", 2)[-2])
        # The decision is written. Everything after it is written whatever happens now.
        for rid, _request, _deps in requests[BATCH_LIMIT:]:
            answers[rid] = (0, {})
        for rid, stage in stage_ids.items():
            status, body = answers.get(rid, (0, {}))
            if 200 <= status < 300:
                stage.version = _version(body, str(stage.version).partition("|")[0])
            else:
                await self._rewrite_stage(stage)
        for rid, (key, values) in facts.items():
            if not 200 <= answers.get(rid, (0, {}))[0] < 300:
                await _create_ignoring_duplicates(self._api(key), values)
        if any(not 200 <= answers.get(f"o{n}", (0, {}))[0] < 300 for n in range(len(outbox))):
            await self.enqueue(outbox)
        return gate_version

    async def _rewrite_stage(self, stage: IdeaStage) -> None:
        """After the gate: write the sponsor's move, keeping what the owner changed meanwhile."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(ConcurrencyConflict), stop=stop_after_attempt(5), reraise=True
        ):
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

    async def _send(self, requests: list[Request]) -> dict[str, tuple[int, dict[str, Any]]]:
        """One JSON $batch through the SDK's pipeline; {request id: (status, body)}."""
        body = {
            "requests": [
                {"id": rid, **request, **({"dependsOn": deps} if deps else {})} for rid, request, deps in requests
            ]
        }
        info = RequestInformation()
        info.http_method = Method.POST
        info.url = f"{self.client.request_adapter.base_url}/$batch"
        info.headers.try_add("Content-Type", "application/json")
        info.headers.try_add("Accept", "application/json")
        info.content = json.dumps(body).encode()
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(StoreUnavailable),
            stop=stop_after_attempt(3),
            wait=wait_random_exponential(multiplier=0.2, max=2),
            reraise=True,
        ):
            with attempt:
                try:
                    raw = await self.client.request_adapter.send_primitive_async(info, "bytes", {})
                except APIError as error:
                    raise _graph_call(error) from error
        answer = json.loads(raw or b"{}")
        return {r["id"]: (int(r.get("status") or 0), r.get("body") or {}) for r in answer.get("responses") or []}
