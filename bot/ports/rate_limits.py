"""Teams' rate limits for bots, as sliding windows a sender waits on before each send.

Microsoft's "Rate limiting for bots" page sets, for sending to a conversation, per bot per
thread: 7 in 1 s, 8 in 2 s, 60 in 30 s and 1,800 in an hour; and for the whole app in a
tenant, 50 requests a second. A message that would break any window waits until the oldest
send leaves it. The same windows let the local connector stand-in refuse (429) as Teams does.

Pure and clock-injected: no I/O here, so the arithmetic is tested directly.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# (window seconds, most sends allowed in it)
PER_CONVERSATION: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
PER_TENANT_PER_SECOND = 50


@dataclass
class SlidingWindows:
    """The send times of one key (a conversation, or the whole tenant) against several windows."""

    windows: Sequence[tuple[float, int]]

    def __post_init__(self) -> None:
        self._sent: deque[float] = deque()
        self._longest = max(seconds for seconds, _ in self.windows)

    def _forget(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self._longest:
            self._sent.popleft()

    def wait_needed(self, now: float) -> float:
        """Seconds until one more send fits every window (0 when it fits now)."""
        self._forget(now)
        wait = 0.0
        for seconds, limit in self.windows:
            # The window is full when the send `limit` places back is still inside it.
            if len(self._sent) >= limit and self._sent[-limit] > now - seconds:
                wait = max(wait, self._sent[-limit] + seconds - now)
        return wait

    def record(self, now: float) -> None:
        self._sent.append(now)

    @property
    def idle_since(self) -> float | None:
        return self._sent[-1] if self._sent else None


class TeamsRateLimiter:
    """Waits before each send so that no conversation's window, nor the tenant's, is exceeded.

    One instance per app process. The tenant figure is per app per tenant across all of the
    app's instances, so with several instances each gets its share (settings).
    """

    def __init__(
        self,
        *,
        per_tenant_per_second: float = PER_TENANT_PER_SECOND,
        per_conversation: Sequence[tuple[float, int]] = PER_CONVERSATION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        per_second = max(1, int(per_tenant_per_second))
        # Also at most a fifth of that in any 200 ms: sends spread over the second instead of leaving
        # in one burst, so delays between here and the connector cannot push two bursts into one second.
        self._tenant = SlidingWindows([(1.0, per_second), (0.2, max(1, -(-per_second // 5)))])
        self._per_conversation = tuple(per_conversation)
        self._conversations: dict[str, SlidingWindows] = {}
        self._paused_until: dict[str, float] = {}
        self._clock = clock
        self._lock = asyncio.Lock()

    def pause(self, key: str, seconds: float) -> None:
        """The connector said Retry-After for this conversation: send nothing to it until then."""
        until = self._clock() + max(0.0, seconds)
        self._paused_until[key] = max(until, self._paused_until.get(key, 0.0))

    def wait_needed(self, key: str) -> float:
        now = self._clock()
        conversation = self._conversations.get(key)
        waits = [self._tenant.wait_needed(now), self._paused_until.get(key, 0.0) - now]
        if conversation is not None:
            waits.append(conversation.wait_needed(now))
        return max(0.0, *waits)

    async def acquire(self, key: str) -> None:
        """Return once a send to `key` fits every window, and count it as sent."""
        while True:
            async with self._lock:
                wait = self.wait_needed(key)
                if wait <= 0:
                    now = self._clock()
                    self._tenant.record(now)
                    self._window(key).record(now)
                    self._tidy(now)
                    return
            await asyncio.sleep(wait)

    def _window(self, key: str) -> SlidingWindows:
        window = self._conversations.get(key)
        if window is None:
            window = self._conversations[key] = SlidingWindows(self._per_conversation)
        return window

    def _tidy(self, now: float) -> None:
        """Forget conversations idle for longer than the longest window (keeps memory flat)."""
        if len(self._conversations) < 10_000:
            return
        longest = max(seconds for seconds, _ in self._per_conversation)
        for key in [k for k, w in self._conversations.items() if (w.idle_since or 0) < now - longest]:
            del self._conversations[key]
        for key in [k for k, until in self._paused_until.items() if until < now]:
            del self._paused_until[key]
