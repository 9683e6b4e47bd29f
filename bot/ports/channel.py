"""The channel port: how the service layer delivers a card to a person, and how delivery fails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PreparedSend:
    """A card ready to leave: the records read, the card fitted, the request body written.

    What is left (`send`) is the connector request itself, so a sender that counts its sends
    against Teams' rate limits holds its slot for the round trip alone. `requests` is how many
    connector requests `send` makes (two when a 1:1 chat must be created first).
    """

    send: Callable[[], Awaitable[str | None]]  # returns the posted message's id, when there is one
    requests: int = 1


class PreparedSends(Protocol):
    """A channel that can do a send's preparation apart from the request (the Teams channel can)."""

    async def prepare_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> PreparedSend:
        """Everything but the request; raises DeliveryFailed when the card cannot go at all."""
        ...


async def prepare_send(channel: Channel, recipient_id: str, card: dict[str, Any], *, summary: str) -> PreparedSend:
    """The channel's own preparation if it has one; otherwise the whole send happens in `send`."""
    prepare_card = getattr(channel, "prepare_card", None)
    if prepare_card is not None:
        return await prepare_card(recipient_id, card, summary=summary)

    async def send() -> str | None:
        return await channel.send_card(recipient_id, card, summary=summary)

    return PreparedSend(send)


class ChannelPosts(Protocol):
    """Posting a card that is later updated in place (a channel's People's Choice or "now
    pitching" card): the post returns the message's id, the update replaces that message."""

    async def post_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str: ...

    async def update_card(self, recipient_id: str, message_id: str, card: dict[str, Any], *, summary: str) -> None:
        """Replace the posted message's card, or raise DeliveryFailed."""
        ...


class TeamsChat(Channel, ChannelPosts, Protocol):
    """What the app needs of Teams: send to a person, post in a team's channel, update what it posted."""


class NoSending:
    """A channel that refuses to send, loudly: for previews and commands that must send nothing."""

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> None:
        raise DeliveryFailed("this command sends nothing", permanent=True)

    async def post_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str:
        raise DeliveryFailed("this command sends nothing", permanent=True)

    async def update_card(self, recipient_id: str, message_id: str, card: dict[str, Any], *, summary: str) -> None:
        raise DeliveryFailed("this command sends nothing", permanent=True)
