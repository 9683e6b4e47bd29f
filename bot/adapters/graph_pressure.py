"""How hard SharePoint says we are pushing it: `Retry-After` and the `RateLimit-*` headers.

SharePoint Online sends `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (IETF
draft-03, in preview, best effort) once an app has used 80% of its one-minute resource-unit
quota, on plain requests and on the requests inside a `$batch`. The gauge remembers the last
reading, and background work (the outbox's idle poll, retention, queued side writes) waits
until the window resets, so the clicks people make keep the remaining quota. Clicks are never
slowed by it: being throttled is handled by `Retry-After` wherever it comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

# Below this share of the quota left, background work waits for the window to reset.
BACKGROUND_RESERVE = 0.5


def retry_after_seconds(headers: Mapping[str, str] | None, default: float | None = None) -> float | None:
    """The `Retry-After` of a response (or of one response inside a $batch): seconds or an HTTP date."""
    if not headers:
        return default
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


@dataclass
class RateLimitGauge:
    """The latest RateLimit reading, shared by everything that talks to one tenant's SharePoint."""

    clock: Callable[[], float] = time.monotonic
    limit: int | None = None
    remaining: int | None = None
    reset_at: float = 0.0
    readings: int = field(default=0)
    last_failure_at: float = 0.0  # when Graph last answered 429 or 5xx (or did not answer)

    def failed(self) -> None:
        self.last_failure_at = self.clock()

    def observe(self, headers: Mapping[str, str] | None) -> None:
        if not headers:
            return
        lower = {k.lower(): v for k, v in headers.items()}
        if "ratelimit-remaining" not in lower and "retry-after" not in lower:
            return
        try:
            if "ratelimit-remaining" in lower:
                self.limit = int(float(lower.get("ratelimit-limit", "0"))) or None
                self.remaining = int(float(lower["ratelimit-remaining"]))
                self.reset_at = self.clock() + float(lower.get("ratelimit-reset", "1"))
                self.readings += 1
            elif "retry-after" in lower:  # throttled by a policy without RateLimit headers
                wait = retry_after_seconds(lower)
                self.remaining = 0
                self.reset_at = self.clock() + (1.0 if wait is None else wait)
                self.readings += 1
        except ValueError:
            return

    def background_wait(self) -> float:
        """Seconds background work should wait before its next request (0: go ahead)."""
        now = self.clock()
        if self.remaining is None or now >= self.reset_at:
            return 0.0
        if self.remaining == 0 or (self.limit and self.remaining < BACKGROUND_RESERVE * self.limit):
            return self.reset_at - now
        return 0.0

    def httpx_hook(self):
        """An httpx response hook that feeds the gauge from every plain Graph response."""

        async def hook(response) -> None:
            if response.status_code == 429 or response.status_code >= 500:
                self.failed()
            self.observe(response.headers)

        return hook
