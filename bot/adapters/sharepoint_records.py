"""Records management on SharePoint: the register list (`DenRecordsRegister`) and each class's records
as disposal sees them, read from their lists and destroyed by item id in parallel `$batch`es.

Disposal is an administrator's command, never a click: it reads whole lists a page at a time (no
filter, so no list view threshold applies) and takes the background time budget.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.adapters.carried_lessons import forget_lessons
from bot.adapters.graph_batch import BATCH_LIMIT
from bot.adapters.graph_client import odata_string
from bot.adapters.outbox_groups import GROUP_KIND, members_of_row
from bot.adapters.sharepoint_store import _fields as _fields_of
from bot.domain.retention import RecordClass, StoredRecord, people_records, week_start
from bot.ports.records import EntryKind, MessageRecord, RegisterEntry

CLOSED = {"approved", "rejected", "withdrawn"}
PEOPLE_LISTS = {RecordClass.CONTACTS: "conversations", RecordClass.PREFERENCES: "preferences"}
REGISTER_FIELDS = ("EntryKey", "Kind", "At", "By", "RecordClass", "SubjectId", "Body")


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SharePointRecords:
    """RecordsStore over SharePoint lists (mixed into SharePointDenStore)."""

    # Provided by SharePointStore.
    _api: Callable
    _batches: Any
    _deadline: Callable
    _conversations: Any
    _languages: Any
    background_budget: float

    # ---- the register -----------------------------------------------------------------------------
    async def add_entry(self, entry: RegisterEntry) -> None:
        values = {
            "EntryKey": entry.key,
            "Kind": entry.kind.value,
            "At": _iso(entry.at),
            "By": entry.by[:255],
            "RecordClass": entry.record_class,
            "SubjectId": entry.subject_id[:255],
            "Body": json.dumps(entry.body, ensure_ascii=False),
        }
        await self._api("register").create_or_read(values, "EntryKey")  # the same key again: already there

    async def register_entries(
        self, kind: EntryKind, since: datetime | None = None, until: datetime | None = None
    ) -> list[RegisterEntry]:
        items = await self._api("register").query(f"fields/Kind eq {odata_string(kind.value)}", REGISTER_FIELDS)
        entries = []
        for item in items:
            f = _fields_of(item)
            at = _moment(f.get("At"))
            if at is None or (since is not None and at < since) or (until is not None and at >= until):
                continue
            entries.append(RegisterEntry(f["EntryKey"], kind, at, f.get("By") or "", f.get("RecordClass") or "",
                                         f.get("SubjectId") or "", json.loads(f.get("Body") or "{}")))  # fmt: skip
        return sorted(entries, key=lambda e: (e.at, e.key))

    # ---- each class's records -------------------------------------------------------------------------
    async def _rows(self, list_key: str, fields: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
        return [(item.id, _fields_of(item)) for item in await self._api(list_key).query(None, fields)]

    async def stored_records(self, record_class: RecordClass) -> list[StoredRecord]:
        # (key, event, open, idea, challenge, [(list, item id)]) per row; rows sharing a key are one record
        rows: list[tuple[str, datetime | None, bool, str, str, list[tuple[str, str]]]] = []
        if record_class is RecordClass.IDEAS:
            for item_id, f in await self._rows("ideas", ("IdeaId", "Status", "ChallengeId", "Body")):
                since = json.loads(f.get("Body") or "{}").get("statusSince")
                rows.append((f["IdeaId"], _moment(since), f.get("Status") not in CLOSED, f["IdeaId"],
                             f.get("ChallengeId") or "", [("ideas", item_id)]))  # fmt: skip
        elif record_class is RecordClass.DECISIONS:
            for item_id, f in await self._rows("decisions", ("DecisionKey", "IdeaId", "DecidedAt")):
                rows.append((f["DecisionKey"], _moment(f.get("DecidedAt")), False, f.get("IdeaId") or "", "",
                             [("decisions", item_id)]))  # fmt: skip
        elif record_class is RecordClass.STAGE_HISTORY:
            for list_key in ("stages", "stage_history"):
                for item_id, f in await self._rows(list_key, ("IdeaId", "ChallengeId")):
                    rows.append((f["IdeaId"], None, False, f["IdeaId"], f.get("ChallengeId") or "",
                                 [(list_key, item_id)]))  # fmt: skip
        elif record_class is RecordClass.FUNDING:
            stages = await self._rows("stages", ("IdeaId", "ChallengeId"))
            challenges = {f["IdeaId"]: f.get("ChallengeId") or "" for _, f in stages}
            for item_id, f in await self._rows("funding", ("IdeaId", "ChallengeId", "RecordedAt")):
                challenges[f["IdeaId"]] = f.get("ChallengeId") or challenges.get(f["IdeaId"], "")
                rows.append((f["IdeaId"], _moment(f.get("RecordedAt")), False, f["IdeaId"],
                             challenges[f["IdeaId"]], [("funding", item_id)]))  # fmt: skip
            for item_id, f in await self._rows("progress", ("IdeaId", "FiledAt")):
                rows.append((f["IdeaId"], _moment(f.get("FiledAt")), False, f["IdeaId"],
                             challenges.get(f["IdeaId"], ""), [("progress", item_id)]))  # fmt: skip
        elif record_class is RecordClass.SCORECARDS:
            for item_id, f in await self._rows("scorecards", ("ScoreKey", "ChallengeId", "FinalistId")):
                rows.append((f["ScoreKey"], None, False, f.get("FinalistId") or "", f.get("ChallengeId") or "",
                             [("scorecards", item_id)]))  # fmt: skip
        elif record_class is RecordClass.VOTES:
            for item_id, f in await self._rows("votes", ("VoteKey", "ChallengeId")):
                rows.append((f["VoteKey"], None, False, "", f.get("ChallengeId") or "", [("votes", item_id)]))
        elif record_class is RecordClass.NOTIFICATIONS:
            for item_id, f in await self._rows("outbox", ("MessageId", "State", "NotBefore", "IdeaId")):
                rows.append((f["MessageId"], _moment(f.get("NotBefore")), f.get("State") == "pending",
                             f.get("IdeaId") or "", "", [("outbox", item_id)]))  # fmt: skip
        elif record_class is RecordClass.DIGESTS:
            for item_id, f in await self._rows("digests", ("DeliveryKey", "WeekKey", "State")):
                rows.append((f["DeliveryKey"], week_start(f.get("WeekKey") or ""), f.get("State") == "sending",
                             "", "", [("digests", item_id)]))  # fmt: skip
        elif record_class is RecordClass.LESSONS:  # in the idea's body (one per idea: the idea's key)
            for item_id, f in await self._rows("ideas", ("IdeaId", "ChallengeId", "Body")):
                lesson = json.loads(f.get("Body") or "{}").get("lesson")
                if lesson:
                    rows.append((f["IdeaId"], _moment(lesson.get("writtenAt")), False, f["IdeaId"],
                                 f.get("ChallengeId") or "", [("ideas", item_id)]))  # fmt: skip
        elif record_class is RecordClass.DELIVERY_LOGS:
            for item_id, f in await self._rows("sent_cards", ("MessageId", "IdeaId", "SentAt")):
                rows.append((f["MessageId"], _moment(f.get("SentAt")), False, f.get("IdeaId") or "", "",
                             [("sent_cards", item_id)]))  # fmt: skip
        elif record_class is RecordClass.CONNECTION_REQUESTS:  # due from the answer, else from the asking
            for item_id, f in await self._rows("connect_requests", ("RequestId", "IdeaId", "CreatedAt", "Body")):
                answered = json.loads(f.get("Body") or "{}").get("answeredAt")
                rows.append((f["RequestId"], _moment(answered or f.get("CreatedAt")), False, f.get("IdeaId") or "",
                             "", [("connect_requests", item_id)]))  # fmt: skip
        elif record_class is RecordClass.ACTING_ARRANGEMENTS:  # due from its end (one item per approver)
            for item_id, f in await self._rows("delegations", ("PrincipalId", "EndsAt")):
                rows.append((f"{f['PrincipalId']}|{f.get('EndsAt') or ''}", _moment(f.get("EndsAt")), False, "", "",
                             [("delegations", item_id)]))  # fmt: skip
        elif record_class in PEOPLE_LISTS:
            return await self._people_records(record_class)
        merged: dict[str, StoredRecord] = {}
        handles: dict[str, list[str]] = defaultdict(list)
        for key, at, is_open, idea_id, challenge_id, items in rows:
            merged.setdefault(key, StoredRecord(record_class, key, at, is_open, idea_id, challenge_id))
            handles[key] += [f"{list_key}/{item_id}" for list_key, item_id in items]
        return [
            StoredRecord(r.record_class, r.key, r.event_at, r.open, r.idea_id, r.challenge_id, ",".join(handles[key]))
            for key, r in merged.items()
        ]

    async def _people_records(self, record_class: RecordClass) -> list[StoredRecord]:
        """Contacts and language choices, counted from the person's last contact (bot/domain/retention.py)."""
        chats = {f["UserId"]: (item_id, _moment(f.get("UpdatedAt"))) for item_id, f in
                 await self._rows("conversations", ("UserId", "UpdatedAt"))}  # fmt: skip
        chosen = {f["UserId"]: (item_id, _moment(f.get("UpdatedAt"))) for item_id, f in
                  await self._rows("preferences", ("UserId", "UpdatedAt"))}  # fmt: skip
        messages = [(f.get("RecipientId") or "", _moment(f.get("CreatedAt")), f.get("State") == "pending")
                    for _, f in await self._rows("outbox", ("RecipientId", "CreatedAt", "State"))]  # fmt: skip
        own = chats if record_class is RecordClass.CONTACTS else chosen
        people = [(user_id, [chats.get(user_id, ("", None))[1], chosen.get(user_id, ("", None))[1]])
                  for user_id in own]  # fmt: skip
        list_key = PEOPLE_LISTS[record_class]
        found = people_records(record_class, people, messages)
        return [replace(r, handle=f"{list_key}/{own[r.key][0]}") for r in found]

    async def destroy_records(self, record_class: RecordClass, records: Sequence[StoredRecord]) -> int:
        """Delete each record's items (parallel $batches of 20). A record counts as destroyed when
        every item of it is gone (deleted now, or already absent: 404). A lesson is taken out of its
        idea instead (the idea stays)."""
        if record_class is RecordClass.LESSONS:
            return await forget_lessons(self, records)
        work: list[tuple[str, str, str]] = []  # (record key, list, item id)
        for record in records:
            for handle in filter(None, record.handle.split(",")):
                list_key, _, item_id = handle.partition("/")
                work.append((record.key, list_key, item_id))
        failed: set[str] = set()
        for start in range(0, len(work), BATCH_LIMIT):
            chunk = work[start : start + BATCH_LIMIT]
            requests = [self._api(list_key).delete_request(f"d{n}", item_id) for n, (_, list_key, item_id) in
                        enumerate(chunk)]  # fmt: skip
            deadline = self._deadline(self.background_budget)
            outcome = await self._batches.run(requests, sequential=False, deadline=deadline)
            for n, (key, _, _) in enumerate(chunk):
                status = outcome.status.get(f"d{n}", 0)
                if not (200 <= status < 300 or status == 404):
                    failed.add(key)
        cache = {RecordClass.CONTACTS: self._conversations, RecordClass.PREFERENCES: self._languages}.get(record_class)
        for record in records if cache is not None else ():
            cache.pop(record.key, None)  # this instance forgets them at once (others within their cache time)
        return len({r.key for r in records} - failed)

    async def messages_to(self, person_id: str) -> list[MessageRecord]:
        """RecipientId is not indexed (no click needs it): the outbox, which keeps only recent rows, is
        read a page at a time without a filter and sorted here."""
        rows = await self._rows("outbox", ("MessageId", "RecipientId", "Kind", "IdeaId", "CreatedAt", "State",
                                           "Payload"))  # fmt: skip
        found = [
            MessageRecord(f["MessageId"], f.get("Kind") or "", f.get("IdeaId") or "",
                          _moment(f.get("CreatedAt")) or datetime.now(UTC), f.get("State") or "")
            for _, f in rows
            if f.get("RecipientId") == person_id and f.get("Kind") != GROUP_KIND
        ]  # fmt: skip
        alone = {f.get("MessageId") for _, f in rows}  # a member moved to a row of its own is listed there
        for _, f in rows:  # the messages a group row holds (bot/adapters/outbox_groups.py), each its own
            for message, done in members_of_row(f):
                if message.recipient_id == person_id and message.id not in alone:
                    state = "sent" if done and f.get("State") != "failed" else f.get("State") or ""
                    found.append(MessageRecord(message.id, str(message.kind), message.idea_id, message.created_at,
                                               state))  # fmt: skip
        return sorted(found, key=lambda m: (m.created_at, m.id))
