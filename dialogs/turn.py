"""What a flow needs to know about the current turn, independent of the Bot Framework."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.i18n import Messages


@dataclass
class Turn:
    user_id: str
    user_name: str
    locale: str
    conversation_type: str = "personal"  # "personal", "channel" or "groupChat"
    user_channel_id: str = ""  # the person's Teams id (an MRI, 29:...): Universal Actions refresh lists these

    @property
    def is_personal(self) -> bool:
        return self.conversation_type in ("", "personal")

    @property
    def messages(self) -> Messages:
        return Messages(self.locale)


@dataclass
class Reply:
    """The card that answers the click in place, or a short message; plus new messages to post."""

    card: dict[str, Any] | None = None
    message: str | None = None
    follow_ups: list[dict[str, Any]] = field(default_factory=list)


def as_int(value: Any) -> int:
    """A number from card data, or -1 (which matches no step or revision) for anything else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
