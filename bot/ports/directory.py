"""The directory port: who someone is, and their line of management (the org file or Entra ID)."""

from __future__ import annotations

from typing import Protocol

from bot.domain.model import Person


class Directory(Protocol):
    async def get_person(self, user_id: str) -> Person | None: ...
    async def deputy_ministers(self) -> list[Person]: ...

    async def line_of_management(self, user_id: str) -> list[Person | None]:
        """The person's managers, nearest first; None marks a vacant position."""
        ...

    async def search_people(self, text: str, limit: int = 10) -> list[Person]:
        """Members of the organisation whose name (a word of it) or email starts with `text`, as a
        people picker finds them; none for fewer than two characters."""
        ...
