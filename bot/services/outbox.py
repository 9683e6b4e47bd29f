"""Delivering the outbox: proactive messages that survive a Bot Connector outage.

Every notification was written to the store with the change that caused it. This worker
leases due messages (so two app instances never send the same one at once), renders the
card from the idea as it is *now*, sends it, and on a failure reschedules it with
exponential backoff and jitter, honouring the connector's Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.ports import Channel, DeliveryFailed, Outbox, OutboxMessage
from bot.ports.retry import Backoff
from bot.services.workers import BackgroundTask

log = logging.getLogger(__name__)


Rendered = tuple[dict[str, Any], str] | None
Renderer = Callable[[OutboxMessage], Awaitable[Rendered]]
"""The card and summary for a message as things stand now, or None when it no longer matters."""


class OutboxDispatcher(BackgroundTask):
    name = "outbox-dispatcher"

    def __init__(
        self,
        store: Outbox,
        channel: Channel,
        render: Renderer,
        *,
        clock: Callable[[], datetime],
        backoff: Backoff = Backoff(first=2.0, longest=600.0),
        max_attempts: int = 12,
        poll_seconds: float = 5.0,
        lease_seconds: float = 60.0,
        batch_size: int = 20,
    ) -> None:
        self._store = store
        self._channel = channel
        self._render = render
        self._clock = clock
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._poll_seconds = poll_seconds
        self._lease_seconds = lease_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Something was just queued: deliver now rather than at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                while await self.drain_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # the store itself failed: keep the worker alive, try again later
                log.exception("outbox pass failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    async def drain_once(self) -> int:
        """Deliver what is due now. Returns how many messages were attempted."""
        messages = await self._store.claim_due(self._clock(), self._lease_seconds, self._batch_size)
        if messages:
            await asyncio.gather(*(self._deliver(m) for m in messages))
        return len(messages)

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            rendered = await self._render(message)
            if rendered is None:  # nothing to say any more (e.g. the step was decided meanwhile)
                await self._store.complete(message.id)
                return
            card, summary = rendered
            await self._channel.send_card(message.recipient_id, card, summary=summary)
        except DeliveryFailed as failure:
            await self._failed(message, failure)
            return
        except Exception as exc:  # unexpected: treat as transient, keep the message
            log.exception("notification crashed", extra={"message_id": message.id})
            await self._failed(message, DeliveryFailed(type(exc).__name__))
            return
        await self._store.complete(message.id)
        log.info("notification sent", extra={"message_id": message.id, "kind": message.kind})

    async def _failed(self, message: OutboxMessage, failure: DeliveryFailed) -> None:
        attempts = message.attempts + 1
        if failure.permanent or attempts >= self._max_attempts:
            log.error(
                "notification abandoned",
                extra={"message_id": message.id, "attempts": attempts, "reason": failure.reason},
            )
            await self._store.give_up(message.id, failure.reason)
            return
        delay = self._backoff.delay(attempts, failure.retry_after)
        log.warning(
            "notification will be retried",
            extra={
                "message_id": message.id,
                "attempts": attempts,
                "delay_s": round(delay, 2),
                "reason": failure.reason,
            },
        )
        await self._store.reschedule(message.id, self._clock() + timedelta(seconds=delay), attempts, failure.reason)
        asyncio.get_running_loop().call_later(delay, self._wake.set)
