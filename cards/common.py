"""Small builders for Adaptive Card elements, so card modules read like the card they make."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.formatting import format_date, format_number, format_time

if TYPE_CHECKING:
    from bot.i18n import Messages

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

Element = dict[str, Any]


def card(m: Messages, body: list[Element], actions: list[Element] | None = None) -> dict[str, Any]:
    """A card in `m`'s language, marked with it (`lang`): Teams and screen readers read it as such."""
    result: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "lang": m.language,
        "body": body,
    }
    if actions:
        result["actions"] = actions
    return result


def in_language(made: dict[str, Any], m: Messages) -> dict[str, Any]:
    """The card marked with the language it is written in (`lang`), so a screen reader reads it with
    the right voice and pronunciation. A card already marked keeps its mark."""
    return {"lang": m.language, **made}


def text(value: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def heading(value: str) -> Element:
    return text(value, size="Large", weight="Bolder", style="heading")


def subtle(value: str) -> Element:
    return text(value, isSubtle=True, spacing="Small")


# No colour carries meaning here: the words do, in bold. Teams' own colours fail WCAG 2.1 AA
# for body text (light theme "good" green 2.07:1 on white; dark theme "attention" red 3.2:1 on
# its grey), so text stays in the theme's default colour, which every theme (high contrast
# included) maps to an accessible one. tests/unit/test_card_contrast.py checks it.
def attention(value: str) -> Element:
    """Something the reader must act on or notice (an error, a refusal)."""
    return text(value, weight="Bolder")


def field_error(value: str) -> Element:
    """What is wrong with one field, right under it, as Teams shows its own validation messages
    (`errorMessage`): in the theme's attention colour. The words say what to fix; the colour only
    makes a server's answer look like the client's, so neither is mistaken for other text."""
    return text(value, color="Attention", spacing="Small")


def good(value: str) -> Element:
    """A key fact (where an idea is now)."""
    return text(value, weight="Bolder")


def navigate(title: str, verb: str, data: dict[str, Any] | None = None) -> Element:
    """A button that opens another view: the bot posts it as a new card, this one stays."""
    return execute(title, verb, data)


def view_idea(m: Messages, idea_id: str, reference: str) -> Element:
    """The button that opens an idea's details card (posted as a new card), named by its reference."""
    from cards import verbs  # cards.verbs is a plain list of names: no cycle

    return navigate(m.t("idea.view", reference=reference), verbs.VIEW_IDEA, {"ideaId": idea_id})


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs if v]}


def container(items: list[Element], **style: Any) -> Element:
    return {"type": "Container", "items": items, **style}


def execute(title: str, verb: str, data: dict[str, Any] | None = None, *, style: str = "default") -> Element:
    action: Element = {"type": "Action.Execute", "title": title, "verb": verb, "data": data or {}}
    if style != "default":
        action["style"] = style
    return action


def confirm_first(title: str, question: str, action: Element) -> Element:
    """A button for something that cannot be undone: it opens, on the card itself, what will happen
    and the button that does it (`action`). Inputs on the card are sent with it, as with any button."""
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "body": [text(question, weight="Bolder")], "actions": [action]},
    }


def when(m: Messages, moment: datetime) -> str:
    """A moment as the reader's language writes it, in the ministry's time zone: "December 16, 2026
    at 2:30 p.m.", « 16 décembre 2026 à 14 h 30 ». Written here, on the server: Teams' {{DATE()}}
    follows the client's locale, not the language the reader chose, so French readers saw English."""
    local = moment.astimezone(m.tz)
    return m.t("moment", day=format_date(local.date(), m.locale), time=format_time(local, m.locale, m.tz))


def local_day(m: Messages, day: date) -> str:
    """A calendar date (already in the ministry's time zone) as the reader's language writes it."""
    return format_date(day, m.locale)


def business_days(m: Messages, days: int | float) -> str:
    """'3 business days', '2.5 business days', 'less than a business day': one unit everywhere, said as such."""
    return m.count("days.business", days, shown=format_number(days, m.locale))
