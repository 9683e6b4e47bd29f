"""Text people typed, made safe for Adaptive Card markdown: it is shown exactly as typed.

Teams parses a CommonMark subset in a TextBlock, in FactSet values and in chat messages:
`[Approve](https://evil.example)` becomes a link, `**x**` bold, a line starting `# ` or `- `
a heading or a list, `{{DATE(...)}}` a date, a bare `www.example.com` a link. The bot's own
catalogue uses markdown on purpose; text a person typed (a pitch, a comment, a name) must not,
or a pitch could show the next approver a button-like link the bot never made.

How to use it (one rule for every card):

    from cards.safe_text import plain
    text(plain(idea.pitch.title))                            # user text alone in a TextBlock
    m.t("chain.comment", comment=plain(decision.comment))    # user text inside a catalogue sentence

Apply `plain()` where user text enters a card, never to catalogue text (that would show the
backslashes of the bot's own markdown) and never to an `Input.*` value (inputs are not markdown:
put the raw text there). Escaping is by backslash, as CommonMark defines it, so a compliant
renderer shows the original characters; the few places where a backslash alone cannot defuse
markdown (indentation that would make a code block) are normalised instead.
"""

from __future__ import annotations

import re

# Inline markdown, HTML, entities, GFM strikethrough/tables, Teams mentions (<at>), card
# templates ({{DATE(...)}}) and e-mail autolinks ('@'). Every one is ASCII punctuation, which
# CommonMark lets a backslash escape. ('!' is harmless once '[' is escaped; '&', '.' and ':' are
# escaped only where they start an entity, a domain or a URL, so ordinary prose stays as typed.)
_ALWAYS = frozenset("\\`*_[]<>~|{}@")
# At the start of a line these open a block: heading, list, quote, setext underline, thematic break.
_LINE_START = frozenset("#-+=>")
_ORDERED_LIST = re.compile(r"^(\d{1,9})([.)])")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # never meant to be seen; NUL shows as �


# What `_escape_inline` escapes, as one pattern run by the regex engine instead of a Python loop
# over every character ([^\W_] is exactly str.isalnum()).
_INLINE = re.compile("[" + re.escape("".join(sorted(_ALWAYS))) + r"]|\.(?=[^\W_])|&(?=[^\W_]|#)|:(?=//)")


def _escape_inline(line: str) -> str:
    """A backslash before each character in _ALWAYS; before '.' when a letter or digit follows
    ('evil.example' and 'www.x' are linked by hosts that autolink bare domains); before '&' when
    a letter, digit or '#' follows ('&lt;' or '&#91;' would become '<' or '['); before ':' when
    '//' follows ('https://...' would be linked)."""
    return _INLINE.sub(r"\\\g<0>", line)


def _escape_line(line: str) -> str:
    ordered = _ORDERED_LIST.match(line)
    if ordered:  # "1. item" / "1) item" would start a numbered list
        return ordered.group(1) + "\\" + ordered.group(2) + _escape_inline(line[ordered.end() :])
    if line and line[0] in _LINE_START:
        return "\\" + line[0] + _escape_inline(line[1:])
    return _escape_inline(line)


def plain(value: object) -> str:
    """Markdown-escape text a person typed, for a TextBlock, FactSet value or chat message."""
    if value is None:
        return ""
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n"))
    text = _LEADING_SPACE.sub("", text)  # four leading spaces would make a code block
    return "\n".join(_escape_line(line) for line in text.split("\n"))
