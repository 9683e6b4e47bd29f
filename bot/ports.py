"""The ports the service layer talks through. Adapters implement them; tests may fake them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.domain.model import Idea, Person


class ConcurrencyConflict(Exception):
    """The item changed since it was read (SQLite version mismatch, SharePoint 412)."""


class StoreUnavailable(Exception):
    """The store cannot be reached right now; the caller must not lose what it holds."""


class StoreBusy(StoreUnavailable):
    """The store is throttling this write for longer than a click can wait; nothing was written.

    `retry_after` is how long the store asked us to wait (seconds)."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class ConversationRecord:
    """What the bot needs to message someone proactively, kept in the store (never in memory)."""

    user_id: str
    user_name: str
    conversation_id: str
    service_url: str
    tenant_id: str
    channel_id: str
    bot_id: str
    bot_name: str
    user_channel_id: str
    locale: str = "en-US"
    updated_at: datetime | None = None


@dataclass
class OutboxMessage:
    """A notification to deliver. Written in the same transaction as the change that caused it."""

    id: str
    recipient_id: str
    kind: str
    idea_id: str
    created_at: datetime
    not_before: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    last_error: str = ""

    @classmethod
    def due_now(
        cls,
        id: str,
        *,
        recipient_id: str,
        kind: str,
        idea_id: str,
        now: datetime,
        payload: dict[str, Any] | None = None,
    ) -> OutboxMessage:
        """A notification to send as soon as possible (every new one is)."""
        return cls(id, recipient_id, kind, idea_id, created_at=now, not_before=now, payload=payload or {})


class IdeaStore(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> bool: ...

    async def next_reference(self, year: int) -> str: ...
    async def add(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None: ...
    async def get(self, idea_id: str) -> Idea | None: ...
    async def update(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Write `idea` if its stored version is still `idea.version`, then bump it.

        Raises ConcurrencyConflict otherwise, and writes nothing (outbox included).
        """
        ...

    async def list_by_submitter(self, user_id: str, limit: int = 50) -> list[Idea]: ...
    async def list_by_holder(self, user_id: str, limit: int = 50) -> list[Idea]: ...

    async def list_for_digest(self, since: datetime | None) -> list[Idea]: ...
    async def list_open(self) -> list[Idea]: ...

    async def claim_digest(self, dm_id: str, week_key: str, now: datetime, lease_seconds: float) -> bool: ...
    async def record_digest(self, dm_id: str, week_key: str, state: str, detail: str, now: datetime) -> None: ...
    async def digest_deliveries(self, week_key: str) -> dict[str, tuple[str, str]]: ...

    async def save_conversation(self, record: ConversationRecord) -> None: ...
    async def get_conversation(self, user_id: str) -> ConversationRecord | None: ...
    async def any_conversation(self) -> ConversationRecord | None: ...

    async def enqueue(self, messages: Sequence[OutboxMessage]) -> None: ...
    async def existing_outbox_ids(self, ids: Sequence[str]) -> set[str]: ...
    async def claim_due(self, now: datetime, lease_seconds: float, limit: int) -> list[OutboxMessage]: ...
    async def complete(self, message_id: str) -> None: ...
    async def reschedule(self, message_id: str, not_before: datetime, attempts: int, error: str) -> None: ...
    async def give_up(self, message_id: str, error: str) -> None: ...
    async def pending_outbox(self) -> int: ...


class Directory(Protocol):
    async def get_person(self, user_id: str) -> Person | None: ...
    async def deputy_ministers(self) -> list[Person]: ...

    async def line_of_management(self, user_id: str) -> list[Person | None]:
        """The person's managers, nearest first; None marks a vacant position."""
        ...


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
