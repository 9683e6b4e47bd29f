"""What each queued pitch-day message says, rendered as things stand when it is sent.

Whether it still matters is the domain's rule (`bot.domain.pitch_day_outbox`): a scorecard for a
judge taken off the panel, a reminder to a judge who has since finished, or anything to judges
after the chair closed scoring, is dropped rather than sent. Results are rendered only for
someone allowed to see them.
"""

from __future__ import annotations

from typing import Any

from bot.domain.outbox import MessageKind
from bot.domain.panel import Scorecard
from bot.i18n import Messages
from bot.ports import OutboxMessage
from bot.services.pitch_day import PitchDayService, Status
from cards.peoples_choice import peoples_choice_result_card
from cards.scorecard import panel_named_card, panel_reminder_card, results_card, scorecard_card

Rendered = tuple[dict[str, Any], str] | None


class PitchDayNotificationRenderer:
    def __init__(self, service: PitchDayService) -> None:
        self._service = service

    async def __call__(self, message: OutboxMessage, m: Messages) -> Rendered:
        service = self._service
        if message.kind == MessageKind.PEOPLES_CHOICE_RESULT:
            day = await service.day(message.idea_id)
            if day is None or day.poll is None or day.poll.is_open:
                return None
            card = peoples_choice_result_card(m, day.challenge, day.finalists, day.poll)
            return card, m.t("pc.announce.title", name=day.challenge.name)
        if message.kind == MessageKind.PANEL_RESULTS:
            result = await service.results(viewer_id=message.recipient_id, challenge_id=message.idea_id)
            day = result.day
            if result.status != Status.RECORDED or day is None or day.panel is None:
                return None  # not (or no longer) someone who may see them
            card = results_card(m, day.challenge, day.finalists, result.results, quorum=service.quorum,
                                closed_at=day.panel.scoring_closed_at)  # fmt: skip
            return card, m.t("pd.results.title", name=day.challenge.name)
        day = await service.panel_message_relevant(message)
        if day is None or day.panel is None:
            return None
        name = day.challenge.name
        if message.kind == MessageKind.PANEL_NAMED:
            chair = (await service.names([day.panel.chair_id])).get(day.panel.chair_id) or ""
            card = panel_named_card(m, day.challenge, day.panel, day.finalists, chair_name=chair)
            return card, m.t("pd.named.title", name=name)
        if message.kind == MessageKind.SCORECARD:
            finalist = day.finalist(str(message.payload.get("finalistId") or ""))
            if finalist is None:
                return None
            stored = await service.store.get_scorecard(day.challenge.id, finalist.id, message.recipient_id)
            own = stored or Scorecard(day.challenge.id, finalist.id, message.recipient_id)
            card = scorecard_card(m, day.challenge, finalist, own, day.panel)
            return card, m.t("pd.scorecard.summary", title=finalist.pitch.title)
        if message.kind == MessageKind.PANEL_REMINDER:
            _, cards = await service.my_scorecards(judge_id=message.recipient_id, challenge_id=day.challenge.id)
            left = sum(1 for c in cards if not c.is_done)
            return panel_reminder_card(m, day.challenge, left), m.t("pd.reminder.title", name=name)
        return None
