"""Keep every outgoing card under Teams' message size limit: cut long text, offer the rest.

Teams refuses a message above about 28 KB, card included; a refused card is an idea nobody
can decide. Before any card leaves (in a turn or through the outbox), `fit_card` measures it
as it will travel (compact JSON, UTF-8) and, if it is over the budget, shortens the longest
TextBlocks first, cutting at a word where it can and ending with "…". When something was cut
it adds `see_rest` (an action that shows the full text, paged) so nothing is hidden for good.
Inputs' values are cut only as a last resort, and never below what a person could have typed
in that input (its `maxLength`).

    from cards.size_guard import fit_card, fit_for_teams
    card = fit_for_teams(m, card)   # what the Teams edge does with every card it sends
    card = fit_card(card, budget=..., see_rest=...)   # the rule itself, with your own "see the rest"
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from bot.i18n import Messages
from cards import verbs
from cards.common import execute

TEAMS_MESSAGE_LIMIT_BYTES = 28 * 1024
# Room for the activity around the card (ids, conversation, summary, attachment wrapper).
CARD_BUDGET_BYTES = 24 * 1024
# Past the budget, inputs' values may be cut below their maxLength only to stay under this.
CARD_HARD_LIMIT_BYTES = 26 * 1024
ELLIPSIS = "…"
KEEP_AT_LEAST = 200  # never cut a text shorter than this: cutting many small ones reads badly
MAX_ACTIONS = 6  # Teams shows at most six actions on a card


def card_bytes(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the card's tree (elements, actions, facts...), depth first in reading order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _elements(item)


def _text_blocks(card: Any) -> Iterator[dict[str, Any]]:
    """What shows text a cut could shorten: TextBlocks, and the facts of FactSets."""
    for node in _elements(card):
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
            yield node
        elif node.get("type") == "FactSet":
            yield from (f for f in node.get("facts", []) if isinstance(f, dict) and isinstance(f.get("value"), str))


def _inputs(card: Any) -> Iterator[dict[str, Any]]:
    """Inputs with a value filled in (a form sent back with what the person typed)."""
    for node in _elements(card):
        if str(node.get("type", "")).startswith("Input.") and isinstance(node.get("value"), str):
            yield node


def cut(value: str, keep: int) -> str:
    """`value` shortened to at most `keep` characters plus "…", at a word boundary if one is near.

    Never ends inside a markdown escape (a lone trailing backslash) or a {{DATE(...)}} template.
    """
    if len(value) <= keep:
        return value
    head = value[:keep]
    space = head.rfind(" ")
    if space >= keep * 0.8:
        head = head[:space]
    template = head.rfind("{{")
    if template != -1 and "}}" not in head[template:]:
        head = head[:template]
    stripped = head.rstrip("\\")
    if (len(head) - len(stripped)) % 2:  # an odd run of backslashes escapes the "…": drop one
        head = head[:-1]
    return head.rstrip() + ELLIPSIS


def _key(node: dict[str, Any]) -> str:
    return "text" if "text" in node and node.get("type") == "TextBlock" else "value"


def fit_card(
    card: dict[str, Any], *, budget: int = CARD_BUDGET_BYTES, see_rest: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The card itself if it fits; else a shortened copy (with `see_rest` added to its actions)."""
    size = card_bytes(card)
    if size <= budget:
        return card
    result = copy.deepcopy(card)
    if see_rest is not None and len(result.get("actions", [])) < MAX_ACTIONS:
        result.setdefault("actions", []).append(see_rest)
        size = card_bytes(result)
    # Text shown first; then inputs, down to what their maxLength allows; then, only if the card
    # would otherwise be refused, inputs below that too (the stored text stays whole: see_rest).
    for candidates, target, floor in (
        (_text_blocks, budget, _shown_floor),
        (_inputs, budget, _input_floor),
        (_inputs, max(budget, CARD_HARD_LIMIT_BYTES), _shown_floor),
    ):
        size = _shorten(result, size, candidates, target, floor)
    return result


def _shorten(result: dict[str, Any], size: int, candidates, target: int, floor) -> int:
    while size > target:
        nodes = [n for n in candidates(result) if len(n[_key(n)]) > floor(n)]
        if not nodes:
            break
        longest = max(nodes, key=lambda n: len(n[_key(n)].encode("utf-8")))
        value = longest[_key(longest)]
        bytes_per_char = max(1.0, len(value.encode("utf-8")) / len(value))
        over_by_chars = int((size - target) / bytes_per_char) + len(ELLIPSIS) + 16
        keep = max(floor(longest), len(value) - over_by_chars, len(value) // 2)
        shortened = cut(value, keep)
        if shortened == value:
            break
        longest[_key(longest)] = shortened
        size = card_bytes(result)
    return size


def _shown_floor(node: dict[str, Any]) -> int:
    return KEEP_AT_LEAST


def _input_floor(node: dict[str, Any]) -> int:
    return max(KEEP_AT_LEAST, int(node.get("maxLength") or 0))


def _idea_id_in(card: dict[str, Any]) -> str:
    """The idea a card is about: the first `ideaId` its buttons carry (a digest, about many, has none)."""
    stack: list[Any] = [card]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            data = node.get("data")
            if (
                node.get("type") == "Action.Execute"
                and isinstance(data, dict)
                and isinstance(data.get("ideaId"), str)
                and "dmId" not in data
            ):
                return data["ideaId"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return ""


def read_all_action(m: Messages, idea_id: str) -> dict[str, Any]:
    return execute(m.t("card.read_all"), verbs.IDEA_READ, {"ideaId": idea_id, "part": 1})


def fit_for_teams(m: Messages, card: dict[str, Any]) -> dict[str, Any]:
    """`fit_card` with the usual way to see the rest: the idea's full text, if the card is about one."""
    if card_bytes(card) <= CARD_BUDGET_BYTES:
        return card
    idea_id = _idea_id_in(card)
    return fit_card(card, see_rest=read_all_action(m, idea_id) if idea_id else None)
