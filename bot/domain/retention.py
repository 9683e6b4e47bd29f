"""The records retention schedule: for each class of record the Den keeps, how long, from which event.

Ontario's FIPPA regulations (R.R.O. 1990, Reg. 459) have personal information kept and disposed of
under the ministry's records retention schedule, and destroyed only with the head's authorization,
with a record of the disposal. This module holds the schedule's rules and the arithmetic of when a
record falls due; nothing here destroys anything (see bot/services/records.py).

Pure: no storage, no clock.
"""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class RecordClass(enum.StrEnum):
    IDEAS = "ideas"  # the pitch and its revisions, its route, decisions and comments as carried by the idea
    DECISIONS = "decisions"  # the decision log (one row per decision, with its comment)
    STAGE_HISTORY = "stage_history"  # an idea's stage in its challenge and every dated change
    SCORECARDS = "scorecards"  # judges' declarations and scores
    VOTES = "votes"  # People's Choice: who voted for whom (the counts stay with the poll)
    FUNDING = "funding"  # funding and the monthly follow-ups
    LESSONS = "lessons"  # lessons learned (kept by the tab, issue #27)
    CONNECTION_REQUESTS = "connection_requests"  # "ask to connect" (kept by the tab, issue #27)
    NOTIFICATIONS = "notifications"  # messages sent (the outbox's delivered and abandoned rows)
    DIGESTS = "digests"  # the weekly digests sent (one claim per deputy minister per week)
    DELIVERY_LOGS = "delivery_logs"  # the Teams message ids of cards sent, kept to update them in place
    CONTACTS = "contacts"  # how the Den reaches each person in Teams (the chat's conversation reference)
    PREFERENCES = "preferences"  # a person's language choice
    ACTING_ARRANGEMENTS = "acting_arrangements"  # an approver's acting approver and until when (delegations)


class Event(enum.StrEnum):
    """What a class's period counts from."""

    CLOSED = "closed"  # an idea's file closes: its route ended, and if it entered a challenge, the challenge closed
    CHALLENGE_CLOSED = "challenge_closed"  # the challenge's pitch window closed
    VOTING_CLOSED = "voting_closed"  # People's Choice closed and its result was announced
    SENT = "sent"  # the message, digest or card went out (or was given up)
    WRITTEN = "written"  # a lesson was written
    ANSWERED = "answered"  # a connection request was accepted or declined
    # the person's last contact with the Den: the latest of their chat with the bot being recorded (at
    # installation, and on the embedded store at every message), their language choice, and a message sent to them
    LAST_CONTACT = "last_contact"
    ENDED = "ended"  # an acting arrangement ended (its last day passed, or the approver ended it)


EVENTS: dict[RecordClass, tuple[Event, ...]] = {
    RecordClass.IDEAS: (Event.CLOSED,),
    RecordClass.DECISIONS: (Event.CLOSED,),
    RecordClass.STAGE_HISTORY: (Event.CHALLENGE_CLOSED,),
    RecordClass.SCORECARDS: (Event.CHALLENGE_CLOSED,),
    RecordClass.VOTES: (Event.VOTING_CLOSED,),
    RecordClass.FUNDING: (Event.CHALLENGE_CLOSED,),
    RecordClass.LESSONS: (Event.WRITTEN,),
    RecordClass.CONNECTION_REQUESTS: (Event.ANSWERED,),
    RecordClass.NOTIFICATIONS: (Event.SENT,),
    RecordClass.DIGESTS: (Event.SENT,),
    RecordClass.DELIVERY_LOGS: (Event.SENT,),
    RecordClass.CONTACTS: (Event.LAST_CONTACT,),
    RecordClass.PREFERENCES: (Event.LAST_CONTACT,),
    RecordClass.ACTING_ARRANGEMENTS: (Event.ENDED,),
}

# A class whose records are also carried inside another class's record is kept as that class is: an
# idea carries its decisions and comments, an idea's stage record its funding and updates. (A decision
# row whose idea is already destroyed is therefore due: its idea was, under the same rule.)
CARRIED_BY: dict[RecordClass, RecordClass] = {
    RecordClass.DECISIONS: RecordClass.IDEAS,
    RecordClass.FUNDING: RecordClass.STAGE_HISTORY,
}

# What is left after disposal, beside the disposal record: only votes keep something (the counts).
THEN_CHOICES: dict[RecordClass, tuple[str, ...]] = {RecordClass.VOTES: ("counts",)}

_PERIOD = re.compile(r"^\s*(\d{1,3})\s+(day|days|month|months|year|years)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    """A retention period: a whole number of days, months or years (calendar arithmetic)."""

    amount: int
    unit: str  # days | months | years

    @classmethod
    def parse(cls, text: str) -> Period:
        found = _PERIOD.match(str(text))
        if not found:
            raise ValueError(f"'{text}' is not a period; write it as '90 days', '18 months' or '7 years'")
        unit = found.group(2).lower()
        return cls(int(found.group(1)), unit if unit.endswith("s") else unit + "s")

    def after(self, moment: datetime) -> datetime:
        if self.unit == "days":
            return moment + timedelta(days=self.amount)
        months = self.amount * (12 if self.unit == "years" else 1)
        year, month = divmod(moment.month - 1 + months, 12)
        year += moment.year
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])  # 29 February -> 28 February
        return moment.replace(year=year, month=month + 1, day=day)

    def approx(self) -> timedelta:
        """For comparing two periods (a month counts 30 days, a year 365)."""
        return timedelta(days=self.amount * {"days": 1, "months": 30, "years": 365}[self.unit])

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


@dataclass(frozen=True)
class RetentionRule:
    record_class: RecordClass
    item: str  # the schedule item that governs the class (what an authorization cites)
    keep: Period
    since: Event
    then: str = ""  # what remains after disposal besides the disposal record ("counts" for votes)
    line: int = 0

    def due_at(self, event_at: datetime) -> datetime:
        return self.keep.after(event_at)

    def describe(self) -> str:
        rest = f", then only the {self.then}" if self.then else ""
        return f"{self.keep} after {self.since.value.replace('_', ' ')}{rest} (item {self.item})"


@dataclass(frozen=True)
class RetentionSchedule:
    title: str
    rules: dict[RecordClass, RetentionRule]
    source: str = "retention.yml"

    def rule(self, record_class: RecordClass) -> RetentionRule:
        return self.rules[record_class]


@dataclass(frozen=True)
class StoredRecord:
    """One record a store holds, as disposal sees it: its key, whose it is, and the dates its
    schedule counts from. `open` records (an idea in review, a notification not yet sent, a vote
    while voting is open) are never due, whatever their dates."""

    record_class: RecordClass
    key: str
    event_at: datetime | None
    open: bool = False
    idea_id: str = ""
    challenge_id: str = ""
    handle: str = ""  # the store's own id for the row (a SharePoint list item id)
    parent_gone: bool = False  # carried by a record already destroyed under the same rule: due with it


@dataclass(frozen=True)
class DueSummary:
    """What the due list shows for one class: how many, and the range of the events they count from."""

    record_class: RecordClass
    rule: RetentionRule
    count: int
    oldest: datetime | None
    newest: datetime | None


def summarize(record_class: RecordClass, rule: RetentionRule, due: list[StoredRecord]) -> DueSummary:
    moments = sorted(r.event_at for r in due if r.event_at is not None)
    return DueSummary(record_class, rule, len(due), moments[0] if moments else None, moments[-1] if moments else None)


def is_due(rule: RetentionRule, record: StoredRecord, now: datetime) -> bool:
    if record.open:
        return False
    return record.parent_gone or (record.event_at is not None and rule.due_at(record.event_at) <= now)


def people_records(
    record_class: RecordClass,
    people: list[tuple[str, list[datetime | None]]],
    messages: list[tuple[str, datetime | None, bool]],
) -> list[StoredRecord]:
    """A person's records counted from their last contact with the Den (contacts, language choice):
    `people` gives each person's own dates (their chat recorded, their language chosen), `messages`
    (recipient, written, still to send) the messages kept for them. The latest date counts; a message
    still to send keeps the record open (it is needed to deliver it, in the person's language)."""
    latest: dict[str, datetime] = {}
    waiting: set[str] = set()
    for recipient, at, pending in messages:
        if at is not None and (recipient not in latest or at > latest[recipient]):
            latest[recipient] = at
        if pending:
            waiting.add(recipient)
    found = []
    for person_id, moments in people:
        known = [m for m in (*moments, latest.get(person_id)) if m is not None]
        found.append(StoredRecord(record_class, person_id, max(known) if known else None, person_id in waiting))
    return found


def week_start(week_key: str) -> datetime | None:
    """The Monday (UTC) of an ISO week key such as 2026-W49: when that week's digest went out."""
    try:
        year, week = week_key.split("-W")
        return datetime.fromisocalendar(int(year), int(week), 1).replace(tzinfo=UTC)
    except ValueError:
        return None
