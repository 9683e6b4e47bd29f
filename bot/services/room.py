"""The pitch-day room view: what a projector in the room shows, kept current for any number of screens.

Who is pitching now and who is next (the panel's *Now pitching*, moved by the chair), how many People's
Choice votes have been cast (never who is ahead), and the result once voting closes. Each instance
reads the room from the store at most twice a second per challenge, however many screens watch it: a
screen asks "has it changed since <token>?" and the question is held (`changed_since`) until the room
read next differs or a while has passed (then an empty 204): a change reaches every screen within one
read period (0.5 s) plus the read, not a poll period later, and a held screen costs the server a
dictionary lookup per read period, not a store read. The finalists' ideas are read again only when the
finalists change; each read otherwise takes the challenge, its stages, the panel, the poll and the
count, together.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.challenge import Challenge
from bot.domain.model import Idea
from bot.domain.stage import IdeaStage, Stage
from bot.domain.voting import Poll

FRESH_SECONDS = 0.5  # a change is on every waiting screen within 0.5 s and a read
IDEAS_KEPT_SECONDS = 60.0


@dataclass(frozen=True)
class Finalist:
    idea: Idea
    named: bool  # its owner agreed to be named


@dataclass(frozen=True)
class Room:
    challenge: Challenge
    finalists: list[Finalist]
    now_pitching: int  # -1: not started; len(finalists): all have pitched
    voting: str  # "none", "open" or "closed"
    votes: int  # cast so far (the total only)
    poll: Poll | None

    @property
    def current(self) -> Finalist | None:
        return self.finalists[self.now_pitching] if 0 <= self.now_pitching < len(self.finalists) else None

    @property
    def next(self) -> Finalist | None:
        upcoming = self.now_pitching + 1
        return self.finalists[upcoming] if 0 <= upcoming < len(self.finalists) else None

    @property
    def all_pitched(self) -> bool:
        return bool(self.finalists) and self.now_pitching >= len(self.finalists)

    @property
    def token(self) -> str:
        """Changes whenever what the screen shows changes (and only then)."""
        counts = sorted(self.poll.counts.items()) if self.poll is not None and not self.poll.is_open else []
        seen = f"{self.challenge.id}|{self.now_pitching}|{self.voting}|{self.votes}|{counts}|{len(self.finalists)}"
        return hashlib.sha256(seen.encode()).hexdigest()[:16]


class RoomService:
    def __init__(self, store, *, fresh_seconds: float = FRESH_SECONDS, monotonic: Callable[[], float] = time.monotonic):
        self.store = store
        self.fresh_seconds = fresh_seconds
        self._monotonic = monotonic
        self._rooms: dict[str, tuple[float, Room | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # each challenge's finalists' ideas: (when read, their ids, the ideas), kept while they stay the finalists
        self._finalist_ideas: dict[str, tuple[float, tuple[str, ...], list[Idea]]] = {}
        self.reads = 0  # store reads made (for tests and the benchmark)

    async def current_challenge(self) -> str:
        """The challenge a room tab shows when none is named: the latest whose finalists are chosen."""
        chosen = [c for c in await self.store.list_challenges() if c.finalists_chosen_at is not None]
        return max(chosen, key=lambda c: c.finalists_chosen_at).id if chosen else ""

    async def room(self, challenge_id: str) -> Room | None:
        """The room as of at most `fresh_seconds` ago: one store read per challenge per period, shared by
        every screen (the time a read takes is not added to a screen's wait: the lock holds the others)."""
        cached = self._rooms.get(challenge_id)
        if cached is not None and self._monotonic() - cached[0] < self.fresh_seconds:
            return cached[1]
        async with self._locks.setdefault(challenge_id, asyncio.Lock()):
            cached = self._rooms.get(challenge_id)
            if cached is not None and self._monotonic() - cached[0] < self.fresh_seconds:
                return cached[1]
            started = self._monotonic()  # the room is as fresh as the moment its read began
            room = await self._read(challenge_id)
            self._rooms[challenge_id] = (started, room)
            return room

    async def changed_since(
        self, challenge_id: str, token: str, *, wait: float, gone: Callable[[], bool] = lambda: False
    ) -> Room | None:
        """The room once it differs from what `token` showed, or as it is after `wait` seconds (the
        caller answers "nothing new") or once the asker is `gone`. Waiting screens share the one read
        per period."""
        deadline = self._monotonic() + wait
        while True:
            room = await self.room(challenge_id)
            left = deadline - self._monotonic()
            if room is None or room.token != token or left <= 0 or gone():
                return room
            read_at = self._rooms.get(challenge_id, (self._monotonic(), None))[0]
            await asyncio.sleep(min(left, max(0.01, read_at + self.fresh_seconds - self._monotonic())))

    async def _read(self, challenge_id: str) -> Room | None:
        self.reads += 1
        challenge = await self.store.get_challenge(challenge_id) if challenge_id else None
        if challenge is None or challenge.finalists_chosen_at is None:
            return None
        listed, panel, poll, counts = await asyncio.gather(
            self.store.list_stages(challenge_id), self.store.get_panel(challenge_id),
            self.store.get_poll(challenge_id), self.store.count_votes(challenge_id),
        )
        stages: list[IdeaStage] = [s for s in listed if s.reached(Stage.FINALIST)]
        named = {s.idea_id: s.consent_to_name is True for s in stages}
        ideas = await self._finalists(challenge_id, [s.idea_id for s in stages])
        if poll is None:
            voting, votes = "none", 0
        elif poll.is_open:
            voting, votes = "open", sum(counts.values())
        else:
            voting, votes = "closed", poll.total
        return Room(challenge, [Finalist(i, named[i.id]) for i in ideas], panel.now_pitching if panel else -1,
                    voting, votes, poll)

    async def _finalists(self, challenge_id: str, idea_ids: list[str]) -> list[Idea]:
        """The finalists' ideas in pitching order (their references, as the panel's card has it), read
        again only when the finalists change or a minute has passed (a corrected title shows then)."""
        ids = tuple(sorted(idea_ids))
        kept = self._finalist_ideas.get(challenge_id)
        if kept is not None and kept[1] == ids and self._monotonic() - kept[0] < IDEAS_KEPT_SECONDS:
            return kept[2]
        started = self._monotonic()
        ideas = [i for i in await asyncio.gather(*(self.store.get(i) for i in ids)) if i is not None]
        ideas.sort(key=lambda i: i.reference)
        self._finalist_ideas[challenge_id] = (started, ids, ideas)
        return ideas
