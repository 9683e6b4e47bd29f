"""No live buttons left behind: the approval requests and reminders the bot posts are remembered by the
id Teams gave each message, and once the idea is withdrawn, each of them in the approver's chat is
replaced in place by the withdrawn card, as a decision replaces the card it was made on.

This runs in place of the withdrawn notice (the outbox's in-place step), with the very card that notice
would carry, in the approver's language: once a live card says the idea was withdrawn, a second, new
card saying the same would only repeat it. When no card could be replaced (sent before this was kept,
or Teams refused every update) the notice is sent as a new message instead. It sits on top of Universal
Actions refresh (the card asks for itself again when Teams shows it) and of the click, which answers
that the idea was withdrawn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.domain.outbox import MessageKind
from bot.ports import ChannelPosts, DeliveryFailed, OutboxMessage, SentCard, SentCards

log = logging.getLogger(__name__)

KEPT = frozenset({MessageKind.APPROVAL_REQUEST, MessageKind.REMINDER})  # cards with decision buttons


class LiveCards:
    def __init__(self, store: SentCards, channel: ChannelPosts, *, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._channel = channel
        self._clock = clock

    async def after_send(self, message: OutboxMessage, card: dict[str, Any], summary: str, sent_id: str) -> None:
        """The outbox's after-send step: remember a card with buttons."""
        if message.kind in KEPT and sent_id:
            await self._store.remember_card(
                SentCard(message.id, message.idea_id, message.recipient_id, sent_id, self._clock())
            )

    async def in_place(self, message: OutboxMessage, card: dict[str, Any], summary: str) -> bool:
        """The outbox's in-place step: a withdrawal closes the live cards, and needs no new message
        once at least one of them says so."""
        if message.kind != MessageKind.WITHDRAWN:
            return False
        return await self.replace_all(message.idea_id, message.recipient_id, card, summary) > 0

    async def replace_all(self, idea_id: str, recipient_id: str, card: dict[str, Any], summary: str) -> int:
        """Replace every remembered card about the idea in this person's chat; returns how many."""
        replaced = 0
        for sent in await self._store.cards_sent(idea_id, recipient_id):
            try:
                await self._channel.update_card(recipient_id, sent.activity_id, card, summary=summary)
                replaced += 1
            except DeliveryFailed as failure:
                log.warning(
                    "a card could not be replaced in place",
                    extra={"message_id": sent.message_id, "reason": failure.reason},
                )
        return replaced
