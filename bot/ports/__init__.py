"""The ports: interfaces the services talk through, implemented by adapters (and by test fakes).

Import the names from here; each lives in the module named after what it describes.
"""

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
from bot.ports.spool import Spool, SpooledPitch
from bot.ports.store import (
    ConcurrencyConflict,
    ConversationRecord,
    Conversations,
    DigestLedger,
    Ideas,
    IdeaStore,
    Lifecycle,
    Outbox,
    OutboxMessage,
    StoreUnavailable,
)

__all__ = [
    "CHANNEL_PREFIX",
    "Challenges",
    "Channel",
    "ChannelInfo",
    "ChannelPosts",
    "ConcurrencyConflict",
    "ConversationRecord",
    "Conversations",
    "DeliveryFailed",
    "DenStore",
    "DigestLedger",
    "GroupMembership",
    "Directory",
    "IdeaStore",
    "Ideas",
    "Lifecycle",
    "NoSending",
    "Outbox",
    "OutboxMessage",
    "Organisers",
    "Panels",
    "PitchDayStore",
    "Spool",
    "SpooledPitch",
    "Stages",
    "StoreUnavailable",
    "Votes",
    "channel_recipient",
]
