"""Waiting for the outbox to settle, instead of sleeping and hoping delivery was quick enough.

"Nothing was sent" is only worth asserting once everything the last action queued has been
delivered (or given up): a sleep passes when delivery is merely slow. The condition is the one the
health check reads: no notification that is due is still undelivered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.ports.store import OutboxBacklog


async def settled(store, now: Callable[[], datetime] | None = None, timeout_seconds: float = 15.0) -> None:
    """Return once no due notification is waiting in `store`'s outbox; fail after `timeout_seconds`."""
    clock = now or (lambda: datetime.now(UTC))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_seconds
    while True:
        backlog: OutboxBacklog = await store.outbox_backlog(clock())  # due as of the app's clock
        if backlog.due == 0:
            return
        if loop.time() > deadline:
            raise AssertionError(f"the outbox did not settle in {timeout_seconds} s: {backlog}")
        await asyncio.sleep(0.02)
