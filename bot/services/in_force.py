"""Rules an instance follows that an administrator may replace in the records: the routing rules
and the retention schedule.

An instance starts with the rules of its file (checked at start-up); a copy an administrator uploaded
to the records (on SharePoint, an item of the DenSettings list) wins, and is read once, when the store
opens. The services read the rules through this one object, built with them, so the swap happens in one
place at one moment instead of being pasted onto each service that reads them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

R = TypeVar("R")


async def _none_stored() -> None:
    return None


class InForce(Generic[R]):
    def __init__(self, from_file: R, stored: Callable[[], Awaitable[R | None]] = _none_stored) -> None:
        self._rules = from_file
        self._stored = stored  # reads and checks the uploaded copy (None: there is none)

    def now(self) -> R:
        """The rules in force."""
        return self._rules

    async def load(self) -> R:
        """Take the uploaded copy, if there is one (a mistake in it stops start-up, naming the line)."""
        stored = await self._stored()
        if stored is not None:
            self._rules = stored
        return self._rules
