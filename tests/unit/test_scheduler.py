import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.schedule import Timer, daily, weekly
from tests.support.running_app import FakeClock

TZ = ZoneInfo("America/Toronto")


def test_weekly_and_daily_next_moments():
    friday_noon = datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
    assert weekly("monday", "08:00", TZ)(friday_noon) == datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
    assert daily("09:30", TZ)(friday_noon) == datetime(2026, 11, 21, 9, 30, tzinfo=TZ)
    assert daily("13:00", TZ)(friday_noon) == datetime(2026, 11, 20, 13, 0, tzinfo=TZ)


async def test_a_timer_runs_its_job_when_due_and_then_waits_for_the_next_moment():
    clock = FakeClock(datetime(2026, 11, 23, 8, 0, tzinfo=TZ))
    runs: list[datetime] = []
    moments = iter([clock.now, clock.now + timedelta(days=7)])

    async def job() -> None:
        runs.append(clock.now)

    timer = Timer("test", job, lambda now: next(moments), clock)
    timer.start()
    await asyncio.sleep(0.05)
    await timer.stop()
    assert runs == [datetime(2026, 11, 23, 8, 0, tzinfo=TZ)], "ran once, then waits a week"


async def test_a_failing_job_does_not_stop_the_timer():
    clock = FakeClock(datetime(2026, 11, 23, 8, 0, tzinfo=TZ))
    calls = 0

    async def job() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("store down")

    moments = iter([clock.now, clock.now, clock.now + timedelta(days=7)])
    timer = Timer("test", job, lambda now: next(moments), clock)
    timer.start()
    await asyncio.sleep(0.05)
    await timer.stop()
    assert calls == 2
