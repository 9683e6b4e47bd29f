"""The one backoff rule every retry in the app follows: the server's Retry-After when it gives one
(capped), else exponential and jittered.

The outbox, the digest's delivery, replies inside a turn, SharePoint's `$batch` and the re-read
after a concurrent write all wait by this rule, each with its own first wait and longest wait.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.ports.store import ConcurrencyConflict


def _retry_after_attribute(failure: BaseException | None) -> float | None:
    return getattr(failure, "retry_after", None)


@dataclass(frozen=True)
class Backoff:
    """How long to wait before retry number `attempt` (1 for the first retry)."""

    first: float = 1.0  # seconds before the first retry, before jitter
    longest: float = 600.0  # the exponential part never grows past this
    retry_after_cap: float | None = None  # a server's Retry-After is honoured up to this (someone is waiting)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The server's Retry-After when it gave one: exactly that long (up to the cap), with no
        exponential backoff on top (which, after a few 429s of one second, meant minutes); else
        the exponential backoff, jittered."""
        if retry_after is not None and retry_after > 0:
            cap = self.retry_after_cap if self.retry_after_cap is not None else self.longest
            return min(retry_after, cap)
        delay = min(self.longest, self.first * 2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.0)
        return min(delay, self.retry_after_cap) if self.retry_after_cap is not None else delay

    def waiter(
        self, retry_after_of: Callable[[BaseException | None], float | None] = _retry_after_attribute
    ) -> Callable[[RetryCallState], float]:
        """The same rule as a tenacity `wait`, reading Retry-After from the failure."""

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome is not None else None
            return self.delay(state.attempt_number, retry_after_of(failure))

        return wait


def retrying(
    backoff: Backoff,
    *,
    attempts: int,
    retry_if: Callable[[BaseException], bool],
    retry_after_of: Callable[[BaseException | None], float | None] = _retry_after_attribute,
) -> AsyncRetrying:
    """`async for attempt in retrying(...): with attempt: ...`, re-raising the last failure."""
    return AsyncRetrying(
        retry=retry_if_exception(retry_if),
        stop=stop_after_attempt(attempts),
        wait=backoff.waiter(retry_after_of),
        reraise=True,
    )


def conflict_retry(*, first_wait: float = 0.005, longest_wait: float = 0.1, attempts: int = 8) -> AsyncRetrying:
    """Re-read and decide again when another click, or another instance, wrote first."""
    return retrying(
        Backoff(first_wait, longest_wait),
        attempts=attempts,
        retry_if=lambda failure: isinstance(failure, ConcurrencyConflict),
    )
