"""One Teams budget for the tenant, shared by the app's instances: who is alive, and each one's share.

Teams allows an app a number of proactive messages a second per tenant, all its instances together.
Each instance announces itself in the store (a heartbeat, with the share it will use until its
next one) and reads the others'. The rule that keeps the sum of what they use under the budget:

- an instance's fair share is the budget divided by the instances alive (seen within `ttl`);
- it may always lower its share, at once (it declares the lower share with the same beat);
- it may raise it only into what the others have left undeclared, and only after a short delay
  (`RAISE_DELAY_SECONDS`), so the sends another instance made just before lowering have left every
  one-second window by then.

So a new instance starts with what is free (often nothing) and gets its share once the others have
seen it and lowered theirs; an instance that stops says so (its share is freed at once); one that
dies is forgotten once its heartbeat is older than `ttl`, and until then its share stays reserved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

RAISE_DELAY_SECONDS = 2.0  # longer than the tenant's one-second window, with room for a send under way
MISSED_BEATS = 2.5  # an instance silent this many heartbeats is taken for dead


@dataclass(frozen=True)
class InstanceBeat:
    """An instance's last heartbeat: when, and the share of the budget it declared (messages a second)."""

    instance_id: str
    seen_at: datetime
    share: float


def alive_others(beats: Sequence[InstanceBeat], me: str, now: datetime, ttl: timedelta) -> list[InstanceBeat]:
    """The other instances whose last heartbeat is recent enough."""
    return [b for b in beats if b.instance_id != me and now - b.seen_at <= ttl]


def fair_share(budget: float, others: Sequence[InstanceBeat]) -> float:
    return budget / (1 + len(others))


def next_share(budget: float, current: float, others: Sequence[InstanceBeat]) -> float:
    """The share to declare now: the fair share if it is lower (at once); else as much of it as the
    others leave free (never less than what is held now, which the others already count)."""
    target = fair_share(budget, others)
    if target <= current:
        return target
    free = budget - sum(b.share for b in others)
    return max(current, min(target, free))


def after_answer(budget: float, declared: float, others: Sequence[InstanceBeat]) -> float:
    """What to use once the beat's answer is in: the share declared, or less if the answer shows
    instances the decision did not see (on SharePoint a share is decided from the previous answer).
    The store keeps the higher figure until the next beat, which only makes the others more careful."""
    return min(declared, fair_share(budget, others))


def whole_messages(share: float) -> int:
    """Teams' windows count whole messages: a share of 2.5 a second sends at most 2 in any second."""
    return max(0, int(share + 1e-9))
