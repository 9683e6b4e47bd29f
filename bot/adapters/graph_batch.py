"""JSON `$batch` to Microsoft Graph as its documentation describes it, within a time budget.

- At most 20 requests; the envelope answers 200 even when requests inside fail, so each inner
  status is read, correlated by id (responses may come back in any order).
- Requests inside a batch are throttled one by one, each with its own `Retry-After` in its own
  headers, and the SDK does not retry them: this runner does, after the longest inner
  `Retry-After`, as long as that fits the caller's deadline. What does not fit is handed back
  as `leftover`, for the caller to finish in the background or report.
- A batch is either fully sequential (each request `dependsOn` the one before: a failure stops
  the rest with 424, so nothing is written after a refused first write) or fully parallel (no
  `dependsOn`), as Microsoft advises; never the mixed shape.

Built by hand rather than with msgraph-core's batch helpers, which (1.5.x) write `depends_on`
instead of `dependsOn` and absolute URLs; it is sent through the SDK's own pipeline (auth,
retries of the envelope, User-Agent).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient

from bot.adapters.graph_pressure import RateLimitGauge, retry_after_seconds
from bot.ports import StoreUnavailable
from bot.ports.retry import Backoff, retrying
from bot.telemetry.graph import batch_request_spans

BATCH_LIMIT = 20
THROTTLED = {429, 503, 504}  # worth sending again (after Retry-After): the request was not carried out
DEFAULT_WAIT = 0.5  # an inner 429/503 without Retry-After: a short wait, then exponential
INNER_BACKOFF = Backoff(first=DEFAULT_WAIT, longest=8.0)  # inner throttling without a Retry-After
ENVELOPE_BACKOFF = Backoff(first=0.2, longest=2.0)  # the whole $batch refused (throttled or down): try again


@dataclass
class Request:
    id: str
    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def as_json(self, depends_on: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "method": self.method, "url": self.url}
        headers = dict(self.headers)
        if self.body is not None:
            headers.setdefault("Content-Type", "application/json")
            out["body"] = self.body
        if headers:
            out["headers"] = headers
        if depends_on:
            out["dependsOn"] = [depends_on]
        return out


@dataclass
class Outcome:
    """What came back for each request id: status and body; and what is still to do."""

    status: dict[str, int] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    leftover: list[Request] = field(default_factory=list)  # throttled past the deadline (or never tried)
    retry_after: float = 0.0  # the longest inner Retry-After seen for the leftover
    round_trips: int = 0

    def ok(self, request_id: str) -> bool:
        return 200 <= self.status.get(request_id, 0) < 300


class BatchRunner:
    def __init__(
        self,
        client: GraphServiceClient,
        gauge: RateLimitGauge | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._telemetry = getattr(client, "den_telemetry", None)  # set by make_graph_client when it is on
        self._gauge = gauge or RateLimitGauge()
        self._clock = clock
        self._sleep = sleep

    async def run(self, requests: list[Request], *, sequential: bool, deadline: float) -> Outcome:
        """Send `requests` (up to 20), retrying inner throttling while the deadline allows."""
        if len(requests) > BATCH_LIMIT:
            raise ValueError(f"a $batch holds at most {BATCH_LIMIT} requests")
        if self._telemetry is not None and self._telemetry.enabled:
            attributes = {"den.graph.batch_size": len(requests), "den.graph.sequential": sequential}
            with self._telemetry.tracer.start_as_current_span("graph $batch", attributes=attributes) as span:
                outcome = await self._run(requests, sequential=sequential, deadline=deadline)
                span.set_attribute("den.graph.round_trips", outcome.round_trips)
                span.set_attribute("den.graph.leftover", len(outcome.leftover))
                return outcome
        return await self._run(requests, sequential=sequential, deadline=deadline)

    async def _run(self, requests: list[Request], *, sequential: bool, deadline: float) -> Outcome:
        outcome = Outcome()
        pending = list(requests)
        wait = DEFAULT_WAIT
        while pending:
            answer = await self._send(pending, sequential)
            outcome.round_trips += 1
            again: list[Request] = []
            longest = 0.0
            for request in pending:
                response = answer.get(request.id, {})
                status = int(response.get("status") or 0)
                self._gauge.observe(response.get("headers"))
                if status in THROTTLED or status >= 500:
                    self._gauge.failed()
                if status in THROTTLED or status == 424 or status == 0:
                    again.append(request)
                    if status in THROTTLED:
                        longest = max(longest, retry_after_seconds(response.get("headers"), wait) or 0.0)
                    continue
                outcome.status[request.id] = status
                outcome.body[request.id] = response.get("body") or {}
            if not again:
                break
            if not any(answer.get(r.id, {}).get("status") in THROTTLED for r in again):
                # Only 424s left: what they depended on failed for good; they were never carried out.
                for request in again:
                    outcome.status[request.id] = 424
                break
            if self._clock() + longest > deadline:
                outcome.leftover = again
                outcome.retry_after = longest
                for request in again:
                    outcome.status.setdefault(request.id, int(answer.get(request.id, {}).get("status") or 0))
                break
            await self._sleep(longest)
            wait = INNER_BACKOFF.delay(outcome.round_trips + 1)
            pending = again
        return outcome

    async def _send(self, requests: list[Request], sequential: bool) -> dict[str, dict[str, Any]]:
        body = {
            "requests": [
                r.as_json(requests[n - 1].id if sequential and n else None) for n, r in enumerate(requests)
            ]
        }
        info = RequestInformation()
        info.http_method = Method.POST
        info.url = f"{self._client.request_adapter.base_url}/$batch"
        info.headers.try_add("Content-Type", "application/json")
        info.headers.try_add("Accept", "application/json")
        info.content = json.dumps(body).encode()
        raw = b""
        started_ns = time.time_ns()
        async for attempt in retrying(
            ENVELOPE_BACKOFF, attempts=3, retry_if=lambda failure: isinstance(failure, StoreUnavailable)
        ):
            with attempt:
                try:
                    raw = await self._client.request_adapter.send_primitive_async(info, "bytes", {})
                except APIError as error:
                    status = getattr(error, "response_status_code", None)
                    if status is None or status == 429 or status >= 500:
                        self._gauge.failed()
                        raise StoreUnavailable(f"Graph answered {status} to a $batch") from error
                    raise
        answer = json.loads(raw or b"{}")
        answered = {str(r.get("id")): r for r in answer.get("responses") or []}
        batch_request_spans(self._telemetry, started_ns, [(r.id, r.method, r.url) for r in requests], answered)
        return answered
