"""The spool port: pitches accepted while the records are unreachable, waiting to be filed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class SpooledPitch:
    """A pitch accepted while the records were unreachable, waiting to be filed."""

    form_id: str
    submitter_id: str
    submitter_name: str
    form: dict[str, Any]
    received_at: datetime


class Spool(Protocol):
    async def put(self, pitch: SpooledPitch) -> None: ...
    async def waiting(self) -> list[SpooledPitch]: ...
    async def remove(self, form_id: str) -> None: ...
