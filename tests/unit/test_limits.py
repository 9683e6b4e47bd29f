"""One table of text limits, the same numbers the cards declare."""

from __future__ import annotations

from bot.domain.limits import COMMENT_MAX, TEXT_LIMITS, check_text, echo_back
from bot.domain.pitch import FIELD_RULES


def test_every_text_field_has_a_limit_and_the_comment_has_the_card_s():
    assert {r.name for r in FIELD_RULES if r.max_length} <= set(TEXT_LIMITS)
    assert TEXT_LIMITS["comment"] == COMMENT_MAX == 1000


def test_check_text_cleans_and_measures():
    assert check_text("  fine  ", 10).value == "fine"
    assert check_text("x" * 11, 10).error == "too_long"
    assert check_text("", 10, required=True).error == "required"
    assert check_text({"not": "text"}, 10).value == ""
    assert check_text(12345, 10).value == ""
    assert check_text("a\x00b", 10).value == "ab"


def test_echo_back_keeps_a_near_miss_whole_and_cuts_a_flood():
    assert echo_back("x" * 1500, 1000) == "x" * 1500
    assert echo_back("x" * 900_000, 1000) == "x" * 1000
