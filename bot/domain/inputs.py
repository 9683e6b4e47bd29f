"""What people type, taken in one way on every form: text cleaned, numbers and dates parsed.

A card's own checks (`maxLength`, `isRequired`, `Input.Number`, `Input.Date`) are hints that old
clients ignore and a crafted request skips, so every value a form sends is read here on the
server, by the same rule whichever form it came from:

- text: Unicode NFC; control characters (C0, DEL, C1) and the bidirectional embedding,
  override, isolate and mark characters removed (a right-to-left override can make "fdp.exe"
  read as "exe.pdf"); lone surrogates removed (they cannot be stored as UTF-8); line breaks
  made `\\n`; a one-line field's whitespace collapsed to single spaces, a multi-line field's
  trailing spaces and runs of blank lines trimmed; then the field's limit;
- numbers: plain digits only (a sum of money may carry `$`, `CAD` and thousands separators),
  at most 15 of them, within the field's range: "²", "٣" or 5,000 nines are not numbers here;
- dates: `YYYY-MM-DD` (what `Input.Date` sends) within ten years of today, so no date a
  person picks can overflow a calendar computed from it.

A value that fails says why with an error code (a suffix of the form's `error.*` messages), so
the form comes back with a polite sentence under the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from typing import Any

SENSIBLE_YEARS = 10  # a date on a form is within this many years of today, either way
MAX_DIGITS = 15

_LINE_BREAKS = re.compile(r"\r\n|[\r\u0085\u2028\u2029]")
# C0 controls but tab and line feed, DEL, C1 controls; bidi marks, embeddings, overrides and
# isolates (ALM, LRM, RLM, LRE..RLO, LRI..PDI); lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$", re.ASCII)
_GROUPING = re.compile(r"[ ,\u00a0\u202f]")
_CURRENCY = re.compile(r"^\$|\$$|\s*(CAD|\$\s*CA)$", re.IGNORECASE)


def clean_text(value: Any, *, multiline: bool) -> str:
    """The one cleaning rule for anything a person typed (None and non-text become "")."""
    if value is None or isinstance(value, (bool, list, dict)):
        return ""
    text = _LINE_BREAKS.sub("\n", str(value)).replace("\t", " ")
    text = unicodedata.normalize("NFC", _UNSAFE.sub("", text))
    if not multiline:
        return " ".join(text.split())
    text = _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("\n", text))
    return text.strip()


def is_clean(text: str, *, multiline: bool = True) -> bool:
    """What every stored text satisfies: cleaning it again changes nothing."""
    return clean_text(text, multiline=multiline) == text


@dataclass(frozen=True)
class TextCheck:
    """A cleaned text and, if it breaks a rule, the error code (a suffix of `error.*` messages)."""

    value: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_text(value: object, limit: int, *, multiline: bool = True, required: bool = False) -> TextCheck:
    """Clean what a card sent (only strings count: a number or an object is treated as empty)."""
    cleaned = clean_text(value if isinstance(value, str) else None, multiline=multiline)
    if not cleaned:
        return TextCheck("", "required" if required else None)
    if len(cleaned) > limit:
        return TextCheck(cleaned, "too_long")
    return TextCheck(cleaned)


@dataclass(frozen=True)
class Parsed:
    """A number, date or time read from a form: the value, or why not (`required`,
    `invalid_number`, `out_of_range`, `invalid_date`, `date_out_of_range`, `invalid_time`)."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_number(value: Any, *, low: int, high: int, money: bool = False, required: bool = True) -> Parsed:
    """A whole number in [low, high] from a form: ASCII digits, nothing else (a sum of money may
    also carry `$`, `CAD` and thousands separators: "$50,000", "50 000 $")."""
    if isinstance(value, bool):
        return Parsed(error="invalid_number")
    if isinstance(value, int):
        value = str(value)
    text = clean_text(value if isinstance(value, str) else None, multiline=False)
    if money:
        text = _GROUPING.sub("", _CURRENCY.sub("", text).strip())
    if not text:
        return Parsed(error="required" if required else None)
    if len(text) > MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return Parsed(error="invalid_number")
    number = int(text)
    return Parsed(number) if low <= number <= high else Parsed(error="out_of_range")


def parse_day(value: Any, *, today: date, required: bool = True, years: int = SENSIBLE_YEARS) -> Parsed:
    """A calendar day from a form (`YYYY-MM-DD`), within `years` years of `today` either way."""
    text = clean_text(value if isinstance(value, str) else None, multiline=False)
    if not text:
        return Parsed(error="required" if required else None)
    if not _DAY.match(text):
        return Parsed(error="invalid_date")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return Parsed(error="invalid_date")
    if abs((day - today).days) > years * 366:
        return Parsed(error="date_out_of_range")
    return Parsed(day)


def parse_time_of_day(value: Any, *, required: bool = True) -> Parsed:
    """A time of day from a form (`HH:MM`, what `Input.Time` sends)."""
    text = clean_text(value if isinstance(value, str) else None, multiline=False)
    if not text:
        return Parsed(error="required" if required else None)
    if not _TIME.match(text):
        return Parsed(error="invalid_time")
    try:
        return Parsed(time.fromisoformat(text))
    except ValueError:
        return Parsed(error="invalid_time")
