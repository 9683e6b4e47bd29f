"""The availability port: is an approver away right now (out of office)?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Absence:
    """Away now; `until` is when they are expected back, if known."""

    until: datetime | None = None


class Availability(Protocol):
    async def absence(self, user_id: str, now: datetime) -> Absence | None: ...
