"""An in-memory store for the use-case tests: the whole IdeaStore, passing the same contract suite.

It keeps copies (never the caller's objects), bumps versions, refuses stale writes with
ConcurrencyConflict and leases outbox messages as the real stores do, so a use case tested on it
behaves as it would on SQLite or SharePoint. `down = True` makes every call raise StoreUnavailable.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot.domain.budget import InstanceBeat
from bot.domain.delegation import Delegation, DelegationProblem, DelegationRefused, closes_a_loop, onward_of
from bot.domain.digest import DigestFigures, DigestIdea, DigestQuery, DigestScope, in_challenge_shortlist
from bot.domain.model import Idea, IdeaStatus
from bot.domain.stage import SHORTLISTED_OR_BEYOND
from bot.ports import (
    ConcurrencyConflict,
    ConversationRecord,
    OutboxBacklog,
    OutboxMessage,
    SentCard,
    StoredSetting,
    StoreUnavailable,
)
from bot.ports.store import due_since, pick_fairly
from tests.support.memory_den import MemoryDenTables
from tests.support.memory_pitch_day import MemoryPitchDayTables


@dataclass
class _Queued:
    message: OutboxMessage
    state: str = "pending"  # pending | sent | failed
    claimed_until: datetime | None = None
    due_at: datetime = field(init=False)  # when it became due (retries move message.not_before, not this)

    def __post_init__(self) -> None:
        self.due_at = due_since(self.message.created_at, self.message.not_before)


@dataclass
class _Delivery:
    state: str
    detail: str = ""
    claimed_until: datetime | None = None


class MemoryStore(MemoryDenTables, MemoryPitchDayTables):
    def __init__(self) -> None:
        self.ideas: dict[str, Idea] = {}
        self.outbox: dict[str, _Queued] = {}
        self.conversations: dict[str, ConversationRecord] = {}
        self.deliveries: dict[tuple[str, str], _Delivery] = {}
        self.counters: dict[str, int] = {}
        self.delegations: dict[str, Delegation] = {}
        self.languages: dict[str, str] = {}
        self.settings: dict[str, StoredSetting] = {}
        self.sent_cards: dict[str, SentCard] = {}
        self.instances: dict[str, InstanceBeat] = {}
        self.down = False
        self._lock = asyncio.Lock()
        self._init_den()

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("the in-memory store is set to be down")

    # ---- lifecycle ----------------------------------------------------------------------
    async def open(self) -> None:
        self._check()

    async def close(self) -> None:
        pass

    async def ping(self) -> bool:
        return not self.down

    # ---- ideas --------------------------------------------------------------------------
    async def next_reference(self, year: int) -> str:
        self._check()
        name = f"reference-{year}"
        self.counters[name] = self.counters.get(name, 0) + 1
        return f"DEN-{year}-{self.counters[name]:04d}"

    async def add(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        self._check()
        async with self._lock:
            if idea.id in self.ideas:
                raise ConcurrencyConflict(idea.id)
            idea.version = 1
            self.ideas[idea.id] = copy.deepcopy(idea)
            self._queue(outbox)

    async def get(self, idea_id: str) -> Idea | None:
        self._check()
        stored = self.ideas.get(idea_id)
        return copy.deepcopy(stored) if stored is not None else None

    async def update(self, idea: Idea, outbox: Sequence[OutboxMessage] = ()) -> None:
        self._check()
        async with self._lock:
            stored = self.ideas.get(idea.id)
            if stored is None or stored.version != idea.version:
                raise ConcurrencyConflict(idea.id)
            idea.version += 1
            self.ideas[idea.id] = copy.deepcopy(idea)
            self._queue(outbox)

    def _all(self) -> list[Idea]:
        self._check()
        return [copy.deepcopy(i) for i in self.ideas.values()]

    async def list_by_submitter(self, user_id: str, limit: int = 50) -> list[Idea]:
        mine = [i for i in self._all() if i.submitter.id == user_id]
        return sorted(mine, key=lambda i: i.created_at, reverse=True)[:limit]

    async def list_by_holder(self, user_id: str, limit: int = 50) -> list[Idea]:
        self._check()
        return [i for i in await self.list_open() if i.holder_id == user_id][:limit]

    # ---- configuration ------------------------------------------------------------------
    async def get_setting(self, key: str) -> StoredSetting | None:
        self._check()
        return self.settings.get(key)

    async def put_setting(self, setting: StoredSetting) -> None:
        self._check()
        self.settings[setting.key] = setting

    # ---- cards posted with buttons -----------------------------------------------------
    async def remember_card(self, card: SentCard) -> None:
        self._check()
        self.sent_cards.setdefault(card.message_id, card)

    async def cards_sent(self, idea_id: str, recipient_id: str) -> list[SentCard]:
        self._check()
        found = [c for c in self.sent_cards.values() if c.idea_id == idea_id and c.recipient_id == recipient_id]
        return sorted(found, key=lambda c: (c.sent_at, c.message_id))

    # ---- acting approvers ---------------------------------------------------------------
    async def save_delegation(self, delegation: Delegation, *, now: datetime | None = None) -> None:
        self._check()
        if now is not None and delegation.active(now):
            others = {p: d for p, d in self.delegations.items() if p != delegation.principal_id}
            if closes_a_loop(delegation.principal_id, delegation.delegate_id, onward_of(others, now)):
                raise DelegationRefused(DelegationProblem.LOOP)
        self.delegations[delegation.principal_id] = delegation

    async def get_delegation(self, principal_id: str) -> Delegation | None:
        self._check()
        return self.delegations.get(principal_id)

    async def delegations_in_force(self, now: datetime) -> dict[str, Delegation]:
        self._check()
        return {p: d for p, d in self.delegations.items() if d.active(now)}

    async def delegations_involving(self, person_id: str) -> list[Delegation]:
        self._check()
        found = [d for d in self.delegations.values() if person_id in (d.principal_id, d.delegate_id)]
        return sorted(found, key=lambda d: d.ends_at)

    async def list_for_digest(self, since: datetime | None) -> list[Idea]:
        return [
            i
            for i in self._all()
            if since is None or i.status == IdeaStatus.IN_REVIEW or (i.updated_at or i.created_at) >= since
        ]

    async def list_open(self) -> list[Idea]:
        return sorted(
            (i for i in self._all() if i.status == IdeaStatus.IN_REVIEW), key=lambda i: i.updated_at or i.created_at
        )

    # ---- outbox -------------------------------------------------------------------------
    def _queue(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            self.outbox.setdefault(message.id, _Queued(copy.deepcopy(message)))  # the same id is one message

    async def enqueue(self, messages: Sequence[OutboxMessage]) -> None:
        self._check()
        self._queue(messages)

    async def existing_outbox_ids(self, ids: Sequence[str]) -> set[str]:
        self._check()
        return {i for i in ids if i in self.outbox}

    async def claim_due(
        self,
        now: datetime,
        lease_seconds: float,
        limit: int,
        *,
        per_recipient: int | None = None,
        holding: Mapping[str, int] | None = None,
    ) -> list[OutboxMessage]:
        self._check()
        async with self._lock:
            due = [
                q
                for q in self.outbox.values()
                if q.state == "pending"
                and q.message.not_before <= now
                and (q.claimed_until is None or q.claimed_until <= now)
            ]
            due = sorted(due, key=lambda q: q.message.not_before)
            due = pick_fairly(due, lambda q: q.message.recipient_id, limit, per_recipient, holding)
            for queued in due:
                queued.claimed_until = now + timedelta(seconds=lease_seconds)
            return [copy.deepcopy(q.message) for q in due]

    async def complete(self, message_id: str) -> None:
        self._check()
        queued = self.outbox[message_id]
        queued.state, queued.claimed_until = "sent", None

    async def complete_many(self, message_ids: Sequence[str]) -> None:
        self._check()
        for message_id in message_ids:
            await self.complete(message_id)

    async def reschedule(self, message_id: str, not_before: datetime, attempts: int, error: str) -> None:
        self._check()
        queued = self.outbox[message_id]
        queued.message = replace(queued.message, not_before=not_before, attempts=attempts, last_error=error[:500])
        queued.claimed_until = None

    async def give_up(self, message_id: str, error: str) -> None:
        self._check()
        queued = self.outbox[message_id]
        queued.state, queued.claimed_until = "failed", None
        queued.message = replace(queued.message, last_error=error[:500])

    async def renew_leases(self, message_ids: Sequence[str], until: datetime) -> None:
        self._check()
        for message_id in message_ids:
            queued = self.outbox.get(message_id)
            if queued is not None and queued.state == "pending":
                queued.claimed_until = until

    async def release(self, message_ids: Sequence[str], now: datetime) -> None:
        self._check()
        for message_id in message_ids:
            queued = self.outbox.get(message_id)
            if queued is not None and queued.state == "pending":
                queued.claimed_until = None

    async def scan_for_digest(self, since: datetime | None, page_size: int = 2000) -> AsyncIterator[list[DigestIdea]]:
        shortlisted = {s.idea_id for s in self._den()[1].values() if s.stage in SHORTLISTED_OR_BEYOND}
        ideas = in_challenge_shortlist([DigestIdea.of(i) for i in await self.list_for_digest(since)], shortlisted)
        for start in range(0, len(ideas), page_size):
            yield ideas[start : start + page_size]

    async def scan_challenge(self, challenge_id: str) -> AsyncIterator[list[DigestIdea]]:
        async for page in self.scan_for_digest(None):
            yield [i for i in page if i.challenge == challenge_id]

    async def scan_created(self, start: datetime, end: datetime) -> AsyncIterator[list[DigestIdea]]:
        async for page in self.scan_for_digest(None):
            yield [i for i in page if start <= i.created_at < end]

    async def digest_figures(self, dm_ids: Sequence[str], query: DigestQuery) -> dict[str, DigestFigures]:
        """Built in Python from the scan, a page at a time (the reference the SQL is tested against)."""
        scope = DigestScope(dm_ids, query)
        async for page in self.scan_for_digest(query.rules.challenge_start):
            scope.add_page(page)
        return scope.figures()

    # ---- health -------------------------------------------------------------------------
    async def outbox_backlog(self, now: datetime | None = None) -> OutboxBacklog:
        self._check()
        pending = [q.due_at for q in self.outbox.values() if q.state == "pending"]
        return OutboxBacklog.of(pending, now or datetime.now(UTC))

    async def probe_write(self) -> bool:
        return not self.down

    # ---- instances' heartbeats ------------------------------------------------------------
    async def heartbeat(self, instance_id: str, now: datetime, decide) -> tuple[float, list[InstanceBeat]]:
        self._check()
        share = decide([b for b in self.instances.values() if b.instance_id != instance_id])
        self.instances[instance_id] = InstanceBeat(instance_id, now, share)
        return share, list(self.instances.values())

    async def leave(self, instance_id: str) -> None:
        self._check()
        self.instances.pop(instance_id, None)

    # ---- conversations ------------------------------------------------------------------
    async def save_conversation(self, record: ConversationRecord) -> None:
        self._check()
        self.conversations[record.user_id] = copy.deepcopy(record)

    async def get_conversation(self, user_id: str) -> ConversationRecord | None:
        self._check()
        record = self.conversations.get(user_id)
        return copy.deepcopy(record) if record is not None else None

    async def any_conversation(self) -> ConversationRecord | None:
        self._check()
        if not self.conversations:
            return None
        newest = max(self.conversations.values(), key=lambda r: r.updated_at.isoformat() if r.updated_at else "")
        return copy.deepcopy(newest)

    # ---- preferences --------------------------------------------------------------------
    async def get_language(self, user_id: str) -> str | None:
        self._check()
        return self.languages.get(user_id)

    async def language_and_locale(self, user_id: str) -> tuple[str | None, str | None]:
        self._check()
        record = self.conversations.get(user_id)
        return self.languages.get(user_id), record.locale if record else None

    async def set_language(self, user_id: str, language: str, now: datetime) -> None:
        self._check()
        self.languages[user_id] = language

    # ---- digest ledger ------------------------------------------------------------------
    async def claim_digest(self, dm_id: str, week_key: str, now: datetime, lease_seconds: float) -> bool:
        self._check()
        async with self._lock:
            row = self.deliveries.get((dm_id, week_key))
            if row is not None and row.state != "failed" and not _lease_over(row, now):
                return False
            self.deliveries[(dm_id, week_key)] = _Delivery("sending", "", now + timedelta(seconds=lease_seconds))
            return True

    async def digest_states(self, dm_id: str, week_keys: list[str]) -> dict[str, str]:
        self._check()
        return {k: self.deliveries[(dm_id, k)].state for k in week_keys if (dm_id, k) in self.deliveries}

    async def record_digest(self, dm_id: str, week_key: str, state: str, detail: str, now: datetime) -> None:
        self._check()
        self.deliveries[(dm_id, week_key)] = _Delivery(state, detail[:500])


def _lease_over(row: _Delivery, now: datetime) -> bool:
    """A 'sending' claim whose instance died: another run may take it over."""
    return row.state == "sending" and row.claimed_until is not None and row.claimed_until <= now
