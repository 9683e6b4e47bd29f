"""An idea's full text, page by page: where a card that had to be shortened sends its reader.

A page holds at most `PAGE_CHARS` characters of what people typed (even escaped and in
four-byte characters that stays well under Teams' card limit), so any pitch and any number of
comments can be read whole, one page after another.
"""

from __future__ import annotations

from typing import Any

from bot.domain.model import Idea
from bot.i18n import Messages
from cards import verbs
from cards.common import card, execute, heading, subtle, text
from cards.safe_text import plain

PAGE_CHARS = 2000


def _pieces(value: str, size: int) -> list[str]:
    """`value` in pieces of at most `size` characters, split at a space where one is near."""
    pieces: list[str] = []
    while len(value) > size:
        cut = value.rfind(" ", int(size * 0.8), size)
        cut = cut if cut > 0 else size
        pieces.append(value[:cut])
        value = value[cut:].lstrip(" ")
    return [*pieces, value] if value else pieces


def sections(m: Messages, idea: Idea) -> list[tuple[str, str]]:
    """(label, text a person typed), in reading order: the pitch, then every comment."""
    p = idea.pitch
    found = [
        (m.t("idea.label.title"), p.title),
        (m.t("idea.label.problem"), p.problem),
        (m.t("idea.label.solution"), p.solution),
        (m.t("idea.label.first_steps"), p.first_steps),
        (m.t("idea.label.people"), p.people),
    ]
    found += [(d.approver_name, d.comment) for d in idea.decisions]
    return [(label, value) for label, value in found if value]


def pages(m: Messages, idea: Idea) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = [[]]
    used = 0
    for label, value in sections(m, idea):
        for piece in _pieces(value, PAGE_CHARS):
            if used + len(piece) > PAGE_CHARS and result[-1]:
                result.append([])
                used = 0
            result[-1].append((label, piece))
            used += len(piece)
    return result


def full_text_card(m: Messages, idea: Idea, part: int) -> dict[str, Any]:
    """Page `part` (from 1; out of range shows the nearest page) of the idea's full text."""
    all_pages = pages(m, idea)
    part = min(max(part, 1), len(all_pages))
    body: list[dict[str, Any]] = [heading(m.t("read.title", reference=idea.reference))]
    if len(all_pages) > 1:
        body.append(subtle(m.t("read.part", part=part, parts=len(all_pages))))
    for label, piece in all_pages[part - 1]:
        body.append(text(plain(label), weight="Bolder", spacing="Medium"))
        body.append(text(plain(piece), spacing="Small"))
    actions = []
    if part > 1:
        actions.append(execute(m.t("read.previous"), verbs.IDEA_READ, {"ideaId": idea.id, "part": part - 1}))
    if part < len(all_pages):
        actions.append(execute(m.t("read.next"), verbs.IDEA_READ, {"ideaId": idea.id, "part": part + 1}))
    return card(m, body, actions)
