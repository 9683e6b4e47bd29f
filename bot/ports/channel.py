"""The channel port: how the service layer delivers a card to a person, and how delivery fails."""

from __future__ import annotations

from typing import Any, Protocol


class DeliveryFailed(Exception):
    """A card could not be delivered. `permanent` means retrying cannot help (e.g. never installed)."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


class Channel(Protocol):
    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str | None:
        """Deliver a card to the person's 1:1 chat, or raise DeliveryFailed. Returns the posted
        message's id when the channel has one (so the card can be replaced in place later)."""
        ...


class ChannelPosts(Protocol):
    """Posting a card that is later updated in place (a channel's People's Choice or "now
    pitching" card): the post returns the message's id, the update replaces that message."""

    async def post_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str: ...

    async def update_card(self, recipient_id: str, message_id: str, card: dict[str, Any], *, summary: str) -> None:
        """Replace the posted message's card, or raise DeliveryFailed."""
        ...


class NoSending:
    """A channel that refuses to send, loudly: for previews and commands that must send nothing."""

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> None:
        raise DeliveryFailed("this command sends nothing", permanent=True)

    async def post_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str:
        raise DeliveryFailed("this command sends nothing", permanent=True)

    async def update_card(self, recipient_id: str, message_id: str, card: dict[str, Any], *, summary: str) -> None:
        raise DeliveryFailed("this command sends nothing", permanent=True)
