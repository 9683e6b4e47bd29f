"""`python -m bot.admin.provision`: create the app's SharePoint lists on the Den's site.

Idempotent: it compares what the site has with `bot/adapters/sharepoint_schema.py` and does
only what is missing (a list, a column, an index, a uniqueness rule); run twice, the second run
changes nothing and says so. A column that exists with the wrong type is reported, never
changed (that could lose data); the command then exits 1. `--dry-run` prints the plan only.
`--check` runs the preflight check instead (bot/admin/preflight.py): every Graph behaviour the app
relies on, tried against the real site and directory, then cleaned up.

Rights, as Microsoft states them for `Sites.Selected`: `write` reads and modifies content, which
is what the app needs to run; creating lists and columns needs `fullcontrol` (or `manage`). A
refusal is explained in a sentence, not a traceback.

    python -m bot.admin.provision [--site <site id or URL>] [--dry-run | --check [--user <id or UPN>]]
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from azure.core.exceptions import AzureError
from kiota_abstractions.api_error import APIError
from msgraph import GraphServiceClient

from bot.admin.preflight import run_check
from bot.admin.provisioner import Provisioner, explain


async def run(client: GraphServiceClient, site: str, *, dry_run: bool, out=print) -> int:
    provisioner = Provisioner(client, site)
    try:
        steps = await provisioner.plan()
    except (APIError, AzureError) as error:
        out(explain(error, site))
        return 2
    problems = [s for s in steps if s.action == "wrong-type"]
    changes = [s for s in steps if s.action != "wrong-type"]
    if not steps:
        out("Nothing to change: every list, column and index is in place.")
        return 0
    out("Plan (dry run, nothing changed):" if dry_run else "Plan:")
    for step in steps:
        out(f"  - {step.describe()}")
    if not dry_run and changes:
        try:
            await provisioner.apply(changes)
        except (APIError, AzureError) as error:
            out(explain(error, site, what="create the lists and columns"))
            return 2
        out(f"Done: {len(changes)} change(s) made.")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    from bot.adapters.graph_client import make_credential, make_graph_client
    from bot.bootstrap import graph_settings
    from bot.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bot.admin.provision", description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="the site id or URL (default: DEN_SHAREPOINT_SITE)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    mode.add_argument("--check", action="store_true", help="preflight: try every Graph behaviour the app relies on")
    parser.add_argument("--user", help="with --check: a user (object id or UPN) whose manager chain to read")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    site = args.site or settings.sharepoint_site
    if not site:
        parser.error("give --site or set DEN_SHAREPOINT_SITE")
    graph = graph_settings(settings)
    try:
        credential = make_credential(graph)
    except (AzureError, ValueError) as error:
        print(explain(error, site))
        return 2

    async def command() -> int:
        try:
            client = make_graph_client(graph, credential)
            if args.check:
                return await run_check(client, site, user=args.user)
            return await run(client, site, dry_run=args.dry_run)
        finally:
            await credential.close()

    return asyncio.run(command())


if __name__ == "__main__":
    sys.exit(main())
