"""The user guides say what the app shows: they stay honest when a label or a command changes.

Convention in docs/user-guide.md and docs/guide-utilisateur.md: a **bold** text is a button, heading or
field label exactly as the app shows it in that guide's language (where the app fills in a value, the
guide writes "…", a reference, a number or a name); a `code` text is something a person types in the
chat, which the app must recognise. Every chat command of the Teams app package appears in the guide of
its language, and each guide links to the other.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.settings import ROOT
from dialogs.commands import recognise

GUIDES = {"en": ROOT / "docs" / "user-guide.md", "fr": ROOT / "docs" / "guide-utilisateur.md"}
CATALOGUES = {"en": ROOT / "bot" / "messages" / "en.json", "fr": ROOT / "bot" / "messages" / "fr.json"}
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
CODE = re.compile(r"`([^`]+)`")
PLACEHOLDER = re.compile(r"\{[^{}]+\}")
# What the guides put where the app fills in a value: "…", a reference, a number, or a name.
FILLED_IN = r"(?:…|DEN-\d{4}-\d{4}|\d+|[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)"


def words(text: str) -> str:
    """Any run of spaces (the French no-break spaces included) read as one space."""
    return " ".join(text.split())


def guide(language: str) -> str:
    return GUIDES[language].read_text(encoding="utf-8")


def shown_texts(language: str) -> list[re.Pattern[str]]:
    """Every text of the catalogue as a pattern, each {placeholder} filled in as FILLED_IN. A text made only
    of placeholders and punctuation ("{reference}: {title}") would match anything, so it is left out."""
    catalogue = json.loads(CATALOGUES[language].read_text(encoding="utf-8"))
    patterns = []
    for value in catalogue.values():
        parts = PLACEHOLDER.split(words(value))
        if re.search(r"[^\W\d_]", "".join(parts)):
            patterns.append(re.compile(FILLED_IN.join(re.escape(part) for part in parts)))
    return patterns


def manifest_commands(language: str) -> list[str]:
    if language == "en":
        manifest = json.loads((ROOT / "manifest" / "manifest.json").read_text(encoding="utf-8"))
        return [c["title"] for bot in manifest["bots"] for lst in bot["commandLists"] for c in lst["commands"]]
    localised = json.loads((ROOT / "manifest" / "fr.json").read_text(encoding="utf-8"))
    title = re.compile(r"bots\[\d+\]\.commandLists\[\d+\]\.commands\[\d+\]\.title")
    return [value for key, value in localised.items() if title.fullmatch(key)]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_command_of_the_app_package_is_in_the_guide(language):
    quoted = set(CODE.findall(guide(language)))
    commands = manifest_commands(language)
    assert commands, "the app package lists its chat commands"
    assert [c for c in commands if c not in quoted] == []


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_command_the_guide_quotes_is_one_the_app_understands(language):
    quoted = CODE.findall(guide(language))
    assert [text for text in quoted if recognise(text) is None] == []


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_label_the_guide_shows_in_bold_is_one_the_app_shows(language):
    shown = shown_texts(language)
    labels = {words(label) for label in BOLD.findall(guide(language))}
    assert len(labels) > 50, "the guide names the buttons it tells people to press"
    assert sorted(label for label in labels if not any(p.fullmatch(label) for p in shown)) == []


def test_the_check_catches_a_label_the_app_does_not_show():
    """The matcher itself: a made-up button, or half of a real one, is not a label the app shows."""
    shown = shown_texts("en")
    assert any(p.fullmatch("Submit my pitch") for p in shown)
    assert any(p.fullmatch("View DEN-2026-0042") for p in shown)
    assert not any(p.fullmatch("Submit my idea") for p in shown)
    assert not any(p.fullmatch("Submit my") for p in shown)


def test_each_guide_links_to_the_other_language():
    assert "(guide-utilisateur.md)" in guide("en")
    assert "(user-guide.md)" in guide("fr")
