"""The words a search found, marked in the text a result shows (<mark>), and the excerpt around them."""

from __future__ import annotations

from markupsafe import Markup, escape

from bot.search_text import matched_spans, query_terms

EXCERPT = 240


def excerpt(text: str, query: str, length: int = EXCERPT) -> str:
    """About `length` characters of `text`, starting a little before the first word the query found."""
    text = " ".join((text or "").split())
    spans = matched_spans(text, query_terms(query))
    if len(text) <= length:
        return text
    start = max(0, spans[0][0] - 60) if spans else 0
    if start:
        start = text.find(" ", start) + 1 or start
    piece = text[start : start + length]
    cut = piece.rfind(" ") if start + length < len(text) else len(piece)
    piece = piece[: cut if cut > length // 2 else len(piece)]
    return ("…" if start else "") + piece + ("…" if start + len(piece) < len(text) else "")


def highlighted(text: str, query: str) -> Markup:
    """`text` escaped, with every word the query found inside <mark>."""
    spans = matched_spans(text, query_terms(query)) if query.strip() else []
    out, at = [], 0
    for start, end in spans:
        out.append(escape(text[at:start]))
        out.append(Markup("<mark>{}</mark>").format(text[start:end]))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)
