"""Dates, numbers and money written the way the reader's locale writes them (Babel, CLDR data).

The text around a figure comes from the message catalogue in the reader's language, so the
figure follows the same rule: a locale whose language has no catalogue (say `de-DE`) reads
English text and gets English (Canadian) figures, never "2,5" inside an English sentence.
Amounts are the ministry's Canadian dollars: they are written with the Canadian conventions
of the reader's language, so an `en-US` reader sees "$50,000", not "CA$50,000.00".
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as _babel_percent

from bot.i18n import language_of

CURRENCY = "CAD"
_CANADIAN = {"en": "en_CA", "fr": "fr_CA"}
_NARROW_NBSP = "\u202f"
_NBSP = "\u00a0"


def babel_locale(locale: str | None) -> Locale:
    """The Babel locale for a Teams locale ('fr-CA', 'en_us', None), matched to the catalogue's language."""
    language = language_of(locale)
    if locale:
        try:
            parsed = Locale.parse(locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            parsed = None
        if parsed is not None and parsed.language == language:
            return parsed
    return Locale.parse(_CANADIAN.get(language, "en_CA"))


def _spaces(value: str) -> str:
    # CLDR groups French digits with a narrow no-break space; the catalogue (and the Ontario
    # government's French style) uses the ordinary no-break space, so figures match the text.
    return value.replace(_NARROW_NBSP, _NBSP)


def format_number(value: int | float | Decimal, locale: str | None) -> str:
    """12345 -> '12,345' (en) or '12 345' (fr); 2.5 -> '2.5' or '2,5'. At most two decimals."""
    return _spaces(format_decimal(value, format="#,##0.##", locale=babel_locale(locale)))


def format_money(amount: int | float | Decimal, locale: str | None) -> str:
    """Canadian dollars: '$50,000' / '50 000 $'; cents only when the amount has them ('$12.50')."""
    reader = babel_locale(locale)
    canadian = Locale.parse(_CANADIAN.get(reader.language, "en_CA"))
    pattern = canadian.currency_formats["standard"].pattern
    if Decimal(str(amount)) == Decimal(str(amount)).to_integral_value():
        pattern = pattern.replace(".00", "")
    return _spaces(format_currency(amount, CURRENCY, format=pattern, locale=canadian, currency_digits=False))


def format_percent(percent: int | float | Decimal, locale: str | None) -> str:
    """A percentage given in points (20 means 20 %): '20%' in English, '20\u00a0%' in French."""
    return _spaces(_babel_percent(Decimal(str(percent)) / 100, locale=babel_locale(locale)))


def format_date(day: date, locale: str | None) -> str:
    """A calendar date in full: 'November 26, 2026' / '26 novembre 2026', '1er décembre 2026'."""
    reader = babel_locale(locale)
    shown = _spaces(_babel_date(day, format="long", locale=reader))
    if reader.language == "fr" and day.day == 1:
        shown = shown.replace("1", "1er", 1)  # French writes the first of the month as an ordinal
    return shown


def format_time(moment: datetime, locale: str | None, tz: tzinfo) -> str:
    """A time of day in `tz`: '2:30 p.m.' (en-CA), '2:30 PM' (en-US), never cut before the p.m.;
    '14 h 30' and, on the hour, '14 h'."""
    reader = babel_locale(locale)
    shown = _spaces(_babel_time(moment, format="short", tzinfo=tz, locale=reader))
    if reader.language == "fr":  # Canadian French: "9 h", "14 h 30", never "09 h 00"; never cut across lines
        shown = shown.removesuffix(" 00").removeprefix("0").replace(" ", _NBSP)
    return shown
