"""Accessible cards (WCAG 2.1 AA), checked over every kind of card the bot sends, in both languages.

Text contrast is measured with WCAG's formula against Teams' card colours in its default (light)
and dark themes, as Microsoft's Adaptive Cards designer publishes them for its Teams hosts.
Teams' high-contrast theme replaces every colour with the system's own high-contrast pair, so
there the rule is only that a card asks for nothing but the theme's default text colour.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.teams_client import nodes
from tests.unit.test_cards_validate import all_cards

# (background, {colour name: (default, subtle)}), from the designer's Teams host configs.
THEMES = {
    "default": (
        "#ffffff",
        {"default": ("#ff252424", "#bf252424"), "good": ("#92c353", "#e592c353"), "attention": ("#c4314b", "#e5c4314b"),
         "accent": ("#6264a7", "#8b8cc7"), "warning": ("#f8d22a", "#e5f8d22a")},
    ),
    "default/emphasis": ("#fff9f8f7", None),
    "dark": (
        "#ff2d2c2c",
        {"default": ("#ffffffff", "#bfffffff"), "good": ("#ff92c353", "#e592c353"),
         "attention": ("#ffd74654", "#e5d74654"), "accent": ("#ffa6a7dc", "#ff8b8cc7"),
         "warning": ("#fff8d22a", "#e5f8d22a")},
    ),
    "dark/emphasis": ("#ff292828", None),
}
AA_BODY_TEXT = 4.5


def _rgba(colour: str) -> tuple[float, float, float, float]:
    """'#rrggbb' or '#aarrggbb' (the host config's order) to (r, g, b, alpha), 0..255 and 0..1."""
    value = colour.lstrip("#")
    alpha = int(value[:2], 16) / 255 if len(value) == 8 else 1.0
    value = value[-6:]
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha


def _over(colour: str, background: str) -> tuple[float, float, float]:
    r, g, b, a = _rgba(colour)
    br, bg, bb, _ = _rgba(background)
    return r * a + br * (1 - a), g * a + bg * (1 - a), b * a + bb * (1 - a)


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((_luminance(_over(foreground, background)), _luminance(_over(background, "#ffffff"))))
    return (dark + 0.05) / (light + 0.05)


def every_card() -> dict[str, dict]:
    return all_cards("en-CA") | {f"fr/{name}": card for name, card in all_cards("fr-CA").items()}


def field_errors(card: dict) -> list[dict]:
    """The server's messages under a field it found wrong: a TextBlock in the attention colour right
    after the input (as Teams draws its own `errorMessage`)."""
    found: list[dict] = []

    def walk(element: Any) -> None:
        if isinstance(element, dict):
            for value in element.values():
                walk(value)
        elif isinstance(element, list):
            for before, item in zip([None, *element], element, strict=False):
                after_input = isinstance(before, dict) and str(before.get("type", "")).startswith("Input.")
                if isinstance(item, dict) and str(item.get("color", "")).lower() == "attention" and after_input:
                    found.append(item)
                walk(item)

    walk(card)
    return found


def text_styles() -> set[tuple[str, bool, str]]:
    """(colour, subtle, container style) of every piece of text any card shows, but for the messages
    under a field the server found wrong: those look exactly like Teams' own validation messages (the
    theme's attention colour, which Teams itself uses for `errorMessage`), so a person sees one kind
    of field error whoever checked the field; their words say what to fix."""
    styles = set()

    def walk(element: Any, container_style: str) -> None:
        if isinstance(element, dict) and any(element is e for e in errors):
            return
        if isinstance(element, dict):
            style = element.get("style") if element.get("type") in ("Container", "Column") else None
            container_style = "emphasis" if style == "emphasis" else container_style
            if element.get("type") in ("TextBlock", "RichTextBlock", "TextRun"):
                colour = str(element.get("color", "default")).lower()
                styles.add((colour, bool(element.get("isSubtle")), container_style))
            for value in element.values():
                walk(value, container_style)
        elif isinstance(element, list):
            for item in element:
                walk(item, container_style)

    for card in every_card().values():
        errors = field_errors(card)
        walk(card, "default")
    return styles


def test_the_measure_reproduces_the_issue():
    """The "Now with Maya Singh" green of issue #14 measured 2.07:1 on white."""
    assert round(contrast("#92c353", "#ffffff"), 2) == 2.07
    assert contrast("#000000", "#ffffff") == pytest.approx(21)


@pytest.mark.parametrize("theme", ["default", "dark"])
def test_every_text_colour_used_meets_aa_in_the_default_and_dark_themes(theme):
    palette = THEMES[theme][1]
    failures = []
    for colour, subtle, container_style in sorted(text_styles()):
        background = THEMES[f"{theme}/emphasis" if container_style == "emphasis" else theme][0]
        foreground = palette[colour][1 if subtle else 0]
        ratio = contrast(foreground, background)
        if ratio < AA_BODY_TEXT:
            failures.append(f"{colour}{' subtle' if subtle else ''} on {container_style}: {ratio:.2f}:1")
    assert failures == []


def test_no_card_asks_for_a_colour_so_high_contrast_themes_keep_their_own_and_meaning_is_in_words():
    """Save the field errors, which take the attention colour as Teams' own do (and say what to fix)."""
    coloured = {}
    for name, card in every_card().items():
        errors = [id(e) for e in field_errors(card)]
        coloured[name] = [n.get("text") for n in nodes(card)
                          if n.get("color") not in (None, "Default", "default") and id(n) not in errors]  # fmt: skip
    assert {name: texts for name, texts in coloured.items() if texts} == {}


def test_a_field_the_server_found_wrong_says_so_under_it_in_the_attention_colour_as_teams_does():
    """Issue #19: server-side field errors looked unlike the client's (bold default text)."""
    cards = every_card()
    for name in ("form_errors", "fr/form_errors", "approval_comment_needed"):
        errors = field_errors(cards[name])
        assert errors and all(e["text"].strip() for e in errors), name


def test_every_input_is_labelled_and_every_image_has_alt_text():
    unlabelled, no_alt = [], []
    for name, card in every_card().items():
        for node in nodes(card):
            kind = str(node.get("type", ""))
            if kind.startswith("Input.") and not str(node.get("label", "")).strip():
                unlabelled.append(f"{name}:{node.get('id')}")
            if kind == "Image" and not str(node.get("altText", "")).strip():
                no_alt.append(f"{name}:{node.get('url')}")
    assert unlabelled == [] and no_alt == []


def test_a_required_input_says_what_is_wrong_next_to_it():
    """Adaptive Cards shows `errorMessage` under the input when client-side validation fails."""
    missing = [
        f"{name}:{node.get('id')}"
        for name, card in every_card().items()
        for node in nodes(card)
        if str(node.get("type", "")).startswith("Input.") and node.get("isRequired") and not node.get("errorMessage")
    ]
    assert missing == []


def test_every_card_starts_with_its_heading_for_screen_readers():
    """Reading order: what the card is about comes first (a heading), then its details, then its buttons."""
    def first_text(card: dict) -> dict:
        return next(n for n in nodes(card["body"]) if n.get("type") == "TextBlock")

    not_first = {
        name for name, card in every_card().items()
        if not name.endswith("notice") and "returned" not in name and first_text(card).get("style") != "heading"
        and first_text(card).get("weight") != "Bolder"
    }
    assert not_first == set()
