"""A local Microsoft Graph stand-in for SharePoint lists and the Entra ID directory.

It behaves as the public documentation describes, closely enough for the real msgraph-sdk
to talk to it over HTTP:
- sites (by id, or by `hostname:/path:`), lists with typed columns, column create/update;
- list items: create (`POST .../items {"fields": ...}`), get (`$expand=fields`), update
  (`PATCH .../items/{id}/fields`) with `If-Match` and 412 on a stale eTag, delete;
- eTags of the form `"{guid},{version}"`, bumped on every update;
- `$filter` on `fields/X` refused with 400 for a column that is not indexed, unless the
  request sends `Prefer: HonorNonIndexedQueriesWarningMayFailRandomly`;
- the list view threshold (`Behaviours.list_view_threshold`, 5,000 as SharePoint Online applies it,
  set low in tests): on a list holding more items than that, a query is refused (by default 500,
  `-2147024860, Microsoft.SharePoint.SPQueryThrottledException`, "The attempted operation is
  prohibited because it exceeds the list view threshold.") when its `$filter` has an `or` at the
  top, when its first clause is not on an indexed column, or when that clause (every clause of the
  filter's top-level `and` on the same column: a range) matches more items than the threshold, or
  when it orders by a column that is not indexed; the Prefer header does not lift it. A query
  without a filter pages through the list's own index (its item ids) and is never refused;
- `enforceUniqueValues` columns refuse a duplicate; Microsoft documents no status for it, so
  the status is a behaviour (409 by default; 400 and 500 are what other clients report);
- paging: 200 items a page by default (`$top` up to 5,000), `@odata.nextLink` with a skip token;
- JSON `$batch` (at most 20 requests, `dependsOn` giving 424 when a dependency failed); every
  request inside a batch is counted and throttled on its own, as Graph's throttling page says;
- users with `manager` and `$expand=manager($levels=max;...)`; group membership through
  `POST /users/{id}/checkMemberGroups` (transitive: a member of a nested group counts);
- injectable faults: the next N requests answer 429/503 with `Retry-After` (optionally after
  doing the work, as when an answer is lost), or Graph is down.

The awkward parts of the real service are switchable (`FakeGraph.behaviours`, see Behaviours):
SharePoint's per-app resource-unit quota with 429 + `Retry-After` (inner requests included) and
the `RateLimit-*` headers at 80% of it; the clash status; `$expand=manager($levels=max)` refused
for application permission; the site role the app was granted (`write` cannot create lists);
site addresses accepted only in their documented forms.
Every request is counted, so tests and benchmarks can measure round trips.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from aiohttp import web

HONOR_NON_INDEXED = "HonorNonIndexedQueriesWarningMayFailRandomly"
DEFAULT_PAGE = 200
MAX_PAGE = 5000
BATCH_LIMIT = 20


@dataclass
class Behaviours:
    """What a real tenant may do that is inconvenient. Each one can be switched on or off."""

    unique_clash_status: int = 409  # the status of a unique-column clash (undocumented: 409, 400, 500 seen)
    quota_units: int | None = None  # SharePoint app resource units per window; None: never throttled
    quota_window_seconds: float = 60.0
    rate_limit_headers: bool = True  # RateLimit-Limit/-Remaining/-Reset once usage reaches 80%
    manager_expand_refused: bool = False  # $expand=manager($levels=...) refused (application permission)
    manager_expand_status: int = 403
    inner_throttle_every: int | None = None  # every Nth request inside a $batch answers 429 (its own Retry-After)
    inner_retry_after: str = "1"
    list_view_threshold: int = 5000  # a list holding more items refuses queries no index narrows below it
    threshold_status: int = 500  # SharePoint's SPQueryThrottledException as Graph passes it on (400 also seen)
    site_role: str = "fullcontrol"  # the Sites.Selected role granted: fullcontrol | manage | write | read | none
    strict_site_paths: bool = True  # a site address percent-encoded ("host%3A%2Fpath") is refused


@dataclass
class Fault:
    status: int
    retry_after: str | None
    path_part: str
    applied: bool = False  # do the work, then answer the fault (an answer lost on the way back)
    method: str = ""  # only requests with this method (any when empty)


CLASH_CODES = {409: "nameAlreadyExists", 400: "invalidRequest", 500: "generalException"}


def odata_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Item:
    id: str
    fields: dict[str, Any]
    guid: str = field(default_factory=lambda: str(uuid.uuid4()))
    version: int = 1
    created: str = ""
    modified: str = ""

    @property
    def etag(self) -> str:
        return f'"{self.guid},{self.version}"'


@dataclass
class SpList:
    id: str
    name: str
    columns: dict[str, dict[str, Any]]
    items: dict[str, Item] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    changes: list[str] = field(default_factory=list)  # item ids in the order they changed (the delta query's log)

    def changed(self, item_id: str) -> None:
        self.changes.append(item_id)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "displayName": self.name, "list": {"template": "genericList"}}


# ---- a small OData $filter evaluator ----------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)(?![\w-])|(?P<lp>\()|(?P<rp>\))"
    r"|(?P<word>[A-Za-z_][\w/.:-]*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise GraphError(400, "BadRequest", f"Invalid filter clause near '{text[pos : pos + 20]}'")
        kind = match.lastgroup
        value = match.group(kind)
        out.append((kind, value))
        pos = match.end()
    return out


class _Filter:
    """Grammar: expr := term ('or' term)*; term := factor ('and' factor)*;
    factor := '(' expr ')' | 'not' factor | operand op operand."""

    OPS = {"eq", "ne", "gt", "ge", "lt", "le"}

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.fields: set[str] = set()
        self.tree = self._expr()
        if self.pos != len(self.tokens):
            raise GraphError(400, "BadRequest", "Invalid filter clause: unexpected trailing tokens")

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise GraphError(400, "BadRequest", "Invalid filter clause: unexpected end")
        self.pos += 1
        return token

    def _expr(self):
        node = self._term()
        while self._peek() == ("word", "or"):
            self._take()
            node = ("or", node, self._term())
        return node

    def _term(self):
        node = self._factor()
        while self._peek() == ("word", "and"):
            self._take()
            node = ("and", node, self._factor())
        return node

    def _factor(self):
        token = self._peek()
        if token == ("lp", "("):
            self._take()
            node = self._expr()
            if self._take() != ("rp", ")"):
                raise GraphError(400, "BadRequest", "Invalid filter clause: missing ')'")
            return node
        if token == ("word", "not"):
            self._take()
            return ("not", self._factor())
        left = self._operand()
        kind, op = self._take()
        if kind != "word" or op not in self.OPS:
            raise GraphError(400, "BadRequest", f"Invalid filter clause: unknown operator '{op}'")
        return (op, left, self._operand())

    def _operand(self):
        kind, value = self._take()
        if kind == "str":
            return ("lit", value[1:-1].replace("''", "'"))
        if kind == "num":
            return ("lit", float(value))
        if kind == "word" and value in ("true", "false", "null"):
            return ("lit", {"true": True, "false": False, "null": None}[value])
        if kind == "word" and value.startswith("fields/"):
            name = value[len("fields/") :]
            self.fields.add(name)
            return ("field", name)
        raise GraphError(400, "BadRequest", f"Invalid filter clause: unsupported operand '{value}'")

    def matches(self, fields: dict[str, Any]) -> bool:
        return bool(self._eval(self.tree, fields))

    def _value(self, node, fields):
        return fields.get(node[1]) if node[0] == "field" else node[1]

    def _eval(self, node, fields):
        op = node[0]
        if op == "or":
            return self._eval(node[1], fields) or self._eval(node[2], fields)
        if op == "and":
            return self._eval(node[1], fields) and self._eval(node[2], fields)
        if op == "not":
            return not self._eval(node[1], fields)
        left, right = self._value(node[1], fields), self._value(node[2], fields)
        if op == "eq":
            return _norm(left) == _norm(right)
        if op == "ne":
            return _norm(left) != _norm(right)
        if left is None or right is None:
            return False
        left, right = _comparable(left, right)
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]


def _norm(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def _comparable(left, right):
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return float(left), float(right)
    left, right = str(left), str(right)
    try:
        return _dt(left), _dt(right)
    except ValueError:
        return left, right


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---- the server ---------------------------------------------------------------------------------
@dataclass
class FakeGraph:
    sites: dict[str, dict[str, SpList]] = field(default_factory=dict)
    site_urls: dict[str, str] = field(default_factory=dict)  # "host:/path" -> site id
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)  # group id -> members (people or groups)
    automatic_replies: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # HTTP round trips
    inner_requests: list[tuple[str, str]] = field(default_factory=list)  # requests inside a $batch
    batches: list[list[dict[str, Any]]] = field(default_factory=list)  # each $batch's requests, as sent
    faults: list[Fault] = field(default_factory=list)
    behaviours: Behaviours = field(default_factory=Behaviours)
    clock: Callable[[], float] = time.monotonic
    units_used: int = 0
    throttled: int = 0
    rate_limit_headers_sent: int = 0
    down: bool = False
    latency_seconds: float = 0.0  # added to every HTTP round trip, as SharePoint takes 100-300 ms to answer
    spans: list[tuple[float, float]] = field(default_factory=list)  # each HTTP round trip's start and end
    span_paths: list[str] = field(default_factory=list)  # the path each span asked, in the same order
    threshold_refusals: list[str] = field(default_factory=list)  # why each refused query was refused
    user_agents: list[str] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _window_start: float | None = None

    # ---- setup ----------------------------------------------------------------------------
    def add_site(self, hostname: str, path: str) -> str:
        site_id = f"{hostname},{uuid.uuid4()},{uuid.uuid4()}"
        self.sites[site_id] = {}
        self.site_urls[f"{hostname}:{path}"] = site_id
        return site_id

    def add_user(self, user_id: str, name: str, job_title: str = "", mail: str = "", manager_id: str = "") -> None:
        self.users[user_id] = {"id": user_id, "displayName": name, "jobTitle": job_title, "mail": mail}
        if manager_id:
            self.managers[user_id] = manager_id

    def add_group(self, group_id: str, *members: str) -> None:
        self.groups.setdefault(group_id, set()).update(members)

    def _member_of(self, member: str, group_id: str, seen: frozenset[str] = frozenset()) -> bool:
        direct = self.groups.get(group_id, set())
        if member in direct:
            return True
        nested = [g for g in direct if g in self.groups and g not in seen]
        return any(self._member_of(member, g, seen | {group_id}) for g in nested)
    def set_automatic_replies(self, user_id: str, setting: dict[str, Any] | None) -> None:
        """The user's Outlook automatic reply (`status`, schedule...); None: the user has no mailbox."""
        self.automatic_replies[user_id] = setting

    def fail_next(
        self, count: int, status: int = 429, retry_after: str | None = "1", path_part: str = "", *,
        applied: bool = False, method: str = "",
    ) -> None:
        self.faults.extend(Fault(status, retry_after, path_part, applied, method) for _ in range(count))

    def reset_counts(self) -> None:
        self.requests.clear()
        self.inner_requests.clear()

    def all_requests(self) -> int:
        """Requests as SharePoint counts them: each request inside a $batch is one."""
        return sum(1 for _, p in self.requests if p != "/$batch") + len(self.inner_requests)

    # ---- SharePoint's app quota (resource units) and its RateLimit headers ------------------
    @staticmethod
    def _units(method: str, path: str) -> int:
        """Resource units as SharePoint's throttling page prices them: a single read 1, a query
        or any write 2; directory reads 1."""
        if method == "GET":
            return 2 if path.rstrip("/").endswith("/items") or path.rstrip("/").endswith("/lists") else 1
        return 2

    def _admit(self, method: str, path: str) -> tuple[int | None, dict[str, str]]:
        """(429 or None, headers). Over quota: 429 with Retry-After until the window refills."""
        b = self.behaviours
        if b.quota_units is None:
            return None, {}
        now = self.clock()
        if self._window_start is None or now - self._window_start >= b.quota_window_seconds:
            self._window_start, self.units_used = now, 0
        reset = max(1, int(-(-(self._window_start + b.quota_window_seconds - now) // 1)))
        cost = self._units(method, path)
        if self.units_used + cost > b.quota_units:
            self.throttled += 1
            headers = {"Retry-After": str(reset)}
            if b.rate_limit_headers:
                headers |= {"RateLimit-Limit": str(b.quota_units), "RateLimit-Remaining": "0",
                            "RateLimit-Reset": str(reset)}
            return 429, headers
        self.units_used += cost
        remaining = b.quota_units - self.units_used
        if b.rate_limit_headers and self.units_used >= 0.8 * b.quota_units:
            self.rate_limit_headers_sent += 1
            return None, {"RateLimit-Limit": str(b.quota_units), "RateLimit-Remaining": str(remaining),
                          "RateLimit-Reset": str(reset)}
        return None, {}

    def _take_fault(self, path: str, method: str) -> Fault | None:
        for index, fault in enumerate(self.faults):
            if fault.path_part in path and fault.method in ("", method):
                return self.faults.pop(index)
        return None

    def requests_summary(self) -> str:
        """E.g. '(GET items, POST $batch)': what the counted round trips were."""
        names = []
        for method, path in self.requests:
            last = path.rstrip("/").split("/")[-1]
            if last not in ("$batch", "items", "fields", "manager"):
                last = "users" if "/users/" in path else last
            names.append(f"{method} {last}")
        return "(" + ", ".join(names) + ")"

    def count(self, method: str | None = None, path_part: str = "") -> int:
        return sum(1 for m, p in self.requests if (method is None or m == method) and path_part in p)

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._entry)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1.0"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    # ---- entry: counting and faults --------------------------------------------------------
    async def _entry(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        self.requests.append((request.method, path))
        started = time.monotonic()
        try:
            if self.latency_seconds:
                await asyncio.sleep(self.latency_seconds)
            return await self._answer(request, path)
        finally:
            self.span_paths.append(path)  # beside its span: what it asked
            self.spans.append((started, time.monotonic()))

    def round_trips(self, since: int = 0, *, ignore: str = "") -> int:
        """Sequential round trips among the requests since the `since`-th span: the longest chain of
        requests each sent after the one before had answered (requests in flight together count
        once); requests whose path holds `ignore` (another timer's) left out. Give the server some
        latency so concurrent requests overlap."""
        pairs = zip(self.spans[since:], self.span_paths[since:], strict=True)
        spans = sorted(span for span, path in pairs if not (ignore and ignore in path))
        depth: list[int] = []
        for n, (start, _) in enumerate(spans):
            depth.append(1 + max((depth[m] for m in range(n) if spans[m][1] <= start), default=0))
        return max(depth, default=0)

    async def _answer(self, request: web.Request, path: str) -> web.Response:
        self.user_agents.append(request.headers.get("User-Agent", ""))
        if self.down:
            return odata_error(503, "serviceNotAvailable", "Service unavailable", {"Retry-After": "1"})
        if self.behaviours.strict_site_paths and re.search(r"^/v1\.0/sites/[^/?]*%3A", request.raw_path, re.I):
            return odata_error(400, "invalidRequest", "Invalid hostname for this tenancy")
        body = None
        if request.can_read_body:
            text = await request.text()
            body = json.loads(text) if text else None
        query = {k: v[0] for k, v in parse_qs(request.query_string, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in request.headers.items()}
        if path == "/$batch" and request.method == "POST":
            fault = self._take_fault(path, request.method)
            if fault is not None and not fault.applied:
                return self._fault_response(fault)
            answer = await self._batch(body or {}, headers)
            return self._fault_response(fault) if fault is not None else answer
        fault = self._take_fault(path, request.method)
        if fault is not None and not fault.applied:
            return self._fault_response(fault)
        throttled, limit_headers = self._admit(request.method, path)
        if throttled:
            return odata_error(429, "TooManyRequests", "Please retry again later.", limit_headers)
        status, payload, extra = self._dispatch(request.method, path, query, headers, body)
        if fault is not None:
            return self._fault_response(fault)
        extra = {**extra, **limit_headers}
        if payload is None:
            return web.Response(status=status, headers=extra)
        return web.json_response(payload, status=status, headers=extra)

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        code = "TooManyRequests" if fault.status == 429 else "serviceNotAvailable"
        return odata_error(fault.status, code, "Injected fault", headers)

    def _dispatch(self, method, path, query, headers, body) -> tuple[int, Any, dict[str, str]]:
        try:
            return self._route(method, path, query, headers, body)
        except GraphError as error:
            return error.status, {"error": {"code": error.code, "message": error.message}}, {}

    async def _batch(self, body: dict[str, Any], headers: dict[str, str]) -> web.Response:
        requests = body.get("requests") or []
        if len(requests) > BATCH_LIMIT:
            return odata_error(400, "BadRequest", f"A batch may hold at most {BATCH_LIMIT} requests")
        if len({str(r.get("id", "")).lower() for r in requests}) != len(requests):
            return odata_error(400, "BadRequest", "Batch request ids must be unique")
        self.batches.append(requests)
        responses, statuses = [], {}
        for inner in requests:
            depends = inner.get("dependsOn") or []
            if any(statuses.get(d, 500) >= 400 for d in depends):
                statuses[inner["id"]] = 424
                responses.append({"id": inner["id"], "status": 424, "body": {"error": {"code": "FailedDependency"}}})
                continue
            url = urlsplit(inner["url"] if inner["url"].startswith("/") else "/" + inner["url"])
            self.inner_requests.append((inner["method"], unquote(url.path)))
            if self.behaviours.strict_site_paths and re.search(r"^/sites/[^/?]*%3A", url.path, re.I):
                statuses[inner["id"]] = 400
                responses.append({"id": inner["id"], "status": 400,
                                  "body": {"error": {"code": "invalidRequest", "message": "Invalid hostname"}}})
                continue
            inner_headers = {k.lower(): v for k, v in (inner.get("headers") or {}).items()}
            fault = self._take_fault(url.path, inner["method"])
            status, payload, extra = None, None, {}
            every = self.behaviours.inner_throttle_every
            if fault is None and every and len(self.inner_requests) % every == 0:
                fault = Fault(429, self.behaviours.inner_retry_after, "")
            if fault is None or fault.applied:
                throttled, extra = self._admit(inner["method"], url.path)
                if throttled:
                    status = 429
                    payload = {"error": {"code": "TooManyRequests", "message": "Please retry again later.",
                                         "innerError": {"code": "429", "status": "429"}}}
                else:
                    query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                    status, payload, more = self._dispatch(
                        inner["method"], unquote(url.path), query, inner_headers, inner.get("body")
                    )
                    extra = {**more, **extra}
            if fault is not None:
                status = fault.status
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                payload = {"error": {"code": "TooManyRequests" if status == 429 else "serviceNotAvailable",
                                     "message": "Injected fault"}}
            statuses[inner["id"]] = status
            responses.append({"id": inner["id"], "status": status, "headers": extra, "body": payload})
        return web.json_response({"responses": responses})

    # ---- routing ---------------------------------------------------------------------------
    def _route(self, method, path, query, headers, body):
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[0] == "users" and parts[2:] == ["checkMemberGroups"] and method == "POST":
            if len(parts) < 2 or parts[1] not in self.users:
                raise GraphError(404, "Request_ResourceNotFound", "Resource does not exist")
            asked = (body or {}).get("groupIds") or []
            if len(asked) > 20:
                raise GraphError(400, "Request_BadRequest", "At most 20 groups can be checked at once")
            return 200, {"value": [g for g in asked if self._member_of(parts[1], g)]}, {}
        if parts[0] == "users":
            return self._users(method, parts, query, headers)
        if parts[0] != "sites" or len(parts) < 2:
            raise GraphError(404, "itemNotFound", f"Resource not found: {path}")
        self._authorise(method, parts)
        site_ref = parts[1]
        rest = parts[2:]
        if site_ref.endswith(":") or ":" in site_ref:  # hostname:/path: form
            joined = "/".join(parts[1:])
            match = re.match(r"([^:/]+):(/[^:]*):?(.*)$", joined)
            if not match:
                raise GraphError(400, "BadRequest", "Bad site reference")
            site_ref = self.site_urls.get(f"{match.group(1)}:{match.group(2)}")
            rest = [p for p in match.group(3).split("/") if p]
            if site_ref is None:
                raise GraphError(404, "itemNotFound", "Site not found")
        if site_ref not in self.sites:
            raise GraphError(404, "itemNotFound", "Site not found")
        lists = self.sites[site_ref]
        if not rest:
            return 200, {"id": site_ref, "displayName": "Deputy's Den", "webUrl": "https://example"}, {}
        if rest[0] != "lists":
            raise GraphError(404, "itemNotFound", "Not found")
        if len(rest) == 1:
            if method == "GET":
                return 200, {"value": [sp.as_json() for sp in lists.values()]}, {}
            if method == "POST":
                return self._create_list(lists, body)
        sp = self._find_list(lists, rest[1])
        if len(rest) == 2:
            if method == "GET":
                return 200, sp.as_json(), {}
            if method == "DELETE":
                lists.pop(sp.id)
                return 204, None, {}
        if rest[2] == "columns":
            return self._columns(sp, method, rest[3:], body)
        if rest[2] == "items":
            return self._items(sp, method, rest[3:], query, headers, body)
        raise GraphError(404, "itemNotFound", "Not found")

    def _authorise(self, method: str, parts: list[str]) -> None:
        """Sites.Selected: `read` reads; `write` also writes items ("read and modify the contents",
        in practice SharePoint's Contribute); creating or changing lists and columns needs
        `manage` or `fullcontrol`."""
        role = self.behaviours.site_role
        structural = method != "GET" and ("columns" in parts or parts[-1] == "lists" or parts[-2:-1] == ["lists"])
        allowed = {
            "fullcontrol": True,
            "manage": True,
            "owner": True,
            "write": not structural,
            "read": method == "GET",
            "none": False,
        }.get(role, False)
        if not allowed:
            raise GraphError(403, "accessDenied", "Access denied")

    def _find_list(self, lists: dict[str, SpList], ref: str) -> SpList:
        for sp in lists.values():
            if sp.id == ref or sp.name == ref:
                return sp
        raise GraphError(404, "itemNotFound", f"List '{ref}' does not exist")

    def _create_list(self, lists, body):
        name = body["displayName"]
        if any(sp.name == name for sp in lists.values()):
            raise GraphError(409, "nameAlreadyExists", f"A list named '{name}' already exists")
        columns = {"Title": {"name": "Title", "text": {"maxLength": 255}, "indexed": False, "id": str(uuid.uuid4())}}
        for column in body.get("columns") or []:
            columns[column["name"]] = {**column, "id": str(uuid.uuid4())}
        sp = SpList(str(uuid.uuid4()), name, columns)
        lists[sp.id] = sp
        return 201, sp.as_json(), {}

    def _columns(self, sp: SpList, method, rest, body):
        if not rest:
            if method == "GET":
                return 200, {"value": list(sp.columns.values())}, {}
            if method == "POST":
                if body["name"] in sp.columns:
                    raise GraphError(409, "nameAlreadyExists", f"Column '{body['name']}' already exists")
                if body.get("enforceUniqueValues") and not body.get("indexed"):
                    raise GraphError(400, "invalidRequest", "enforceUniqueValues needs indexed: true")
                sp.columns[body["name"]] = {**body, "id": str(uuid.uuid4())}
                return 201, sp.columns[body["name"]], {}
        column = next((c for c in sp.columns.values() if c["id"] == rest[0] or c["name"] == rest[0]), None)
        if column is None:
            raise GraphError(404, "itemNotFound", "Column not found")
        if method == "PATCH":
            column.update({k: v for k, v in body.items() if k != "name"})
            return 200, column, {}
        return 200, column, {}

    # ---- items -----------------------------------------------------------------------------
    def _item_json(self, sp: SpList, item: Item, select: set[str] | None = None) -> dict[str, Any]:
        fields = {k: v for k, v in item.fields.items() if select is None or k in select}
        fields.update({"@odata.etag": item.etag, "id": item.id})
        return {
            "@odata.etag": item.etag,
            "eTag": item.etag,
            "id": item.id,
            "createdDateTime": item.created,
            "lastModifiedDateTime": item.modified,
            "fields": fields,
        }

    def _check_fields(self, sp: SpList, fields: dict[str, Any], *, exclude: str | None = None) -> None:
        for name, value in fields.items():
            if name.startswith("@odata") or name == "id":
                continue
            column = sp.columns.get(name)
            if column is None:
                raise GraphError(400, "invalidRequest", f"Field '{name}' is not recognized")
            limit = (column.get("text") or {}).get("maxLength")
            if (
                limit
                and isinstance(value, str)
                and len(value) > limit
                and not (column["text"].get("allowMultipleLines"))
            ):
                raise GraphError(400, "invalidRequest", f"The value of field '{name}' is too long")
            if column.get("enforceUniqueValues") and value is not None:
                for other in sp.items.values():
                    if other.id != exclude and other.fields.get(name) == value:
                        status = self.behaviours.unique_clash_status
                        raise GraphError(
                            status, CLASH_CODES.get(status, "invalidRequest"), "The list item could not be added or "
                            "updated because duplicate values were found in the following field(s) in the list: "
                            f"[{name}]"
                        )

    def _items(self, sp: SpList, method, rest, query, headers, body):
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if not rest:
            if method == "POST":
                fields = dict((body or {}).get("fields") or {})
                self._check_fields(sp, fields)
                item = Item(str(next(sp.ids)), fields, created=now, modified=now)
                sp.items[item.id] = item
                sp.changed(item.id)
                return 201, self._item_json(sp, item), {}
            if method == "GET":
                return self._query(sp, query, headers)
        if rest[0] in ("delta", "delta()") and method == "GET":
            return self._delta(sp, query)
        item = sp.items.get(rest[0])
        if item is None:
            raise GraphError(404, "itemNotFound", "The specified list item was not found")
        match = headers.get("if-match")
        if method in ("PATCH", "DELETE") and match and match != "*" and match != item.etag:
            raise GraphError(412, "resourceModified", "The resource has changed since it was last read (eTag mismatch)")
        if method == "DELETE":
            del sp.items[item.id]
            sp.changed(item.id)
            return 204, None, {}
        if method == "PATCH" and rest[1:] == ["fields"]:
            fields = {k: v for k, v in (body or {}).items() if not k.startswith("@odata")}
            self._check_fields(sp, fields, exclude=item.id)
            item.fields.update(fields)
            item.version += 1
            item.modified = now
            sp.changed(item.id)
            return 200, {**item.fields, "@odata.etag": item.etag, "id": item.id}, {"ETag": item.etag}
        if method == "GET":
            return 200, self._item_json(sp, item, _selected(query.get("$expand", ""))), {}
        raise GraphError(405, "methodNotAllowed", "Method not allowed")

    def _delta(self, sp: SpList, query):
        """The list's delta query, as Graph answers it: the first call (no token) every item, in pages;
        each later call (the deltaLink's token) the items changed since, once each in their state now,
        a deleted one as `{"id", "deleted": {"state": "deleted"}}`; the last page carries the deltaLink."""
        since = int(query.get("token", "0") or 0)
        changed = list(dict.fromkeys(sp.changes[since:])) if since else sorted(sp.items, key=int)
        top = min(int(query.get("$top", DEFAULT_PAGE)), MAX_PAGE)
        skip = int(query.get("$skiptoken", "0") or 0)
        select = _selected(query.get("$expand", ""))
        page = [
            self._item_json(sp, sp.items[i], select) if i in sp.items else {"id": i, "deleted": {"state": "deleted"}}
            for i in changed[skip : skip + top]
        ]
        base = f"{self.url}/sites/{_site_of(self, sp)}/lists/{sp.id}/items/delta()"
        payload: dict[str, Any] = {"value": page}
        if skip + top < len(changed):
            params = {k: v for k, v in query.items() if k != "$skiptoken"} | {"$skiptoken": str(skip + top)}
            encoded = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
            payload["@odata.nextLink"] = f"{base}?{encoded}"
        else:
            payload["@odata.deltaLink"] = f"{base}?token={len(sp.changes)}"
        return 200, payload, {}

    def _query(self, sp: SpList, query, headers):
        items = sorted(sp.items.values(), key=lambda i: int(i.id))
        text = query.get("$filter")
        if text:
            parsed = _Filter(text)
            honour = HONOR_NON_INDEXED.lower() in headers.get("prefer", "").lower()
            for name in parsed.fields:
                column = sp.columns.get(name)
                if column is None:
                    raise GraphError(400, "invalidRequest", f"Field '{name}' is not recognized")
                if not column.get("indexed") and not honour:
                    raise GraphError(
                        400,
                        "invalidRequest",
                        f"Field '{name}' cannot be referenced in filter or orderby as it is not indexed. Provide "
                        f"the 'Prefer: {HONOR_NON_INDEXED}' header to allow this, but be warned that such queries "
                        "may fail on large lists.",
                    )
            self._within_threshold(sp, parsed)
            items = [i for i in items if parsed.matches(i.fields)]
        order = query.get("$orderby", "").strip()
        if order:
            items = self._ordered(sp, items, order)
        top = min(int(query.get("$top", DEFAULT_PAGE)), MAX_PAGE)
        skip = int(query.get("$skiptoken", "0") or 0)
        page = items[skip : skip + top]
        select = _selected(query.get("$expand", ""))
        payload: dict[str, Any] = {"value": [self._item_json(sp, i, select) for i in page]}
        if skip + top < len(items):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(skip + top)
            encoded = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
            payload["@odata.nextLink"] = f"{self.url}/sites/{_site_of(self, sp)}/lists/{sp.id}/items?{encoded}"
        return 200, payload, {}

    def _refuse_threshold(self, why: str) -> GraphError:
        self.threshold_refusals.append(why)
        status = self.behaviours.threshold_status
        if status == 400:
            return GraphError(400, "notSupported", "The request is unprocessable because it uses too many resources")
        return GraphError(
            status, "-2147024860, Microsoft.SharePoint.SPQueryThrottledException",
            "The attempted operation is prohibited because it exceeds the list view threshold.",
        )

    def _within_threshold(self, sp: SpList, parsed: _Filter) -> None:
        """SharePoint's rule past the list view threshold: the first clause must be an indexed column
        that narrows the list below the threshold (the Prefer header does not lift it)."""
        if len(sp.items) <= self.behaviours.list_view_threshold:
            return
        if parsed.tree[0] == "or":
            raise self._refuse_threshold("an or at the top")
        conjuncts = _conjuncts(parsed.tree)
        first = conjuncts[0]
        if first[0] not in _Filter.OPS or first[1][0] != "field":
            raise self._refuse_threshold("the first clause is not a column's comparison")
        column = first[1][1]
        if not sp.columns.get(column, {}).get("indexed"):
            raise self._refuse_threshold("the first clause is not indexed")
        same = [c for c in conjuncts if c[0] in _Filter.OPS and c[1] == ("field", column)]
        narrowed = sum(1 for i in sp.items.values() if all(parsed._eval(c, i.fields) for c in same))
        if narrowed > self.behaviours.list_view_threshold:
            raise self._refuse_threshold("the indexed clause does not narrow below the threshold")

    def _ordered(self, sp: SpList, items: list[Item], order: str) -> list[Item]:
        name, _, direction = order.partition(" ")
        column = name[len("fields/") :] if name.startswith("fields/") else name
        if column != "id" and column not in sp.columns:
            raise GraphError(400, "invalidRequest", f"Field '{column}' is not recognized")
        indexed = column == "id" or sp.columns[column].get("indexed")
        if not indexed and len(sp.items) > self.behaviours.list_view_threshold:
            raise self._refuse_threshold("ordered by a column that is not indexed")

        def key(item: Item):
            value = int(item.id) if column == "id" else item.fields.get(column)
            return (value is not None, value if value is not None else 0)
        return sorted(items, key=key, reverse=direction.strip().lower() == "desc")

    # ---- users -----------------------------------------------------------------------------
    def _users(self, method, parts, query, headers):
        if len(parts) == 1 and method == "GET" and "$search" in query:
            return self._search_users(query, headers)
        if len(parts) < 2 or parts[1] not in self.users:
            raise GraphError(404, "Request_ResourceNotFound", "Resource does not exist")
        user_id = parts[1]
        if parts[2:] == ["mailboxSettings", "automaticRepliesSetting"]:
            setting = self.automatic_replies.get(user_id, {"status": "disabled", "externalAudience": "none"})
            if setting is None:
                raise GraphError(
                    404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive or hosted on-premise."
                )
            context = f"{self.url}/$metadata#users('{user_id}')/mailboxSettings/automaticRepliesSetting"
            return 200, {"@odata.context": context, **setting}, {}
        expand = query.get("$expand", "")
        if "$levels" in expand:
            if self.behaviours.manager_expand_refused:
                status = self.behaviours.manager_expand_status
                code = "Authorization_RequestDenied" if status == 403 else "Request_UnsupportedQuery"
                raise GraphError(status, code, "Insufficient privileges to complete the operation.")
            if headers.get("consistencylevel", "").lower() != "eventual":
                raise GraphError(400, "Request_UnsupportedQuery", "$levels requires the ConsistencyLevel header")
        if parts[2:] == ["manager"]:
            manager = self.managers.get(user_id)
            if not manager:
                raise GraphError(404, "Request_ResourceNotFound", "Resource 'manager' does not exist")
            return 200, {"@odata.type": "#microsoft.graph.user", **self.users[manager]}, {}
        user = {"@odata.type": "#microsoft.graph.user", **self.users[user_id]}
        if expand.startswith("manager"):
            levels = "max" if "$levels=max" in expand else "1"
            node, current, depth = user, user_id, 0
            while current in self.managers and (levels == "max" or depth < 1):
                current = self.managers[current]
                node["manager"] = {"@odata.type": "#microsoft.graph.user", **self.users[current]}
                node = node["manager"]
                depth += 1
        return 200, user, {}


    def _search_users(self, query, headers):
        """Entra ID's `$search` on users: `"property:text"` clauses joined by OR (or AND), each matching
        a word of the property by its start, case-insensitive; refused without `ConsistencyLevel:
        eventual`, as Graph refuses it."""
        if headers.get("consistencylevel", "").lower() != "eventual":
            raise GraphError(400, "Request_UnsupportedQuery",
                             "Request with $search query parameter only works through MSGraph with a special "
                             "request header: 'ConsistencyLevel: eventual'")
        clauses = re.findall(r'"(\w+):([^"]*)"', query["$search"])
        if not clauses:
            raise GraphError(400, "Request_UnsupportedQuery", "Syntax error: invalid $search")

        def matches(user: dict[str, Any]) -> bool:
            for prop, text in clauses:
                value = str(user.get(prop) or "").lower()
                words = re.split(r"[\s.@_-]+", value)
                if any(w.startswith(text.lower()) for w in words) or value.startswith(text.lower()):
                    return True
            return False

        found = sorted((u for u in self.users.values() if matches(u)), key=lambda u: u.get("displayName", ""))
        top = int(query.get("$top", "100"))
        return 200, {"value": [{"@odata.type": "#microsoft.graph.user", **u} for u in found[:top]]}, {}


def _conjuncts(node) -> list:
    """The clauses of a filter's top-level `and`, left to right."""
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def _selected(expand: str) -> set[str] | None:
    match = re.search(r"fields\(\$select=([^)]*)\)", expand)
    return {name.strip() for name in match.group(1).split(",")} if match else None


def _site_of(graph: FakeGraph, sp: SpList) -> str:
    for site_id, lists in graph.sites.items():
        if sp.id in lists:
            return site_id
    raise GraphError(404, "itemNotFound", "Site not found")
