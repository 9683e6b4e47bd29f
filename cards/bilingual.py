"""One card in both official languages, for a channel that both language communities read.

A ministry's channel is read by English and French speakers alike, so what the bot posts there (the
call for ideas, the finalists and winners, People's Choice, the room's "Now pitching") is one card
written one language after the other, as Government of Ontario bilingual notices are: the channel's
own language first, then the other under a separator. Each button appears once, titled in both.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from bot.i18n import Messages

Element = dict[str, Any]
Rendered = tuple[dict[str, Any], str]
LANGUAGES = ("en", "fr")
_LOCALES = {"en": "en-CA", "fr": "fr-CA"}


def other_language(m: Messages) -> Messages:
    """The same reader's settings in the other official language."""
    return Messages(_LOCALES["fr" if m.language == "en" else "en"], m.tz)


def in_both(m: Messages, key: str) -> str:
    """A plain message posted in a channel: `m`'s language, then the other, a paragraph each."""
    return f"{m.t(key)}\n\n{other_language(m).t(key)}"


def _title(first: str, second: str) -> str:
    return first if first == second else f"{first} · {second}"


def _action_sets(elements: list[Element]) -> list[Element]:
    """Every ActionSet in `elements`, in reading order (inside containers too)."""
    found: list[Element] = []
    for element in elements:
        if element.get("type") == "ActionSet":
            found.append(element)
        for key in ("items", "columns"):
            found += _action_sets(element.get(key, []))
    return found


def _without_action_sets(elements: list[Element]) -> list[Element]:
    kept = []
    for element in elements:
        if element.get("type") == "ActionSet":
            continue
        element = dict(element)
        for key in ("items", "columns"):
            if key in element:
                element[key] = _without_action_sets(element[key])
        kept.append(element)
    return kept


def _both_titles(first: list[Element], second: list[Element]) -> list[Element]:
    return [
        {**a, "title": _title(a.get("title", ""), b.get("title", ""))} if b.get("verb") == a.get("verb") else a
        for a, b in zip(first, second, strict=False)
    ] + first[len(second) :]


def bilingual(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """`first` (the channel's language) then `second`, as one card; each button once, in both languages.

    Both must be the same card in two languages (the same buttons in the same order)."""
    body = copy.deepcopy(first["body"])
    for mine, theirs in zip(_action_sets(body), _action_sets(second["body"]), strict=False):
        mine["actions"] = _both_titles(mine["actions"], theirs["actions"])
    body.append(
        {
            "type": "Container",
            "separator": True,
            "spacing": "ExtraLarge",
            "items": _without_action_sets(second["body"]),
        }
    )
    made = {**first, "body": body}
    if "actions" in first:
        made["actions"] = _both_titles(first["actions"], second.get("actions", []))
    return made


async def in_both_languages(m: Messages, render: Callable[[Messages], Awaitable[Rendered | None]]) -> Rendered | None:
    """A channel post rendered in `m`'s language and then the other, made into one card."""
    first = await render(m)
    if first is None:
        return None
    second = await render(other_language(m))
    if second is None:
        return first
    return bilingual(first[0], second[0]), f"{first[1]} · {second[1]}"
