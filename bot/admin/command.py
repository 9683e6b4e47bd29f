"""What every administrators' command that reads the records shares: the app's own store and
directory, built by the same bootstrap as the app, opened for one run and closed after it (even
on an error), with nothing ever sent to Teams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from azure.core.credentials_async import AsyncTokenCredential

from bot.bootstrap import Den, bootstrap
from bot.ports import NoSending
from bot.settings import Settings


@asynccontextmanager
async def opened_den(settings: Settings, *, graph_credential: AsyncTokenCredential | None = None) -> AsyncIterator[Den]:
    """The Den for one command: its records open, its channel one that sends nothing."""
    den = bootstrap(settings, channel=NoSending(), graph_credential=graph_credential)
    await den.open()
    try:
        yield den
    finally:
        await den.close()
