"""Where requests to connect are kept (the embedded store; see bot/domain/connect.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain.connect import ConnectRequest
from bot.ports.store import OutboxMessage


class ConnectRequests(Protocol):
    async def add_connect_request(self, request: ConnectRequest, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Store a new request and its notification together; ConcurrencyConflict if it exists."""
        ...

    async def get_connect_request(self, request_id: str) -> ConnectRequest | None: ...

    async def update_connect_request(self, request: ConnectRequest, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Write if the stored version is still `request.version`; else ConcurrencyConflict, nothing written."""
        ...

    async def connect_requests_for(self, person_id: str, limit: int | None = 100) -> list[ConnectRequest]:
        """Requests this person was asked (as an idea's owner) or made, newest first (all of them
        with `limit=None`: an access request)."""
        ...
