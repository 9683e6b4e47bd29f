"""User text in cards renders as the text typed: no markdown the bot did not write."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings

from cards.safe_text import plain
from tests.support.hostile import user_text
from tests.support.markdown_oracle import DATE_TEMPLATE, links_in, markup_in, visible_text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def typed(value: str) -> str:
    """What a reader should see: the text typed, control characters aside, whitespace folded."""
    return " ".join(_CONTROL.sub("", value.replace("\r", "\n")).split())


ATTACKS = [
    "[Click here to approve](https://evil.example)",
    "![tracker](https://evil.example/pixel.png)",
    "# Approved by the DM",
    "Title\n===",
    "Title\n---",
    "- one\n- two",
    "1. one\n2) two",
    "> quoted",
    "    indented code",
    "```\nfenced\n```",
    "**bold** _italic_ ~~struck~~ `code`",
    "<at>Deputy Minister</at> says yes",
    "<a href='https://evil.example'>link</a>",
    "&lt;b&gt; &#91;x&#93;(https://evil.example)",
    "https://evil.example and www.evil.example and evil.example and a@evil.example",
    "<https://evil.example>",
    "[x][ref]\n\n[ref]: https://evil.example",
    "{{DATE(2026-01-01T00:00:00Z, SHORT)}}",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "\\[not a link\\](https://evil.example)",
    "***\n___",
    "trailing backslash \\",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_known_attack_renders_as_its_own_text(attack):
    shown = plain(attack)
    assert markup_in(shown) == [], (attack, shown)
    assert links_in(shown) == []
    assert not DATE_TEMPLATE.search(shown)
    assert visible_text(shown) == typed(attack)


def test_ordinary_text_stays_readable():
    assert plain("Tell us once: address changes") == "Tell us once: address changes"
    assert plain("Save 10 % on printing") == "Save 10 % on printing"
    assert plain("") == "" and plain(None) == ""


@settings(max_examples=300, deadline=None)
@given(user_text(max_size=400))
@example("[a](b)")
@example("1.\n-\n#")
def test_any_text_renders_as_plain_text(value):
    shown = plain(value)
    assert markup_in(shown) == [], shown
    assert not DATE_TEMPLATE.search(shown)
    assert visible_text(shown) == typed(value)


def _escape_inline_one_char_at_a_time(line: str) -> str:
    """The rule as first written, character by character: the regex must do exactly this."""
    out: list[str] = []
    for index, char in enumerate(line):
        if char in "\\`*_[]<>~|{}@":
            out.append("\\" + char)
        elif char == "." and index + 1 < len(line) and line[index + 1].isalnum():
            out.append("\\.")
        elif char == "&" and index + 1 < len(line) and (line[index + 1].isalnum() or line[index + 1] == "#"):
            out.append("\\&")
        elif char == ":" and line.startswith("//", index + 1):
            out.append("\\:")
        else:
            out.append(char)
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(user_text())
@example("a.b &x &# &; :// :/ . & : é.é 1.٣ x.² _*_")
def test_the_inline_pattern_escapes_exactly_what_the_character_rule_does(value):
    from cards.safe_text import _escape_inline

    for line in value.split("\n"):
        assert _escape_inline(line) == _escape_inline_one_char_at_a_time(line)
