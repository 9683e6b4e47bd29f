"""The records-management ports: the register (authorizations, disposals, corrections, refusals), and
each store's view of the records it holds by class, which only disposal may destroy.

Both stores implement them beside the others (SQLite tables `records_register`; the SharePoint list
`DenRecordsRegister`). The register is never disposed of by the Den: a disposal record outlives the
records it describes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.domain.retention import RecordClass, StoredRecord


class EntryKind(enum.StrEnum):
    AUTHORIZATION = "authorization"  # the head's (delegate's) authorization to destroy a class's due records
    DISPOSAL = "disposal"  # records destroyed: class, count, date range, authorization, when, by whom
    CORRECTION = "correction"  # a record corrected at a person's request, the original kept here
    REFUSAL = "refusal"  # someone tried what they may not do (the audit trail's permission refusals)
    ACCESS = "access"  # a person's information was exported (who asked, for whom)


@dataclass(frozen=True)
class RegisterEntry:
    """One line of the records register. `body` holds the kind's facts (ids, counts, dates: no text
    people typed, except a correction's original and new values, which the law says to keep)."""

    key: str  # unique: "<kind>:<id>"
    kind: EntryKind
    at: datetime
    by: str  # who (an administrator's name or id; a person's id for refusals)
    record_class: str = ""
    subject_id: str = ""  # the person the entry is about, where there is one (corrections, access)
    body: dict[str, Any] = field(default_factory=dict)


class RecordsRegister(Protocol):
    async def add_entry(self, entry: RegisterEntry) -> None:
        """Append an entry (its key is unique: adding the same key again changes nothing)."""
        ...

    async def register_entries(
        self, kind: EntryKind, since: datetime | None = None, until: datetime | None = None
    ) -> list[RegisterEntry]:
        """Entries of a kind, oldest first, optionally within [since, until)."""
        ...


@dataclass(frozen=True)
class MessageRecord:
    """A message the Den sent (or holds for) someone, as an access request shows it: what kind, about
    which idea, when, and whether it went (never its card: that is rebuilt from the records)."""

    id: str
    kind: str
    idea_id: str
    created_at: datetime
    state: str  # pending | sent | failed


class RecordRows(Protocol):
    async def stored_records(self, record_class: RecordClass) -> list[StoredRecord]:
        """Every record of the class the store holds, with the dates its schedule counts from."""
        ...

    async def destroy_records(self, record_class: RecordClass, records: Sequence[StoredRecord]) -> int:
        """Destroy these records (and only these); returns how many were destroyed. Only the
        disposal service calls it, after an authorization."""
        ...

    async def messages_to(self, person_id: str) -> list[MessageRecord]:
        """Every message kept for this person (the outbox's rows), oldest first."""
        ...


class RecordsStore(RecordsRegister, RecordRows, Protocol):
    """What records management needs from a store."""
