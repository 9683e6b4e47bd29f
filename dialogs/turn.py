"""What a flow needs to know about the current turn, independent of the Bot Framework."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from bot.domain.inputs import clean_text
from bot.i18n import Messages


@dataclass
class Turn:
    user_id: str
    user_name: str
    locale: str
    conversation_type: str = "personal"  # "personal", "channel" or "groupChat"
    user_channel_id: str = ""  # the person's Teams id (an MRI, 29:...): Universal Actions refresh lists these
    tz: tzinfo | None = None  # the ministry's time zone, that dates on cards are written in

    @property
    def is_personal(self) -> bool:
        return self.conversation_type in ("", "personal")

    @property
    def messages(self) -> Messages:
        return Messages(self.locale, self.tz)


@dataclass
class Reply:
    """The card that answers the click in place, or a short message; plus new messages to post."""

    card: dict[str, Any] | None = None
    message: str | None = None
    follow_ups: list[dict[str, Any]] = field(default_factory=list)


def as_int(value: Any) -> int:
    """A whole number from card data (as our cards send it: an int, or its digits), or -1 (which
    matches no step or revision) for anything else: a bool, a fraction, a huge or negative number."""
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value if 0 <= value < 1_000_000 else -1
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6:
        return int(value)
    return -1


def as_id(value: Any) -> str:
    """An idea id from card data (a UUID, as the bot makes them), or "" for anything else."""
    if not isinstance(value, str) or len(value) > 64:
        return ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


KEY_MAX = 200  # longer than any id, email or channel key the bot makes or Teams sends


def as_key(value: Any) -> str:
    """An id, email or key from card data (text of at most KEY_MAX characters, cleaned), or ""
    for anything else: a number, an object or a megabyte of text never reaches a store query."""
    if not isinstance(value, str) or len(value) > KEY_MAX:
        return ""
    return clean_text(value, multiline=False)


def as_text(value: Any) -> str:
    """What a person typed, as the card sent it (text only: a number or an object is no text).
    The domain cleans it by the one rule and checks its limit."""
    return value if isinstance(value, str) else ""
