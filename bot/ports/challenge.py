"""The narrow store interfaces of the Den challenge: challenges, their channels, and ideas' stages.

Both stores implement them (SQLite embedded, SharePoint lists in production) beside the idea store,
in the same database or site, so a stage change and its notifications (the outbox) are one write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.challenge import Challenge
from bot.domain.den_report import IdeaSummary
from bot.domain.model import Idea
from bot.domain.stage import IdeaStage, Stage
from bot.ports.store import OutboxMessage


@dataclass(frozen=True)
class ChannelInfo:
    """A Teams channel the bot was added to: where a call for ideas can be posted.

    `key` is the channel's conversation id; the conversation reference itself is saved with the
    others (as `channel:<key>`), so the outbox reaches a channel as it reaches a person.
    """

    key: str
    team_name: str
    channel_name: str
    updated_at: datetime


CHANNEL_PREFIX = "channel:"


def channel_recipient(key: str) -> str:
    """The outbox recipient (and conversation record id) of a channel."""
    return f"{CHANNEL_PREFIX}{key}"


class Challenges(Protocol):
    async def add_challenge(self, challenge: Challenge, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Store a new challenge (and its notifications); ConcurrencyConflict if its id exists."""
        ...

    async def get_challenge(self, challenge_id: str) -> Challenge | None: ...
    async def list_challenges(self) -> list[Challenge]: ...

    async def update_challenge(self, challenge: Challenge, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Write if the stored version is still `challenge.version`; else ConcurrencyConflict, nothing written."""
        ...

    async def save_channel(self, channel: ChannelInfo) -> None: ...
    async def list_channels(self) -> list[ChannelInfo]: ...


class Stages(Protocol):
    async def get_stage(self, idea_id: str) -> IdeaStage | None: ...
    async def list_stages(self, challenge_id: str) -> list[IdeaStage]: ...
    async def list_stages_in(self, stage: Stage) -> list[IdeaStage]: ...
    async def list_challenge_ideas(self, challenge_id: str) -> list[Idea]:
        """Every idea pitched to the challenge, whatever its approval status (one query)."""
        ...

    async def list_challenge_summaries(self, challenge_id: str) -> list[IdeaSummary]:
        """The same ideas, read light (what a report needs), for the thousands of a large challenge."""
        ...

    async def write_stages(
        self, challenge: Challenge, stages: Sequence[IdeaStage], outbox: Sequence[OutboxMessage] = ()
    ) -> None:
        """A sponsor's decision: the challenge (conditional on its version: the gate every sponsor
        decision passes, so two clicks on two instances make one change), the stages it moved (new
        ones created, stored ones conditional on their version), their history, funding rows and
        notifications, as one write. ConcurrencyConflict, and nothing written, if the gate fails."""
        ...

    async def update_stage(self, stage: IdeaStage, outbox: Sequence[OutboxMessage] = ()) -> None:
        """An owner's change (progress update, consent), conditional on the stage's version."""
        ...


class GroupMembership(Protocol):
    async def is_member(self, user_id: str, group_id: str) -> bool:
        """Is the person a member (directly or through nested groups) of the group?"""
        ...


class Organisers(Protocol):
    async def is_organiser(self, user_id: str) -> bool:
        """May this person open, edit and close challenges?"""
        ...


class DenStore(Challenges, Stages, Protocol):
    """What the challenge services need from a store."""
