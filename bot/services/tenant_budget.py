"""This instance's share of the tenant's Teams budget, kept by a heartbeat in the store.

Every `every_seconds` (a minute by default: one Graph request a minute on SharePoint) the instance
records its beat with the share it declares, reads the others', and sets its rate limiter to that
share (bot/domain/budget.py has the rule that keeps the instances together under the budget). A
lower share applies at once; a higher one after `RAISE_DELAY_SECONDS`, once the sends another
instance made before lowering have left Teams' one-second window. The first beat runs before the
instance sends anything; on stop it leaves the roster, freeing its share for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.budget import (
    MISSED_BEATS,
    RAISE_DELAY_SECONDS,
    InstanceBeat,
    after_answer,
    alive_others,
    fair_share,
    next_share,
)
from bot.ports.instances import Instances
from bot.ports.rate_limits import TeamsRateLimiter
from bot.services.workers import BackgroundTask

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # a beat the store refused is tried again this soon
CATCHING_UP = 6  # below its fair share (a new instance), it beats this many times more often, for a while


class TenantBudget(BackgroundTask):
    name = "tenant-budget"

    def __init__(
        self,
        store: Instances,
        limiter: TeamsRateLimiter,
        *,
        instance_id: str,
        budget: float,
        clock: Callable[[], datetime],
        every_seconds: float = 60.0,
        raise_delay_seconds: float = RAISE_DELAY_SECONDS,
        on_change: Callable[[float, int], None] = lambda share, instances: None,
        gone: Callable[[str], bool] = lambda instance_id: False,
    ) -> None:
        self._gone = gone  # an instance known to be dead without waiting for its heartbeat to go stale
        self._store = store
        self._limiter = limiter
        self.instance_id = instance_id
        self.budget = budget
        self._clock = clock
        self._every = every_seconds
        self._raise_delay = raise_delay_seconds
        self._ttl = timedelta(seconds=every_seconds * MISSED_BEATS)
        self._on_change = on_change
        self.share = 0.0  # what this instance may use now (the limiter's rate)
        self._pending = 0.0  # a raise declared and waiting its delay
        self.instances = 1
        self._raise: asyncio.Task | None = None
        self._last_beat: datetime | None = None
        self._target = budget  # the fair share at the last beat
        limiter.set_tenant_rate(0.0)  # nothing is sent before the first beat says how much

    async def beat(self) -> None:
        """One heartbeat: declare, read the others, apply the share."""
        now = self._clock()
        others: list[InstanceBeat] = []

        def decide(beats: list[InstanceBeat]) -> float:
            others[:] = self._alive(beats, now)
            return next_share(self.budget, self._declared(), others)

        declared, beats = await self._store.heartbeat(self.instance_id, now, decide)
        self._last_beat = now
        others = self._alive(beats, now)
        declared = after_answer(self.budget, declared, others)
        self.instances = 1 + len(others)
        self._target = fair_share(self.budget, others)
        if declared <= self.share or not others:
            self._apply(declared)  # lower at once; alone, nobody's earlier sends are in the window
        else:
            self._apply_later(declared)

    def _alive(self, beats: list[InstanceBeat], now: datetime) -> list[InstanceBeat]:
        return [b for b in alive_others(beats, self.instance_id, now, self._ttl) if not self._gone(b.instance_id)]

    def _declared(self) -> float:
        """The share this instance holds or is about to hold (a raise waiting counts)."""
        return max(self.share, self._pending)

    def _silent_too_long(self) -> bool:
        """Beats failing: before the others take this instance for dead (and share out its part), it stops."""
        if self._last_beat is None:
            return True
        return self._clock() - self._last_beat > timedelta(seconds=self._every * (MISSED_BEATS - 0.5))

    def _apply(self, share: float) -> None:
        if self._raise is not None and self._raise is not asyncio.current_task():
            self._raise.cancel()
        self._raise = None
        self._pending = share
        if share != self.share:
            log.info("teams budget share", extra={"share": round(share, 2), "instances": self.instances})
        self.share = share
        self._limiter.set_tenant_rate(share)
        self._on_change(share, self.instances)

    def _apply_later(self, share: float) -> None:
        """Raise to `share` after the delay. A raise already waiting keeps its time (to the lower of the
        two shares: a higher one waits for the next beat), so beats more frequent than the delay still raise."""
        if self._raise is not None:
            self._pending = min(self._pending, share)
            return
        self._pending = share

        async def later() -> None:
            await asyncio.sleep(self._raise_delay)
            self._raise = None
            self._apply(self._pending)

        self._raise = asyncio.create_task(later(), name="tenant-budget-raise")

    async def start_first(self) -> None:
        """The first beat, before this instance sends anything; then the beats go on in the background."""
        self._first_ok = await self._try_beat()
        self.start()

    async def _try_beat(self) -> bool:
        try:
            await self.beat()
            return True
        except Exception:
            log.warning("heartbeat failed", exc_info=True)
            if self.share and self._silent_too_long():
                log.error("heartbeats failing: sending nothing until one succeeds")
                self._apply(0.0)
            return False

    def _next_beat_in(self, ok: bool) -> float:
        """A minute (the setting); sooner after a failure, and while this instance is below its fair
        share (just started: the others lower theirs at their next beat, and it takes what they free
        without waiting a whole beat more)."""
        if not ok:
            return min(RETRY_SECONDS, self._every)
        if self._declared() < self._target - 1e-9:
            return self._every / CATCHING_UP
        return self._every

    async def _run(self) -> None:
        ok = getattr(self, "_first_ok", True)
        while True:
            await asyncio.sleep(self._next_beat_in(ok))
            ok = await self._try_beat()

    async def stop(self) -> None:
        """Stop beating and leave the roster (the share is free for the others' next beat)."""
        await super().stop()
        if self._raise is not None:
            self._raise.cancel()
            self._raise = None
        with contextlib.suppress(Exception):
            await self._store.leave(self.instance_id)
