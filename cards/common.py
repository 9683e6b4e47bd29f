"""Small builders for Adaptive Card elements, so card modules read like the card they make."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

Element = dict[str, Any]


def card(body: list[Element], actions: list[Element] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        result["actions"] = actions
    return result


def text(value: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def heading(value: str) -> Element:
    return text(value, size="Large", weight="Bolder", style="heading")


def subtle(value: str) -> Element:
    return text(value, isSubtle=True, spacing="Small")


def attention(value: str) -> Element:
    return text(value, color="Attention", weight="Bolder")


def good(value: str) -> Element:
    return text(value, color="Good", weight="Bolder")


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs if v]}


def container(items: list[Element], **style: Any) -> Element:
    return {"type": "Container", "items": items, **style}


def execute(title: str, verb: str, data: dict[str, Any] | None = None, *, style: str = "default") -> Element:
    action: Element = {"type": "Action.Execute", "title": title, "verb": verb, "data": data or {}}
    if style != "default":
        action["style"] = style
    return action


def when(moment: datetime) -> str:
    """A timestamp Teams renders in the reader's own locale and time zone."""
    iso = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({iso}, SHORT)}}}} {{{{TIME({iso})}}}}"


def local_day(day: date) -> str:
    """A calendar date (already in the ministry's time zone) in the reader's own date format.
    Given as noon UTC, so every reader's time zone shows the same date."""
    return f"{{{{DATE({day.isoformat()}T12:00:00Z, SHORT)}}}}"
