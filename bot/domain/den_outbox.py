"""When a queued Den-challenge message still matters, decided as it is about to be sent.

Calls for ideas and window notices are queued when a challenge is opened, due at its opening
and closing; editing the window (before it opens) or closing it early queues new ones, and the
old ones, whose dates no longer match, become moot. Follow-ups stop once an idea is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.challenge import Challenge, ChallengePhase
from bot.domain.outbox import MessageKind
from bot.domain.stage import IdeaStage, Stage

CHALLENGE_KINDS = frozenset(
    {
        MessageKind.CALL_FOR_IDEAS,
        MessageKind.WINDOW_CLOSED,
        MessageKind.POOL_READY,
        MessageKind.FINALISTS_ANNOUNCED,
        MessageKind.WINNERS_ANNOUNCED,
        MessageKind.CHALLENGE_DIGEST,
    }
)
STAGE_KINDS = frozenset({MessageKind.STAGE_UPDATE, MessageKind.FOLLOW_UP})
DEN_KINDS = CHALLENGE_KINDS | STAGE_KINDS | {MessageKind.PITCH_FORM}


def challenge_message_relevant(kind: str, challenge: Challenge | None, payload: Mapping[str, Any], now) -> bool:
    if challenge is None:
        return False
    if kind == MessageKind.CALL_FOR_IDEAS:
        same_window = payload.get("opensAt") == challenge.opens_at.isoformat()
        return same_window and challenge.phase(now) != ChallengePhase.CLOSED and bool(challenge.channel_key)
    if kind in (MessageKind.WINDOW_CLOSED, MessageKind.POOL_READY):
        return (
            payload.get("closesAt") == challenge.closed_at.isoformat() and challenge.phase(now) == ChallengePhase.CLOSED
        )
    return True


def stage_message_relevant(kind: str, stage: IdeaStage | None, payload: Mapping[str, Any]) -> bool:
    if stage is None:
        return False
    if kind == MessageKind.FOLLOW_UP:
        return stage.stage == Stage.IMPLEMENTING
    seq = payload.get("seq")
    return isinstance(seq, int) and 0 < seq <= len(stage.history)
