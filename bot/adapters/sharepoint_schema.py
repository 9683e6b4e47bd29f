"""The SharePoint lists the app keeps its records in: names, typed columns, and indexes.

Every column the app filters on is indexed (lists pass 5,000 items); the columns that must be
unique (an idea's id, a person's conversation, a counter's name, a digest delivery) enforce it,
so SharePoint itself refuses a duplicate even when two app instances race. What status that
refusal comes back with is not documented, so the app never relies on it: where it matters
whose create won (an idea, a counter, a digest claim), each create carries a `WriteToken`
and the row is read back by its key to see whether it is ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IDEA_STATUSES = ["in_review", "returned", "approved", "rejected", "withdrawn"]
OUTCOMES = ["approved", "returned", "rejected"]
LEVELS = ["manager", "director", "adm", "dm"]
OUTBOX_STATES = ["pending", "sent", "failed"]
DIGEST_STATES = ["sending", "sent", "unreachable", "failed"]
STAGES = ["pool", "shortlisted", "finalist", "winner", "implementing", "implemented", "not_selected", "stopped"]
PROGRESS = ["on_track", "at_risk", "blocked", "done", "stopped"]
CONFLICTS = ["undeclared", "none", "recused"]
LANGUAGES = ["en", "fr"]
CONNECT_STATES = ["pending", "accepted", "declined"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | note | choice | number | dateTime | boolean
    max_length: int = 255
    choices: tuple[str, ...] = ()
    indexed: bool = False
    unique: bool = False


@dataclass(frozen=True)
class ListSpec:
    key: str
    name: str
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)


def text(name: str, length: int = 255, **flags: bool) -> Column:
    return Column(name, "text", max_length=length, **flags)


LISTS: tuple[ListSpec, ...] = (
    ListSpec(
        "ideas",
        "DenIdeas",
        "Deputy's Den: every pitched idea (Body holds the full record as JSON).",
        (
            text("IdeaId", 64, indexed=True, unique=True),
            text("Reference", 32, indexed=True),
            text("IdeaTitle", 255),
            text("SubmitterId", 64, indexed=True),
            text("HolderId", 64, indexed=True),
            text("ChallengeId", 64, indexed=True),
            Column("Status", "choice", choices=tuple(IDEA_STATUSES), indexed=True),
            Column("CreatedAt", "dateTime", indexed=True),
            Column("UpdatedAt", "dateTime", indexed=True),
            Column("Body", "note"),
            text("WriteToken", 64),
        ),
    ),
    ListSpec(
        "decisions",
        "DenDecisions",
        "Deputy's Den: one row per approval decision.",
        (
            text("DecisionKey", 128, indexed=True, unique=True),
            text("IdeaId", 64, indexed=True),
            Column("Revision", "number"),
            Column("StepIndex", "number"),
            text("ApproverId", 64, indexed=True),
            Column("Level", "choice", choices=tuple(LEVELS)),
            Column("Outcome", "choice", choices=tuple(OUTCOMES), indexed=True),
            Column("RequestedAt", "dateTime"),
            Column("DecidedAt", "dateTime", indexed=True),
            Column("Comment", "note"),
        ),
    ),
    ListSpec(
        "conversations",
        "DenConversations",
        "Deputy's Den: how to reach each person in Teams (conversation references).",
        (text("UserId", 64, indexed=True, unique=True), Column("Body", "note"), Column("UpdatedAt", "dateTime")),
    ),
    ListSpec(
        "outbox",
        "DenOutbox",
        "Deputy's Den: notifications waiting to be delivered, with their retries.",
        (
            text("MessageId", 200, indexed=True, unique=True),
            text("RecipientId", 64),
            text("Kind", 32),
            text("IdeaId", 64, indexed=True),
            Column("Payload", "note"),
            Column("State", "choice", choices=tuple(OUTBOX_STATES), indexed=True),
            Column("NotBefore", "dateTime", indexed=True),
            Column("Attempts", "number"),
            text("LastError", 255),
            Column("CreatedAt", "dateTime"),
            Column("DueAt", "dateTime"),  # when it became due: the health check's lateness counts from it
        ),
    ),
    ListSpec(
        "counters",
        "DenCounters",
        "Deputy's Den: counters for human references such as DEN-2026-0042.",
        (text("Name", 64, indexed=True, unique=True), Column("Value", "number"), text("WriteToken", 64)),
    ),
    ListSpec(
        "digests",
        "DenDigestDeliveries",
        "Deputy's Den: one row per deputy minister per week: the weekly digest's delivery.",
        (
            text("DeliveryKey", 128, indexed=True, unique=True),
            text("DmId", 64),
            text("WeekKey", 16, indexed=True),
            Column("State", "choice", choices=tuple(DIGEST_STATES)),
            Column("ClaimedUntil", "dateTime"),
            text("Detail", 255),
            text("WriteToken", 64),
        ),
    ),
    ListSpec(
        "settings",
        "DenSettings",
        "Deputy's Den: configuration kept by administrators (the item 'routing' holds the routing rules, YAML).",
        (
            text("SettingKey", 64, indexed=True, unique=True),
            Column("Body", "note"),
            Column("UpdatedAt", "dateTime"),
            text("UpdatedBy", 255),
        ),
    ),
    ListSpec(
        "delegations",
        "DenDelegations",
        "Deputy's Den: acting approvers (one row per approver: who acts for them, until when).",
        (
            text("PrincipalId", 64, indexed=True, unique=True),
            text("DelegateId", 64),
            Column("EndsAt", "dateTime", indexed=True),
            Column("Body", "note"),
        ),
    ),
    ListSpec(
        "preferences",
        "DenPreferences",
        "Deputy's Den: what each person chose for themselves (the language of the bot's cards).",
        (
            text("UserId", 64, indexed=True, unique=True),
            Column("Language", "choice", choices=tuple(LANGUAGES)),
            Column("UpdatedAt", "dateTime"),
        ),
    ),
)
# The Den challenge (see bot/adapters/sharepoint_den.py). A stage's Body is the record; history,
# funding and progress repeat it one row per fact, unique per key, for list views and reports.
DEN_LISTS: tuple[ListSpec, ...] = (
    ListSpec(
        "challenges",
        "DenChallenges",
        "Deputy's Den: each challenge (call for ideas), its window, sponsors and criteria.",
        (
            text("ChallengeId", 64, indexed=True, unique=True),
            text("ChallengeName", 255),
            Column("OpensAt", "dateTime", indexed=True),
            Column("ClosesAt", "dateTime", indexed=True),
            Column("Body", "note"),
        ),
    ),
    ListSpec(
        "stages",
        "DenIdeaStages",
        "Deputy's Den: each approved idea's stage in its challenge (pool to implemented).",
        (
            text("IdeaId", 64, indexed=True, unique=True),
            text("ChallengeId", 64, indexed=True),
            text("OwnerId", 64, indexed=True),
            Column("Stage", "choice", choices=tuple(STAGES), indexed=True),
            Column("Body", "note"),
        ),
    ),
    ListSpec(
        "stage_history",
        "DenStageHistory",
        "Deputy's Den: one row per stage change, dated, with who made it.",
        (
            text("ChangeKey", 128, indexed=True, unique=True),
            text("IdeaId", 64, indexed=True),
            text("ChallengeId", 64, indexed=True),
            Column("FromStage", "choice", choices=tuple(STAGES)),
            Column("ToStage", "choice", choices=tuple(STAGES), indexed=True),
            Column("ChangedAt", "dateTime", indexed=True),
            text("ChangedBy", 64),
            Column("Reason", "note"),
        ),
    ),
    ListSpec(
        "funding",
        "DenFunding",
        "Deputy's Den: the funding a sponsor committed to each winner.",
        (
            text("IdeaId", 64, indexed=True, unique=True),
            text("ChallengeId", 64, indexed=True),
            Column("Amount", "number"),
            text("FundingBranch", 120),
            Column("Conditions", "note"),
            text("RecordedBy", 64),
            Column("RecordedAt", "dateTime"),
        ),
    ),
    ListSpec(
        "progress",
        "DenProgressUpdates",
        "Deputy's Den: funded ideas' monthly implementation updates.",
        (
            text("UpdateKey", 128, indexed=True, unique=True),
            text("IdeaId", 64, indexed=True),
            Column("ProgressStatus", "choice", choices=tuple(PROGRESS)),
            Column("Note", "note"),
            Column("FiledAt", "dateTime", indexed=True),
            text("FiledBy", 64),
        ),
    ),
    ListSpec(
        "channels",
        "DenChannels",
        "Deputy's Den: Teams channels the bot was added to (where calls for ideas go).",
        (
            text("ChannelKey", 200, indexed=True, unique=True),
            text("TeamName", 255),
            text("ChannelName", 255),
            Column("UpdatedAt", "dateTime"),
        ),
    ),
)
LISTS = LISTS + DEN_LISTS
# Pitch day (see bot/adapters/sharepoint_pitch_day.py). A vote's VoteKey is <challenge>:<voter>,
# unique: one vote per person per challenge is SharePoint's rule, whatever the app instances do.
PITCH_DAY_LISTS: tuple[ListSpec, ...] = (
    ListSpec(
        "panels",
        "DenPanels",
        "Deputy's Den: each challenge's selection panel (judges, chair, scoring closed).",
        (text("ChallengeId", 64, indexed=True, unique=True), text("ChairId", 64), Column("Body", "note"),
         text("WriteToken", 64)),
    ),
    ListSpec(
        "scorecards",
        "DenScorecards",
        "Deputy's Den: one judge's conflict declaration and scores for one finalist (private to the judge).",
        (
            text("ScoreKey", 200, indexed=True, unique=True),
            text("ChallengeId", 64, indexed=True),
            text("FinalistId", 64, indexed=True),
            text("JudgeId", 64, indexed=True),
            Column("Conflict", "choice", choices=tuple(CONFLICTS), indexed=True),
            Column("Body", "note"),
            text("WriteToken", 64),
        ),
    ),
    ListSpec(
        "polls",
        "DenPeoplesChoice",
        "Deputy's Den: each challenge's People's Choice vote (open, closed, final counts).",
        (
            text("ChallengeId", 64, indexed=True, unique=True),
            Column("VotingOpen", "boolean", indexed=True),
            Column("Body", "note"),
            text("WriteToken", 64),
        ),
    ),
    ListSpec(
        "votes",
        "DenVotes",
        "Deputy's Den: one People's Choice vote per person per challenge.",
        (
            text("VoteKey", 200, indexed=True, unique=True),
            text("ChallengeId", 64, indexed=True),
            text("VoterId", 64, indexed=True),
            text("FinalistId", 64, indexed=True),
            Column("CastAt", "dateTime"),
            Column("ChangedAt", "dateTime", indexed=True),
            Column("Moves", "number"),
            text("WriteToken", 64),
        ),
    ),
)
LISTS = LISTS + PITCH_DAY_LISTS
# Cards with buttons the bot posted (see bot/adapters/sharepoint_sent_cards.py), so a withdrawn
# idea's approval request can be replaced in place. Read by IdeaId (indexed).
LISTS = LISTS + (
    ListSpec(
        "sent_cards",
        "DenSentCards",
        "Deputy's Den: approval requests and reminders posted in Teams, to close them once withdrawn.",
        (
            text("MessageId", 200, indexed=True, unique=True),
            text("IdeaId", 64, indexed=True),
            text("RecipientId", 64),
            text("ActivityId", 255),
            Column("SentAt", "dateTime", indexed=True),  # the retention sweep filters on it
        ),
    ),
)
# The instances' heartbeats (bot/adapters/sharepoint_instances.py): one item, a column per slot,
# so a beat is one PATCH answered with every instance's last beat.
LISTS = LISTS + (
    ListSpec(
        "instances",
        "DenInstances",
        "Deputy's Den: the app's instances and their share of the Teams budget (one item, 'roster').",
        (text("Name", 64, indexed=True, unique=True), *(text(f"Slot{n:02d}", 255) for n in range(1, 17))),
    ),
)
# Requests to connect about a similar shared idea (see bot/adapters/sharepoint_connect.py). Read by
# RequestId, and a person's by OwnerId and by AskerId (two queries: no OR at the top of a filter).
LISTS = LISTS + (
    ListSpec(
        "connect_requests",
        "DenConnectRequests",
        "Deputy's Den: requests to talk with the submitter of a similar shared idea, and their answers.",
        (
            text("RequestId", 200, indexed=True, unique=True),
            text("IdeaId", 64, indexed=True),
            text("OwnerId", 64, indexed=True),
            text("AskerId", 64, indexed=True),
            Column("ConnectState", "choice", choices=tuple(CONNECT_STATES)),
            Column("CreatedAt", "dateTime", indexed=True),
            Column("Body", "note"),
            text("WriteToken", 64),
        ),
    ),
)
# Records management (see bot/adapters/sharepoint_records.py): authorizations, disposals, corrections,
# access requests and permission refusals. The Den never deletes from it: a disposal record outlives
# the records it describes.
REGISTER_KINDS = ["authorization", "disposal", "correction", "refusal", "access"]
LISTS = LISTS + (
    ListSpec(
        "register",
        "DenRecordsRegister",
        "Deputy's Den: the records register (disposal authorizations and records, corrections, access, refusals).",
        (
            text("EntryKey", 200, indexed=True, unique=True),
            Column("Kind", "choice", choices=tuple(REGISTER_KINDS), indexed=True),
            Column("At", "dateTime", indexed=True),
            text("By", 255),
            text("RecordClass", 64),
            text("SubjectId", 255, indexed=True),
            Column("Body", "note"),
        ),
    ),
)
LISTS_BY_KEY = {spec.key: spec for spec in LISTS}
