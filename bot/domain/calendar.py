"""Business days and digest weeks, in the ministry's own time zone.

Weekends and configured holidays do not count. All functions take the moment they reason
about; none reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo
    holidays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, tz_name: str = "America/Toronto", holidays: Iterable[date] = ()) -> WorkCalendar:
        return cls(ZoneInfo(tz_name), frozenset(holidays))

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def business_days_between(self, start: datetime, end: datetime) -> int:
        """Whole business days that have passed since `start`: the days after start's date,
        up to and including end's date, that are business days. Same day: 0."""
        first, last = self.local_date(start), self.local_date(end)
        days = 0
        day = first + timedelta(days=1)
        while day <= last:
            if self.is_business_day(day):
                days += 1
            day += timedelta(days=1)
        return days


@dataclass(frozen=True)
class DigestWeek:
    """The week a digest reports on: the seven days before the run's local date (Mon..Sun for a Monday run)."""

    key: str  # ISO week of the run, e.g. "2026-W48": the unit of "exactly once"
    start: datetime
    end: datetime

    @classmethod
    def ending_at(cls, now: datetime, tz: ZoneInfo) -> DigestWeek:
        local = now.astimezone(tz)
        end = datetime.combine(local.date(), time.min, tzinfo=tz)
        year, week, _ = local.isocalendar()
        return cls(key=f"{year}-W{week:02d}", start=end - timedelta(days=7), end=end)


    @classmethod
    def so_far(cls, now: datetime, tz: ZoneInfo) -> DigestWeek:
        """The current week up to the end of today: Monday 00:00 local to tomorrow 00:00 local.

        For a preview or a local re-send: its key ("2026-W48-so-far") never collides with the
        weekly run's, so it never uses up (or is blocked by) the once-a-week delivery.
        """
        local = now.astimezone(tz)
        start = datetime.combine(local.date() - timedelta(days=local.weekday()), time.min, tzinfo=tz)
        end = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=tz)
        year, week, _ = local.isocalendar()
        return cls(key=f"{year}-W{week:02d}-so-far", start=start, end=end)


def next_weekly_run(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """The next moment (strictly after `now`) that is `weekday` (0 = Monday) at `at`, local time."""
    local = now.astimezone(tz)
    days_ahead = (weekday - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days_ahead), at, tzinfo=tz)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate
