"""Dates, numbers and money in the reader's locale (Babel), as the catalogue's text expects them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bot.domain.pitch import FIELD_RULES
from bot.formatting import format_date, format_money, format_number
from bot.i18n import Messages
from cards.digest import digest_card
from cards.pitch_form import error_message
from tests.unit.test_digest_content import digest_for_dana

NBSP = "\u00a0"
NOV_26 = date(2026, 11, 26)


@pytest.mark.parametrize(
    "locale, money, date_text",
    [
        ("fr-CA", f"50{NBSP}000{NBSP}$", "26 novembre 2026"),
        ("fr-FR", f"50{NBSP}000{NBSP}$", "26 novembre 2026"),
        ("en-CA", "$50,000", "November 26, 2026"),
        ("en-US", "$50,000", "November 26, 2026"),
        ("de-DE", "$50,000", "November 26, 2026"),  # no German catalogue: English text, English figures
        (None, "$50,000", "November 26, 2026"),
        ("not a locale", "$50,000", "November 26, 2026"),
    ],
)
def test_money_and_dates_follow_the_readers_language(locale, money, date_text):
    assert format_money(50_000, locale) == money
    assert format_date(NOV_26, locale) == date_text


def test_cents_only_when_there_are_cents():
    assert format_money(Decimal("1234.5"), "en-CA") == "$1,234.50"
    assert format_money(1234.5, "fr-CA") == f"1{NBSP}234,50{NBSP}$"
    assert format_money(Decimal("250000.00"), "fr-CA") == f"250{NBSP}000{NBSP}$"


def test_numbers_group_and_decimal_marks():
    assert format_number(2.5, "fr-CA") == "2,5"
    assert format_number(2.5, "en-US") == "2.5"
    assert format_number(12345, "fr-CA") == f"12{NBSP}345"
    assert format_number(12345, "en-CA") == "12,345"
    assert format_number(3.0, "fr-CA") == "3"
    assert format_number(1 / 3, "en-CA") == "0.33"


def test_the_too_long_message_writes_its_figures_for_the_reader():
    problem = next(rule for rule in FIELD_RULES if rule.name == "problem")
    french = error_message(Messages("fr-CA"), problem, "too_long", "p" * 2001)
    assert f"au plus 2{NBSP}000 caractères (elle en compte 2{NBSP}001)" in french
    english = error_message(Messages("en-CA"), problem, "too_long", "p" * 2001)
    assert "keep it to 2,000 characters (you have 2,001)" in english


def test_the_digest_writes_median_days_with_the_readers_decimal_mark():
    digest = digest_for_dana()
    assert digest.timings, "the fixture has decisions to time"
    digest = replace(digest, timings=[replace(t, median_days=2.5) for t in digest.timings])
    french = json.dumps(digest_card(Messages("fr-CA"), digest), ensure_ascii=False)
    english = json.dumps(digest_card(Messages("en-CA"), digest), ensure_ascii=False)
    assert f"Niveau le plus lent{NBSP}: " in french and "(2,5 jours ouvrables)" in french
    assert "2.5" not in french
    assert "(2.5 business days)" in english
