"""Administrators' command line for the weekly digest.

    python -m bot.digest --preview --dm <DM's object id>   print that DM's digest card JSON, send nothing
    python -m bot.digest --list                              list the deputy ministers the digest goes to

Reads the same settings as the app (environment or .env) and the same store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.sqlite_store import SqliteStore
from bot.config import Settings
from bot.digest_service import DigestService
from bot.domain.calendar import WorkCalendar, parse_holidays
from bot.domain.digest import DigestRules
from bot.notifications import DeliveryFailed
from bot.nudges import Nudger


class NoSending:
    """Preview never sends: this channel refuses, loudly, if anything tries."""

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> None:
        raise DeliveryFailed("preview mode sends nothing", permanent=True)


async def _main(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    store = SqliteStore(settings.sqlite_path)
    await store.open()
    try:
        directory = OrgFileDirectory.from_file(settings.org_file)
        calendar = WorkCalendar.of(settings.timezone, parse_holidays(settings.holidays))

        def clock() -> datetime:
            return datetime.now(UTC)

        service = DigestService(
            store,
            directory,
            NoSending(),
            Nudger(store, clock=clock, calendar=calendar),
            clock=clock,
            calendar=calendar,
            rules=DigestRules.from_settings(
                settings.stall_business_days, settings.challenge_start, calendar, settings.digest_scope
            ),
            report_url=settings.report_url,
        )
        if args.list:
            for dm in await directory.deputy_ministers():
                print(f"{dm.id}\t{dm.name}")
            return 0
        try:
            card = await service.preview(args.dm)
        except LookupError as error:
            print(f"bot.digest: {error}", file=sys.stderr)
            return 2
        print(json.dumps(card, indent=2, ensure_ascii=False))
        return 0
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.digest", description=__doc__.splitlines()[0])
    parser.add_argument("--preview", action="store_true", help="print the digest card JSON without sending it")
    parser.add_argument("--dm", help="the deputy minister's Entra ID object id")
    parser.add_argument("--list", action="store_true", help="list the deputy ministers")
    args = parser.parse_args(argv)
    if not args.list and not (args.preview and args.dm):
        parser.error("use --preview --dm <id>, or --list")
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
