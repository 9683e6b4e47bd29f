"""Dates and times a reader sees are written on the server, in the reader's language (pilot rehearsal,
item 4). Teams' {{DATE()}} follows the client's locale, not the language the reader chose, so a French
reader saw "le Wed, Dec 16, 2026" and "Thu, Dec 17, 2026 2:00 PM"; and a card without `lang` is read
out with the wrong voice. Every kind of card, in French, is checked here."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.formatting import format_date, format_time
from bot.i18n import Messages
from cards.common import when
from tests.support.teams_client import texts
from tests.unit.test_cards_validate import all_cards
from tests.unit.test_challenge_cards import all_cards as challenge_cards

TORONTO = ZoneInfo("America/Toronto")
ENGLISH_DAYS = r"Mon|Tue|Wed|Thu|Fri|Sat|Sun|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
ENGLISH_MONTHS = (
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|January|February|March|April|June|July|August"
    r"|September|October|November|December"
)
ENGLISH_DATE = re.compile(
    rf"\b(?:{ENGLISH_DAYS}|{ENGLISH_MONTHS})\b,?\s*\d|\b\d{{1,2}}:\d{{2}}\s*(?:AM|PM|a\.m\.|p\.m\.)"
)
CLIENT_TEMPLATE = re.compile(r"\{\{(?:DATE|TIME)\(")
FRENCH_MONTHS = r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
FRENCH_DATE = re.compile(rf"\b[123]?\d(?:er)?\s(?:{FRENCH_MONTHS})\s\d{{4}}")


def every_card(locale: str) -> dict[str, dict]:
    return {**all_cards(locale), **{f"den/{name}": card for name, card in challenge_cards(locale).items()}}


@pytest.mark.parametrize("locale", ["fr-CA", "fr-FR"])
def test_no_french_card_shows_an_english_date_or_time_and_each_says_it_is_french(locale):
    cards = every_card(locale)
    unmarked = [name for name, card in cards.items() if card.get("lang") != "fr"]
    assert unmarked == []
    english = {name: ENGLISH_DATE.findall(texts(card)) for name, card in cards.items()}
    assert {name: found for name, found in english.items() if found} == {}
    templated = [name for name, card in cards.items() if CLIENT_TEMPLATE.search(texts(card))]
    assert templated == [], "the client's {{DATE()}} follows its own locale, not the reader's language"
    dated = [name for name, card in cards.items() if FRENCH_DATE.search(texts(card))]
    assert len(dated) >= 15, "the check saw French dates on the cards that carry them"


def test_english_cards_say_so_and_write_their_dates_too():
    cards = every_card("en-CA")
    assert [name for name, card in cards.items() if card.get("lang") != "en"] == []
    assert [name for name, card in cards.items() if CLIENT_TEMPLATE.search(texts(card))] == []


def test_dates_and_times_as_each_language_writes_them():
    assert format_date(date(2026, 12, 16), "fr-CA") == "16 décembre 2026"
    assert format_date(date(2026, 12, 1), "fr-CA") == "1er décembre 2026"
    assert format_date(date(2026, 12, 16), "en-CA") == "December 16, 2026"
    two_pm = datetime(2026, 12, 17, 19, 0, tzinfo=UTC)
    assert format_time(two_pm, "fr-CA", TORONTO) == "14\u00a0h"
    assert format_time(two_pm.replace(minute=30), "fr-CA", TORONTO) == "14\u00a0h\u00a030"
    assert format_time(two_pm.replace(hour=14), "fr-CA", TORONTO) == "9\u00a0h", "no leading zero"
    assert format_time(two_pm, "en-CA", TORONTO) == "2:00\u00a0p.m.", "never cut from its hour"
    assert when(Messages("fr-CA", TORONTO), two_pm) == "17 décembre 2026 à 14\u00a0h"
    assert when(Messages("en-US", TORONTO), two_pm) == "December 17, 2026 at 2:00\u00a0PM"
    # the ministry's time zone decides the day: 23:30 in Toronto is already the next day in UTC
    late = datetime(2026, 12, 18, 4, 30, tzinfo=UTC)
    assert when(Messages("fr-CA", TORONTO), late) == "17 décembre 2026 à 23\u00a0h\u00a030"
