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
from tests.unit.test_challenge_cards import all_cards as challenge_cards

LANGUAGES = ("en", "fr")
# The same in both languages on purpose: the app's name is a proper noun.
SAME_IN_BOTH = {"app.name"}
NBSP = "\u00a0"
APP_NAME = "Deputy's Den"


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


def _prose(value: str) -> str:
    """A French message as prose: commands typed as shown (`proposer`), markdown and the app's
    name (a proper noun, written as in English) are not French typography."""
    return re.sub(r"`[^`]*`", "", value).replace("**", "").replace(APP_NAME, "Deputy")


def test_french_typography():
    """Canadian French, as the Translation Bureau and ontario.ca write it: a no-break space before the
    colon and inside « », no space at all before ; ! ? (that space is France's), the typographic
    apostrophe, and amounts as 50 000 $."""
    problems = {}
    for key, value in catalogue("fr").items():
        prose = _prose(value)
        if re.search(r"\s[;!?]", prose):
            problems[key] = "a space before ; ! ? (Canadian French has none)"
        elif any(prose[match.start() - 1] != NBSP for match in re.finditer(r"[:»]", prose)):
            problems[key] = "an ordinary space (or none) before : or »"
        elif any(prose[match.end()] != NBSP for match in re.finditer("«", prose)):
            problems[key] = "an ordinary space (or none) after «"
        elif "'" in prose:
            problems[key] = "a straight apostrophe; use ’"
        elif '"' in prose:
            problems[key] = "English quotes; use « »"
        elif re.search(r"\d[ ,]\d{3}|\d ?\$|\$\d", prose):
            problems[key] = "an amount not written as 50\u00a0000\u00a0$"
        elif re.search(r"\d %|\d%", prose) or re.search(r"\{[a-z_]*\} ?%", prose):
            problems[key] = "a percentage not written by the locale (20\u00a0%)"
    assert problems == {}


# "(s)", "(e)", "(es)", "(x)", "/e", "ou -e": a sentence written for nobody in particular. Real plurals
# come from the catalogue's plural rules (Messages.count), and a person is never half-gendered.
MARKERS = re.compile(r"\((?:s|e|es|x|ne|le)\)|\w/(?:e|es|s)\b|\bou -\w+|\w\.e\.s?\b")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_plural_or_gender_markers(language):
    marked = {key: value for key, value in catalogue(language).items() if MARKERS.search(value)}
    assert marked == {}


def test_the_marker_check_sees_markers():
    for marked in ("4 idea(s)", "1 vote(s)", "membre(s)", "informé(e)", "absent ou -e", "nommé/e"):
        assert MARKERS.search(marked), marked
    for fine in ("(optional)", "(ADM)", "Révision (modification)", "5 idées", "50\u00a0000\u00a0$"):
        assert not MARKERS.search(fine), fine


def test_plural_messages_have_the_forms_each_language_needs():
    """A key split by grammatical number has `.one` and `.other` in both languages."""
    for language in LANGUAGES:
        keys = catalogue(language)
        bases = {key.rsplit(".", 1)[0] for key in keys if key.endswith(".one")}
        missing = [f"{base}.{form}" for base in bases for form in ("one", "other") if f"{base}.{form}" not in keys]
        assert missing == [], language


def test_required_labels_carry_no_asterisk():
    """Teams marks a required input itself: a "*" in the label showed as "* *"."""
    for language in LANGUAGES:
        starred = [key for key, value in catalogue(language).items() if value.rstrip().endswith("*")]
        assert starred == [], language


# Placeholders that put a person's name in a message.
PERSON = re.compile(r"\{(?:name|principal|actor|chair|approver|sponsors|names)\}")
# A doublet ("informé ou informée", "absent ou absente", "directeur ou directrice", "le ou la") or a
# gendered participle or role noun, which beside a named person would guess their gender.
DOUBLET = re.compile(r"\b(\w{2,}?)\w* ou (?:\1|la\b|le\b|une?\b)|\b(?:un|le|la) ou (?:une|la|le)\b")
GENDERED = re.compile(
    r"\b(?:directeur|directrice|employée?s?|absente?s?|informée?s?|avisée?s?|désignée?s?|nommée?s?|récusée?s?|tenue?s?"
    r"|organisat(?:eur|rice)s?|approbat(?:eur|rice)|président|présidente|déléguée?)\b",
    re.IGNORECASE,
)


CLAUSE = r"[^.;:!?\n]{0,40}"


def _beside_names(shown: str, name: re.Pattern[str]) -> list[str]:
    """The clause around each name in `shown` (up to 40 characters each side) that has a doublet or
    a gendered word in it."""
    found = []
    for match in re.finditer(CLAUSE + name.pattern + CLAUSE, shown):
        if DOUBLET.search(match.group()) or GENDERED.search(match.group()):
            found.append(match.group())
    return found


def test_no_message_places_a_gendered_word_beside_a_persons_name():
    """French: a named person is never given a gender (« Marie Roy (directeur ou directrice) », « Diane
    est absent ou absente »): such messages are phrased so none is needed (« Absence de Diane Tremblay :
    ... », « Diane Tremblay, à la direction »). Levels shown beside a name are levels (`level.*`)."""
    fr = catalogue("fr")
    beside = {key: window for key, value in fr.items() for window in _beside_names(value, PERSON)}
    assert beside == {}
    levels = {
        key: value
        for key, value in fr.items()
        if key.startswith("level.") and (DOUBLET.search(value) or GENDERED.search(value))
    }
    assert levels == {}
    # the check itself sees what it looks for
    assert DOUBLET.search("{principal} est absent ou absente") and DOUBLET.search("directeur ou directrice")
    assert GENDERED.search("Tenus informés : {names}")
    assert _beside_names("Marie Roy (directeur ou directrice) a approuvé", re.compile("Marie Roy"))
    assert not _beside_names("Diane Tremblay, à la direction, a approuvé", re.compile("Diane Tremblay"))


def test_no_french_card_guesses_the_gender_of_a_named_person():
    """On every card rendered in French, no cast member's name is followed, in the same clause, by a
    gendered role noun or a doublet."""
    names = ("Sam Chen", "Maya Singh", "Diane Tremblay", "Amir Haddad", "Dana Morel", "Olga Kowalski")
    cast = re.compile("|".join(names))
    found: dict[str, list[str]] = {}
    for name, card in {**all_cards("fr-CA"), **challenge_cards("fr-CA")}.items():
        beside = _beside_names("\n".join(_texts(card)), cast)
        if beside:
            found[name] = beside
    assert found == {}


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
