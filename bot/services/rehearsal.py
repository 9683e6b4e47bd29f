"""Rehearsing a whole Den in an afternoon: run what is due "as of" a later time.

A Den spreads over weeks: the window closes, the finalists are announced a day after they are
chosen, judges are reminded the morning after pitch day, funded ideas are followed up monthly.
On a non-production instance (authentication off) an administrator can move the instance's clock
forward to a given time; everything then sees that time (what is due, what still applies, the
dates recorded), the daily pass and the follow-ups run, and the outbox delivers what has become
due. The clock only moves forward, and the shift is kept with the records, so a restart keeps it
and nothing recorded "later" is ever followed by something recorded "earlier".

Production never has this: the endpoint refuses when authentication is on, and the clock there is
the wall clock, unshifted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.ports import StoredSetting
from bot.ports.store import StoredSettings

log = logging.getLogger(__name__)

REHEARSAL_KEY = "rehearsal-clock"


class RehearsalClock:
    """The app's clock: the wall clock (or a test's), plus the shift a rehearsal moved it by."""

    def __init__(self, base: Callable[[], datetime]) -> None:
        self._base = base
        self.ahead_by = timedelta(0)
        # When the clock last moved (in its own time): what fell due in the jump fell due then, so
        # the health check counts lateness from there, not from a time the jump skipped over.
        self.moved_at: datetime | None = None

    def __call__(self) -> datetime:
        return self._base() + self.ahead_by


class ClockGoesForwardOnly(ValueError):
    """A time earlier than the instance's own now: the clock never goes back."""


@dataclass(frozen=True)
class RehearsalRun:
    as_of: datetime
    ahead_by: timedelta
    passes: dict[str, int]

    def as_json(self, tz: tzinfo | None = None) -> dict[str, object]:
        return {
            "asOf": (self.as_of.astimezone(tz) if tz else self.as_of).isoformat(timespec="seconds"),
            "clockAheadBySeconds": round(self.ahead_by.total_seconds()),
            **self.passes,
        }


class Rehearsal:
    def __init__(
        self,
        clock: RehearsalClock,
        settings: StoredSettings,
        passes: Callable[[], Awaitable[dict[str, int]]],
    ) -> None:
        """`passes`: the time-driven work (the daily pass, follow-ups...), run at the new time; it
        answers how much each queued. The outbox is woken by what it queues."""
        self.clock = clock
        self._settings = settings
        self._passes = passes

    async def load(self) -> None:
        """At start-up: the shift an earlier rehearsal left, so time never goes back on a restart."""
        stored = await self._settings.get_setting(REHEARSAL_KEY)
        if stored is None:
            return
        try:
            seconds = float(json.loads(stored.text)["aheadBySeconds"])
        except (ValueError, KeyError, TypeError):
            log.warning("rehearsal clock setting unreadable: ignored")
            return
        self.clock.ahead_by = max(self.clock.ahead_by, timedelta(seconds=seconds))
        log.info("rehearsal clock ahead of the wall clock", extra={"seconds": round(seconds)})

    async def run_as_of(self, moment: datetime) -> RehearsalRun:
        """Move the clock to `moment` (if later than now), keep the shift, then run what is due."""
        now = self.clock()
        if moment < now - timedelta(seconds=1):
            raise ClockGoesForwardOnly(now.isoformat())
        if moment > now:
            self.clock.ahead_by += moment - now
            self.clock.moved_at = self.clock()
            text = json.dumps({"aheadBySeconds": self.clock.ahead_by.total_seconds()})
            await self._settings.put_setting(StoredSetting(REHEARSAL_KEY, text, self.clock(), "rehearsal"))
            log.info("rehearsal clock moved forward", extra={"seconds": round(self.clock.ahead_by.total_seconds())})
        passes = await self._passes()
        return RehearsalRun(self.clock(), self.clock.ahead_by, passes)
