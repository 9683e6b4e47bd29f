"""Search words: accents and case folded, stems in English and French, the words found marked."""

from __future__ import annotations

import pytest

from bot.search_text import fts_match, index_text, matched_spans, query_terms
from bot.tab.highlight import excerpt, highlighted


@pytest.mark.parametrize(
    "query, text",
    [
        ("renouvellement", "Les renouvellements de permis"),
        ("renewal", "Faster licence renewals"),
        ("numerique", "Le service numérique"),
        ("ÉCOLE", "une ecole"),
        ("formulaires", "un formulaire unique"),
        ("running", "the team runs it"),
        ("l'idée", "des idées"),
    ],
)
def test_a_query_word_finds_the_same_word_in_another_form(query, text):
    indexed = set(index_text(text).split())
    assert all(set(group) & indexed for group in query_terms(query)), (query_terms(query), indexed)


def test_the_match_expression_quotes_every_stem_and_ands_the_words():
    assert fts_match(query_terms("permit renewals")) == '("perm" OR "permit") AND ("renew" OR "renewal")'
    # FTS5's own syntax typed into the box is only words: quoted, it is searched for, never obeyed.
    assert fts_match(query_terms('"*) OR NEAR(')) == '("or") AND ("near")'


def test_highlighting_marks_the_words_found_and_escapes_the_rest():
    marked = highlighted("<b>Renewals</b> & the renewal", "renewal")
    assert str(marked) == "&lt;b&gt;<mark>Renewals</mark>&lt;/b&gt; &amp; the <mark>renewal</mark>"
    assert matched_spans("nothing here", query_terms("renewal")) == []


def test_an_excerpt_starts_near_the_first_word_found():
    text = "word " * 100 + "the renewals begin here " + "more " * 100
    piece = excerpt(text, "renewal")
    assert "renewals" in piece and piece.startswith("…") and piece.endswith("…") and len(piece) < 260
