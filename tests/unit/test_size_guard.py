"""Outgoing cards stay under Teams' size limit; what is cut ends with "…" and the rest is offered."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import Messages
from cards.common import card, execute, facts, text
from cards.size_guard import CARD_BUDGET_BYTES, CARD_HARD_LIMIT_BYTES, ELLIPSIS, card_bytes, cut, fit_card
from tests.support.hostile import long_text

M = Messages("en-CA")

READ_ALL = execute("Read the full text", "idea.read", {"ideaId": "x"})


def test_a_card_that_fits_is_returned_untouched():
    small = card(M, [text("Hello")])
    assert fit_card(small, see_rest=READ_ALL) is small


def test_the_longest_text_is_cut_with_an_ellipsis_and_the_rest_offered():
    big = card(M, [text("Short heading"), text("word " * 20_000)], [execute("Approve", "idea.approve")])
    fitted = fit_card(big, see_rest=READ_ALL)
    assert card_bytes(fitted) <= CARD_BUDGET_BYTES
    assert fitted["body"][0]["text"] == "Short heading"
    assert fitted["body"][1]["text"].endswith(ELLIPSIS)
    assert [a["verb"] for a in fitted["actions"]] == ["idea.approve", "idea.read"]
    assert big["body"][1]["text"] == "word " * 20_000, "the original card is not changed"


def test_fact_values_and_astral_characters_are_measured_as_sent():
    emoji = "\U0001f600" * 8000  # 32 KB of UTF-8 in 8,000 characters
    fitted = fit_card(card(M, [facts([("Title", emoji)])]))
    assert card_bytes(fitted) <= CARD_BUDGET_BYTES
    assert fitted["body"][0]["facts"][0]["value"].endswith(ELLIPSIS)


def test_inputs_keep_what_their_max_length_allows_while_that_fits():
    value = "é" * 2000
    form = card(M, [text("x " * 10_000), {"type": "Input.Text", "id": "problem", "maxLength": 2000, "value": value}])
    fitted = fit_card(form)
    assert fitted["body"][1]["value"] == value
    assert card_bytes(fitted) <= CARD_BUDGET_BYTES


def test_even_inputs_are_cut_rather_than_send_an_undeliverable_card():
    inputs = [{"type": "Input.Text", "id": f"f{i}", "maxLength": 2000, "value": "\U0001f600" * 2000} for i in range(5)]
    fitted = fit_card(card(M, inputs), see_rest=READ_ALL)
    assert card_bytes(fitted) <= CARD_HARD_LIMIT_BYTES


def test_cut_never_leaves_a_dangling_escape_or_template():
    assert cut("abc\\[def", 4) == "abc…"
    assert cut("ab {{DATE(2026-01-01T00:00:00Z, SHORT)}} tail", 12) == "ab…"
    assert cut("one two three four five", 15) == "one two three…"


@settings(max_examples=40, deadline=None)
@given(st.lists(long_text(1, 60_000), min_size=1, max_size=6))
def test_any_card_of_texts_fits(values):
    fitted = fit_card(card(M, [text(v) for v in values]), see_rest=READ_ALL)
    assert card_bytes(fitted) <= CARD_BUDGET_BYTES
