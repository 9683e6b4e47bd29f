"""When a waiting step escalates: business days since its holder got it, past the policy's limit.

Reminders come first (the nudger's daily pass); a step still undecided after the policy's
number of business days goes to the approver's manager or moves on. Counting starts again
when the step changes hands, so a new holder gets the full period.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.calendar import WorkCalendar
from bot.domain.model import Idea
from bot.domain.routing import EscalationPolicy


def business_days_waiting(idea: Idea, now: datetime, calendar: WorkCalendar) -> int:
    return calendar.business_days_between(idea.waiting_since, now)


def escalation_due(idea: Idea, now: datetime, calendar: WorkCalendar, policy: EscalationPolicy) -> int | None:
    """The business days the step has waited, if that is enough to escalate it now; else None."""
    if not policy.enabled or not idea.is_open:
        return None
    days = business_days_waiting(idea, now, calendar)
    return days if days >= policy.after_business_days else None
