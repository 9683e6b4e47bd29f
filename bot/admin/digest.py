"""Administrators' command line for the weekly digest.

    python -m bot.admin.digest --preview --dm <DM's object id>   print that DM's digest card JSON, send nothing
        [--week last|current]   last: the complete week the Monday run reports on (default);
                                current: the week so far, up to today
    python -m bot.admin.digest --list                              list the deputy ministers the digest goes to

Reads the same settings as the app (environment or .env) and, through the same bootstrap, the
same store and directory: SQLite and the org file, or SharePoint and Entra ID.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from azure.core.credentials_async import AsyncTokenCredential

from bot.admin.command import opened_den
from bot.settings import Settings


async def run(
    args: argparse.Namespace, settings: Settings, *, graph_credential: AsyncTokenCredential | None = None, out=print
) -> int:
    async with opened_den(settings, graph_credential=graph_credential) as den:
        if args.list:
            for dm in await den.directory.deputy_ministers():
                out(f"{dm.id}\t{dm.name}")
            return 0
        try:
            card = await den.digests.preview(args.dm, args.week)
        except LookupError as error:
            print(f"bot.admin.digest: {error}", file=sys.stderr)
            return 2
        out(json.dumps(card, indent=2, ensure_ascii=False))
        return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.admin.digest", description=__doc__.splitlines()[0])
    parser.add_argument("--preview", action="store_true", help="print the digest card JSON without sending it")
    parser.add_argument("--dm", help="the deputy minister's Entra ID object id")
    parser.add_argument("--list", action="store_true", help="list the deputy ministers")
    parser.add_argument(
        "--week",
        choices=("last", "current"),
        default="last",
        help="last: the complete week the Monday digest covers (default); current: the week so far",
    )
    args = parser.parse_args(argv)
    if not args.list and not (args.preview and args.dm):
        parser.error("use --preview --dm <id>, or --list")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse(argv), Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
