from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.calendar import DigestWeek, WorkCalendar, next_weekly_run

TORONTO = ZoneInfo("America/Toronto")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=TORONTO)


def test_business_days_skip_the_weekend():
    calendar = WorkCalendar.of()
    assert calendar.business_days_between(at("2026-11-20"), at("2026-11-20", 17)) == 0  # same Friday
    assert calendar.business_days_between(at("2026-11-20"), at("2026-11-22")) == 0  # Fri -> Sun
    assert calendar.business_days_between(at("2026-11-20"), at("2026-11-23")) == 1  # Fri -> Mon
    assert calendar.business_days_between(at("2026-11-16"), at("2026-11-27")) == 9  # Mon -> next Fri


def test_business_days_skip_holidays_too():
    calendar = WorkCalendar.of(holidays=[date(2026, 12, 25), date(2026, 12, 28)])
    # Thu 24 Dec -> Tue 29 Dec: Fri 25 and Mon 28 are holidays, Sat/Sun the weekend: only Tue 29 counts.
    assert calendar.business_days_between(at("2026-12-24"), at("2026-12-29")) == 1
    assert not calendar.is_business_day(date(2026, 12, 25))


def test_business_days_use_the_local_date_not_utc():
    calendar = WorkCalendar.of()
    late_friday = datetime(2026, 11, 21, 3, 0, tzinfo=ZoneInfo("UTC"))  # still Friday 22:00 in Toronto
    assert calendar.business_days_between(late_friday, at("2026-11-23")) == 1


def test_the_digest_week_is_the_seven_days_before_the_run():
    week = DigestWeek.ending_at(at("2026-11-23", 8), TORONTO)  # a Monday morning run
    assert week.key == "2026-W48"
    assert week.start == at("2026-11-16", 0) and week.end == at("2026-11-23", 0)


def test_next_weekly_run_is_strictly_after_now_in_local_time():
    monday_8 = time(8, 0)
    assert next_weekly_run(at("2026-11-20", 12), 0, monday_8, TORONTO) == at("2026-11-23", 8)
    assert next_weekly_run(at("2026-11-23", 8), 0, monday_8, TORONTO) == at("2026-11-30", 8)
    assert next_weekly_run(at("2026-11-23", 7), 0, monday_8, TORONTO) == at("2026-11-23", 8)


def test_the_week_so_far_runs_from_monday_to_the_end_of_today():
    week = DigestWeek.so_far(at("2026-11-26", 15), TORONTO)  # a Thursday afternoon
    assert week.start == at("2026-11-23", 0) and week.end == at("2026-11-27", 0)
    assert week.key == "2026-W48-so-far", "never the weekly run's key: a preview uses up nothing"
    monday = DigestWeek.so_far(at("2026-11-23", 8), TORONTO)
    assert monday.start == at("2026-11-23", 0) and monday.end == at("2026-11-24", 0)
