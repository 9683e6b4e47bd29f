"""The submitter's card about one decision, built only from the facts the outbox row carries.

It states what was decided, by whom, when, and where the idea went next at that moment, so a
card delivered late or twice never contradicts what happened. Below that news comes the idea's
record (every decision so far, each with its own date); where the idea is now is one click away.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.model import Outcome
from bot.domain.outbox import DecisionFacts
from bot.i18n import Messages
from cards import verbs
from cards.approval_routes import level
from cards.common import Element, attention, card, execute, facts, good, heading, subtle, text, when
from cards.safe_text import plain


def decision_headline(m: Messages, fact: DecisionFacts) -> str:
    name = plain(fact.approver_name)
    if fact.on_behalf_name:  # "Amir Haddad, acting for Diane Tremblay (Director)"
        name = m.t("acting.for", name=name, principal=plain(fact.on_behalf_name))
    names = {"name": name, "role": level(m, fact.role), "reference": fact.reference}
    if fact.outcome == Outcome.REJECTED:
        return m.t("update.rejected", **names)
    if fact.outcome == Outcome.RETURNED:
        return m.t("update.returned", **names)
    if fact.final:
        return m.t("update.final", reference=fact.reference)
    return m.t("update.approved_step", **names)


def decision_update_card(
    m: Messages, fact: DecisionFacts, *, record: Sequence[Element] = (), actions: Sequence[Element] = ()
) -> dict[str, Any]:
    """`record`: the idea's record below the news (the route with every decision so far, comments);
    `actions`: what the submitter can do now (withdraw, ask for a second look), after "My ideas"."""
    headline = decision_headline(m, fact)
    body: list[dict[str, Any]] = [
        heading(headline),
        subtle(
            m.t(
                "chain.decided",
                outcome=m.t(f"outcome.{fact.outcome.value}"),
                name=m.t("acting.for", name=plain(fact.approver_name), principal=plain(fact.on_behalf_name))
                if fact.on_behalf_name
                else plain(fact.approver_name),
                when=when(m, fact.decided_at),
            )
        ),
    ]
    if fact.comment:
        body.append(text(m.t("chain.comment", comment=plain(fact.comment))))
    if fact.next_role is not None:
        body.append(good(m.t("update.went_on", name=plain(fact.next_name), role=level(m, fact.next_role))))
    elif fact.outcome == Outcome.REJECTED:
        body.append(attention(m.t("outcome.rejected")))
    body.append(facts([(m.t("receipt.reference"), fact.reference), (m.t("update.idea"), fact.title)]))
    body.extend(record)
    return card(m, body, [execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS), *actions])
