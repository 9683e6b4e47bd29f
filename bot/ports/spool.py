"""The spool ports: pitches accepted while the records are unreachable, waiting to be filed; and
decisions the store throttled past a click's time budget, waiting to be recorded."""

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


@dataclass(frozen=True)
class SpooledDecision:
    """A click the store could not take in time: decided again, in the background, until recorded.
    Deciding is idempotent (a second try finds the decision made and changes nothing)."""

    actor_id: str
    idea_id: str
    step_index: int
    revision: int
    outcome: str
    comment: str
    received_at: datetime

    @property
    def key(self) -> str:
        return f"{self.idea_id}:{self.revision}:{self.step_index}:{self.actor_id}"


class DecisionSpool(Protocol):
    async def put_decision(self, decision: SpooledDecision) -> None: ...
    async def waiting_decisions(self) -> list[SpooledDecision]: ...
    async def remove_decision(self, key: str) -> None: ...
