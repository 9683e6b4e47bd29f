"""The store's ports: one narrow interface per consumer, and the records they exchange.

An adapter (SQLite, SharePoint, the in-memory store of the use-case tests) implements all of
them, as `IdeaStore`; each service asks only for the interfaces it uses, so a new list (panels,
challenges, votes) is a new interface here rather than another method on a big one.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.domain.delegation import Delegation
from bot.domain.digest import DigestFigures, DigestIdea, DigestQuery
from bot.domain.model import Idea
from bot.domain.outbox import MessageKind

T = TypeVar("T")


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
    kind: MessageKind
    idea_id: str
    created_at: datetime
    not_before: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    last_error: str = ""

    def __post_init__(self) -> None:
        self.kind = MessageKind(self.kind)  # stores hand back plain strings

    @classmethod
    def due_now(
        cls,
        id: str,
        *,
        recipient_id: str,
        kind: MessageKind,
        idea_id: str,
        now: datetime,
        payload: dict[str, Any] | None = None,
    ) -> OutboxMessage:
        """A notification to send as soon as possible (every new one is)."""
        return cls(id, recipient_id, kind, idea_id, created_at=now, not_before=now, payload=payload or {})


class Lifecycle(Protocol):
    """Opening and closing the connection; `ping` answers the health check."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> bool: ...


class Ideas(Protocol):
    """The ideas themselves (pitching, deciding, tracking, the digest's scan, the nudges' pass)."""

    async def next_reference(self, year: int) -> str: ...
    async def add(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Write a new idea and the notifications it causes in one transaction."""
        ...

    async def get(self, idea_id: str) -> Idea | None: ...
    async def update(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Write `idea` if its stored version is still `idea.version`, then bump it.

        Raises ConcurrencyConflict otherwise, and writes nothing (outbox included).
        """
        ...

    async def list_by_submitter(self, user_id: str, limit: int = 50) -> list[Idea]: ...
    async def list_for_digest(self, since: datetime | None) -> list[Idea]: ...
    async def list_open(self) -> list[Idea]: ...


class Outbox(Protocol):
    """Notifications waiting to be delivered, leased so two instances never send one twice."""

    async def enqueue(self, messages: Sequence[OutboxMessage]) -> None: ...
    async def existing_outbox_ids(self, ids: Sequence[str]) -> set[str]: ...
    async def claim_due(
        self,
        now: datetime,
        lease_seconds: float,
        limit: int,
        *,
        per_recipient: int | None = None,
        holding: Mapping[str, int] | None = None,
    ) -> list[OutboxMessage]:
        """Lease up to `limit` due messages, earliest first. With `per_recipient`, at most that many
        per recipient, counting the `holding` the caller already has of theirs (so one person's
        long queue, which Teams lets out only 8 every 2 s, never takes every place)."""
        ...
    async def complete(self, message_id: str) -> None: ...
    async def complete_many(self, message_ids: Sequence[str]) -> None:
        """Mark these messages sent (or dropped) together: one write where the store allows it."""
        ...
    async def reschedule(self, message_id: str, not_before: datetime, attempts: int, error: str) -> None: ...
    async def give_up(self, message_id: str, error: str) -> None: ...


@dataclass(frozen=True)
class OutboxBacklog:
    """What the health check reports: notifications not yet delivered, how many of them are due,
    and since when the oldest due one has been due.

    A notification scheduled for later (a window's closing notice, a judges' reminder) is pending
    but not due, and never late: lateness counts from the moment a message became due (when it was
    queued, or the time it was scheduled for), whatever retries or leases did to it since.
    """

    pending: int
    due: int = 0
    oldest_due_at: datetime | None = None

    @property
    def scheduled(self) -> int:
        """Pending, but not due yet."""
        return self.pending - self.due

    def oldest_due_age_seconds(self, now: datetime) -> float:
        """How late the oldest due, undelivered notification is (0 when none is due)."""
        return max(0.0, (now - self.oldest_due_at).total_seconds()) if self.oldest_due_at else 0.0

    @classmethod
    def of(cls, due_times: Sequence[datetime], now: datetime) -> OutboxBacklog:
        """The backlog of these pending messages' due times, as of `now`."""
        due = [moment for moment in due_times if moment <= now]
        return cls(len(due_times), len(due), min(due) if due else None)


def due_since(created_at: datetime, not_before: datetime) -> datetime:
    """When a message queued at `created_at` for `not_before` becomes due: what its lateness counts
    from, kept with the row when it is queued (retries and leases move its not-before, not this)."""
    return max(created_at, not_before)


class OutboxLeases(Protocol):
    """Keeping a lease while a send is still in flight, so no other instance takes the message."""

    async def renew_leases(self, message_ids: Sequence[str], until: datetime) -> None:
        """Extend the lease of these still-pending messages to `until`."""
        ...

    async def release(self, message_ids: Sequence[str], now: datetime) -> None:
        """Give back leased messages that were never sent (a stopping instance): due again at once."""
        ...


class DigestScan(Protocol):
    """The digest's read of every idea, a page at a time, as light projections (never all at once)."""

    def scan_for_digest(self, since: datetime | None, page_size: int = 2000) -> AsyncIterator[list[DigestIdea]]:
        """Every open idea and every idea touched since `since` (all of them when None)."""
        ...


class DigestAggregates(Protocol):
    """Each DM's digest figures, aggregated where the records live: the SQLite store in SQL, reading
    only the few ideas each digest shows; a store that cannot builds them from its scan (`DigestScope`)."""

    async def digest_figures(self, dm_ids: Sequence[str], query: DigestQuery) -> dict[str, DigestFigures]:
        """Every DM's figures (the same ones for all of them when the scope is the whole ministry)."""
        ...


class Health(Protocol):
    """What /healthz asks the store: can it be written, and is the outbox keeping up."""

    async def probe_write(self) -> bool:
        """Write a small marker and report whether it was stored (within a couple of seconds)."""
        ...

    async def outbox_backlog(self, now: datetime | None = None) -> OutboxBacklog:
        """The undelivered notifications as of `now` (the current time when None)."""
        ...


class Conversations(Protocol):
    """Where to reach each person proactively (kept in the store, so any instance can)."""

    async def save_conversation(self, record: ConversationRecord) -> None: ...
    async def get_conversation(self, user_id: str) -> ConversationRecord | None: ...
    async def any_conversation(self) -> ConversationRecord | None: ...


class DigestLedger(Protocol):
    """One row per DM and ISO week: the digest goes out exactly once."""

    async def claim_digest(self, dm_id: str, week_key: str, now: datetime, lease_seconds: float) -> bool: ...
    async def record_digest(self, dm_id: str, week_key: str, state: str, detail: str, now: datetime) -> None: ...
    async def digest_states(self, dm_id: str, week_keys: list[str]) -> dict[str, str]:
        """{week key: state} of this DM's digest for those weeks that have a row (to notice a clock gone back)."""
        ...


class Approvals(Protocol):
    """What waits for whom: the open ideas whose current step a person holds."""

    async def list_by_holder(self, user_id: str, limit: int = 50) -> list[Idea]: ...


class Delegations(Protocol):
    """Acting approvers: one delegation per approver (a new one replaces the old)."""

    async def save_delegation(self, delegation: Delegation, *, now: datetime | None = None) -> None:
        """Save (a new one replaces the approver's old one). With `now`: inside the write, against
        the delegations stored at that moment, refuse one that would close a loop (raises
        DelegationRefused(LOOP), writes nothing), so two instances cannot each accept one half."""
        ...

    async def get_delegation(self, principal_id: str) -> Delegation | None: ...
    async def delegations_in_force(self, now: datetime) -> dict[str, Delegation]:
        """Principal id -> their delegation, for every delegation active at `now`."""
        ...

    async def delegations_involving(self, person_id: str) -> list[Delegation]:
        """Every acting arrangement kept (in force, ended or to come) where the person is the approver or
        the one acting (an access request shows them all)."""
        ...


@dataclass(frozen=True)
class StoredSetting:
    """A piece of configuration kept with the records (on SharePoint, an item of the DenSettings list)."""

    key: str
    text: str
    updated_at: datetime
    updated_by: str = ""


class StoredSettings(Protocol):
    """Configuration administrators keep with the records, e.g. the routing rules (key "routing")."""

    async def get_setting(self, key: str) -> StoredSetting | None: ...
    async def put_setting(self, setting: StoredSetting) -> None: ...


class Preferences(Protocol):
    """What a person chose for themselves (today: the language of the bot's cards), kept apart from
    the conversation reference so a new chat or a Teams locale change never overwrites a choice."""

    async def get_language(self, user_id: str) -> str | None:
        """'fr' or 'en' if the person chose one; None if they never did (their Teams locale decides)."""
        ...

    async def set_language(self, user_id: str, language: str, now: datetime) -> None: ...

    async def language_and_locale(self, user_id: str) -> tuple[str | None, str | None]:
        """`get_language`, and the Teams locale last seen in the person's chat (None if never seen):
        what choosing the language of a notification reads, in one request where the store can."""
        ...


@dataclass(frozen=True)
class SentCard:
    """A card with buttons the bot posted to someone (an approval request, a reminder), remembered
    by the message id Teams gave it, so it can be replaced in place once its buttons no longer
    apply (the idea was withdrawn) rather than stay live in the person's chat."""

    message_id: str  # the outbox message that sent it
    idea_id: str
    recipient_id: str
    activity_id: str  # Teams' id of the posted message
    sent_at: datetime


class SentCards(Protocol):
    async def remember_card(self, card: SentCard) -> None:
        """Keep it (once: remembering the same message again changes nothing)."""
        ...

    async def cards_sent(self, idea_id: str, recipient_id: str) -> list[SentCard]:
        """The cards about this idea posted to this person, oldest first."""
        ...


class IdeaStore(
    Lifecycle,
    Ideas,
    Outbox,
    OutboxLeases,
    Health,
    DigestScan,
    DigestAggregates,
    Conversations,
    DigestLedger,
    Approvals,
    Delegations,
    StoredSettings,
    Preferences,
    SentCards,
    Protocol,
):
    """Everything a store adapter implements. Services ask for the narrow interfaces above."""




def pick_fairly(
    due: Iterable[T],
    recipient_of: Callable[[T], str],
    limit: int,
    per_recipient: int | None,
    holding: Mapping[str, int] | None,
) -> list[T]:
    """The first `limit` of `due` (in its order) with at most `per_recipient` for any one recipient,
    counting those already held: what `Outbox.claim_due` leases."""
    if per_recipient is None:
        return list(itertools.islice(due, limit))
    counts = dict(holding or {})
    picked: list[T] = []
    for item in due:
        if len(picked) >= limit:
            break
        recipient = recipient_of(item)
        if counts.get(recipient, 0) < per_recipient:
            counts[recipient] = counts.get(recipient, 0) + 1
            picked.append(item)
    return picked


def full_recipients(per_recipient: int | None, holding: Mapping[str, int] | None) -> list[str]:
    """Recipients who may be given no more (a store can leave them out of its query)."""
    if per_recipient is None or not holding:
        return []
    return [recipient for recipient, count in holding.items() if count >= per_recipient]
