"""Requests to connect on the DenConnectRequests list, each written with its notification in one
sequential $batch (the request first: nothing is queued if it is refused). Mixed into the SharePoint
store. Read by RequestId; a person's requests by OwnerId and by AskerId, two indexed queries merged
(SharePoint refuses an OR at the top of a filter on a large list)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.adapters.connect_serialization import request_from_dict, request_to_dict
from bot.adapters.graph_client import odata_string
from bot.adapters.sharepoint_pitch_day import _version
from bot.adapters.sharepoint_store import _fields, _iso
from bot.domain.connect import ConnectRequest
from bot.ports import OutboxMessage

FIELDS = ("RequestId", "Body")
LISTED_MAX = 100  # a person's requests, newest first, as the embedded store lists them


class SharePointConnectRequests:
    """ConnectRequests over a SharePoint list."""

    # Provided by SharePointStore and its pitch-day lists.
    _api: Any
    _save_record: Any

    async def add_connect_request(self, request: ConnectRequest, outbox: Sequence[OutboxMessage] = ()) -> None:
        """A new request; one already stored with its id (the same asker, the same idea) is a
        ConcurrencyConflict, as on the embedded store."""
        request.version = await self._save_record("connect_requests", "RequestId", _values(request), 0, outbox)

    async def update_connect_request(self, request: ConnectRequest, outbox: Sequence[OutboxMessage] = ()) -> None:
        """The answer, only over the version read (If-Match): a stale one is a ConcurrencyConflict."""
        request.version = await self._save_record(
            "connect_requests", "RequestId", _values(request), request.version, outbox
        )

    async def get_connect_request(self, request_id: str) -> ConnectRequest | None:
        item = await self._api("connect_requests").first("RequestId", request_id, FIELDS)
        return _request(item) if item is not None else None

    async def connect_requests_for(self, person_id: str, limit: int | None = LISTED_MAX) -> list[ConnectRequest]:
        """Newest first; all of them with `limit=None` (an access request)."""
        api = self._api("connect_requests")
        found: dict[str, ConnectRequest] = {}
        for column in ("OwnerId", "AskerId"):
            for item in await api.query(f"fields/{column} eq {odata_string(person_id)}", FIELDS, limit=limit):
                request = _request(item)
                found[request.id] = request
        newest_first = sorted(found.values(), key=lambda r: r.created_at, reverse=True)  # ties: as stored
        return newest_first if limit is None else newest_first[:limit]


def _values(request: ConnectRequest) -> dict[str, Any]:
    return {
        "RequestId": request.id,
        "IdeaId": request.idea_id,
        "OwnerId": request.owner.id,
        "AskerId": request.asker.id,
        "ConnectState": request.state.value,
        "CreatedAt": _iso(request.created_at),
        "Body": json.dumps(request_to_dict(request), ensure_ascii=False),
    }


def _request(item: Any) -> ConnectRequest:
    return request_from_dict(json.loads(_fields(item)["Body"]), _version(item))

