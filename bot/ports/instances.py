"""The app's instances announcing themselves in the store, to share the tenant's Teams budget."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.domain.budget import InstanceBeat

Decide = Callable[[list[InstanceBeat]], float]
"""From the other instances' last beats, the share this instance declares with its own."""


class Instances(Protocol):
    async def heartbeat(self, instance_id: str, now: datetime, decide: Decide) -> tuple[float, list[InstanceBeat]]:
        """Record this instance's beat, with the share `decide` gives from the others' beats (as fresh as
        the store allows: read in the same transaction on SQLite; on SharePoint, the previous beat's
        answer, so a beat is one Graph request). Returns that share and every instance's last beat."""
        ...

    async def leave(self, instance_id: str) -> None:
        """This instance stops: its share is free for the others at their next beat."""
        ...
