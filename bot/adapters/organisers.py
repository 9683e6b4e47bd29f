"""Who the Den organisers are: named by id (DEN_ORGANISER_IDS) and/or members of a group
(DEN_ORGANISER_GROUP_ID, an Entra group, or a group of the org file locally)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.ports import GroupMembership


class OrganiserRoster:
    def __init__(self, ids: Iterable[str] = (), group_id: str = "", groups: GroupMembership | None = None) -> None:
        self._ids = frozenset(ids)
        self._group_id = group_id
        self._groups = groups

    async def is_organiser(self, user_id: str) -> bool:
        if not user_id:
            return False
        if user_id in self._ids:
            return True
        if self._group_id and self._groups is not None:
            return await self._groups.is_member(user_id, self._group_id)
        return False
