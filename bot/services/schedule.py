"""In-app timers: the weekly digest and the daily nudges.

Each instance may run them: the digest's per-DM claims and the reminders' deterministic ids
keep the work exactly-once. With several instances you may turn the timer off
(DEN_DIGEST_SCHEDULE=off) and let one external timer call POST /api/digest/run instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.calendar import next_weekly_run
from bot.services.workers import BackgroundTask

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_SLEEP_SECONDS = 300.0  # re-read the clock at least this often (clock changes, suspended hosts)


def parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class Timer(BackgroundTask):
    """Runs `job` at each moment `next_at(now)` returns, forever, until stopped."""

    def __init__(
        self,
        name: str,
        job: Callable[[], Awaitable[object]],
        next_at: Callable[[datetime], datetime],
        clock: Callable[[], datetime],
    ) -> None:
        self._name = name
        self._job = job
        self._next_at = next_at
        self._clock = clock

    @property
    def name(self) -> str:
        return self._name

    async def _run(self) -> None:
        due = self._next_at(self._clock())
        while True:
            wait = (due - self._clock()).total_seconds()
            if wait > 0:
                await asyncio.sleep(min(wait, MAX_SLEEP_SECONDS))
                continue
            try:
                await self._job()
            except Exception:
                log.exception("scheduled job failed", extra={"job": self._name})
            due = self._next_at(self._clock())


def weekly(weekday: str, at: str, tz: ZoneInfo) -> Callable[[datetime], datetime]:
    day, moment = WEEKDAYS.index(weekday), parse_time(at)
    return lambda now: next_weekly_run(now, day, moment, tz)


def daily(at: str, tz: ZoneInfo) -> Callable[[datetime], datetime]:
    moment = parse_time(at)

    def next_at(now: datetime) -> datetime:
        local = now.astimezone(tz)
        candidate = datetime.combine(local.date(), moment, tzinfo=tz)
        return candidate if candidate > local else candidate + timedelta(days=1)

    return next_at
