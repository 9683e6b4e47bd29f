"""The ranges a query past the list view threshold is read in: together they hold every value, once."""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime, timedelta

from bot.adapters.sharepoint_slices import Range, whole

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _holds(part: Range, value) -> bool:
    return (part.lo is None or value >= part.lo) and (part.hi is None or value < part.hi)


def test_id_ranges_hold_every_value_once_at_every_depth():
    values = [str(uuid.uuid4()) for _ in range(300)] + ["", "0", "f", "ffff", "g", "zz", "A-1", "-", "~~"]
    values += ["".join(random.choices(string.printable, k=8)) for _ in range(100)]
    parts = whole("IdeaId", "id").split(NOW)
    for _ in range(2):
        parts = [child for part in parts for child in part.split(NOW)]
    assert len(parts) == 16**3
    for value in values:
        assert sum(_holds(part, value) for part in parts) == 1, value


def test_date_ranges_hold_every_moment_once_and_stop_at_a_second():
    moments = [NOW - timedelta(days=d, seconds=s) for d in range(0, 4000, 37) for s in (0, 1, 3599)]
    moments += [datetime(1999, 1, 1, tzinfo=UTC), NOW + timedelta(days=3000)]
    parts = whole("CreatedAt", "date").split(NOW)
    parts = [child for part in parts for child in part.split(NOW)]
    for moment in moments:
        assert sum(_holds(part, moment) for part in parts) == 1, moment
    tiny = Range("CreatedAt", "date", NOW, NOW + timedelta(seconds=2))
    assert tiny.split(NOW) == []


def test_a_range_leads_the_filter_it_narrows():
    part = whole("CreatedAt", "date", lo=datetime(2026, 1, 1, tzinfo=UTC)).split(NOW)[1]
    text = part.narrowing("fields/SubmitterId eq 'o''brien'")
    assert text.startswith("fields/CreatedAt ge '") and " and fields/CreatedAt lt '" in text
    assert text.endswith(" and (fields/SubmitterId eq 'o''brien')")
