"""What a CommonMark renderer (with GFM autolinks, strikethrough and tables) makes of card text.

The tests' stand-in for Teams' markdown: markdown-it-py, the reference port, with linkify on
(Teams links bare URLs and domains too). Used to prove that text people typed renders as
plain text: no link, image, heading, list, quote, code, emphasis or HTML it did not ask for.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"linkify": True, "html": True}).enable(["linkify", "strikethrough", "table"])
_MARKUP = re.compile(r"<(?!/?p>|br />)[^>]*>")
_ANY_TAG = re.compile(r"</?p>|<br />")
DATE_TEMPLATE = re.compile(r"\{\{(DATE|TIME)\(")


def render(text: str) -> str:
    return _MD.render(text)


def markup_in(text: str) -> list[str]:
    """Every HTML tag other than paragraphs and line breaks that `text` renders to."""
    return _MARKUP.findall(render(text))


def visible_text(text: str) -> str:
    """What a reader sees, whitespace collapsed (markdown folds line breaks and spaces)."""
    return " ".join(html.unescape(_ANY_TAG.sub(" ", render(text))).split())


def links_in(text: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', render(text))
