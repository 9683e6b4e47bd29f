"""The production store: SharePoint lists through Microsoft Graph (msgraph-sdk).

How it keeps the same guarantees as the SQLite store:
- updates are `PATCH .../items/{id}/fields` with `If-Match: <eTag>`; a 412 becomes
  ConcurrencyConflict, and the service re-reads and decides again;
- uniqueness (an idea id, a counter, a person's conversation, a digest delivery, an outbox
  message id) is enforced by SharePoint (`enforceUniqueValues`), so a duplicate create is a 409;
- a decision is one JSON `$batch`: the idea's PATCH, then (depending on it) the decision row and
  the notifications it causes; if the PATCH fails, the rest fail with 424 and nothing is written;
- queries filter only on indexed columns, select only the fields they need, escape quotes in
  `$filter` literals, and follow `@odata.nextLink` to the end.
An idea's version is an opaque token: `<list item id>|<eTag>`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import UUID

from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient
from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem
from msgraph.generated.sites.item.lists.item.items.items_request_builder import ItemsRequestBuilder

from bot.adapters.graph_client import fresh_headers, odata_string
from bot.adapters.serialization import delegation_from_dict, delegation_to_dict, idea_from_dict, idea_to_dict
from bot.adapters.sharepoint_schema import LISTS_BY_KEY
from bot.domain.delegation import Delegation
from bot.domain.model import Idea
from bot.ports import (
    ConcurrencyConflict,
    ConversationRecord,
    OutboxBacklog,
    OutboxMessage,
    StoredSetting,
    StoreUnavailable,
)
from bot.ports.retry import Backoff, conflict_retry, retrying

log = logging.getLogger(__name__)

BATCH_BACKOFF = Backoff(first=0.2, longest=2.0)  # a whole $batch refused (throttled or down): try it again

PAGE_SIZE = 500
BATCH_LIMIT = 20
HEALTH_MARKER = "health-probe"  # the counters row /healthz writes to prove the store takes writes
UNAVAILABLE = {429, 500, 502, 503, 504}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _status(error: BaseException) -> int | None:
    return getattr(error, "response_status_code", None)


def _graph_call(error: APIError) -> Exception:
    status = _status(error)
    if status == 412 or status == 409:
        return ConcurrencyConflict(str(status))
    if status in UNAVAILABLE or status is None:
        return StoreUnavailable(f"Graph answered {status}")
    return error


class _ListApi:
    """One SharePoint list: the item operations the store uses, each one Graph round trip."""

    def __init__(self, client: GraphServiceClient, site_id: str, list_name: str, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.site_id = site_id
        self.list_name = list_name
        self.page_size = page_size
        self.items = client.sites.by_site_id(site_id).lists.by_list_id(list_name).items

    async def query(
        self, filter_: str | None, fields: Iterable[str], *, top: int | None = None, limit: int | None = None
    ) -> list[ListItem]:
        params = ItemsRequestBuilder.ItemsRequestBuilderGetQueryParameters(
            expand=[f"fields($select={','.join(fields)})"], filter=filter_, top=top or self.page_size
        )
        config = RequestConfiguration(query_parameters=params, headers=fresh_headers())
        found: list[ListItem] = []
        try:
            page = await self.items.get(request_configuration=config)
            while page is not None:
                found.extend(page.value or [])
                if not page.odata_next_link or (limit is not None and len(found) >= limit):
                    break
                page = await self.items.with_url(page.odata_next_link).get(
                    request_configuration=RequestConfiguration(headers=fresh_headers())
                )
        except APIError as error:
            raise _graph_call(error) from error
        return found[:limit] if limit is not None else found

    async def first(self, column: str, value: str, fields: Iterable[str]) -> ListItem | None:
        found = await self.query(f"fields/{column} eq {odata_string(value)}", fields, top=1, limit=1)
        return found[0] if found else None

    async def create(self, values: dict[str, Any]) -> ListItem:
        try:
            return await self.items.post(
                ListItem(fields=FieldValueSet(additional_data=values)),
                request_configuration=RequestConfiguration(headers=fresh_headers()),
            )
        except APIError as error:
            raise _graph_call(error) from error

    async def patch(self, item_id: str, values: dict[str, Any], etag: str = "*") -> None:
        try:
            await self.items.by_list_item_id(item_id).fields.patch(
                FieldValueSet(additional_data=values),
                request_configuration=RequestConfiguration(headers=fresh_headers(If_Match=etag)),
            )
        except APIError as error:
            raise _graph_call(error) from error

    @property
    def _path(self) -> str:
        return f"/sites/{quote(self.site_id, safe=':,')}/lists/{quote(self.list_name)}/items"

    def patch_request(self, item_id: str, values: dict[str, Any], etag: str) -> dict[str, Any]:
        """One request of a JSON $batch: update an item's fields if its eTag still matches."""
        return {
            "method": "PATCH",
            "url": f"{self._path}/{quote(item_id)}/fields",
            "headers": {"Content-Type": "application/json", "If-Match": etag},
            "body": values,
        }

    def create_request(self, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "method": "POST",
            "url": self._path,
            "headers": {"Content-Type": "application/json"},
            "body": {"fields": values},
        }


def _fields(item: ListItem) -> dict[str, Any]:
    """An item's fields as plain values. (The SDK's JSON reader turns GUID-shaped text into UUID
    objects, and ids here are Entra object ids: they must stay the strings they were.)"""
    raw = item.fields.additional_data if item.fields and item.fields.additional_data else {}
    return {k: str(v) if isinstance(v, UUID) else v for k, v in raw.items()}


def _etag(item: ListItem) -> str:
    return item.e_tag or _fields(item).get("@odata.etag", "*")


class SharePointStore:
    """IdeaStore over SharePoint lists on one site."""

    def __init__(self, client: GraphServiceClient, site_id: str, *, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.site_id = site_id
        self._lists = {key: _ListApi(client, site_id, spec.name, page_size) for key, spec in LISTS_BY_KEY.items()}

    def _api(self, key: str) -> _ListApi:
        return self._lists[key]

    # ---- lifecycle --------------------------------------------------------------------
    async def open(self) -> None:
        """Nothing to open: lists are provisioned by `python -m bot.admin.provision`."""

    async def close(self) -> None:
        """The HTTP client belongs to whoever built it."""

    async def ping(self) -> bool:
        try:
            await self._api("counters").query(None, ["Name"], top=1, limit=1)
            return True
        except (StoreUnavailable, APIError):
            return False

    # ---- ideas ------------------------------------------------------------------------
    IDEA_FIELDS = ("IdeaId", "Body")

    def _idea_values(self, idea: Idea) -> dict[str, Any]:
        return {
            "IdeaId": idea.id,
            "Reference": idea.reference,
            "IdeaTitle": idea.pitch.title[:255],
            "SubmitterId": idea.submitter.id,
            "HolderId": idea.holder_id,
            "Status": idea.status.value,
            "CreatedAt": _iso(idea.created_at),
            "UpdatedAt": _iso(idea.updated_at or idea.created_at),
            "Body": json.dumps(idea_to_dict(idea), ensure_ascii=False),
        }

    def _idea_from(self, item: ListItem) -> Idea:
        return idea_from_dict(json.loads(_fields(item)["Body"]), version=f"{item.id}|{_etag(item)}")

    async def next_reference(self, year: int) -> str:
        counters = self._api("counters")
        name = f"reference-{year}"
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                item = await counters.first("Name", name, ["Name", "Value"])
                if item is None:
                    await counters.create({"Name": name, "Value": 1})  # a racing create gets 409: retry
                    return f"DEN-{year}-0001"
                value = int(float(_fields(item).get("Value") or 0)) + 1
                await counters.patch(item.id, {"Value": value}, _etag(item))
                return f"DEN-{year}-{value:04d}"
        raise AssertionError("unreachable")

    async def add(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        """One $batch: the idea (IdeaId is unique, so a repeat is a 409), then its notifications."""
        ideas, box = self._api("ideas"), self._api("outbox")
        requests = [("idea", ideas.create_request(self._idea_values(idea)), [])]
        requests += [(f"o{n}", box.create_request(_outbox_values(m)), ["idea"]) for n, m in enumerate(outbox)]
        statuses, created = await self._batch(requests[:BATCH_LIMIT])
        if statuses["idea"] == 409:
            raise ConcurrencyConflict(idea.id)
        if statuses["idea"] >= 400:
            raise StoreUnavailable(f"Graph answered {statuses['idea']} to the new idea")
        idea.version = f"{created.get('id')}|{created.get('eTag') or created.get('@odata.etag') or '*'}"
        if len(requests) > BATCH_LIMIT or any(v >= 400 and v != 409 for k, v in statuses.items() if k != "idea"):
            await self.enqueue(outbox)

    async def get(self, idea_id: str) -> Idea | None:
        item = await self._api("ideas").first("IdeaId", idea_id, self.IDEA_FIELDS)
        return self._idea_from(item) if item else None

    async def update(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        """One $batch: the idea (If-Match), then its new decisions and notifications, which depend on it."""
        item_id, _, etag = str(idea.version).partition("|")
        if not item_id:
            raise ConcurrencyConflict("idea has no stored version")
        ideas, decisions, box = self._api("ideas"), self._api("decisions"), self._api("outbox")
        new_decisions = [d for d in idea.decisions if idea.updated_at and d.decided_at == idea.updated_at]
        requests: list[tuple[str, Any, list[str]]] = [
            ("idea", ideas.patch_request(item_id, self._idea_values(idea), etag), [])
        ]
        for n, d in enumerate(new_decisions):
            requests.append((f"d{n}", decisions.create_request(_decision_values(idea, d)), ["idea"]))
        for n, message in enumerate(outbox):
            requests.append((f"o{n}", box.create_request(_outbox_values(message)), ["idea"]))
        statuses, written = await self._batch(requests[:BATCH_LIMIT])
        new_etag = written.get("@odata.etag")
        if statuses["idea"] == 412:
            raise ConcurrencyConflict(idea.id)
        if statuses["idea"] >= 400:
            raise StoreUnavailable(f"Graph answered {statuses['idea']} to the idea update")
        # The idea is written. What failed after it (throttled, say) is written again on its own;
        # a 409 there means it is already in place.
        side_failed = any(status >= 400 and status != 409 for rid, status in statuses.items() if rid != "idea")
        if side_failed or len(requests) > BATCH_LIMIT:
            await self._complete_side_writes(idea, new_decisions, outbox)
        if new_etag:
            idea.version = f"{item_id}|{new_etag}"
        else:
            fresh = await self.get(idea.id)
            idea.version = fresh.version if fresh else idea.version

    async def _complete_side_writes(self, idea: Idea, decisions, outbox: Sequence[OutboxMessage]) -> None:
        for d in decisions:
            await _create_ignoring_duplicates(self._api("decisions"), _decision_values(idea, d))
        await self.enqueue(outbox)

    async def _batch(
        self, requests: list[tuple[str, dict[str, Any], list[str]]]
    ) -> tuple[dict[str, int], dict[str, Any]]:
        """Send up to 20 requests as one JSON $batch (through the SDK's pipeline: auth, retries,
        User-Agent). Returns {id: status} and the first request's response body.

        Built by hand rather than with msgraph-core's batch helpers, which (1.5.x) write
        `depends_on` instead of `dependsOn` and absolute URLs, both of which Graph rejects or ignores.
        """
        body = {"requests": [{"id": rid, **request, **({"dependsOn": deps} if deps else {})}
                             for rid, request, deps in requests]}
        info = RequestInformation()
        info.http_method = Method.POST
        info.url = f"{self.client.request_adapter.base_url}/$batch"
        info.headers.try_add("Content-Type", "application/json")
        info.headers.try_add("Accept", "application/json")
        info.content = json.dumps(body).encode()
        async for attempt in retrying(
            BATCH_BACKOFF, attempts=3, retry_if=lambda failure: isinstance(failure, StoreUnavailable)
        ):
            with attempt:
                try:
                    raw = await self.client.request_adapter.send_primitive_async(info, "bytes", {})
                except APIError as error:
                    raise _graph_call(error) from error
        answer = json.loads(raw or b"{}")
        statuses: dict[str, int] = {}
        first_body: dict[str, Any] = {}
        first = requests[0][0] if requests else None
        for response in answer.get("responses") or []:
            statuses[response["id"]] = int(response.get("status") or 0)
            if response["id"] == first and statuses[first] < 300:
                first_body = response.get("body") or {}
        return statuses, first_body

    async def _list_ideas(self, filter_: str | None, limit: int | None = None) -> list[Idea]:
        items = await self._api("ideas").query(filter_, self.IDEA_FIELDS, limit=limit)
        return [self._idea_from(item) for item in items]

    async def list_by_submitter(self, user_id: str, limit: int = 50) -> list[Idea]:
        ideas = await self._list_ideas(f"fields/SubmitterId eq {odata_string(user_id)}")
        ideas.sort(key=lambda i: i.created_at, reverse=True)
        return ideas[:limit]

    async def list_by_holder(self, user_id: str, limit: int = 50) -> list[Idea]:
        """Open ideas whose current step this person holds (HolderId and Status are indexed)."""
        ideas = await self._list_ideas(f"fields/HolderId eq {odata_string(user_id)} and fields/Status eq 'in_review'")
        ideas.sort(key=lambda i: i.updated_at or i.created_at)
        return ideas[:limit]

    async def list_for_digest(self, since: datetime | None) -> list[Idea]:
        if since is None:
            return await self._list_ideas(None)
        return await self._list_ideas(
            f"fields/Status eq 'in_review' or fields/UpdatedAt ge {odata_string(_iso(since))}"
        )

    async def list_open(self) -> list[Idea]:
        return await self._list_ideas("fields/Status eq 'in_review'")

    # ---- configuration kept with the records --------------------------------------------------
    SETTING_FIELDS = ("SettingKey", "Body", "UpdatedAt", "UpdatedBy")

    async def get_setting(self, key: str) -> StoredSetting | None:
        item = await self._api("settings").first("SettingKey", key, self.SETTING_FIELDS)
        if item is None:
            return None
        fields = _fields(item)
        updated = _dt(fields.get("UpdatedAt")) or datetime.now(UTC)
        return StoredSetting(key, str(fields.get("Body") or ""), updated, str(fields.get("UpdatedBy") or ""))

    async def put_setting(self, setting: StoredSetting) -> None:
        api = self._api("settings")
        values = {
            "SettingKey": setting.key,
            "Body": setting.text,
            "UpdatedAt": _iso(setting.updated_at),
            "UpdatedBy": setting.updated_by[:255],
        }
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                item = await api.first("SettingKey", setting.key, ["SettingKey"])
                if item is None:
                    await api.create(values)
                else:
                    await api.patch(item.id, values)

    # ---- acting approvers -------------------------------------------------------------------
    DELEGATION_FIELDS = ("PrincipalId", "Body")

    async def save_delegation(self, delegation: Delegation) -> None:
        """One row per approver (PrincipalId is unique): a new delegation replaces the old one."""
        api = self._api("delegations")
        values = {
            "PrincipalId": delegation.principal_id,
            "DelegateId": delegation.delegate_id,
            "EndsAt": _iso(delegation.ends_at),
            "Body": json.dumps(delegation_to_dict(delegation), ensure_ascii=False),
        }
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                item = await api.first("PrincipalId", delegation.principal_id, ["PrincipalId"])
                if item is None:
                    await api.create(values)  # a racing create is refused as a duplicate: read and patch
                else:
                    await api.patch(item.id, values)

    async def get_delegation(self, principal_id: str) -> Delegation | None:
        item = await self._api("delegations").first("PrincipalId", principal_id, self.DELEGATION_FIELDS)
        return delegation_from_dict(json.loads(_fields(item)["Body"])) if item else None

    async def delegations_in_force(self, now: datetime) -> dict[str, Delegation]:
        items = await self._api("delegations").query(
            f"fields/EndsAt gt {odata_string(_iso(now))}", self.DELEGATION_FIELDS
        )
        found = [delegation_from_dict(json.loads(_fields(item)["Body"])) for item in items]
        return {d.principal_id: d for d in found if d.active(now)}

    # ---- conversation references --------------------------------------------------------
    async def save_conversation(self, record: ConversationRecord) -> None:
        api = self._api("conversations")
        body = {**record.__dict__, "updated_at": _iso(record.updated_at) if record.updated_at else None}
        values = {"UserId": record.user_id, "Body": json.dumps(body), "UpdatedAt": body["updated_at"]}
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                existing = await api.first("UserId", record.user_id, ["UserId", "Body"])
                if existing is None:
                    await api.create(values)
                elif json.loads(_fields(existing).get("Body") or "{}").get("conversation_id") != record.conversation_id:
                    await api.patch(existing.id, values, _etag(existing))

    async def get_conversation(self, user_id: str) -> ConversationRecord | None:
        item = await self._api("conversations").first("UserId", user_id, ["UserId", "Body"])
        return _conversation_from(_fields(item)["Body"]) if item else None

    async def any_conversation(self) -> ConversationRecord | None:
        items = await self._api("conversations").query(None, ["UserId", "Body"], top=1, limit=1)
        return _conversation_from(_fields(items[0])["Body"]) if items else None

    # ---- preferences --------------------------------------------------------------------
    async def get_language(self, user_id: str) -> str | None:
        item = await self._api("preferences").first("UserId", user_id, ["UserId", "Language"])
        return (_fields(item).get("Language") or None) if item else None

    async def set_language(self, user_id: str, language: str, now: datetime) -> None:
        api = self._api("preferences")
        values = {"UserId": user_id, "Language": language, "UpdatedAt": _iso(now)}
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                existing = await api.first("UserId", user_id, ["UserId", "Language"])
                if existing is None:
                    await api.create(values)
                elif _fields(existing).get("Language") != language:
                    await api.patch(existing.id, values, _etag(existing))

    # ---- outbox -------------------------------------------------------------------------
    OUTBOX_FIELDS = ("MessageId", "RecipientId", "Kind", "IdeaId", "Payload", "NotBefore", "Attempts", "LastError",
                     "CreatedAt")

    async def enqueue(self, messages: Sequence[OutboxMessage]) -> None:
        box = self._api("outbox")
        for start in range(0, len(messages), BATCH_LIMIT):
            chunk = list(messages[start : start + BATCH_LIMIT])
            requests = [(f"o{n}", box.create_request(_outbox_values(m)), []) for n, m in enumerate(chunk)]
            statuses, _ = await self._batch(requests)
            for n, message in enumerate(chunk):
                status = statuses.get(f"o{n}", 0)
                if status >= 400 and status != 409:
                    await _create_ignoring_duplicates(box, _outbox_values(message))

    async def existing_outbox_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 15):  # keep each $filter short
            clause = " or ".join(f"fields/MessageId eq {odata_string(i)}" for i in ids[start : start + 15])
            items = await self._api("outbox").query(clause, ["MessageId"])
            found |= {_fields(i)["MessageId"] for i in items}
        return found

    async def claim_due(self, now: datetime, lease_seconds: float, limit: int) -> list[OutboxMessage]:
        """Lease due messages by moving NotBefore past the lease, conditionally: 412 = taken by another."""
        box = self._api("outbox")
        items = await box.query(
            f"fields/State eq 'pending' and fields/NotBefore le {odata_string(_iso(now))}", self.OUTBOX_FIELDS,
            limit=limit,
        )
        claimed: list[OutboxMessage] = []
        until = _iso(now + timedelta(seconds=lease_seconds))
        for item in items:
            try:
                await box.patch(item.id, {"NotBefore": until}, _etag(item))
            except ConcurrencyConflict:
                continue
            claimed.append(_outbox_from(item))
        return claimed

    async def _outbox_item(self, message_id: str) -> ListItem | None:
        return await self._api("outbox").first("MessageId", message_id, ["MessageId"])

    async def complete(self, message_id: str) -> None:
        item = await self._outbox_item(message_id)
        if item is not None:
            await self._api("outbox").patch(item.id, {"State": "sent"})

    async def reschedule(self, message_id: str, not_before: datetime, attempts: int, error: str) -> None:
        item = await self._outbox_item(message_id)
        if item is not None:
            values = {"NotBefore": _iso(not_before), "Attempts": attempts, "LastError": error[:255]}
            await self._api("outbox").patch(item.id, values)

    async def give_up(self, message_id: str, error: str) -> None:
        item = await self._outbox_item(message_id)
        if item is not None:
            await self._api("outbox").patch(item.id, {"State": "failed", "LastError": error[:255]})

    async def renew_leases(self, message_ids: Sequence[str], until: datetime) -> None:
        """A lease here is NotBefore moved past now (see claim_due): move it further."""
        for message_id in message_ids:
            item = await self._outbox_item(message_id)
            if item is not None:
                await self._api("outbox").patch(item.id, {"NotBefore": _iso(until)})

    async def release(self, message_ids: Sequence[str], now: datetime) -> None:
        for message_id in message_ids:
            item = await self._outbox_item(message_id)
            if item is not None:
                await self._api("outbox").patch(item.id, {"NotBefore": _iso(now)})

    # ---- health -------------------------------------------------------------------------
    async def outbox_backlog(self) -> OutboxBacklog:
        items = await self._api("outbox").query("fields/State eq 'pending'", ["MessageId", "CreatedAt"])
        queued = [moment for item in items if (moment := _dt(_fields(item).get("CreatedAt"))) is not None]
        return OutboxBacklog(len(items), min(queued) if queued else None)

    async def probe_write(self) -> bool:
        """Write the health marker (a row of the counters list), as any change would be written."""
        counters = self._api("counters")
        value = int(datetime.now(UTC).timestamp())
        try:
            item = await counters.first("Name", HEALTH_MARKER, ["Name"])
            if item is None:
                await _create_ignoring_duplicates(counters, {"Name": HEALTH_MARKER, "Value": value})
            else:
                await counters.patch(item.id, {"Value": value})
            return True
        except (StoreUnavailable, APIError, ConcurrencyConflict):
            return False

    # ---- digest deliveries --------------------------------------------------------------
    async def claim_digest(self, dm_id: str, week_key: str, now: datetime, lease_seconds: float) -> bool:
        api = self._api("digests")
        key = f"{dm_id}|{week_key}"
        until = _iso(now + timedelta(seconds=lease_seconds))
        try:
            await api.create({"DeliveryKey": key, "DmId": dm_id, "WeekKey": week_key, "State": "sending",
                              "ClaimedUntil": until})
            return True
        except ConcurrencyConflict:
            pass  # 409: a row exists; it may be a failed or abandoned attempt
        item = await api.first("DeliveryKey", key, ["DeliveryKey", "State", "ClaimedUntil"])
        if item is None:
            return False
        fields = _fields(item)
        lease = _dt(fields.get("ClaimedUntil"))
        retryable = fields.get("State") == "failed" or (fields.get("State") == "sending" and lease and lease <= now)
        if not retryable:
            return False
        try:
            await api.patch(item.id, {"State": "sending", "ClaimedUntil": until}, _etag(item))
        except ConcurrencyConflict:
            return False
        return True

    async def digest_states(self, dm_id: str, week_keys: list[str]) -> dict[str, str]:
        api = self._api("digests")
        states: dict[str, str] = {}
        for week_key in week_keys:  # a few weeks, once a week: one lookup each on the unique key
            item = await api.first("DeliveryKey", f"{dm_id}|{week_key}", ["DeliveryKey", "State"])
            if item is not None:
                states[week_key] = _fields(item).get("State", "")
        return states

    async def record_digest(self, dm_id: str, week_key: str, state: str, detail: str, now: datetime) -> None:
        api = self._api("digests")
        item = await api.first("DeliveryKey", f"{dm_id}|{week_key}", ["DeliveryKey"])
        if item is not None:
            await api.patch(item.id, {"State": state, "Detail": detail[:255], "ClaimedUntil": None})



async def _create_ignoring_duplicates(api: _ListApi, values: dict[str, Any]) -> None:
    try:
        await api.create(values)
    except ConcurrencyConflict:
        pass  # 409: it is already there


def _decision_values(idea: Idea, d) -> dict[str, Any]:
    return {
        "DecisionKey": f"{idea.id}:{d.revision}:{d.step_index}",
        "IdeaId": idea.id,
        "Revision": d.revision,
        "StepIndex": d.step_index,
        "ApproverId": d.approver_id,
        "Level": idea.chain[d.step_index].role.value,
        "Outcome": d.outcome.value,
        "RequestedAt": _iso(d.requested_at) if d.requested_at else None,
        "DecidedAt": _iso(d.decided_at),
        "Comment": d.comment,
    }


def _outbox_values(message: OutboxMessage) -> dict[str, Any]:
    return {
        "MessageId": message.id,
        "RecipientId": message.recipient_id,
        "Kind": str(message.kind),
        "IdeaId": message.idea_id,
        "Payload": json.dumps(message.payload),
        "State": "pending",
        "NotBefore": _iso(message.not_before),
        "Attempts": message.attempts,
        "LastError": message.last_error[:255],
        "CreatedAt": _iso(message.created_at),
    }


def _outbox_from(item: ListItem) -> OutboxMessage:
    f = _fields(item)
    return OutboxMessage(
        id=f["MessageId"],
        recipient_id=f.get("RecipientId", ""),
        kind=f.get("Kind", ""),
        idea_id=f.get("IdeaId", ""),
        created_at=_dt(f.get("CreatedAt")) or datetime.now(UTC),
        not_before=_dt(f.get("NotBefore")) or datetime.now(UTC),
        payload=json.loads(f.get("Payload") or "{}"),
        attempts=int(float(f.get("Attempts") or 0)),
        last_error=f.get("LastError") or "",
    )


def _conversation_from(text: str) -> ConversationRecord:
    data = json.loads(text)
    updated = data.pop("updated_at", None)
    return ConversationRecord(**data, updated_at=_dt(updated))
