"""The pitch-day room view: what a projector in the room shows, kept current for any number of screens.

Who is pitching now and who is next (the panel's *Now pitching*, moved by the chair), how many People's
Choice votes have been cast (never who is ahead), and the result once voting closes. Each instance
reads the room from the store at most twice a second per challenge, however many screens watch it: a
screen asks "has it changed since <token>?" every second and gets an empty answer (204) unless it has,
so a screen costs the server a dictionary lookup, not a store read.
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

FRESH_SECONDS = 0.5  # with the screens' one-second poll, a change is on every screen within 1.5 s


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
            room = await self._read(challenge_id)
            self._rooms[challenge_id] = (self._monotonic(), room)
            return room

    async def _read(self, challenge_id: str) -> Room | None:
        self.reads += 1
        challenge = await self.store.get_challenge(challenge_id) if challenge_id else None
        if challenge is None or challenge.finalists_chosen_at is None:
            return None
        stages: list[IdeaStage] = [s for s in await self.store.list_stages(challenge_id) if s.reached(Stage.FINALIST)]
        named = {s.idea_id: s.consent_to_name is True for s in stages}
        ideas = [i for i in [await self.store.get(s.idea_id) for s in stages] if i is not None]
        ideas.sort(key=lambda i: i.reference)  # the pitching order, as the panel's card has it
        panel = await self.store.get_panel(challenge_id)
        poll = await self.store.get_poll(challenge_id)
        if poll is None:
            voting, votes = "none", 0
        elif poll.is_open:
            voting, votes = "open", sum((await self.store.count_votes(challenge_id)).values())
        else:
            voting, votes = "closed", poll.total
        return Room(challenge, [Finalist(i, named[i.id]) for i in ideas], panel.now_pitching if panel else -1,
                    voting, votes, poll)
