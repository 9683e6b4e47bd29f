"""The retention schedule file: the shipped one, each kind of mistake named by its line, start-up
refusing a bad file (and a bad uploaded copy), and the calendar arithmetic of a period."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.adapters.retention_file import RetentionFileError, load_retention_file, parse_retention
from bot.domain.retention import Event, Period, RecordClass, RetentionRule, StoredRecord, is_due
from bot.settings import ROOT, Settings

SHIPPED = (ROOT / "data" / "retention.yml").read_text(encoding="utf-8")


def test_the_shipped_schedule_names_every_class_with_its_item_period_and_event():
    schedule = load_retention_file(ROOT / "data" / "retention.yml")
    assert set(schedule.rules) == set(RecordClass)
    votes = schedule.rule(RecordClass.VOTES)
    assert (str(votes.keep), votes.since, votes.then) == ("90 days", Event.VOTING_CLOSED, "counts")
    assert schedule.rule(RecordClass.IDEAS).describe() == "7 years after closed (item DEN-01)"
    assert votes.line == line_of(SHIPPED, "  votes:")


def changed(old: str, new: str) -> str:
    assert old in SHIPPED
    return SHIPPED.replace(old, new)


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


@pytest.mark.parametrize(
    ("old", "new", "words", "where"),
    [
        ("keep: 90 days", "keep: 90 dayz", "'90 dayz' is not a period", "  votes:"),
        ("from: voting_closed", "from: closed", "'votes' cannot count from 'closed'; use voting_closed", "  votes:"),
        (", then: counts}", "}", "'votes' must say what stays after disposal", "  votes:"),
        ("{item: DEN-05, keep: 7 years, from: written}", "{item: DEN-05, keep: 7 years, from: written, then: counts}",
         "nothing stays after disposal", "  lessons:"),
        ("decisions:           {item: DEN-01, keep: 7 years", "decisions:           {item: DEN-01, keep: 2 years",
         "'decisions' are part of each record of 'ideas': keep them as ideas are kept (7 years from closed)",
         "  decisions:"),
        ("  lessons:", "  lesons:", "'lesons' is not a setting of 'classes'", "  lesons:"),
        ("{item: DEN-06, keep: 1 year, from: answered}", "{keep: 1 year, from: answered}", "needs 'item'",
         "  connection_requests:"),
        ("scorecards:          {item: DEN-03, keep: 2 years", "scorecards:          {item: DEN-03, keep: 0 years",
         "a period of 0", "  scorecards:"),
    ],
)
def test_each_mistake_is_named_with_its_line(old, new, words, where):
    text = changed(old, new)
    with pytest.raises(RetentionFileError) as caught:
        parse_retention(text)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"retention.yml, line {line_of(text, where)}: ")


def test_a_class_left_out_is_named():
    text = changed("  digests:             {item: DEN-07, keep: 1 year, from: sent}\n", "")
    with pytest.raises(RetentionFileError, match="missing: digests"):
        parse_retention(text)


def test_a_bad_schedule_stops_start_up_naming_the_file_and_line(tmp_path):
    from bot.bootstrap import load_schedule, stored_schedule

    bad = tmp_path / "retention.yml"
    bad.write_text(changed("keep: 30 days, from: sent}\n  digests", "keep: 30 dais, from: sent}\n  digests"))
    with pytest.raises(SystemExit) as stopped:
        load_schedule(Settings(retention_file=str(bad)))
    line = line_of(SHIPPED, "  notifications:")
    assert f"used: retention.yml, line {line}: 'notifications': '30 dais' is not a period" in str(stopped.value)
    with pytest.raises(SystemExit, match="stored retention schedule.*line 1: .*is empty"):
        stored_schedule("")
    with pytest.raises(SystemExit, match="cannot be read"):
        load_schedule(Settings(retention_file=str(tmp_path / "missing.yml")))


def test_periods_count_calendar_months_and_years():
    leap = datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert Period.parse("1 year").after(leap) == datetime(2025, 2, 28, 12, tzinfo=UTC)
    assert Period.parse("18 months").after(leap) == datetime(2025, 8, 29, 12, tzinfo=UTC)
    assert Period.parse("90 days").after(leap) == datetime(2024, 5, 29, 12, tzinfo=UTC)
    rule = RetentionRule(RecordClass.VOTES, "DEN-04", Period.parse("90 days"), Event.VOTING_CLOSED, "counts")
    closed = StoredRecord(RecordClass.VOTES, "c1:v1", leap)
    assert not is_due(rule, closed, datetime(2024, 5, 29, 11, tzinfo=UTC))
    assert is_due(rule, closed, datetime(2024, 5, 29, 12, tzinfo=UTC))
    assert not is_due(rule, StoredRecord(RecordClass.VOTES, "c1:v1", leap, open=True), datetime(2030, 1, 1, tzinfo=UTC))
