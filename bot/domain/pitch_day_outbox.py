"""Pitch day's notifications: who receives the results, and whether a queued message still
matters when it is about to be sent (the service builds the messages).

Ids are deterministic (`bot.domain.outbox.message_id`), so naming the panel twice tells a judge
once, and a reminder is one per judge per reminder time. A reminder is queued when the panel is
named, due at the set time: no timer, and a restart loses nothing. At sending, it is dropped if
the judge has since done every scorecard, left the panel, or the chair closed scoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.domain.challenge import Challenge
from bot.domain.outbox import MessageKind
from bot.domain.panel import Panel, Scorecard, judges_to_remind

PANEL_KINDS = frozenset(
    {MessageKind.PANEL_NAMED, MessageKind.SCORECARD, MessageKind.PANEL_REMINDER, MessageKind.PANEL_RESULTS}
)
PITCH_DAY_KINDS = PANEL_KINDS | {MessageKind.PEOPLES_CHOICE_RESULT}


def results_recipients(
    panel: Panel, challenge: Challenge, organiser_ids: Iterable[str] = (), in_the_running: Iterable[str] = ()
) -> list[str]:
    """The chair, the organisers we know by name (who opened the challenge, who named the panel,
    and any configured by id) and the sponsor DMs; never the other judges or the finalists, nor
    anyone among them with an idea in the running (`in_the_running`), whatever their role."""
    excluded = set(in_the_running)
    return list(dict.fromkeys(r for r in result_candidates(panel, challenge, organiser_ids) if r not in excluded))


def result_candidates(panel: Panel, challenge: Challenge, organiser_ids: Iterable[str] = ()) -> list[str]:
    """Everyone whose role gives them the results (before anyone is left out for a conflict)."""
    named = [panel.chair_id, challenge.created_by, panel.named_by, *organiser_ids, *challenge.sponsor_ids]
    return list(dict.fromkeys(r for r in named if r))


def panel_message_relevant(
    kind: str,
    recipient_id: str,
    payload: Mapping[str, Any],
    panel: Panel | None,
    finalist_ids: Sequence[str],
    scorecards: Iterable[Scorecard],
    now: datetime,
) -> bool:
    """Is a queued panel message still worth sending to this recipient now?"""
    if panel is None:
        return False
    if kind == MessageKind.PANEL_RESULTS:
        return panel.scoring_closed
    if not panel.is_judge(recipient_id) or panel.scoring_closed:
        return False
    if kind == MessageKind.SCORECARD:
        return payload.get("finalistId") in finalist_ids
    if kind == MessageKind.PANEL_REMINDER:
        if panel.remind_at is None or _moment(payload.get("remindAt")) != panel.remind_at:
            return False  # the reminder time changed: the reminder queued for the new time goes instead
        # Leased means due (its row waits for the reminder time), whatever this instance's clock says.
        due = max(now, panel.remind_at)
        return recipient_id in judges_to_remind(panel, finalist_ids, scorecards, due)
    return kind == MessageKind.PANEL_NAMED


def _moment(value: Any) -> datetime | None:
    """A queued time, compared as a moment (its text may carry another offset than the panel's)."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
