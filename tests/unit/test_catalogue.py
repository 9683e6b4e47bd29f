"""The French and English catalogues: complete, with the same placeholders and markdown, French
typography, and no English left on a card shown to a French reader."""

from __future__ import annotations

import json
import re
import string
from typing import Any

import pytest

from bot.i18n import CATALOGUE_DIR
from tests.unit.test_cards_validate import all_cards

LANGUAGES = ("en", "fr")
# The same in both languages on purpose: the app's name is a proper noun.
SAME_IN_BOTH = {"app.name"}
NBSP = "\u00a0"


def catalogue(language: str) -> dict[str, str]:
    return json.loads((CATALOGUE_DIR / f"{language}.json").read_text(encoding="utf-8"))


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def without_placeholders(template: str) -> str:
    return re.sub(r"\{[a-z_]*\}", "", template)


def test_both_catalogues_have_the_same_keys():
    en, fr = catalogue("en"), catalogue("fr")
    assert sorted(set(en) - set(fr)) == [], "missing in French"
    assert sorted(set(fr) - set(en)) == [], "missing in English"
    assert all(value.strip() for language in LANGUAGES for value in catalogue(language).values())


def test_placeholders_and_markdown_match_between_languages():
    en, fr = catalogue("en"), catalogue("fr")
    differ = {key: (en[key], fr[key]) for key in en if placeholders(en[key]) != placeholders(fr.get(key, ""))}
    assert differ == {}
    for mark in ("**", "`", "\n"):
        assert {k: v.count(mark) for k, v in fr.items()} == {k: v.count(mark) for k, v in en.items()}, mark


def test_every_french_value_is_translated():
    """Identical to the English only for the app's name, or a message made only of placeholders."""
    en, fr = catalogue("en"), catalogue("fr")
    untranslated = [
        key
        for key in en
        if fr.get(key) == en[key] and key not in SAME_IN_BOTH and re.search(r"[A-Za-z]", without_placeholders(en[key]))
    ]
    assert untranslated == []


def test_french_typography():
    """A no-break space before : ; ! ? » and after «, French quotes, and amounts as 50 000 $."""
    problems = {}
    for key, value in catalogue("fr").items():
        prose = re.sub(r"`[^`]*`", "", value).replace("**", "")  # commands typed as shown are not prose
        if any(prose[match.start() - 1] != NBSP for match in re.finditer(r"[:;!?»]", prose)):
            problems[key] = "an ordinary space (or none) before : ; ! ? »"
        elif any(prose[match.end()] != NBSP for match in re.finditer("«", prose)):
            problems[key] = "an ordinary space (or none) after «"
        elif '"' in prose:
            problems[key] = "English quotes; use « »"
        elif re.search(r"\d[ ,]\d{3}|\d ?\$|\$\d", prose):
            problems[key] = "an amount not written as 50\u00a0000\u00a0$"
    assert problems == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_formats_with_its_placeholders(language):
    for template in catalogue(language).values():
        template.format(**{name: "x" for name in placeholders(template)})


def _texts(element: Any) -> list[str]:
    """Every string a person can read on a card: text, labels, titles, placeholders, choices, facts."""
    readable = ("text", "title", "label", "placeholder", "errorMessage", "value", "altText", "fallbackText")
    found: list[str] = []
    if isinstance(element, dict):
        found += [v for k, v in element.items() if k in readable and isinstance(v, str)]
        for value in element.values():
            if isinstance(value, dict | list):
                found += _texts(value)
    elif isinstance(element, list):
        for item in element:
            found += _texts(item)
    return found


def test_a_french_card_carries_no_english_sentence():
    """Each English message's wording (its text between placeholders), looked for on every French card."""
    fragments = {
        key: [part.strip(" .,:;()") for part in re.split(r"\{[a-z_]*\}", value)]
        for key, value in catalogue("en").items()
        if key not in SAME_IN_BOTH
    }
    fragments = {key: [p for p in parts if len(p.split()) >= 2] for key, parts in fragments.items()}
    leaks: dict[str, list[str]] = {}
    for name, card in all_cards("fr-CA").items():
        shown = "\n".join(_texts(card))
        for key, parts in fragments.items():
            if parts and all(part in shown for part in parts):
                leaks.setdefault(name, []).append(key)
    assert leaks == {}
    english_cards = {name: "\n".join(_texts(card)) for name, card in all_cards("en-CA").items()}
    assert "Pitch an idea" in english_cards["welcome"], "the check would see an English sentence"
