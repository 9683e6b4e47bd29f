"""The Den challenge's records in the in-memory store: copies in, copies out, versions bumped, a stale
write refused with ConcurrencyConflict and nothing written, as on SQLite and SharePoint."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from bot.domain.challenge import Challenge
from bot.domain.den_report import IdeaSummary
from bot.domain.model import Idea
from bot.domain.stage import IdeaStage, Stage
from bot.ports import ChannelInfo, ConcurrencyConflict, OutboxMessage


class MemoryDenTables:
    """Challenges and Stages for MemoryStore (which provides `_check`, `_lock`, `_queue` and `ideas`)."""

    def _init_den(self) -> None:
        self._challenges: dict[str, Challenge] = {}
        self._stages: dict[str, IdeaStage] = {}
        self._channels: dict[str, ChannelInfo] = {}

    def _den(self) -> tuple[dict[str, Challenge], dict[str, IdeaStage], dict[str, ChannelInfo]]:
        return self._challenges, self._stages, self._channels

    async def add_challenge(self, challenge: Challenge, outbox: Sequence[OutboxMessage] = ()) -> None:
        self._check()
        challenges, _, _ = self._den()
        async with self._lock:
            if challenge.id in challenges:
                raise ConcurrencyConflict(challenge.id)
            challenge.version = 1
            challenges[challenge.id] = copy.deepcopy(challenge)
            self._queue(outbox)

    async def get_challenge(self, challenge_id: str) -> Challenge | None:
        self._check()
        stored = self._den()[0].get(challenge_id)
        return copy.deepcopy(stored) if stored else None

    async def list_challenges(self) -> list[Challenge]:
        self._check()
        return sorted((copy.deepcopy(c) for c in self._den()[0].values()), key=lambda c: c.opens_at)

    async def update_challenge(self, challenge: Challenge, outbox: Sequence[OutboxMessage] = ()) -> None:
        await self.write_stages(challenge, (), outbox)

    async def save_channel(self, channel: ChannelInfo) -> None:
        self._check()
        self._den()[2][channel.key] = channel

    async def list_channels(self) -> list[ChannelInfo]:
        self._check()
        return sorted(self._den()[2].values(), key=lambda c: (c.team_name, c.channel_name))

    async def get_stage(self, idea_id: str) -> IdeaStage | None:
        self._check()
        stored = self._den()[1].get(idea_id)
        return copy.deepcopy(stored) if stored else None

    async def list_stages(self, challenge_id: str) -> list[IdeaStage]:
        self._check()
        return [copy.deepcopy(s) for s in self._den()[1].values() if s.challenge_id == challenge_id]

    async def list_stages_in(self, stage: Stage) -> list[IdeaStage]:
        self._check()
        return [copy.deepcopy(s) for s in self._den()[1].values() if s.stage == stage]

    async def list_challenge_ideas(self, challenge_id: str) -> list[Idea]:
        self._check()
        return [copy.deepcopy(i) for i in self.ideas.values() if i.challenge == challenge_id]

    async def list_challenge_summaries(self, challenge_id: str) -> list[IdeaSummary]:
        return [IdeaSummary.of(i) for i in await self.list_challenge_ideas(challenge_id)]

    async def write_stages(
        self, challenge: Challenge, stages: Sequence[IdeaStage], outbox: Sequence[OutboxMessage] = ()
    ) -> None:
        self._check()
        challenges, stored, _ = self._den()
        async with self._lock:
            current = challenges.get(challenge.id)
            if current is None or current.version != challenge.version:
                raise ConcurrencyConflict(challenge.id)
            for stage in stages:
                self._stage_is_current(stage)
            challenge.version = int(challenge.version) + 1
            challenges[challenge.id] = copy.deepcopy(challenge)
            for stage in stages:
                stage.version = int(stage.version) + 1
                stored[stage.idea_id] = copy.deepcopy(stage)
            self._queue(outbox)

    async def update_stage(self, stage: IdeaStage, outbox: Sequence[OutboxMessage] = ()) -> None:
        self._check()
        async with self._lock:
            self._stage_is_current(stage)
            stage.version = int(stage.version) + 1
            self._den()[1][stage.idea_id] = copy.deepcopy(stage)
            self._queue(outbox)

    def _stage_is_current(self, stage: IdeaStage) -> None:
        current = self._den()[1].get(stage.idea_id)
        if (current.version if current else 0) != stage.version:
            raise ConcurrencyConflict(stage.idea_id)
