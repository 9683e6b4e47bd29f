"""The ports: interfaces the services talk through, implemented by adapters (and by test fakes).

Import the names from here; each lives in the module named after what it describes.
"""

from bot.ports.channel import Channel, DeliveryFailed, NoSending
from bot.ports.directory import Directory
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
    "Channel",
    "ConcurrencyConflict",
    "ConversationRecord",
    "Conversations",
    "DeliveryFailed",
    "DigestLedger",
    "Directory",
    "IdeaStore",
    "Ideas",
    "Lifecycle",
    "NoSending",
    "Outbox",
    "OutboxMessage",
    "Spool",
    "SpooledPitch",
    "StoreUnavailable",
]
