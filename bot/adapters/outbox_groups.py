"""One DenOutbox row for the notifications one action raises together (issue #22: SharePoint bills every
request, each one inside a `$batch` too).

A decision tells the submitter and asks the next approver: two messages, which as two rows cost two
creates and two "sent" updates. Written as one *group row* they cost one of each: the row's Payload
holds each message with the facts its card is rendered from, and the ids of those already recorded
(`done`). The guarantees stay the outbox's:
- delivered from memory by the instance that wrote it, or claimed by any instance after a restart,
  which delivers only the members not yet `done`;
- marked sent once every member is; a member recorded sooner (the others still sending) is written
  into `done` at once, so a crash never sends it again;
- a member that must be retried later (or is given up) moves to a row of its own with its retries,
  written before the group records it as `done`: nothing is lost, the others are not held back.

Only messages nobody looks up by id are grouped (reminders, waiting notes and forms are checked that
way, so each keeps a row of its own), and only messages about the same idea, due at the same moment.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.domain.outbox import MessageKind
from bot.ports import OutboxMessage
from bot.ports.store import due_since

GROUP_KIND = "group"
KEPT_ALONE = frozenset({MessageKind.REMINDER, MessageKind.WAITING, MessageKind.PITCH_FORM})
"""Kinds whose rows are looked up by message id (existing_outbox_ids): never grouped."""


def groupable(message: OutboxMessage) -> bool:
    return str(message.kind) not in KEPT_ALONE


def groupable_id(message_id: str) -> bool:
    """Whether a message with this id (`<idea>:<kind>:...`, see domain/outbox.py) may be in a group."""
    parts = message_id.split(":")
    return len(parts) > 1 and parts[1] not in KEPT_ALONE


def groups_of(messages: Sequence[OutboxMessage]) -> list[list[OutboxMessage]]:
    """The messages in write order, those that may share a row together: one list per row."""
    rows: list[list[OutboxMessage]] = []
    together: dict[tuple[str, datetime], list[OutboxMessage]] = {}
    for message in messages:
        if not groupable(message):
            rows.append([message])
            continue
        key = (message.idea_id, message.not_before)
        if key in together:
            together[key].append(message)
        else:
            together[key] = [message]
            rows.append(together[key])
    return rows


def group_key(members: Sequence[OutboxMessage]) -> str:
    """The row's MessageId: unique, and never the id of a message."""
    return f"{members[0].id}:{GROUP_KIND}"[-200:]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def member_to_dict(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "recipientId": message.recipient_id,
        "kind": str(message.kind),
        "ideaId": message.idea_id,
        "createdAt": _iso(message.created_at),
        "notBefore": _iso(message.not_before),
        "payload": message.payload,
    }


def member_from_dict(data: dict[str, Any]) -> OutboxMessage:
    created = _moment(data.get("createdAt")) or datetime.now(UTC)
    return OutboxMessage(
        id=data["id"],
        recipient_id=data.get("recipientId", ""),
        kind=data.get("kind", ""),
        idea_id=data.get("ideaId", ""),
        created_at=created,
        not_before=_moment(data.get("notBefore")) or created,
        payload=dict(data.get("payload") or {}),
    )


def group_payload(members: Sequence[OutboxMessage], done: Sequence[str]) -> str:
    return json.dumps({"messages": [member_to_dict(m) for m in members], "done": list(done)})


def group_values(members: Sequence[OutboxMessage]) -> dict[str, Any]:
    """The DenOutbox row for messages written together (the columns a single message's row has)."""
    first = members[0]
    created = min(m.created_at for m in members)
    return {
        "MessageId": group_key(members),
        "RecipientId": first.recipient_id,
        "Kind": GROUP_KIND,
        "IdeaId": first.idea_id,
        "Payload": group_payload(members, ()),
        "State": "pending",
        "NotBefore": _iso(first.not_before),
        "Attempts": 0,
        "LastError": "",
        "CreatedAt": _iso(created),
        "DueAt": _iso(due_since(created, first.not_before)),
    }


@dataclass
class Group:
    """A group row as this instance holds it: every member, and those recorded (`done`)."""

    key: str
    item_id: str
    members: list[OutboxMessage]
    done: set[str] = field(default_factory=set)
    # Held while the row's `done` is written: each write starts from the one before (two members
    # recorded at once, one sent and one moved out, must not each write `done` without the other).
    writing: asyncio.Lock = field(default_factory=asyncio.Lock, compare=False, repr=False)

    @classmethod
    def from_row(cls, fields: dict[str, Any], item_id: str) -> Group:
        data = json.loads(fields.get("Payload") or "{}")
        members = [member_from_dict(m) for m in data.get("messages", [])]
        return cls(str(fields.get("MessageId", "")), item_id, members, set(data.get("done", [])))

    def outstanding(self) -> list[OutboxMessage]:
        return [m for m in self.members if m.id not in self.done]

    def member(self, message_id: str) -> OutboxMessage | None:
        return next((m for m in self.members if m.id == message_id), None)

    def recording(self, message_ids: Sequence[str]) -> dict[str, Any]:
        """The row's fields once these members are recorded as well: sent when none is left."""
        done = self.done | set(message_ids)
        if all(m.id in done for m in self.members):
            return {"State": "sent", "Payload": group_payload(self.members, sorted(done))}
        return {"Payload": group_payload(self.members, sorted(done))}


def members_of_row(fields: dict[str, Any]) -> list[tuple[OutboxMessage, bool]]:
    """Each message a DenOutbox row holds, with whether it is recorded (a single message: itself)."""
    if fields.get("Kind") != GROUP_KIND:
        return []
    group = Group.from_row(fields, "")
    return [(m, m.id in group.done) for m in group.members]
