"""The welcome, help and one-line notice cards, and the Français / English switch on them."""

from __future__ import annotations

import enum
from typing import Any

from bot.i18n import Messages
from cards import verbs
from cards.common import card, execute, heading, text


class Audience(enum.StrEnum):
    """Who the welcome speaks to: what they will do in the Den first."""

    STAFF = "staff"
    APPROVER = "approver"  # managers, directors, ADMs: they pitch, and decide on their staff's ideas
    DM = "dm"  # deputy ministers: the weekly digest, shortlisting
    ORGANISER = "organiser"  # Den organisers: run the challenge


def language_switch(m: Messages) -> dict[str, Any]:
    """One button to the other language, labelled in that language ("Français" on an English card)."""
    other = "en" if m.language == "fr" else "fr"
    return execute(m.t("language.switch"), verbs.LANGUAGE, {"language": other})


def approver_actions(m: Messages) -> list[dict[str, Any]]:
    """What an approver opens: the ideas waiting for their decision, and who acts for them."""
    return [
        execute(m.t("welcome.my_approvals"), verbs.MY_APPROVALS),
        execute(m.t("welcome.delegate"), verbs.DELEGATE_OPEN),
    ]


def _menu(m: Messages, audience: Audience = Audience.STAFF) -> list[dict[str, Any]]:
    """Pitch and My ideas for everyone; what this person does first in the Den next (an organiser's
    challenges, a deputy minister's digest); then Help and the other language (five at most: Teams
    shows no more in a card's actions)."""
    first = {
        Audience.ORGANISER: [execute(m.t("welcome.challenges"), verbs.CHALLENGES)],
        Audience.DM: [execute(m.t("welcome.digest"), verbs.DIGEST_OPEN)],
    }.get(audience, [])
    return [
        execute(m.t("welcome.pitch"), verbs.PITCH_OPEN, style="positive"),
        execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS),
        *first,
        execute(m.t("welcome.help"), verbs.HELP),
        language_switch(m),
    ]


def welcome_card(m: Messages, audience: Audience = Audience.STAFF, *, approver: bool = False) -> dict[str, Any]:
    """`approver`: they decide approval steps whatever their audience (a manager, an organiser who is
    also a director, a colleague a step was passed to): their approvals and acting approver, in the body
    as on the help card, since the card's own actions are full."""
    body: list[dict[str, Any]] = [heading(m.t("welcome.title")), text(m.t(f"welcome.body.{audience.value}"))]
    if approver or audience == Audience.APPROVER:
        body.append({"type": "ActionSet", "actions": approver_actions(m)})
    return card(m, body, _menu(m, audience))


def help_card(m: Messages) -> dict[str, Any]:
    approvers = approver_actions(m)
    return card(
        m,
        [
            heading(m.t("help.title")),
            text(m.t("help.body")),
            text(m.t("help.approvers")),
            text(m.t("help.den")),
            text(m.t("help.commands"), isSubtle=True),
            {"type": "ActionSet", "actions": approvers},
        ],
        _menu(m),
    )


def notice_card(m: Messages, message: str, *, with_menu: bool = False) -> dict[str, Any]:
    return card(m, [text(message)], _menu(m) if with_menu else None)
