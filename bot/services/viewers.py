"""Who someone is to the Den, for the visibility rule: the organiser roster and the challenges they sponsor."""

from __future__ import annotations

from typing import Protocol

from bot.domain.challenge import Challenge
from bot.domain.visibility import Viewer


class _Roster(Protocol):
    async def is_organiser(self, user_id: str) -> bool: ...


class _Challenges(Protocol):
    async def list_challenges(self) -> list[Challenge]: ...


class ViewerResolver:
    def __init__(self, organisers: _Roster, challenges: _Challenges) -> None:
        self._organisers = organisers
        self._challenges = challenges

    async def of(self, user_id: str, *, member: bool = True) -> Viewer:
        if not user_id:
            return Viewer("")
        sponsored = frozenset(c.id for c in await self._challenges.list_challenges() if user_id in c.sponsor_ids)
        return Viewer(user_id, member=member, organiser=await self._organisers.is_organiser(user_id),
                      sponsor_of=sponsored)
