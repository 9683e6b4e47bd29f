"""A long-running asyncio task that an app instance starts and stops with itself."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod


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
