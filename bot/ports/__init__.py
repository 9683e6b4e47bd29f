"""The ports: interfaces the services talk through, implemented by adapters (and by test fakes).

Import the names from here; each lives in the module named after what it describes.
"""

from bot.ports.availability import Absence, Availability
from bot.ports.channel import Channel, DeliveryFailed, NoSending
from bot.ports.directory import Directory
from bot.ports.spool import DecisionSpool, Spool, SpooledDecision, SpooledPitch
from bot.ports.store import (
    Approvals,
    ConcurrencyConflict,
    ConversationRecord,
    Conversations,
    Delegations,
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
    "Delegations",
    "Channel",
    "ConcurrencyConflict",
    "ConversationRecord",
    "Conversations",
    "DecisionSpool",
    "DeliveryFailed",
    "DigestLedger",
    "DigestScan",
    "Directory",
    "IdeaStore",
    "Ideas",
    "Lifecycle",
    "NoSending",
    "Health",
    "Outbox",
    "OutboxBacklog",
    "OutboxLeases",
    "OutboxMessage",
    "Preferences",
    "Spool",
    "SpooledDecision",
    "SpooledPitch",
    "StoreBusy",
    "StoreUnavailable",
    "StoredSetting",
]
