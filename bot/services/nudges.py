"""Nudges that keep approvals moving.

An approver holding a step longer than a set number of business days gets a reminder card
(the approval card again, buttons and all), at most one a day; past a second threshold the
submitter is told where the idea waits, once per step. Message ids are deterministic, so the
daily run, a DM's "Nudge" button and a second app instance can never double a reminder.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.calendar import WorkCalendar
from bot.domain.model import Idea
from bot.domain.outbox import MessageKind, reminder_id, step_message_id
from bot.ports import Ideas, Outbox, OutboxMessage

log = logging.getLogger(__name__)


class NudgeRecords(Ideas, Outbox, Protocol):
    """What the nudges need from the store: the open ideas, and the outbox."""


@dataclass
class NudgeResult:
    reminders: int = 0
    submitters_told: int = 0
    escalated: int = 0


class Nudger:
    def __init__(
        self,
        store: NudgeRecords,
        *,
        clock: Callable[[], datetime],
        calendar: WorkCalendar,
        remind_after_business_days: int = 3,
        tell_submitter_after_business_days: int = 7,
        on_outbox: Callable[[], None] | None = None,
        escalate: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.store = store
        self._escalate = escalate  # after the reminders: steps waiting past the routing file's limit
        self.clock = clock
        self.calendar = calendar
        self.remind_after = remind_after_business_days
        self.tell_after = tell_submitter_after_business_days
        self._on_outbox = on_outbox or (lambda: None)

    def waiting_days(self, idea: Idea, now: datetime) -> int:
        return self.calendar.business_days_between(idea.waiting_since, now)

    def _reminder(self, idea: Idea, now: datetime, days: int, from_dm: str) -> OutboxMessage:
        return OutboxMessage.due_now(
            reminder_id(idea.id, idea.revision, idea.current_step, self.calendar.local_date(now).isoformat()),
            recipient_id=idea.chain[idea.current_step].approver_id,
            kind=MessageKind.REMINDER,
            idea_id=idea.id,
            now=now,
            payload={"step": idea.current_step, "revision": idea.revision, "days": days, "fromDm": from_dm},
        )

    async def remind(self, idea: Idea, *, from_dm: str = "") -> bool:
        """Remind the current approver now, unless they were already reminded today."""
        if not idea.is_open:
            return False
        now = self.clock()
        message = self._reminder(idea, now, self.waiting_days(idea, now), from_dm)
        if await self.store.existing_outbox_ids([message.id]):
            return False
        await self.store.enqueue([message])
        self._on_outbox()
        return True

    async def run(self) -> NudgeResult:
        """The daily pass over every open idea."""
        now = self.clock()
        result = NudgeResult()
        if not self.calendar.is_business_day(self.calendar.local_date(now)):
            return result
        messages: list[OutboxMessage] = []
        for idea in await self.store.list_open():
            days = self.waiting_days(idea, now)
            if days >= self.remind_after:
                messages.append(self._reminder(idea, now, days, ""))
            if days >= self.tell_after:
                messages.append(
                    OutboxMessage.due_now(
                        step_message_id(MessageKind.WAITING, idea.id, idea.revision, idea.current_step),
                        recipient_id=idea.submitter.id,
                        kind=MessageKind.WAITING,
                        idea_id=idea.id,
                        now=now,
                        payload={"step": idea.current_step, "revision": idea.revision, "days": days},
                    )
                )
        already = await self.store.existing_outbox_ids([m.id for m in messages])
        fresh = [m for m in messages if m.id not in already]
        if fresh:
            await self.store.enqueue(fresh)
            self._on_outbox()
        result.reminders = sum(1 for m in fresh if m.kind == MessageKind.REMINDER)
        result.submitters_told = sum(1 for m in fresh if m.kind == MessageKind.WAITING)
        if self._escalate is not None:
            result.escalated = await self._escalate()
        log.info(
            "nudges queued",
            extra={
                "reminders": result.reminders,
                "submitters_told": result.submitters_told,
                "escalated": result.escalated,
            },
        )
        return result
