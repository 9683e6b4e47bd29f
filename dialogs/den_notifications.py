"""What each queued Den-challenge message says, rendered as things stand when it is sent.

Whether it still matters is the domain's rule (`bot.domain.den_outbox`): a call for ideas whose
window was changed, a closing notice for a window that moved, a follow-up for an idea already
done, are dropped rather than sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from bot.domain.den_outbox import CHALLENGE_KINDS, STAGE_KINDS, challenge_message_relevant, stage_message_relevant
from bot.domain.notice import CollectionNotice
from bot.domain.outbox import MessageKind
from bot.domain.stage import Stage
from bot.i18n import Messages
from bot.ports import OutboxMessage
from bot.services.challenge import ChallengeService
from cards import pitch_form_card
from cards.challenge import (
    Choosing,
    announcement_card,
    call_for_ideas_card,
    challenge_digest_card,
    challenge_preface,
    follow_up_card,
    late_pitch_card,
    pool_card,
    stage_update_card,
    window_closed_card,
)

Rendered = tuple[dict[str, Any], str] | None


class DenNotificationRenderer:
    def __init__(self, service: ChallengeService, collection_notice: CollectionNotice | None = None) -> None:
        self._service = service
        self.collection_notice = collection_notice  # shown under the pitch form a channel's button sends

    async def __call__(self, message: OutboxMessage, m: Messages) -> Rendered:
        kind = message.kind
        if kind in CHALLENGE_KINDS:
            return await self._challenge_message(message, m)
        if kind in STAGE_KINDS:
            return await self._stage_message(message, m)
        if kind == MessageKind.PITCH_FORM:
            return await self._pitch_form(message, m)
        return None

    async def _challenge_message(self, message: OutboxMessage, m: Messages) -> Rendered:
        service, tz = self._service, self._service.tz
        challenge = await service.get(message.idea_id)
        if not challenge_message_relevant(message.kind, challenge, message.payload, service.clock()):
            return None
        name = challenge.name
        if message.kind == MessageKind.CALL_FOR_IDEAS:
            return call_for_ideas_card(m, challenge, tz=tz), m.t("den.call.title", name=name)
        if message.kind == MessageKind.WINDOW_CLOSED:
            ideas, _ = await service.entries(challenge.id)
            return window_closed_card(m, challenge, pitched=len(ideas)), m.t("den.closed.title", name=name)
        if message.kind == MessageKind.POOL_READY:
            _, rows = await service.pool(challenge.id)
            card = pool_card(m, challenge, [(r.idea, r.stage) for r in rows], now=service.clock(),
                             choosing=Choosing(today=service.today()))  # fmt: skip
            return card, m.t("den.pool.title", name=name)
        if message.kind in (MessageKind.FINALISTS_ANNOUNCED, MessageKind.WINNERS_ANNOUNCED):
            winners = message.kind == MessageKind.WINNERS_ANNOUNCED
            _, rows = await service.pool(challenge.id)
            reached = Stage.WINNER if winners else Stage.FINALIST
            chosen = [(r.idea, r.stage) for r in rows if r.stage.reached(reached)]
            kind = "winners" if winners else "finalists"
            return announcement_card(m, challenge, chosen, winners=winners), m.t(
                f"den.announce.{kind}.title", name=name
            )
        if message.kind == MessageKind.CHALLENGE_DIGEST:
            report = await service.report(challenge.id)
            return challenge_digest_card(m, report), m.t("den.digest.title", name=name)
        return None

    async def _stage_message(self, message: OutboxMessage, m: Messages) -> Rendered:
        idea, stage, challenge = await self._service.view(message.idea_id)
        if idea is None or challenge is None or not stage_message_relevant(message.kind, stage, message.payload):
            return None
        if message.kind == MessageKind.FOLLOW_UP:
            return follow_up_card(m, idea, stage), m.t("den.follow_up.title")
        seq = int(message.payload["seq"])
        card = stage_update_card(
            m, idea, stage, challenge, seq=seq, for_submitter=message.recipient_id == idea.submitter.id
        )
        change = stage.history[seq - 1]
        return card, m.t(
            "idea.reference_title", reference=idea.reference, title=m.t(f"den.stage.{change.to_stage.value}")
        )

    async def _pitch_form(self, message: OutboxMessage, m: Messages) -> Rendered:
        service = self._service
        target = await service.target_for_pitch(message.idea_id)
        if target.late:
            return late_pitch_card(m, target.next_one, now=service.clock(), tz=service.tz), m.t("den.late.title")
        challenge = target.challenge
        preface = challenge_preface(m, challenge, tz=service.tz) if challenge else None
        card = pitch_form_card(
            m, form_id=str(uuid.uuid4()), preface=preface, challenge_id=challenge.id if challenge else "",
            collection=self.collection_notice,
        )
        return card, m.t("form.title")
