"""A span for each Microsoft Graph request, and one for each request inside a `$batch`.

`TracedTransport` sits under the SDK's middleware (so each retry is its own span) and names a
request by its route with the ids taken out (`GET /sites/{id}/lists/{id}/items`): never the query,
whose filter values are people's ids and keys. A 429 or 503 counts in `den.throttled`, and its
`Retry-After` in `den.retry_after`, with `den.service=graph`. `batch_request_spans` records each
request of a `$batch` as a child span with its own status (Graph throttles them one by one).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from bot.telemetry.core import Telemetry

_ID_SEGMENT = re.compile(
    r"^(?:[0-9a-fA-F-]{8,}|\d+|[^/]*[,:'@ ][^/]*|.*%[0-9A-Fa-f]{2}.*)$"
)  # GUIDs, numbers, site ids (host,guid,guid), paths (host:/x:), keys, anything encoded
_KNOWN = {
    "sites", "lists", "items", "fields", "columns", "users", "groups", "manager", "$batch", "mailboxSettings",
    "checkMemberGroups", "permissions", "drive", "root", "children", "content", "me",
}  # fmt: skip
THROTTLED = {429, 503}


def route_of(path: str) -> str:
    """A Graph URL's path as a route: every segment that is not one of Graph's own words becomes {id}."""
    segments = [s for s in path.split("?")[0].split("/") if s]
    if segments and segments[0] in ("v1.0", "beta"):
        segments = segments[1:]  # the API version: inner requests of a $batch are written without it
    return "/" + "/".join(s if s in _KNOWN and not _ID_SEGMENT.match(s) else "{id}" for s in segments)


def _retry_after(headers: Any) -> float | None:
    value = None
    for key, item in (headers or {}).items():
        if str(key).lower() == "retry-after":
            value = item
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def count_answer(telemetry: Telemetry, service: str, status: int, headers: Any) -> None:
    """A Teams or Graph answer: throttling and its Retry-After counted (shared with the connector's spans)."""
    if status in THROTTLED:
        telemetry.throttled.add(1, {"den.service": service, "http.response.status_code": status})
        wait = _retry_after(headers)
        if wait is not None:
            telemetry.retry_after.record(wait, {"den.service": service})


class TracedTransport(httpx.AsyncBaseTransport):
    """The HTTP transport under the Graph SDK's middleware, each request inside a client span."""

    def __init__(self, inner: httpx.AsyncBaseTransport, telemetry: Telemetry) -> None:
        self._inner = inner
        self._telemetry = telemetry

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not trace.get_current_span().get_span_context().is_valid:
            # Background polls outside any turn or delivery: counted, not traced.
            response = await self._inner.handle_async_request(request)
            self._count(response)
            return response
        route = route_of(request.url.path)
        attributes = {
            "http.request.method": request.method,
            "url.template": route,
            "server.address": request.url.host,
            "den.service": "graph",
        }
        with self._telemetry.tracer.start_as_current_span(
            f"graph {request.method} {route}", kind=SpanKind.CLIENT, attributes=attributes,
            record_exception=False, set_status_on_exception=False,
        ) as span:  # fmt: skip
            try:
                response = await self._inner.handle_async_request(request)
            except Exception as error:
                span.set_attribute("error.type", type(error).__name__)
                span.set_status(Status(StatusCode.ERROR))
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 400:
                span.set_attribute("error.type", str(response.status_code))
                if response.status_code >= 500 or response.status_code == 429:
                    span.set_status(Status(StatusCode.ERROR))
            self._count(response)
            return response

    def _count(self, response: httpx.Response) -> None:
        labels = {"den.graph.batched": False, "http.response.status_code": response.status_code}
        self._telemetry.graph_requests.add(1, labels)
        count_answer(self._telemetry, "graph", response.status_code, response.headers)

    async def aclose(self) -> None:
        await self._inner.aclose()


def batch_request_spans(
    telemetry: Telemetry | None, started_ns: int, sent: Iterable[tuple[str, str, str]], answer: dict[str, dict]
) -> None:
    """One child span per request of a `$batch` round trip: (id, method, url) sent, and what came back."""
    if telemetry is None or not telemetry.enabled:
        return
    ended_ns = time.time_ns()
    traced = trace.get_current_span().get_span_context().is_valid
    for request_id, method, url in sent:
        response = answer.get(request_id, {})
        status = int(response.get("status") or 0)
        telemetry.graph_requests.add(1, {"den.graph.batched": True, "http.response.status_code": status})
        count_answer(telemetry, "graph", status, response.get("headers"))
        if not traced:
            continue
        route = route_of(url)
        span = telemetry.tracer.start_span(
            f"graph {method} {route}", kind=SpanKind.CLIENT, start_time=started_ns, attributes={
                "http.request.method": method, "url.template": route, "den.service": "graph",
                "den.graph.batched": True, "den.graph.batch_request_id": request_id,
                "http.response.status_code": status,
            },
        )  # fmt: skip
        if status >= 400 or status == 0:
            span.set_attribute("error.type", str(status))
            if status >= 500 or status in (0, 429):
                span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=ended_ns)
