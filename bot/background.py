"""A long-running asyncio task that an app instance starts and stops with itself."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from bot.ports import ConcurrencyConflict


class BackgroundTask(ABC):
    _task: asyncio.Task | None = None

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def _run(self) -> None: ...

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


def conflict_retry(*, first_wait: float = 0.005, longest_wait: float = 0.1, attempts: int = 8) -> AsyncRetrying:
    """Re-read and decide again when another click, or another instance, wrote first."""
    return AsyncRetrying(
        retry=retry_if_exception_type(ConcurrencyConflict),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=first_wait, max=longest_wait),
        reraise=True,
    )
