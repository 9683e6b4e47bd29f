"""What each queued notification says, from the facts its outbox row carries.

The outbox dispatcher calls this just before delivery. Whether a message still matters is the
domain's rule (`bot.domain.outbox.still_relevant`); one that does not is dropped (and logged by
the dispatcher). A decision update is built from the decision as it was made (`DecisionFacts`,
written with the decision), never from the idea as it is later; an approval request or reminder
is only sent while its step still waits, so the live card and the facts agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any, Protocol

from bot.domain.den_outbox import DEN_KINDS
from bot.domain.model import Idea, IdeaStatus, Outcome
from bot.domain.outbox import DecisionFacts, MessageKind, still_relevant
from bot.domain.pitch_day_outbox import PITCH_DAY_KINDS
from bot.i18n import Messages
from bot.ports import CHANNEL_PREFIX, Conversations, Ideas, OutboxMessage, Preferences
from bot.services.language import Languages
from cards import approval_card, returned_card
from cards.approval_routes import (
    comment_card,
    comments_view,
    informed_card,
    informed_outcome_card,
    second_look_action,
    withdraw_action,
    withdrawn_card,
)
from cards.bilingual import in_both_languages
from cards.common import in_language, view_idea
from cards.correction import corrected_card
from cards.decision_update import decision_update_card
from cards.idea import chain_view, pitch_summary
from cards.lesson import invite_action
from cards.receipt import filed_card
from cards.reminder import reminder_card
from cards.status import shortlisted_card
from cards.tab_links import TabLinks, with_tab_links
from cards.waiting import waiting_card


class NotificationRecords(Ideas, Conversations, Preferences, Protocol):
    """What rendering needs: the idea now, and the recipient's language (chosen, or their Teams locale)."""


class DenRenderer(Protocol):
    async def __call__(self, message: OutboxMessage, m: Messages) -> tuple[dict[str, Any], str] | None: ...


class NotificationRenderer:
    """Each card is written in its recipient's language at delivery time, never in the language of
    the person whose action caused it (Sam's French pitch reaches Maya in English if she reads English)."""

    def __init__(
        self,
        store: NotificationRecords,
        *,
        second_look: Callable[[], bool] = lambda: True,
        before_request: Callable[[OutboxMessage, Idea], Awaitable[bool]] | None = None,
        den: DenRenderer | None = None,
        pitch_day: DenRenderer | None = None,
        connect: DenRenderer | None = None,
        tz: tzinfo | None = None,
        tab_links: TabLinks | None = None,
    ) -> None:
        self._store = store
        self._tab_links = tab_links or TabLinks()  # the View buttons open the idea in the Den tab
        self._tz = tz  # the ministry's time zone: dates on cards are written in it
        self._den = den  # the Den challenge's messages (dialogs/den_notifications.py)
        self._pitch_day = pitch_day  # pitch day's (dialogs/pitch_day_notifications.py)
        self._connect = connect  # asking to connect (dialogs/connect_notifications.py)
        # Hands a step on (acting approver, someone away) before its request is sent; True: handed on.
        self._before_request = before_request
        self._second_look = second_look  # whether a rejection card offers a second look (the routing rules in force)
        self._languages = Languages(store, clock=lambda: None)  # only reads here

    async def __call__(self, message: OutboxMessage) -> tuple[dict[str, Any], str] | None:
        rendered = await self._rendered(message)
        if rendered is None:
            return None
        card, summary = rendered
        channel = message.recipient_id.startswith(CHANNEL_PREFIX)
        link = self._tab_links.for_reader("" if channel else message.recipient_id, str(card.get("lang", "")))
        return with_tab_links(card, link, keep_without=not channel), summary

    async def _rendered(self, message: OutboxMessage) -> tuple[dict[str, Any], str] | None:
        if message.recipient_id.startswith(CHANNEL_PREFIX):  # read by both language communities
            m = Messages(await self._languages.locale_for(message.recipient_id), self._tz)
            return await in_both_languages(m, lambda language: self._challenge_message(message, language))
        if message.kind in (MessageKind.CONNECT_ASKED, MessageKind.CONNECT_ANSWERED):
            if self._connect is None:
                return None
            return await self._connect(
                message, Messages(await self._languages.locale_for(message.recipient_id), self._tz)
            )
        if message.kind in DEN_KINDS or message.kind in PITCH_DAY_KINDS:
            m = Messages(await self._languages.locale_for(message.recipient_id), self._tz)
            return await self._challenge_message(message, m)
        # The SharePoint store renders from the idea it has just written, when it has (a read less).
        read = getattr(self._store, "get_for_delivery", None) or self._store.get
        idea = await read(message.idea_id)
        if idea is None:
            return None
        if self._before_request is not None and await self._before_request(message, idea):
            return None  # the step went to someone else, whose own request is now queued
        step, revision = message.payload.get("step"), message.payload.get("revision")
        if not still_relevant(message.kind, idea, step, revision, message.recipient_id):
            return None  # decided or withdrawn before we could deliver: nothing to say
        m = Messages(await self._languages.locale_for(message.recipient_id), self._tz)
        rendered = self._render(message, idea, m)
        if rendered is None:
            return None
        card, summary = rendered
        return in_language(card, m), summary

    async def _challenge_message(self, message: OutboxMessage, m: Messages) -> tuple[dict[str, Any], str] | None:
        """A Den challenge's or pitch day's message, in `m`'s language."""
        if self._den is not None and message.kind in DEN_KINDS:
            return await self._den(message, m)
        if self._pitch_day is not None and message.kind in PITCH_DAY_KINDS:
            return await self._pitch_day(message, m)
        return None

    def _render(self, message: OutboxMessage, idea: Idea, m: Messages) -> tuple[dict[str, Any], str] | None:
        step, revision = message.payload.get("step"), message.payload.get("revision")
        days = int(message.payload.get("days", 0))
        if message.kind == MessageKind.APPROVAL_REQUEST:
            return approval_card(m, idea, viewer_id=message.recipient_id), m.t("approval.title")
        if message.kind == MessageKind.FILED_RECEIPT:
            return filed_card(m, idea), m.t("spooled.filed_title", reference=idea.reference)
        if message.kind == MessageKind.REMINDER:
            from_dm = str(message.payload.get("fromDm", ""))
            card = reminder_card(m, idea, viewer_id=message.recipient_id, days=days, from_dm=from_dm)
            return card, m.t("reminder.title")
        if message.kind == MessageKind.SHORTLISTED:
            return shortlisted_card(m, idea), m.t("shortlisted.title", reference=idea.reference)
        if message.kind == MessageKind.WAITING:
            return waiting_card(m, idea, days=days), m.t("waiting.title", reference=idea.reference)
        if message.kind == MessageKind.DECISION_UPDATE:
            decision = idea.decision_for(step, revision)
            fact = DecisionFacts.from_payload(message.payload.get("facts")) or DecisionFacts.of(idea, decision)
            summary = m.t("idea.reference_title", reference=fact.reference, title=m.t(f"outcome.{fact.outcome.value}"))
            still_returned = idea.status == IdeaStatus.RETURNED and idea.revision == fact.revision
            if fact.outcome == Outcome.RETURNED and still_returned:
                # The return still stands: the card carries the pitch as a form, ready to revise.
                return returned_card(m, idea, decision, form_id=str(uuid.uuid4())), summary
            # What happened comes from the row's facts; the buttons are what can be done now.
            actions = [view_idea(m, idea.id, idea.reference)]
            if idea.status in (IdeaStatus.IN_REVIEW, IdeaStatus.RETURNED):
                actions.append(withdraw_action(m, idea))
            rejected_now = fact.outcome == Outcome.REJECTED and idea.status == IdeaStatus.REJECTED
            if self._second_look() and rejected_now and not idea.second_look_used:
                actions.append(second_look_action(m, idea))
            if rejected_now and idea.lesson is None:
                actions.append(invite_action(m, idea))  # the invitation to share what was learned, once
            record = [chain_view(m, idea), *comments_view(m, idea)]
            return decision_update_card(m, fact, record=record, actions=actions), summary
        if message.kind == MessageKind.INFORMED:
            chain, summary = chain_view(m, idea, for_submitter=False), pitch_summary(m, idea, full=False)
            return informed_card(m, idea, summary=summary, chain=chain), m.t("informed.title", reference=idea.reference)
        if message.kind == MessageKind.INFORMED_OUTCOME:
            chain, summary = chain_view(m, idea, for_submitter=False), pitch_summary(m, idea, full=False)
            card = informed_outcome_card(m, idea, summary=summary, chain=chain)
            return card, m.t(f"informed_outcome.title.{idea.status.value}", reference=idea.reference)
        if message.kind == MessageKind.WITHDRAWN:
            chain, summary = chain_view(m, idea, for_submitter=False), pitch_summary(m, idea, full=False)
            card = withdrawn_card(m, idea, summary=summary, chain=chain)
            return card, m.t("withdraw.approver_title", reference=idea.reference)
        if message.kind == MessageKind.CORRECTED:
            return corrected_card(m, idea, message.payload), m.t("correction.title", reference=idea.reference)
        if message.kind == MessageKind.COMMENT:
            number = int(message.payload.get("number", 0))
            if not 0 < number <= len(idea.history):
                return None
            entry = idea.history[number - 1]
            card = comment_card(m, idea, entry, chain=chain_view(m, idea))
            return card, m.t("comments.new_title", name=entry.actor_name, reference=idea.reference)
        return None
