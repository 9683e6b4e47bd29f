"""Hypothesis strategies for what a hostile or careless person can send the bot.

Text weighted towards what breaks things (markdown, HTML, card templates, mentions, URLs,
control characters, right-to-left marks, combining marks, astral characters, huge runs), plus
arbitrary JSON values (numbers, nesting, nulls) for the places a card's data is read.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

MARKDOWN_PIECES = [
    "[",
    "]",
    "(",
    ")",
    "![",
    "](https://evil.example)",
    "https://evil.example",
    "www.evil.example",
    "evil.example",
    "a@evil.example",
    "<at>",
    "</at>",
    "<b>",
    "&lt;",
    "&#91;",
    "{{DATE(2026-01-01T00:00:00Z)}}",
    "{{",
    "}}",
    "**",
    "__",
    "_",
    "*",
    "~~",
    "`",
    "```",
    "# ",
    "## ",
    "- ",
    "+ ",
    "1. ",
    "2) ",
    "> ",
    "    ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "---",
    "===",
    "|",
    "\\",
    ":",
    ".",
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\u0301",  # combining acute accent
    "\U0001f600",
    "é",
    "«\u00a0",
    "\x00",
    "\x07",
]


@st.composite
def _pieces(draw, max_size: int) -> str:
    parts = draw(
        st.lists(
            st.one_of(st.sampled_from(MARKDOWN_PIECES), st.text(max_size=12)),
            max_size=max(1, max_size // 4),
        )
    )
    return "".join(parts)[:max_size]


def user_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """Text a person could type: markdown-heavy mixes and arbitrary unicode."""
    return st.one_of(_pieces(max_size), st.text(max_size=max_size))


def long_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Text past a limit: a repeated unit, so a 100,000-character value costs nothing to draw."""
    return st.builds(
        lambda unit, count: (unit * count)[: max(min_size, 1) + count],
        st.sampled_from(["a", "é", "\U0001f600", "[x](https://evil.example) ", "word "]),
        st.integers(min_value=min_size, max_value=max_size),
    )


def json_values(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    """Any JSON value: the wrong type where a card field should be."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        user_text(40),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
        max_leaves=max_leaves,
    )


def nested(depth: int) -> Any:
    """A list nested `depth` deep: for the request guard's depth limit."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value
