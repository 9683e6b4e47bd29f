"""Receipts for the submitter: a pitch filed, a pitch saved during an outage, and filed later."""

from __future__ import annotations

from typing import Any

from bot.domain.model import Idea
from bot.i18n import Messages
from cards import verbs
from cards.approval_routes import route_why, withdraw_action
from cards.common import card, good, heading, navigate, text
from cards.idea import chain_view, pitch_summary, view_button, where_now
from cards.safe_text import plain


def receipt_card(
    m: Messages, idea: Idea, *, resubmitted: bool = False, title: str = "", similar: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Where a new (or revised) idea went. `title` overrides the usual one (e.g. for a spooled pitch filed later);
    `similar`: the section of similar shared ideas to offer (cards/connect.py), if any."""
    title = title or (m.t("receipt.resubmitted_title") if resubmitted else m.t("receipt.title"))
    body = [heading(title), text(m.t("receipt.saved"))]
    body.append(good(where_now(m, idea)) if idea.chain else good(m.t("receipt.no_chain")))
    body.extend(pitch_summary(m, idea, full=False))
    body.extend(route_why(m, idea))
    if idea.chain:
        body.append(chain_view(m, idea))
    body.extend(similar or [])
    actions = [view_button(m, idea), navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)]
    if idea.is_open:
        actions.append(withdraw_action(m, idea))
    return card(m, body, actions)


def filed_card(m: Messages, idea: Idea) -> dict[str, Any]:
    """The receipt for a pitch accepted during an outage, sent once it is filed."""
    return receipt_card(m, idea, title=m.t("spooled.filed_title", reference=idea.reference))


def spooled_card(m: Messages, values: dict[str, str]) -> dict[str, Any]:
    """Accepted during an outage of the records: saved here, filed (and numbered) later."""
    return card(
        m,
        [
            heading(m.t("spooled.title")),
            text(m.t("spooled.body")),
            text(plain(values.get("title", "")), weight="Bolder"),
        ],
        [navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)],
    )
