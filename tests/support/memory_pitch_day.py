"""Pitch day's records in the in-memory store (mixed into MemoryStore): copies in and out,
versions bumped, stale writes refused, one vote per person per challenge, as the real stores do."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.domain.panel import Panel, Scorecard, ScoringClosed
from bot.domain.voting import Poll, Vote, VoteResult, VotingClosed, frozen_counts_hold
from bot.ports import ConcurrencyConflict, OutboxMessage


class MemoryPitchDayTables:
    # Provided by MemoryStore.
    _check: object
    _queue: object

    @property
    def _pitch_day(self) -> dict[str, dict]:
        if not hasattr(self, "_pitch_day_tables"):
            self._pitch_day_tables = {"panels": {}, "scorecards": {}, "polls": {}, "votes": {}}
        return self._pitch_day_tables

    def _save(self, table: str, key: object, record, outbox: Sequence[OutboxMessage]) -> None:
        self._check()
        rows = self._pitch_day[table]
        stored = rows.get(key)
        if (not record.version and stored is not None) or (record.version and (stored is None or
                                                                                stored.version != record.version)):
            raise ConcurrencyConflict(str(key))
        record.version = int(record.version or 0) + 1
        rows[key] = copy.deepcopy(record)
        self._queue(outbox)

    def _read(self, table: str, key: object):
        self._check()
        return copy.deepcopy(self._pitch_day[table].get(key))

    async def save_panel(self, panel: Panel, outbox: Sequence[OutboxMessage] = ()) -> None:
        self._save("panels", panel.challenge_id, panel, outbox)

    async def get_panel(self, challenge_id: str) -> Panel | None:
        return self._read("panels", challenge_id)

    async def save_scorecard(self, card: Scorecard, outbox: Sequence[OutboxMessage] = ()) -> None:
        panel = self._pitch_day["panels"].get(card.challenge_id)
        if panel is None or panel.scoring_closed:  # checked in the write, as the real stores do
            raise ScoringClosed(card.challenge_id)
        self._save("scorecards", card.key, card, outbox)

    async def get_scorecard(self, challenge_id: str, finalist_id: str, judge_id: str) -> Scorecard | None:
        return self._read("scorecards", Scorecard(challenge_id, finalist_id, judge_id).key)

    async def list_scorecards(self, challenge_id: str) -> list[Scorecard]:
        self._check()
        cards = [copy.deepcopy(c) for c in self._pitch_day["scorecards"].values() if c.challenge_id == challenge_id]
        return sorted(cards, key=lambda c: (c.finalist_id, c.judge_id))

    async def save_poll(self, poll: Poll, outbox: Sequence[OutboxMessage] = ()) -> None:
        stored = self._pitch_day["polls"].get(poll.challenge_id)
        closing = not poll.is_open and stored is not None and stored.is_open
        if closing and not frozen_counts_hold(poll, await self.count_votes(poll.challenge_id)):
            raise ConcurrencyConflict(f"{poll.challenge_id}: votes cast since they were counted")
        self._save("polls", poll.challenge_id, poll, outbox)

    async def get_poll(self, challenge_id: str) -> Poll | None:
        return self._read("polls", challenge_id)

    async def cast_vote(self, challenge_id: str, voter_id: str, finalist_id: str, now: datetime) -> VoteResult:
        self._check()
        poll = self._pitch_day["polls"].get(challenge_id)
        if poll is None or not poll.is_open:  # checked in the write, as the real stores do
            raise VotingClosed(challenge_id)
        votes = self._pitch_day["votes"]
        stored: Vote | None = votes.get((challenge_id, voter_id))
        if stored is None:
            votes[(challenge_id, voter_id)] = Vote(challenge_id, voter_id, finalist_id, now, now)
            return VoteResult(votes[(challenge_id, voter_id)], "")
        if stored.finalist_id != finalist_id:
            votes[(challenge_id, voter_id)] = replace(stored, finalist_id=finalist_id, changed_at=now,
                                                      moves=stored.moves + 1)  # fmt: skip
        return VoteResult(votes[(challenge_id, voter_id)], stored.finalist_id)

    async def get_vote(self, challenge_id: str, voter_id: str) -> Vote | None:
        self._check()
        return self._pitch_day["votes"].get((challenge_id, voter_id))

    async def count_votes(self, challenge_id: str) -> dict[str, int]:
        self._check()
        counts: dict[str, int] = {}
        for (cid, _), vote in self._pitch_day["votes"].items():
            if cid == challenge_id:
                counts[vote.finalist_id] = counts.get(vote.finalist_id, 0) + 1
        return counts
