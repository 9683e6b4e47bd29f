"""Slices of a SharePoint list along one indexed column, for queries past the list view threshold.

Past 5,000 items SharePoint refuses a query whose first clause (an indexed column) matches more
items than the threshold, however few the whole filter would return, and the
`HonorNonIndexedQueriesWarningMayFailRandomly` header does not lift it. A query on a hot key
(a challenge with more than 5,000 ideas, a person with more than 5,000 pitches) is then run as
several queries, each led by a range of another indexed column that narrows below the threshold:

    fields/CreatedAt ge '2026-01-01T00:00:00Z' and fields/CreatedAt lt '2026-04-01T00:00:00Z' and (<the filter>)

A range still refused is split again. Ranges are a date column's time span, cut in four, or an
id column's values (uuids, Entra object ids: hexadecimal), cut by their next hexadecimal digit.
Together the ranges of one level cover every value (the first and last are open-ended), so no
item is lost whatever its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.adapters.graph_client import odata_string

HEX = "0123456789abcdef"
DATE_PARTS = 4
EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)  # before any record the app wrote
SMALLEST_SPAN = timedelta(seconds=1)
LONGEST_ID_PREFIX = 40


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Range:
    """Values v with lo <= v < hi on one column; None: open on that side."""

    column: str
    kind: str  # "date" | "id"
    lo: datetime | str | None = None
    hi: datetime | str | None = None
    prefix: str = ""  # for ids: every value in the range starts with it (the first range may hold less)

    def clause(self) -> str:
        parts = []
        if self.lo is not None:
            parts.append(f"fields/{self.column} ge {odata_string(self._text(self.lo))}")
        if self.hi is not None:
            parts.append(f"fields/{self.column} lt {odata_string(self._text(self.hi))}")
        return " and ".join(parts)

    def narrowing(self, filter_: str | None) -> str:
        """The filter led by this range (the clause SharePoint checks against the threshold)."""
        clause = self.clause()
        if not clause:
            return filter_ or ""
        return f"{clause} and ({filter_})" if filter_ else clause

    @staticmethod
    def _text(value: datetime | str) -> str:
        return _iso(value) if isinstance(value, datetime) else value

    def split(self, now: datetime) -> list[Range]:
        """Smaller ranges covering this one, in ascending order; none when it cannot be cut."""
        return self._split_dates(now) if self.kind == "date" else self._split_ids()

    def _split_dates(self, now: datetime) -> list[Range]:
        lo = self.lo if isinstance(self.lo, datetime) else EARLIEST
        hi = self.hi if isinstance(self.hi, datetime) else now + timedelta(days=366)
        if hi - lo < SMALLEST_SPAN * DATE_PARTS:
            return []
        step = (hi - lo) / DATE_PARTS
        cuts = [(lo + step * n).replace(microsecond=0) for n in range(1, DATE_PARTS)]
        bounds = [self.lo, *cuts, self.hi]
        return [Range(self.column, "date", bounds[n], bounds[n + 1]) for n in range(DATE_PARTS)]

    def _split_ids(self) -> list[Range]:
        if len(self.prefix) >= LONGEST_ID_PREFIX:
            return []
        cuts = [self.prefix + digit for digit in HEX[1:]]
        bounds = [self.lo, *cuts, self.hi]
        return [
            Range(self.column, "id", bounds[n], bounds[n + 1], self.prefix + HEX[n]) for n in range(len(HEX))
        ]


def whole(column: str, kind: str, *, lo: datetime | None = None) -> Range:
    """The range of every value (or every date from `lo`), to be split."""
    return Range(column, kind, lo, None)
