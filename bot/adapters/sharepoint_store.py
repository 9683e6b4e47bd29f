"""The production store: SharePoint lists through Microsoft Graph (msgraph-sdk).

How it keeps the same guarantees as the SQLite store, relying only on what Microsoft documents:
- the site is given as an id or a URL; a URL is resolved once (`GET /sites/{host}:/{path}`) and
  the id is used for every request after;
- updates are `PATCH .../items/{id}/fields` with `If-Match: <eTag>`; a 412 becomes
  ConcurrencyConflict, and the service re-reads and decides again;
- uniqueness (an idea id, a counter, a person's conversation, a digest delivery, an outbox
  message id, a decision) is enforced by SharePoint (`enforceUniqueValues`). The status of a
  refused duplicate is undocumented, so a create that fails, whatever it answered, is settled
  by reading its key back: absent (the failure stands), ours (its `WriteToken` is the one we
  sent: the create did happen) or someone else's (a duplicate);
- a decision is one JSON `$batch`, fully sequential: the idea's PATCH, then the decision row,
  then the notifications, each depending on the one before; if the PATCH fails, nothing after it
  is written. Requests throttled inside the batch are sent again after their own `Retry-After`
  while the click's time budget allows; past it, an unwritten idea raises StoreBusy, and rows
  still owed after a written idea are kept on disk (PendingWrites) and written in the background;
- queries filter on an indexed column first (no OR of conditions: SharePoint refuses it past the
  list view threshold), select only the fields they need, escape quotes in `$filter` literals,
  and follow `@odata.nextLink`; a query on a hot key refused past the threshold is read again
  range by range of another indexed column (sharepoint_slices);
- the outbox is cheap to watch: rows this instance writes are leased to it as they are written
  and delivered from memory; Graph is polled for others' rows only rarely (`idle_poll_seconds`),
  or when something this instance wrote or rescheduled is due. Delivered rows, old digest claims
  and remembered cards are transitory records: they are destroyed under the retention schedule,
  with a standing authorization (bot/services/records.py), which keeps the lists small.
An idea's version is an opaque token: `<list item id>|<eTag>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

from cachetools import TTLCache
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.sites.item.lists.item.items.items_request_builder import ItemsRequestBuilder

from bot.adapters.graph_batch import BATCH_LIMIT, THROTTLED, BatchRunner, Request
from bot.adapters.graph_client import fresh_headers, odata_string
from bot.adapters.graph_pressure import RateLimitGauge
from bot.adapters.outbox_groups import (
    GROUP_KIND,
    Group,
    group_key,
    group_values,
    groupable_id,
    groups_of,
    members_of_row,
)
from bot.adapters.pending_writes import PendingRow, PendingWrites
from bot.adapters.provisioned_site import is_site_url, resolve_site_id
from bot.adapters.serialization import (
    delegation_from_dict,
    delegation_to_dict,
    digest_idea_from_dict,
    idea_from_dict,
    idea_to_dict,
)
from bot.adapters.sharepoint_schema import LISTS_BY_KEY
from bot.adapters.sharepoint_slices import Range, whole
from bot.domain.delegation import (
    Delegation,
    DelegationProblem,
    DelegationRefused,
    closes_a_loop,
    onward_of,
)
from bot.domain.digest import DigestFigures, DigestIdea, DigestQuery, DigestScope, in_challenge_shortlist
from bot.domain.model import Idea
from bot.ports import (
    ConcurrencyConflict,
    ConversationRecord,
    OutboxBacklog,
    OutboxMessage,
    StoreBusy,
    StoredSetting,
    StoreUnavailable,
)
from bot.ports.retry import conflict_retry
from bot.ports.store import due_since, pick_fairly

log = logging.getLogger(__name__)

PAGE_SIZE = 500
JUST_WRITTEN_SECONDS = 10.0  # an idea this instance wrote renders its notifications without a read
HEALTH_MARKER = "health-probe"  # the counters row /healthz writes to prove the store takes writes
HEALTH_WRITE_SECONDS = 300.0  # a successful health write stands this long, unless a failure is seen
UNAVAILABLE = {429, 500, 502, 503, 504}
UNIQUE_KEYS = {"ideas": "IdeaId", "decisions": "DecisionKey", "outbox": "MessageId", "counters": "Name",
               "digests": "DeliveryKey", "conversations": "UserId",
               # the Den challenge's rows written beside a stage change (bot/adapters/sharepoint_den.py)
               "stage_history": "ChangeKey", "funding": "IdeaId", "progress": "UpdateKey"}


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


class ListViewThresholdExceeded(StoreUnavailable):
    """SharePoint refused a query past the list view threshold: no indexed clause narrowed it enough."""


def _exceeds_threshold(error: APIError) -> bool:
    """SharePoint's SPQueryThrottledException as Graph passes it on (500), or Graph's own refusal of a
    query that "uses too many resources" (400): the status alone says neither."""
    main = getattr(error, "error", None)
    text = f"{getattr(main, 'code', '') or ''} {getattr(main, 'message', '') or ''}".lower()
    return any(mark in text for mark in ("spquerythrottledexception", "list view threshold", "too many resources"))


def _graph_call(error: APIError) -> Exception:
    status = _status(error)
    if _exceeds_threshold(error):
        return ListViewThresholdExceeded(f"Graph answered {status}: past the list view threshold")
    if status == 412 or status == 409:
        return ConcurrencyConflict(str(status))
    if status in UNAVAILABLE or status is None:
        return StoreUnavailable(f"Graph answered {status}")
    return error


def _token() -> str:
    return uuid.uuid4().hex


ODATA_ERRORS: dict[str, Any] = {"XXX": ODataError}  # a refusal read as Graph's error (its code and message)


@dataclass(frozen=True)
class PlainFields:
    additional_data: dict[str, Any]


@dataclass(frozen=True)
class PlainItem:
    """A list item as a query's JSON gives it: what the store reads of a ListItem (id, eTag, fields)."""

    id: str
    e_tag: str | None
    fields: PlainFields

    @classmethod
    def of(cls, value: dict[str, Any]) -> PlainItem:
        return cls(str(value.get("id") or ""), value.get("eTag") or value.get("@odata.etag"),
                   PlainFields(value.get("fields") or {}))


_RANGE_DONE: list[ListItem] = []  # pages() yields this object between the ranges of a sliced query

DELEGATION_GATE = "delegations-in-force"  # the DenSettings item every delegation write changes first


class _ListApi:
    """One SharePoint list: the item operations the store uses, each one Graph round trip."""

    def __init__(self, client: GraphServiceClient, site_id: str, list_name: str, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.site_id = site_id
        self.list_name = list_name
        self.page_size = page_size
        self.items = client.sites.by_site_id(site_id).lists.by_list_id(list_name).items

    async def query(
        self,
        filter_: str | None,
        fields: Iterable[str],
        *,
        top: int | None = None,
        limit: int | None = None,
        slices: Range | None = None,
        newest_first: bool = False,
        enough: int | None = None,
    ) -> list[ListItem]:
        """Every item the filter finds (or the first `limit`: no page past them is fetched).

        With `slices`, a query refused past the list view threshold is run again range by range
        of that column (see sharepoint_slices); with `enough`, no further range is read once that
        many items are found (whole ranges only: `newest_first` visits the latest dates first)."""
        found: list[ListItem] = []
        async with aclosing(self.pages(filter_, fields, top=top, slices=slices, newest_first=newest_first)) as pages:
            async for items in pages:
                if items is _RANGE_DONE:
                    if enough is not None and len(found) >= enough:
                        break
                    continue
                found.extend(items)
                if limit is not None and len(found) >= limit:
                    break
        return found[:limit] if limit is not None else found

    async def pages(
        self,
        filter_: str | None,
        fields: Iterable[str],
        *,
        top: int | None = None,
        slices: Range | None = None,
        newest_first: bool = False,
    ) -> AsyncIterator[list[ListItem]]:
        """The query, one page of items at a time (for scans that must not hold them all). With
        `slices`, past the threshold, range by range (`_RANGE_DONE` marks the end of each range)."""
        read = False
        try:
            async with aclosing(self._pages(filter_, fields, top=top)) as pages:
                async for items in pages:
                    read = True
                    yield items
            return
        except ListViewThresholdExceeded:
            if slices is None or read:
                raise
        now = datetime.now(UTC)
        waiting = list(slices.split(now))
        refused = 1
        while waiting:
            part = waiting.pop() if newest_first else waiting.pop(0)
            try:
                async with aclosing(self._pages(part.narrowing(filter_), fields, top=top)) as pages:
                    async for items in pages:
                        yield items
                yield _RANGE_DONE
            except ListViewThresholdExceeded:
                smaller = part.split(now)
                if not smaller:
                    raise
                refused += 1
                waiting = waiting + smaller if newest_first else smaller + waiting
        log.info("a query past the list view threshold was read in ranges",
                 extra={"list": self.list_name, "column": slices.column, "refused": refused})

    async def _pages(
        self, filter_: str | None, fields: Iterable[str], *, top: int | None = None
    ) -> AsyncIterator[list[ListItem]]:
        """Each page read as JSON and its items kept as plain dictionaries (`PlainItem`): the SDK's
        model reader spends tens of milliseconds on each list item (its field deserializers import
        every model on each call), which made a page of 500 items cost seconds of CPU."""
        params = ItemsRequestBuilder.ItemsRequestBuilderGetQueryParameters(
            expand=[f"fields($select={','.join(fields)})"], filter=filter_, top=top or self.page_size
        )
        info = self.items.to_get_request_information(RequestConfiguration(query_parameters=params,
                                                                          headers=fresh_headers()))
        try:
            while True:
                page = json.loads(await self.client.request_adapter.send_primitive_async(info, "bytes", ODATA_ERRORS)
                                  or b"{}")
                yield [PlainItem.of(value) for value in page.get("value") or []]
                link = page.get("@odata.nextLink")
                if not link:
                    break
                info = self.items.with_url(link).to_get_request_information(
                    RequestConfiguration(headers=fresh_headers())
                )
        except APIError as error:
            raise _graph_call(error) from error

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

    async def create_or_read(
        self, values: dict[str, Any], key: str, token: str | None = None, fields: Iterable[str] = ()
    ) -> tuple[ListItem, bool]:
        """Create a row whose `key` column is unique. Returns (the row, whether this call made it).

        Whatever a failed create answered (409, 400, 500... the status of a unique-column clash
        is not documented), the key is read back: no row means the failure stands; a row with
        our `WriteToken` means the create happened after all; any other row is a duplicate."""
        try:
            return await self.create(values), True
        except (ConcurrencyConflict, StoreUnavailable, APIError) as error:
            failure = error
        existing = await self.first(key, str(values[key]), [key, *(["WriteToken"] if token else []), *fields])
        if existing is None:
            if isinstance(failure, APIError):
                raise StoreUnavailable(f"Graph answered {_status(failure)} to a create") from failure
            raise failure
        return existing, token is not None and _fields(existing).get("WriteToken") == token

    # Rows without a WriteToken column (conversations, settings, delegations): a row found after a
    # failed create counts as another writer's; the caller reads it and updates it, which is
    # harmless when it was in fact this create's, whose answer was lost.

    async def upsert(
        self,
        key: str,
        values: dict[str, Any],
        *,
        read: Iterable[str] = (),
        differs: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Write the row whose unique column `key` holds values[key]: create it, or update the one
        there (a racing create is read back and updated). With `differs`, a stored row is updated
        only when differs(its `read` fields) says so, and only if nobody changed it since (eTag)."""
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                existing = await self.first(key, str(values[key]), [key, *read])
                if existing is None:
                    await _create_or_conflict(self, values, key)
                elif differs is None:
                    await self.patch(existing.id, values)
                elif differs(_fields(existing)):
                    await self.patch(existing.id, values, _etag(existing))

    async def patch(self, item_id: str, values: dict[str, Any], etag: str = "*") -> str | None:
        """Update an item's fields (If-Match `etag`); returns its new eTag when Graph gives it."""
        try:
            written = await self.items.by_list_item_id(item_id).fields.patch(
                FieldValueSet(additional_data=values),
                request_configuration=RequestConfiguration(headers=fresh_headers(If_Match=etag)),
            )
        except APIError as error:
            raise _graph_call(error) from error
        extra = written.additional_data if written is not None and written.additional_data else {}
        etag = extra.get("@odata.etag")
        return str(etag) if etag else None

    @property
    def path(self) -> str:
        return f"/sites/{quote(self.site_id, safe=',')}/lists/{quote(self.list_name)}/items"

    def patch_request(self, request_id: str, item_id: str, values: dict[str, Any], etag: str) -> Request:
        """One request of a JSON $batch: update an item's fields if its eTag still matches."""
        return Request(request_id, "PATCH", f"{self.path}/{quote(item_id)}/fields", values, {"If-Match": etag})

    def create_request(self, request_id: str, values: dict[str, Any]) -> Request:
        return Request(request_id, "POST", self.path, {"fields": values})

    def delete_request(self, request_id: str, item_id: str) -> Request:
        return Request(request_id, "DELETE", f"{self.path}/{quote(item_id)}")

    def find_request(self, request_id: str, column: str, value: str, fields: Iterable[str]) -> Request:
        query = urlencode(
            {"$filter": f"fields/{column} eq {odata_string(value)}", "$expand": f"fields($select={','.join(fields)})",
             "$top": "1"},
            quote_via=quote,
        )
        return Request(request_id, "GET", f"{self.path}?{query}")


def _fields(item: ListItem) -> dict[str, Any]:
    """An item's fields as plain values. (The SDK's JSON reader turns GUID-shaped text into UUID
    objects, and ids here are Entra object ids: they must stay the strings they were.)"""
    raw = item.fields.additional_data if item.fields and item.fields.additional_data else {}
    return {k: str(v) if isinstance(v, UUID) else v for k, v in raw.items()}


def _etag(item: ListItem) -> str:
    return item.e_tag or _fields(item).get("@odata.etag", "*")


def _body_etag(body: dict[str, Any]) -> str:
    return body.get("eTag") or body.get("@odata.etag") or "*"


@dataclass
class _LocalRow:
    """An outbox row this instance wrote and holds the lease on: delivered from memory."""

    message: OutboxMessage
    item_id: str


class SharePointStore:
    """IdeaStore over SharePoint lists on one site."""

    IDEA_FIELDS = ("IdeaId", "Body")
    OUTBOX_FIELDS = ("MessageId", "RecipientId", "Kind", "IdeaId", "Payload", "NotBefore", "Attempts", "LastError",
                     "CreatedAt", "DueAt")

    def __init__(
        self,
        client: GraphServiceClient,
        site: str,
        *,
        page_size: int = PAGE_SIZE,
        click_budget_seconds: float = 3.0,
        background_budget_seconds: float = 120.0,
        idle_poll_seconds: float = 0.0,
        claim_on_write: bool = False,
        write_lease_seconds: float = 60.0,
        conversation_cache_seconds: float = 300.0,
        pending: PendingWrites | None = None,
        gauge: RateLimitGauge | None = None,
    ) -> None:
        self.client = client
        self.site = site
        self.site_id = "" if is_site_url(site) else site
        self.page_size = page_size
        self.click_budget = click_budget_seconds
        self.background_budget = background_budget_seconds
        self.idle_poll = timedelta(seconds=idle_poll_seconds)
        self.claim_on_write = claim_on_write
        self._can_send: Callable[[], bool] = lambda: True
        self.write_lease = timedelta(seconds=write_lease_seconds)
        self.gauge = gauge or getattr(client, "rate_limit_gauge", None) or RateLimitGauge()
        self.pending = pending or PendingWrites()
        self.on_outbox_written = lambda: None  # the app points this at its outbox dispatcher's kick
        self._batches = BatchRunner(client, self.gauge)
        self._lists: dict[str, _ListApi] = {}
        self._local: dict[str, _LocalRow] = {}  # message id -> row leased to this instance on write
        self._item_ids: dict[str, str] = {}  # message id -> list item id, for rows this instance handled
        self._groups: dict[str, Group] = {}  # item id -> a group row (outbox_groups) this instance holds
        self._member_of: dict[str, str] = {}  # message id -> the item id of the group row holding it
        self._conversations: TTLCache = TTLCache(maxsize=10_000, ttl=conversation_cache_seconds)
        self._languages: TTLCache = TTLCache(maxsize=10_000, ttl=conversation_cache_seconds)
        self._just_written: TTLCache = TTLCache(maxsize=2_000, ttl=JUST_WRITTEN_SECONDS)  # idea id -> Idea
        self._counter_items: dict[str, tuple[str, str, int]] = {}  # counter name -> (item id, eTag, value)
        self._last_poll: datetime | None = None
        self._poll_now = True  # this instance wrote or rescheduled rows others could not know about
        self._wake_at: datetime | None = None
        self._backlog: tuple[float, list[datetime]] | None = None  # when read, each pending row's due time
        self._probe_ok_at: float | None = None
        self.health_write_seconds = HEALTH_WRITE_SECONDS
        self._probe_item_id: str | None = None
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        if self.site_id:
            self._build_lists()

    def deliver_own_writes(self, kick, can_send: Callable[[], bool] = lambda: True) -> None:
        """This instance runs an outbox dispatcher: rows it writes are written already leased to
        it and delivered from memory; `kick` wakes the dispatcher when rows are written later.
        While `can_send()` says no (no share of the Teams budget yet), rows are written unleased,
        for any instance to deliver."""
        self.claim_on_write = True
        self.on_outbox_written = kick
        self._can_send = can_send

    def _leases_own_writes(self) -> bool:
        return self.claim_on_write and self._can_send()

    def _build_lists(self) -> None:
        self._lists = {key: _ListApi(self.client, self.site_id, spec.name, self.page_size)
                       for key, spec in LISTS_BY_KEY.items()}

    def ideas_items(self) -> Any:
        """The Ideas list's items (request builder): what the Den tab's index reads its delta from."""
        return self._api("ideas").items

    def _api(self, key: str) -> _ListApi:
        return self._lists[key]

    def _deadline(self, seconds: float) -> float:
        return time.monotonic() + seconds

    # ---- lifecycle --------------------------------------------------------------------
    async def open(self) -> None:
        """Resolve the site (once), and start the background writer (rows owed).
        Lists are provisioned by the provisioning command, never here."""
        if not self.site_id:
            try:
                self.site_id = await resolve_site_id(self.client, self.site)
            except APIError as error:
                raise StoreUnavailable(f"Graph answered {_status(error)} looking up the site") from error
            self._build_lists()
        if self._task is None:
            self._task = asyncio.create_task(self._maintain(), name="sharepoint-maintenance")

    async def close(self) -> None:
        """Stop the background writer (what it still owes stays on disk). The HTTP client
        belongs to whoever built it."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def ping(self) -> bool:
        try:
            await self._api("counters").query(None, ["Name"], top=1, limit=1)
            return True
        except (StoreUnavailable, APIError, KeyError):
            return False

    # ---- ideas ------------------------------------------------------------------------
    def _idea_values(self, idea: Idea) -> dict[str, Any]:
        return {
            "IdeaId": idea.id,
            "Reference": idea.reference,
            "IdeaTitle": idea.pitch.title[:255],
            "SubmitterId": idea.submitter.id,
            "HolderId": idea.holder_id,
            "ChallengeId": idea.challenge,
            "Status": idea.status.value,
            "CreatedAt": _iso(idea.created_at),
            "UpdatedAt": _iso(idea.updated_at or idea.created_at),
            "Body": json.dumps(idea_to_dict(idea), ensure_ascii=False),
        }

    def _idea_from(self, item: ListItem) -> Idea:
        return idea_from_dict(json.loads(_fields(item)["Body"]), version=f"{item.id}|{_etag(item)}")

    async def next_reference(self, year: int) -> str:
        """The year's next reference. The counter's item and eTag this instance last wrote are kept:
        the next reference is one conditional PATCH (If-Match), with no read first; if another
        instance counted meanwhile, the PATCH answers 412 and the counter is read again."""
        counters = self._api("counters")
        name = f"reference-{year}"
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                known = self._counter_items.pop(name, None)
                if known is not None:
                    item_id, etag, value = known
                    try:
                        written = await counters.patch(item_id, {"Value": value + 1}, etag)
                    except ConcurrencyConflict:
                        written = None  # another instance counted since: read it again, below
                    if written is not None:
                        self._remember_counter(name, item_id, written, value + 1)
                        return f"DEN-{year}-{value + 1:04d}"
                item = await counters.first("Name", name, ["Name", "Value"])
                if item is None:
                    token = _token()
                    made, ours = await counters.create_or_read({"Name": name, "Value": 1, "WriteToken": token},
                                                               "Name", token)
                    if not ours:
                        raise ConcurrencyConflict(name)  # another instance made it first: count from theirs
                    self._remember_counter(name, made.id, _etag(made) if made.e_tag else None, 1)
                    return f"DEN-{year}-0001"
                value = int(float(_fields(item).get("Value") or 0)) + 1
                written = await counters.patch(item.id, {"Value": value}, _etag(item))
                self._remember_counter(name, item.id, written, value)
                return f"DEN-{year}-{value:04d}"
        raise AssertionError("unreachable")

    def _remember_counter(self, name: str, item_id: str | None, etag: str | None, value: int) -> None:
        """Keep a counter this instance just wrote (its new eTag), for the next conditional PATCH."""
        if item_id and etag and etag != "*":
            self._counter_items[name] = (item_id, etag, value)

    async def add(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        """One sequential $batch: the idea (its IdeaId is unique), then its notifications."""
        ideas = self._api("ideas")
        token = _token()
        requests = [ideas.create_request("idea", {**self._idea_values(idea), "WriteToken": token})]
        rows = self._grouped_outbox_rows(outbox)
        requests += self._row_requests(rows[: BATCH_LIMIT - 1], lease=True)
        outcome = await self._batches.run(requests, sequential=True, deadline=self._deadline(self.click_budget))
        if any(r.id == "idea" for r in outcome.leftover):
            raise StoreBusy("the new idea was throttled past the time budget", outcome.retry_after)
        if outcome.ok("idea"):
            created = outcome.body["idea"]
            idea.version = f"{created.get('id')}|{_body_etag(created)}"
        else:
            existing = await ideas.first("IdeaId", idea.id, ["IdeaId", "WriteToken"])
            if existing is None:
                raise StoreUnavailable(f"Graph answered {outcome.status.get('idea')} to the new idea")
            if _fields(existing).get("WriteToken") != token:
                raise ConcurrencyConflict(idea.id)
            idea.version = f"{existing.id}|{_etag(existing)}"  # it was written: the answer was not ours to see
        await self._settle_rows(rows, outcome)
        self._remember_written_idea(idea)

    async def get(self, idea_id: str) -> Idea | None:
        item = await self._api("ideas").first("IdeaId", idea_id, self.IDEA_FIELDS)
        return self._idea_from(item) if item else None

    def _remember_written_idea(self, idea: Idea) -> None:
        self._just_written[idea.id] = copy.deepcopy(idea)

    async def get_for_delivery(self, idea_id: str) -> Idea | None:
        """The idea a notification is rendered from. The notifications a write queues are delivered by
        this instance from memory within moments of it, so the idea this instance has just written
        (JUST_WRITTEN_SECONDS) is what a read would return: one billed read less per notification.
        Never used for a decision, which always reads the stored version."""
        written = self._just_written.get(idea_id)
        return copy.deepcopy(written) if written is not None else await self.get(idea_id)

    async def update(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        """One sequential $batch: the idea (If-Match), then its new decisions, then its notifications."""
        item_id, _, etag = str(idea.version).partition("|")
        if not item_id:
            raise ConcurrencyConflict("idea has no stored version")
        new_decisions = [d for d in idea.decisions if idea.updated_at and d.decided_at == idea.updated_at]
        rows = [PendingRow("decisions", values["DecisionKey"], values)
                for values in (_decision_values(idea, d) for d in new_decisions)]
        rows += self._grouped_outbox_rows(outbox)
        token = _token()
        values = {**self._idea_values(idea), "WriteToken": token}
        requests = [self._api("ideas").patch_request("idea", item_id, values, etag)]
        requests += self._row_requests(rows[: BATCH_LIMIT - 1], lease=True)
        outcome = await self._batches.run(requests, sequential=True, deadline=self._deadline(self.click_budget))
        if any(r.id == "idea" for r in outcome.leftover):
            raise StoreBusy("the idea's update was throttled past the time budget", outcome.retry_after)
        status = outcome.status.get("idea", 0)
        new_etag = None
        if status == 412 and outcome.round_trips > 1:
            # Sent again after a 503/504 that may have been carried out after all: if the stored
            # idea carries this write's token, the refusal is our own first write.
            mine = await self._api("ideas").first("IdeaId", idea.id, ["IdeaId", "WriteToken"])
            if mine is not None and _fields(mine).get("WriteToken") == token:
                status, new_etag = 200, _etag(mine)
        if status == 412:
            self._just_written.pop(idea.id, None)
            raise ConcurrencyConflict(idea.id)
        if status >= 400 or not status:
            raise StoreUnavailable(f"Graph answered {status} to the idea update")
        new_etag = new_etag or outcome.body["idea"].get("@odata.etag")
        await self._settle_rows(rows, outcome)
        if new_etag:
            idea.version = f"{item_id}|{new_etag}"
        else:
            fresh = await self.get(idea.id)
            idea.version = fresh.version if fresh else idea.version
        self._remember_written_idea(idea)

    BY_CREATION = whole("CreatedAt", "date")  # how a query on a hot key of the ideas list is sliced

    async def _list_ideas(
        self, filter_: str | None, limit: int | None = None, *, slices: Range | None = BY_CREATION, **how: Any
    ) -> list[Idea]:
        items = await self._api("ideas").query(filter_, self.IDEA_FIELDS, limit=limit, slices=slices, **how)
        return [self._idea_from(item) for item in items]

    async def list_by_submitter(self, user_id: str, limit: int = 50) -> list[Idea]:
        """A person's ideas, newest first. Someone with more ideas than the list view threshold has
        them read by creation date, latest first, until `limit` are found."""
        ideas = await self._list_ideas(
            f"fields/SubmitterId eq {odata_string(user_id)}", newest_first=True, enough=limit
        )
        ideas.sort(key=lambda i: i.created_at, reverse=True)
        return ideas[:limit]

    async def list_by_holder(self, user_id: str, limit: int = 50) -> list[Idea]:
        """Open ideas whose current step this person holds (HolderId and Status are indexed)."""
        ideas = await self._list_ideas(f"fields/HolderId eq {odata_string(user_id)} and fields/Status eq 'in_review'")
        ideas.sort(key=lambda i: i.updated_at or i.created_at)
        return ideas[:limit]

    async def list_for_digest(self, since: datetime | None) -> list[Idea]:
        """Open ideas, and those changed since `since`: two single-column indexed queries, merged
        (SharePoint refuses an OR at the top of a query on a list past the threshold)."""
        if since is None:
            return await self._list_ideas(None)
        found = {i.id: i for i in await self._list_ideas("fields/Status eq 'in_review'")}
        changed = f"fields/UpdatedAt ge {odata_string(_iso(since))}"
        for idea in await self._list_ideas(changed, slices=whole("UpdatedAt", "date", lo=since)):
            found.setdefault(idea.id, idea)
        return list(found.values())

    async def scan_for_digest(self, since: datetime | None, page_size: int = 2000) -> AsyncIterator[list[DigestIdea]]:
        """Graph's pages as they come, each projected and let go before the next is fetched. Since
        `since`: the ideas changed since then, then those still open changed before (two indexed
        queries, no OR: SharePoint refuses one on a list past the threshold)."""
        top = min(page_size, PAGE_SIZE)
        ideas = self._api("ideas")
        if since is None:
            scans = [ideas.pages(None, self.IDEA_FIELDS, top=top)]
        else:
            moment = odata_string(_iso(since))
            scans = [
                ideas.pages(f"fields/UpdatedAt ge {moment}", self.IDEA_FIELDS, top=top,
                            slices=whole("UpdatedAt", "date", lo=since)),
                ideas.pages(f"fields/Status eq 'in_review' and fields/UpdatedAt lt {moment}", self.IDEA_FIELDS,
                            top=top, slices=self.BY_CREATION),
            ]
        shortlisted = await self._shortlisted_in_challenges()
        for scan in scans:
            async with aclosing(scan) as pages:
                async for items in pages:
                    if items:
                        page = [digest_idea_from_dict(json.loads(_fields(item)["Body"])) for item in items]
                        yield in_challenge_shortlist(page, shortlisted)

    async def scan_challenge(self, challenge_id: str) -> AsyncIterator[list[DigestIdea]]:
        """A challenge's ideas (the dashboard), Graph's pages as they come: a query on the indexed
        ChallengeId, read range by range of CreatedAt when the challenge has more ideas than the list
        view threshold. Shortlisting is the caller's to mark (it reads the challenge's stages anyway)."""
        filter_ = f"fields/ChallengeId eq {odata_string(challenge_id)}"
        async for page in self._digest_pages(filter_, self.BY_CREATION):
            yield page

    async def scan_created(self, start: datetime, end: datetime) -> AsyncIterator[list[DigestIdea]]:
        """The ideas pitched from `start` until `end` (a year's, for the dashboard): a range of the
        indexed CreatedAt, cut into smaller ranges while SharePoint refuses one past the threshold."""
        span = Range("CreatedAt", "date", start, end)
        async for page in self._digest_pages(span.clause(), span):
            yield page

    async def _digest_pages(self, filter_: str, slices: Range) -> AsyncIterator[list[DigestIdea]]:
        async with aclosing(self._api("ideas").pages(filter_, self.IDEA_FIELDS, slices=slices)) as pages:
            async for items in pages:
                if items:
                    yield [digest_idea_from_dict(json.loads(_fields(item)["Body"])) for item in items]

    async def _shortlisted_in_challenges(self) -> frozenset[str]:
        """The ids of ideas shortlisted (or further on) in a Den challenge: none without the Den's lists."""
        return frozenset()

    async def list_open(self) -> list[Idea]:
        return await self._list_ideas("fields/Status eq 'in_review'")

    async def digest_figures(self, dm_ids: Sequence[str], query: DigestQuery) -> dict[str, DigestFigures]:
        """Built in Python from the scan, one page at a time (lists have no aggregation to lean on)."""
        scope = DigestScope(dm_ids, query)
        async for page in self.scan_for_digest(query.rules.challenge_start):
            scope.add_page(page)
        return scope.figures()

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
        values = {
            "SettingKey": setting.key,
            "Body": setting.text,
            "UpdatedAt": _iso(setting.updated_at),
            "UpdatedBy": setting.updated_by[:255],
        }
        await self._api("settings").upsert("SettingKey", values)

    # ---- acting approvers -------------------------------------------------------------------
    DELEGATION_FIELDS = ("PrincipalId", "Body")

    async def save_delegation(self, delegation: Delegation, *, now: datetime | None = None) -> None:
        """One row per approver (PrincipalId is unique): a new delegation replaces the old one.

        SharePoint has no transaction over two items, so every delegation write first changes one
        item, DenSettings' `delegations-in-force` (principal -> [delegate, end] of each delegation in
        force), with `If-Match`: the loop check reads that item (and the list, for rows written
        before it existed) and the write succeeds only if nobody changed it since. Two people
        naming each other at once on two instances: one PATCH gets 412, reads again, and is
        refused. A crash between the two writes leaves an arrangement in the item alone, which
        only makes a later loop check stricter until it ends."""
        moment = now or delegation.created_at
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5, attempts=12):
            with attempt:
                (gate, edges), in_force = await asyncio.gather(  # read together
                    self._delegation_gate(), self.delegations_in_force(moment)
                )
                onward = onward_of(in_force, moment)
                onward.update({p: d for p, (d, ends) in edges.items() if _dt(ends) and _dt(ends) > moment})
                onward.pop(delegation.principal_id, None)
                if now is not None and delegation.active(now):
                    if closes_a_loop(delegation.principal_id, delegation.delegate_id, onward):
                        raise DelegationRefused(DelegationProblem.LOOP)
                kept = {p: e for p, e in edges.items() if _dt(e[1]) and _dt(e[1]) > moment}
                kept[delegation.principal_id] = [delegation.delegate_id, _iso(delegation.ends_at)]
                body = {"Body": json.dumps(kept), "UpdatedAt": _iso(moment)}
                await self._api("settings").patch(str(gate.id), body, _etag(gate))  # 412: read again
        values = {
            "PrincipalId": delegation.principal_id,
            "DelegateId": delegation.delegate_id,
            "EndsAt": _iso(delegation.ends_at),
            "Body": json.dumps(delegation_to_dict(delegation), ensure_ascii=False),
        }
        await self._api("delegations").upsert("PrincipalId", values)

    async def _delegation_gate(self) -> tuple[ListItem, dict[str, list[str]]]:
        """The `delegations-in-force` item (created the first time) and what it holds."""
        api = self._api("settings")
        item = await api.first("SettingKey", DELEGATION_GATE, self.SETTING_FIELDS)
        if item is None:
            values = {"SettingKey": DELEGATION_GATE, "Body": "{}", "UpdatedAt": _iso(datetime.now(UTC))}
            await api.create_or_read(values, "SettingKey")
            item = await api.first("SettingKey", DELEGATION_GATE, self.SETTING_FIELDS)
            if item is None:
                raise StoreUnavailable("the delegations item could not be created")
        try:
            edges = json.loads(str(_fields(item).get("Body") or "{}"))
        except ValueError:
            edges = {}
        return item, {str(p): [str(e[0]), str(e[1])] for p, e in edges.items() if isinstance(e, list) and len(e) == 2}

    async def get_delegation(self, principal_id: str) -> Delegation | None:
        item = await self._api("delegations").first("PrincipalId", principal_id, self.DELEGATION_FIELDS)
        return delegation_from_dict(json.loads(_fields(item)["Body"])) if item else None

    async def delegations_in_force(self, now: datetime) -> dict[str, Delegation]:
        items = await self._api("delegations").query(
            f"fields/EndsAt gt {odata_string(_iso(now))}", self.DELEGATION_FIELDS
        )
        found = [delegation_from_dict(json.loads(_fields(item)["Body"])) for item in items]
        return {d.principal_id: d for d in found if d.active(now)}

    async def delegations_involving(self, person_id: str) -> list[Delegation]:
        """DelegateId is not indexed and no OR may lead a filter: the list (one item per approver, so
        small) is read a page at a time, without a filter, and sorted out here."""
        items = await self._api("delegations").query(None, self.DELEGATION_FIELDS)
        found = [delegation_from_dict(json.loads(_fields(item)["Body"])) for item in items]
        return sorted((d for d in found if person_id in (d.principal_id, d.delegate_id)), key=lambda d: d.ends_at)

    # ---- conversation references --------------------------------------------------------
    async def save_conversation(self, record: ConversationRecord) -> None:
        api = self._api("conversations")
        body = {**record.__dict__, "updated_at": _iso(record.updated_at) if record.updated_at else None}
        values = {"UserId": record.user_id, "Body": json.dumps(body), "UpdatedAt": body["updated_at"]}
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                existing = await api.first("UserId", record.user_id, ["UserId", "Body"])
                if existing is None:
                    await api.create_or_read(values, "UserId")
                elif json.loads(_fields(existing).get("Body") or "{}").get("conversation_id") != record.conversation_id:
                    await api.patch(existing.id, values, _etag(existing))
        self._conversations[record.user_id] = record

    async def get_conversation(self, user_id: str) -> ConversationRecord | None:
        """Cached for a few minutes: a reference changes only when the person reinstalls the app,
        and each notification would otherwise read it twice (to render and to send)."""
        if user_id in self._conversations:
            return self._conversations[user_id]
        item = await self._api("conversations").first("UserId", user_id, ["UserId", "Body"])
        record = _conversation_from(_fields(item)["Body"]) if item else None
        if record is not None:
            self._conversations[user_id] = record
        return record

    async def any_conversation(self) -> ConversationRecord | None:
        items = await self._api("conversations").query(None, ["UserId", "Body"], top=1, limit=1)
        return _conversation_from(_fields(items[0])["Body"]) if items else None

    # ---- preferences --------------------------------------------------------------------
    async def get_language(self, user_id: str) -> str | None:
        """Cached like conversation references (every notification asks): a change made on
        another instance shows here within the cache time."""
        if user_id in self._languages:
            return self._languages[user_id] or None
        item = await self._api("preferences").first("UserId", user_id, ["UserId", "Language"])
        language = (_fields(item).get("Language") or None) if item else None
        self._languages[user_id] = language or ""
        return language

    async def language_and_locale(self, user_id: str) -> tuple[str | None, str | None]:
        language, record = await asyncio.gather(self.get_language(user_id), self.get_conversation(user_id))
        return language, record.locale if record else None

    async def set_language(self, user_id: str, language: str, now: datetime) -> None:
        values = {"UserId": user_id, "Language": language, "UpdatedAt": _iso(now)}
        await self._api("preferences").upsert(
            "UserId", values, read=["Language"], differs=lambda stored: stored.get("Language") != language
        )
        self._languages[user_id] = language

    # ---- rows with a unique key: written in a batch, settled whatever the batch said -----
    def _outbox_rows(self, messages: Sequence[OutboxMessage]) -> list[PendingRow]:
        return [PendingRow("outbox", m.id, _outbox_values(m)) for m in messages]

    def _grouped_outbox_rows(self, messages: Sequence[OutboxMessage]) -> list[PendingRow]:
        """An action's notifications, those about its idea due together in one row (outbox_groups):
        one create and one "sent" update for them all, each billed once."""
        rows = []
        for members in groups_of(messages):
            if len(members) == 1:
                rows += self._outbox_rows(members)
            else:
                rows.append(PendingRow("outbox", group_key(members), group_values(members)))
        return rows

    def _row_requests(self, rows: Sequence[PendingRow], *, lease: bool = False) -> list[Request]:
        """Create requests for rows. With `lease` (and this instance delivering what it writes),
        outbox rows are written already leased to this instance: NotBefore is the lease's end."""
        requests = []
        for n, row in enumerate(rows):
            fields = row.fields
            if lease and self._leases_own_writes() and row.list_key == "outbox":
                due = _dt(fields.get("NotBefore")) or datetime.now(UTC)
                fields = {**fields, "NotBefore": _iso(due + self.write_lease)}
            requests.append(self._api(row.list_key).create_request(f"r{n}", fields))
        return requests

    async def _settle_rows(self, rows: list[PendingRow], outcome) -> None:
        """After a batch: rows it wrote are done; the rest are written now (parallel, within the
        budget left) or owed on disk and written in the background."""
        written, owed = [], []
        for n, row in enumerate(rows):
            request_id = f"r{n}"
            if n < BATCH_LIMIT - 1 and outcome.ok(request_id):
                written.append((row, outcome.body.get(request_id) or {}))
            else:
                owed.append(row)
        self._remember_written(written, lease_held=True)
        if owed:
            await self._owe(await self._ensure_rows(owed, self._deadline(self.click_budget / 2), lease_held=True))

    def _remember_written(self, written: list[tuple[PendingRow, dict[str, Any]]], *, lease_held: bool) -> None:
        """Note the item ids of outbox rows just written; with `lease_held` (written within the
        click, leased to this instance) they are delivered from memory, with no poll and no claim."""
        outbox = [(row, body) for row, body in written if row.list_key == "outbox"]
        for row, body in outbox:
            item_id = str(body.get("id") or "")
            if not item_id:
                continue
            self._item_ids[row.key_value] = item_id
            if lease_held and self._leases_own_writes():
                if row.fields.get("Kind") == GROUP_KIND:
                    for message in self._hold_group(Group.from_row(row.fields, item_id)):
                        self._local[message.id] = _LocalRow(message, item_id)
                else:
                    self._local[row.key_value] = _LocalRow(_outbox_from_values(row.fields, leased=True), item_id)
        if outbox:
            self._backlog = None
            self._poll_now = self._poll_now or not (lease_held and self._leases_own_writes())
            self.on_outbox_written()

    async def _ensure_rows(self, rows: list[PendingRow], deadline: float, *, lease_held: bool) -> list[PendingRow]:
        """Write rows that must exist once: a parallel $batch per 20; a failure is settled by
        reading the key back (exists: done, whoever wrote it). Returns the rows still owed
        (throttled at the deadline, or Graph unavailable)."""
        owed: list[PendingRow] = []
        for start in range(0, len(rows), BATCH_LIMIT):
            chunk = rows[start : start + BATCH_LIMIT]
            try:
                requests = self._row_requests(chunk, lease=lease_held)
                outcome = await self._batches.run(requests, sequential=False, deadline=deadline)
            except StoreUnavailable:
                owed.extend(chunk)
                continue
            written = []
            for n, row in enumerate(chunk):
                request_id, status = f"r{n}", outcome.status.get(f"r{n}", 0)
                if outcome.ok(request_id):
                    written.append((row, outcome.body.get(request_id) or {}))
                elif any(r.id == request_id for r in outcome.leftover) or status in THROTTLED:
                    owed.append(row)
                else:
                    key = UNIQUE_KEYS[row.list_key]
                    try:
                        found = await self._api(row.list_key).first(key, row.key_value, [key])
                    except StoreUnavailable:
                        owed.append(row)
                        continue
                    if found is None and status >= 500:
                        owed.append(row)
                    elif found is None:
                        log.error("a row was refused", extra={"list": row.list_key, "key": row.key_value,
                                                              "status": status})
            self._remember_written(written, lease_held=lease_held)
        return owed

    async def _owe(self, rows: list[PendingRow]) -> None:
        if rows:
            await self.pending.put(rows)
            self._wake.set()
            log.warning("rows owed to SharePoint, written in the background", extra={"rows": len(rows)})

    # ---- background: owed rows -----------------------------------------------------
    async def _maintain(self) -> None:
        while True:
            try:
                await self.write_owed()
            except asyncio.CancelledError:
                raise
            except Exception:  # Graph is down or refusing: try again at the next round
                log.warning("SharePoint maintenance round failed; will try again", exc_info=True)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=30)
            except TimeoutError:
                pass
            self._wake.clear()

    async def write_owed(self) -> int:
        """Write the rows kept on disk; returns how many are still owed."""
        rows = await self.pending.waiting()
        if not rows:
            return 0
        wait = self.gauge.background_wait()
        if wait:
            await asyncio.sleep(min(wait, 60))
        still = await self._ensure_rows(rows, self._deadline(self.background_budget), lease_held=False)
        left = {(r.list_key, r.key_value) for r in still}
        for row in rows:
            if (row.list_key, row.key_value) not in left:
                await self.pending.done(row)
        return len(still)

    # ---- outbox -------------------------------------------------------------------------
    async def enqueue(self, messages: Sequence[OutboxMessage]) -> None:
        """Parallel $batches of creates; a message already there (same id) is left as it is."""
        rows = self._outbox_rows(messages)
        await self._owe(await self._ensure_rows(rows, self._deadline(self.click_budget), lease_held=True))

    async def existing_outbox_ids(self, ids: Sequence[str]) -> set[str]:
        """One parallel $batch of single-key lookups per 20 ids (no OR of conditions)."""
        box, found = self._api("outbox"), set()
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), BATCH_LIMIT):
            chunk = ids[start : start + BATCH_LIMIT]
            requests = [box.find_request(f"q{n}", "MessageId", i, ["MessageId"]) for n, i in enumerate(chunk)]
            outcome = await self._batches.run(requests, sequential=False, deadline=self._deadline(self.click_budget))
            for n, message_id in enumerate(chunk):
                if not outcome.ok(f"q{n}"):
                    raise StoreUnavailable(f"Graph answered {outcome.status.get(f'q{n}')} to an outbox lookup")
                if outcome.body[f"q{n}"].get("value"):
                    found.add(message_id)
        return found | await self._grouped_ids([i for i in ids if i not in found and groupable_id(i)])

    async def _grouped_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these ids are members of a group row: the rows of each one's idea (IdeaId is
        indexed; an idea has a few rows), read once per idea. Only ids of kinds a group may hold
        are asked (reminders, waiting notes and forms keep rows of their own), so the daily
        reminder pass costs nothing more."""
        wanted, found = set(ids), set()
        for idea_id in dict.fromkeys(i.split(":", 1)[0] for i in ids):
            rows = await self._api("outbox").query(f"fields/IdeaId eq {odata_string(idea_id)}",
                                                   ["MessageId", "Kind", "Payload"])  # fmt: skip
            found |= {m.id for row in rows for m, _ in members_of_row(_fields(row))} & wanted
        return found

    def _poll_due(self, now: datetime) -> bool:
        if self._poll_now or self._last_poll is None:
            return True
        if self._wake_at is not None and self._wake_at <= now:
            return True
        if now - self._last_poll >= self.idle_poll:
            return not self.gauge.background_wait()
        return False

    async def claim_due(
        self,
        now: datetime,
        lease_seconds: float,
        limit: int,
        *,
        per_recipient: int | None = None,
        holding: Mapping[str, int] | None = None,
    ) -> list[OutboxMessage]:
        """Rows this instance wrote come from memory (their lease was written with them); Graph is
        asked for the others only when a poll is due. A claim is a conditional PATCH of NotBefore
        past the lease (412: another instance took it), all in one parallel $batch. The cap per
        recipient applies to the rows read (Graph cannot filter the recipient out cheaply)."""
        local_due = [row for row in self._local.values() if row.message.not_before <= now]
        mine = pick_fairly(local_due, lambda row: row.message.recipient_id, limit, per_recipient, holding)
        for row in mine:
            del self._local[row.message.id]
        if mine:
            return [row.message for row in mine]
        if not self._poll_due(now):
            return []
        idle_poll = not self._poll_now and not (self._wake_at is not None and self._wake_at <= now)
        self._poll_now, self._last_poll = False, now
        if self._wake_at is not None and self._wake_at <= now:
            self._wake_at = None
        try:
            items = await self._poll(now, limit, idle_poll)
        except Exception:
            self.gauge.failed()  # Graph did not answer: the health probe must not vouch for it
            raise
        read = len(items)
        items = pick_fairly(items, lambda i: str(_fields(i).get("RecipientId", "")), limit, per_recipient, holding)
        if not items:
            if read >= limit:
                self._poll_now = True  # everyone read is held enough already: look again soon
            return []
        box = self._api("outbox")
        until = _iso(now + timedelta(seconds=lease_seconds))
        requests = [box.patch_request(f"c{n}", item.id, {"NotBefore": until}, _etag(item))
                    for n, item in enumerate(items[:BATCH_LIMIT])]
        outcome = await self._batches.run(requests, sequential=False, deadline=self._deadline(self.click_budget))
        claimed: list[OutboxMessage] = []
        for n, item in enumerate(items[:BATCH_LIMIT]):
            if not outcome.ok(f"c{n}"):
                continue
            fields = _fields(item)
            if fields.get("Kind") == GROUP_KIND:
                members = self._hold_group(Group.from_row(fields, item.id))
                if not members:  # every member was recorded, the row not yet marked: mark it now
                    await box.patch(item.id, {"State": "sent"})
                claimed += members
                continue
            message = _outbox_from_values(fields)
            self._item_ids[message.id] = item.id
            claimed.append(message)
        if read >= limit:
            self._poll_now = True  # there may be more: the dispatcher asks again at once
        return claimed

    async def _poll(self, now: datetime, limit: int, idle_poll: bool) -> list[ListItem]:
        box = self._api("outbox")
        if idle_poll:
            # The rare idle poll reads every pending row (one indexed filter): what is due, and the
            # backlog the health check reports, in one request.
            pending = await box.query("fields/State eq 'pending'", self.OUTBOX_FIELDS)
            self._remember_backlog(pending)
            items = [i for i in pending if (_dt(_fields(i).get("NotBefore")) or now) <= now][:limit]
        else:
            items = await box.query(
                f"fields/State eq 'pending' and fields/NotBefore le {odata_string(_iso(now))}", self.OUTBOX_FIELDS,
                limit=limit,
            )
        return items

    async def _outbox_item_id(self, message_id: str) -> str | None:
        if message_id in self._item_ids:
            return self._item_ids[message_id]
        item = await self._api("outbox").first("MessageId", message_id, ["MessageId"])
        return item.id if item else None

    async def complete(self, message_id: str) -> None:
        if message_id in self._member_of:
            await self.complete_many([message_id])
            return
        self._backlog = None
        item_id = await self._outbox_item_id(message_id)
        if item_id is not None:
            await self._api("outbox").patch(item_id, {"State": "sent"})
        self._item_ids.pop(message_id, None)

    async def complete_many(self, message_ids: Sequence[str]) -> None:
        """The items this instance claimed are updated in parallel $batches of 20 (a group row once,
        with every member recorded now), the rest one by one."""
        self._backlog = None
        by_group: dict[str, list[str]] = {}
        work: list[tuple[str, dict[str, Any], str | None]] = []  # (item id, fields, a single message's id)
        for message_id in message_ids:
            if message_id in self._member_of:
                by_group.setdefault(self._member_of[message_id], []).append(message_id)
            elif message_id in self._item_ids:
                work.append((self._item_ids[message_id], {"State": "sent"}, message_id))
        groups = {item_id: self._groups[item_id] for item_id in by_group}
        async with contextlib.AsyncExitStack() as held:
            for item_id in sorted(groups):  # always in the same order: no two writers wait on each other
                await held.enter_async_context(groups[item_id].writing)
            work += [(item_id, groups[item_id].recording(ids), None) for item_id, ids in by_group.items()]
            group_failed = await self._record_sent(work, {item_id: (groups[item_id], by_group[item_id])
                                                          for item_id in groups})  # fmt: skip
        batched = {message_id for _, _, message_id in work if message_id is not None}
        grouped = {message_id for ids in by_group.values() for message_id in ids}
        for message_id in message_ids:
            if message_id in grouped:
                continue
            if message_id not in batched or message_id in self._item_ids:
                await self.complete(message_id)  # not claimed here, or its request in the batch failed
        if group_failed:
            raise StoreUnavailable("a group of notifications could not be recorded as sent")

    async def _record_sent(self, work: list[tuple[str, dict[str, Any], str | None]],
                           groups: dict[str, tuple[Group, list[str]]]) -> bool:
        """The "sent" updates, in parallel $batches of 20; returns whether a group's failed."""
        box = self._api("outbox")
        group_failed = False
        for start in range(0, len(work), BATCH_LIMIT):
            chunk = work[start : start + BATCH_LIMIT]
            requests = [Request(f"s{n}", "PATCH", f"{box.path}/{quote(item_id)}/fields", fields)
                        for n, (item_id, fields, _) in enumerate(chunk)]  # fmt: skip
            outcome = await self._batches.run(requests, sequential=False, deadline=self._deadline(self.click_budget))
            for n, (item_id, _, message_id) in enumerate(chunk):
                if not outcome.ok(f"s{n}"):
                    group_failed = group_failed or message_id is None
                elif message_id is not None:
                    self._item_ids.pop(message_id, None)
                else:
                    self._group_recorded(*groups[item_id])
        return group_failed

    # ---- group rows (outbox_groups): several messages, one row --------------------------------
    def _hold_group(self, group: Group) -> list[OutboxMessage]:
        """Hold a group row this instance wrote or claimed; returns its members still to deliver."""
        outstanding = group.outstanding()
        if outstanding:
            self._groups[group.item_id] = group
            for message in outstanding:
                self._member_of[message.id] = group.item_id
        return outstanding

    def _group_recorded(self, group: Group, message_ids: Sequence[str]) -> None:
        group.done |= set(message_ids)
        for message_id in message_ids:
            self._member_of.pop(message_id, None)
        if not any(self._member_of.get(m.id) == group.item_id for m in group.members):
            self._groups.pop(group.item_id, None)

    async def _move_out_of_group(self, message_id: str, changes: dict[str, Any]) -> None:
        """A member to retry later (or given up) gets a row of its own, with `changes`, written before
        the group records it as done: a crash between the two can repeat it, never lose it."""
        group = self._groups[self._member_of[message_id]]
        async with group.writing:
            await self._move_out_held(group, message_id, changes)

    async def _move_out_held(self, group: Group, message_id: str, changes: dict[str, Any]) -> None:
        message = group.member(message_id)
        assert message is not None
        box = self._api("outbox")
        values = {**_outbox_values(message), **changes}
        requests = [box.create_request("alone", values),
                    box.patch_request("group", group.item_id, group.recording([message_id]), "*")]  # fmt: skip
        outcome = await self._batches.run(requests, sequential=True, deadline=self._deadline(self.click_budget))
        if outcome.ok("alone"):
            alone_id = str(outcome.body["alone"].get("id") or "")
        else:  # written by an earlier attempt whose answer was lost, or not written at all
            existing = await box.first("MessageId", message_id, ["MessageId"])
            if existing is None:
                raise StoreUnavailable(f"Graph answered {outcome.status.get('alone')} moving a notification")
            alone_id = str(existing.id)
            await box.patch(alone_id, changes)
        if not outcome.ok("group"):
            await box.patch(group.item_id, group.recording([message_id]))
        self._item_ids[message_id] = alone_id
        self._group_recorded(group, [message_id])

    async def reschedule(self, message_id: str, not_before: datetime, attempts: int, error: str) -> None:
        values = {"NotBefore": _iso(not_before), "Attempts": attempts, "LastError": error[:255]}
        if message_id in self._member_of:
            await self._move_out_of_group(message_id, values)
        else:
            item_id = await self._outbox_item_id(message_id)
            if item_id is None:
                return
            await self._api("outbox").patch(item_id, values)
        self._wake_at = not_before if self._wake_at is None else min(self._wake_at, not_before)

    async def give_up(self, message_id: str, error: str) -> None:
        self._backlog = None
        if message_id in self._member_of:
            await self._move_out_of_group(message_id, {"State": "failed", "LastError": error[:255]})
            self._item_ids.pop(message_id, None)
            return
        item_id = await self._outbox_item_id(message_id)
        if item_id is not None:
            await self._api("outbox").patch(item_id, {"State": "failed", "LastError": error[:255]})
        self._item_ids.pop(message_id, None)

    async def renew_leases(self, message_ids: Sequence[str], until: datetime) -> None:
        """A lease here is NotBefore moved past now (see claim_due): move it further (a group's row once)."""
        renewed: set[str] = set()
        for message_id in message_ids:
            item_id = self._member_of.get(message_id) or await self._outbox_item_id(message_id)
            if item_id is not None and item_id not in renewed:
                renewed.add(item_id)
                await self._api("outbox").patch(item_id, {"NotBefore": _iso(until)})

    async def release(self, message_ids: Sequence[str], now: datetime) -> None:
        released: set[str] = set()
        for message_id in message_ids:
            self._local.pop(message_id, None)
            item_id = self._member_of.pop(message_id, None) or await self._outbox_item_id(message_id)
            if item_id is not None and item_id not in released:
                released.add(item_id)
                await self._api("outbox").patch(item_id, {"NotBefore": _iso(now)})
        for item_id in released & set(self._groups):
            if item_id not in self._member_of.values():
                del self._groups[item_id]  # claimed again, from its row, by whichever instance
        if message_ids:
            self._poll_now = True  # given back: due at once, for this instance or another

    # ---- health -------------------------------------------------------------------------
    BACKLOG_FIELDS = ("MessageId", "CreatedAt", "DueAt", "NotBefore", "Attempts")

    def _remember_backlog(self, pending: list[ListItem]) -> None:
        self._backlog = (time.monotonic(), [_due_at(_fields(item)) for item in pending])

    async def outbox_backlog(self, now: datetime | None = None) -> OutboxBacklog:
        """From the last idle poll if it is recent and this instance changed no outbox row since
        (an idle instance answers its health checks without asking Graph again)."""
        if self._backlog is None or time.monotonic() - self._backlog[0] >= max(self.idle_poll.total_seconds(), 1):
            self._remember_backlog(await self._api("outbox").query("fields/State eq 'pending'", self.BACKLOG_FIELDS))
        return OutboxBacklog.of(self._backlog[1], now or datetime.now(UTC))

    async def probe_write(self) -> bool:
        """Write the health marker (a row of the counters list), as any change would be written.
        A successful probe stands for HEALTH_WRITE_SECONDS unless Graph has refused or failed a
        request since (the gauge sees every answer), so health checks every minute cost less."""
        if (
            self._probe_ok_at is not None
            and time.monotonic() - self._probe_ok_at < self.health_write_seconds
            and self.gauge.last_failure_at <= self._probe_ok_at
        ):
            return True
        counters = self._api("counters")
        value = int(datetime.now(UTC).timestamp())
        try:
            if self._probe_item_id is None:
                item = await counters.first("Name", HEALTH_MARKER, ["Name"])
                if item is None:
                    item, _ = await counters.create_or_read({"Name": HEALTH_MARKER, "Value": value}, "Name")
                self._probe_item_id = item.id
            await counters.patch(self._probe_item_id, {"Value": value})
        except (StoreUnavailable, APIError, ConcurrencyConflict):
            self._probe_ok_at = self._probe_item_id = None
            return False
        self._probe_ok_at = time.monotonic()
        return True

    # ---- digest deliveries --------------------------------------------------------------
    async def claim_digest(self, dm_id: str, week_key: str, now: datetime, lease_seconds: float) -> bool:
        api = self._api("digests")
        key = f"{dm_id}|{week_key}"
        until = _iso(now + timedelta(seconds=lease_seconds))
        token = _token()
        values = {"DeliveryKey": key, "DmId": dm_id, "WeekKey": week_key, "State": "sending", "ClaimedUntil": until,
                  "WriteToken": token}
        item, ours = await api.create_or_read(values, "DeliveryKey", token, ["State", "ClaimedUntil"])
        if ours:
            return True
        fields = _fields(item)  # a row exists: it may be a failed or abandoned attempt
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


async def _create_or_conflict(api: _ListApi, values: dict[str, Any], key: str) -> None:
    """Create a row keyed by a unique column; if another writer's row is there (whatever status the
    clash came back with), raise ConcurrencyConflict so the caller reads it and updates it instead."""
    _, made = await api.create_or_read(values, key)
    if not made:
        raise ConcurrencyConflict(key)


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


def _outbox_values(message: OutboxMessage, leased_until: datetime | None = None) -> dict[str, Any]:
    """The row for a message. `leased_until`: written already leased to this instance (its
    NotBefore is the lease's end; it is delivered from memory, others see it only if we fail)."""
    return {
        "MessageId": message.id,
        "RecipientId": message.recipient_id,
        "Kind": str(message.kind),
        "IdeaId": message.idea_id,
        "Payload": json.dumps(message.payload),
        "State": "pending",
        "NotBefore": _iso(leased_until or message.not_before),
        "Attempts": message.attempts,
        "LastError": message.last_error[:255],
        "CreatedAt": _iso(message.created_at),
        "DueAt": _iso(due_since(message.created_at, message.not_before)),
    }


def _due_at(f: dict[str, Any]) -> datetime:
    """A pending row's due time; a row written before DueAt: its NotBefore if never retried (at
    worst a lease's end, moments after its creation), else its creation (a retry moved NotBefore)."""
    created = _dt(f.get("CreatedAt")) or datetime.now(UTC)
    due = _dt(f.get("DueAt"))
    if due is not None:
        return due
    not_before = _dt(f.get("NotBefore"))
    return due_since(created, not_before) if not_before and not int(float(f.get("Attempts") or 0)) else created


def _outbox_from_values(f: dict[str, Any], *, leased: bool = False) -> OutboxMessage:
    """A message from its row. A row this instance wrote `leased` is delivered from memory: its
    values here are the message's own (the stored NotBefore is the lease's end), so it is due at
    its own NotBefore, which may be later than its creation (e.g. the finalists' announcement, a
    day after they are chosen), else from its creation."""
    created = _dt(f.get("CreatedAt")) or datetime.now(UTC)
    return OutboxMessage(
        id=f["MessageId"],
        recipient_id=f.get("RecipientId", ""),
        kind=f.get("Kind", ""),
        idea_id=f.get("IdeaId", ""),
        created_at=created,
        not_before=(_dt(f.get("NotBefore")) or created) if leased else _dt(f.get("NotBefore")) or datetime.now(UTC),
        payload=json.loads(f.get("Payload") or "{}"),
        attempts=int(float(f.get("Attempts") or 0)),
        last_error=f.get("LastError") or "",
    )


def _conversation_from(text: str) -> ConversationRecord:
    data = json.loads(text)
    updated = data.pop("updated_at", None)
    return ConversationRecord(**data, updated_at=_dt(updated))
