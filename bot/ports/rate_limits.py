"""Teams' rate limits for bots, as sliding windows a sender waits on before each send.

Microsoft's "Rate limiting for bots" page sets, for sending to a conversation, per bot per
thread: 7 in 1 s, 8 in 2 s, 60 in 30 s and 1,800 in an hour; and for the whole app in a
tenant, 50 requests a second. Teams counts a send when it arrives, which the sender cannot see:
it only knows the arrival lies between the moment the request started and the moment the answer
came back. So a send counts from its start, for as long as it is under way, and then for each
window's length after it finished. If every send does that, no window as Teams measures it can
ever hold more than its limit, however the network or a busy machine delays the requests.

The same windows let the local connector stand-in refuse (429) as Teams does, counting arrivals.
Pure and clock-injected, so the arithmetic is tested directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence

from bot.domain.budget import whole_messages

# (window seconds, most sends allowed in it)
PER_CONVERSATION: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
PER_TENANT_PER_SECOND = 50
BUSY_POLL_SECONDS = 0.005  # how often to look again when the sends under way fill a window
PAUSED_POLL_SECONDS = 0.25  # how often to look again while a window allows nothing (a share of 0)


class SlidingWindows:
    """Sends of one key (a conversation, or the whole tenant), checked against several windows."""

    def __init__(self, windows: Sequence[tuple[float, int]]) -> None:
        self._done: deque[float] = deque()  # when each counted send finished (or arrived), in order
        self.set_windows(windows)
        self.under_way = 0

    def set_windows(self, windows: Sequence[tuple[float, int]]) -> None:
        """New limits; the sends already counted count against them at once."""
        self.windows = tuple(windows)
        self._longest = max(seconds for seconds, _ in self.windows)

    def _forget(self, now: float) -> None:
        while self._done and self._done[0] <= now - self._longest:
            self._done.popleft()

    def wait_needed(self, now: float, requests: int = 1) -> float:
        """Seconds until `requests` more sends fit every window (0 when they fit now)."""
        self._forget(now)
        wait = 0.0
        for seconds, limit in self.windows:
            if limit <= 0:
                wait = max(wait, PAUSED_POLL_SECONDS)
                continue
            # Every send under way may land in any window; the new ones take `requests` places.
            room = limit - self.under_way - (requests - 1)
            if room <= 0:
                wait = max(wait, BUSY_POLL_SECONDS)
            elif len(self._done) >= room and self._done[-room] > now - seconds:
                # Full: wait until the send `room` places back leaves the window.
                wait = max(wait, self._done[-room] + seconds - now)
        return wait

    def record(self, now: float) -> None:
        """A send that happened at `now` (the stand-in records arrivals this way)."""
        self._done.append(now)

    def start(self, requests: int = 1) -> None:
        self.under_way += requests

    def finish(self, now: float, requests: int = 1) -> None:
        self.under_way -= requests
        moment = max(now, self._done[-1]) if self._done else now
        self._done.extend([moment] * requests)

    @property
    def idle_since(self) -> float | None:
        if self.under_way:
            return None
        return self._done[-1] if self._done else 0.0


class TeamsRateLimiter:
    """Holds each send until it fits its conversation's windows and the tenant's rate.

    One instance per app process. The tenant figure is per app per tenant across all of the
    app's instances, so with several instances each takes its share (`set_tenant_rate`, kept up to
    date by bot/services/tenant_budget.py from the instances' heartbeats in the store).
    """

    def __init__(
        self,
        *,
        per_tenant_per_second: float = PER_TENANT_PER_SECOND,
        per_conversation: Sequence[tuple[float, int]] = PER_CONVERSATION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tenant = SlidingWindows([(1.0, max(1, int(per_tenant_per_second)))])
        self._per_conversation = tuple(per_conversation)
        self._conversations: dict[str, SlidingWindows] = {}
        self._paused_until: dict[str, float] = {}
        self._clock = clock

    def set_tenant_rate(self, per_second: float) -> None:
        """This instance's share of the tenant's budget, in whole messages a second (0: none for now)."""
        self._tenant.set_windows([(1.0, whole_messages(per_second))])

    @property
    def tenant_rate(self) -> int:
        return self._tenant.windows[0][1]

    def pause(self, key: str, seconds: float) -> None:
        """The connector said Retry-After for this conversation: send nothing to it until then."""
        until = self._clock() + max(0.0, seconds)
        self._paused_until[key] = max(until, self._paused_until.get(key, 0.0))

    def wait_needed(self, key: str, requests: int = 1) -> float:
        now = self._clock()
        waits = [self._tenant.wait_needed(now, requests), self._paused_until.get(key, 0.0) - now]
        conversation = self._conversations.get(key)
        if conversation is not None:
            waits.append(conversation.wait_needed(now, requests))
        return max(0.0, *waits)

    async def acquire(self, key: str, requests: int = 1) -> None:
        """Wait until `requests` sends to `key` fit, then count them as under way (call `release` after)."""
        while (wait := self.wait_needed(key, requests)) > 0:  # noqa: ASYNC110 - the wait is computed
            await asyncio.sleep(wait)
        self._tenant.start(requests)
        self._window(key).start(requests)

    def release(self, key: str, requests: int = 1) -> None:
        """The sends to `key` are over (answered, refused or failed): they now count from this moment."""
        now = self._clock()
        self._tenant.finish(now, requests)
        self._window(key).finish(now, requests)
        self._tidy(now)

    @contextlib.asynccontextmanager
    async def slot(self, key: str, requests: int = 1) -> AsyncIterator[None]:
        """Hold `requests` places in `key`'s windows and the tenant's for as long as the block runs."""
        await self.acquire(key, requests)
        try:
            yield
        finally:
            self.release(key, requests)

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
        for key, window in list(self._conversations.items()):
            idle = window.idle_since
            if idle is not None and idle < now - longest:
                del self._conversations[key]
        for key in [k for k, until in self._paused_until.items() if until < now]:
            del self._paused_until[key]
