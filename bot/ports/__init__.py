"""The ports: interfaces the services talk through, implemented by adapters (and by test fakes).

Import the names from here; each lives in the module named after what it describes.
"""

from bot.ports.availability import Absence, Availability
from bot.ports.challenge import (
    CHANNEL_PREFIX,
    Challenges,
    ChannelInfo,
    DenStore,
    GroupMembership,
    Organisers,
    Stages,
    channel_recipient,
)
from bot.ports.channel import Channel, ChannelPosts, DeliveryFailed, NoSending
from bot.ports.directory import Directory
from bot.ports.pitch_day import Panels, PitchDayStore, Votes
from bot.ports.spool import DecisionSpool, Spool, SpooledDecision, SpooledPitch
from bot.ports.store import (
    Approvals,
    ConcurrencyConflict,
    ConversationRecord,
    Conversations,
    Delegations,
    DigestAggregates,
    DigestLedger,
    DigestScan,
    Health,
    Ideas,
    IdeaStore,
    Lifecycle,
    Outbox,
    OutboxBacklog,
    OutboxLeases,
    OutboxMessage,
    Preferences,
    StoreBusy,
    StoredSetting,
    StoreUnavailable,
)

__all__ = [
    "Absence",
    "Approvals",
    "Availability",
    "CHANNEL_PREFIX",
    "Challenges",
    "Channel",
    "ChannelInfo",
    "ChannelPosts",
    "ConcurrencyConflict",
    "ConversationRecord",
    "Conversations",
    "Delegations",
    "DecisionSpool",
    "DeliveryFailed",
    "DenStore",
    "DigestLedger",
    "DigestAggregates",
    "DigestScan",
    "Directory",
    "GroupMembership",
    "IdeaStore",
    "Ideas",
    "Lifecycle",
    "NoSending",
    "Organisers",
    "Health",
    "Outbox",
    "OutboxBacklog",
    "OutboxLeases",
    "OutboxMessage",
    "Panels",
    "PitchDayStore",
    "Preferences",
    "Spool",
    "SpooledDecision",
    "SpooledPitch",
    "Stages",
    "StoreBusy",
    "StoreUnavailable",
    "StoredSetting",
    "Votes",
    "channel_recipient",
]
