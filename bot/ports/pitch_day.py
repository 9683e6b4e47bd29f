"""The narrow store interfaces of pitch day: the panel and its scorecards, People's Choice votes.

Both stores implement them (SQLite embedded, SharePoint lists in production) beside the idea
and challenge stores, in the same database or site.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.panel import Panel, Scorecard
from bot.domain.voting import Poll, Vote, VoteResult
from bot.ports.store import OutboxMessage


class Panels(Protocol):
    async def save_panel(self, panel: Panel, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Create (version 0; ConcurrencyConflict if the challenge has one) or update conditionally
        on `panel.version` (ConcurrencyConflict, nothing written, if it changed); with its
        notifications. Sets the new version."""
        ...

    async def get_panel(self, challenge_id: str) -> Panel | None: ...

    async def save_scorecard(self, card: Scorecard, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Create (version 0; ConcurrencyConflict if the judge already has a card for the finalist)
        or update conditionally on `card.version`. Sets the new version."""
        ...

    async def get_scorecard(self, challenge_id: str, finalist_id: str, judge_id: str) -> Scorecard | None: ...
    async def list_scorecards(self, challenge_id: str) -> list[Scorecard]: ...


class Votes(Protocol):
    async def save_poll(self, poll: Poll, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Create (version 0; ConcurrencyConflict if the challenge has one) or update conditionally."""
        ...

    async def get_poll(self, challenge_id: str) -> Poll | None: ...

    async def cast_vote(self, challenge_id: str, voter_id: str, finalist_id: str, now: datetime) -> VoteResult:
        """The voter's one vote in the challenge is now for `finalist_id`: created if new, moved
        (one row changed, never a second row) if it was for someone else, untouched if the same.
        Safe under any number of concurrent clicks from any number of app instances."""
        ...

    async def get_vote(self, challenge_id: str, voter_id: str) -> Vote | None: ...

    async def count_votes(self, challenge_id: str) -> dict[str, int]:
        """{finalist id: votes}, from the stored votes (one per voter)."""
        ...


class PitchDayStore(Panels, Votes, Protocol):
    """What the pitch-day services need from a store."""
