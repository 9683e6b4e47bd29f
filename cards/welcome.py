"""The welcome, help and one-line notice cards."""

from __future__ import annotations

from typing import Any

from bot.i18n import Messages
from cards import verbs
from cards.common import card, execute, heading, text


def _menu(m: Messages) -> list[dict[str, Any]]:
    return [
        execute(m.t("welcome.pitch"), verbs.PITCH_OPEN, style="positive"),
        execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS),
        execute(m.t("welcome.help"), verbs.HELP),
    ]


def welcome_card(m: Messages) -> dict[str, Any]:
    return card([heading(m.t("welcome.title")), text(m.t("welcome.body"))], _menu(m))


def help_card(m: Messages) -> dict[str, Any]:
    approvers = [
        execute(m.t("welcome.my_approvals"), verbs.MY_APPROVALS),
        execute(m.t("welcome.delegate"), verbs.DELEGATE_OPEN),
    ]
    return card(
        [
            heading(m.t("help.title")),
            text(m.t("help.body")),
            text(m.t("help.approvers")),
            text(m.t("help.commands"), isSubtle=True),
            {"type": "ActionSet", "actions": approvers},
        ],
        _menu(m),
    )


def notice_card(m: Messages, message: str, *, with_menu: bool = False) -> dict[str, Any]:
    return card([text(message)], _menu(m) if with_menu else None)
