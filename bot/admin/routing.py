"""Administrators' command line for the routing rules (who decides, who is only informed).

    python -m bot.admin.routing --check FILE     check a rules file and print the routes it gives
    python -m bot.admin.routing --upload FILE    check it, then keep it with the records (on SharePoint,
                                                 the DenSettings list), where it wins over DEN_ROUTING_FILE
    python -m bot.admin.routing --show           print the rules the app would use now, and where from

A file with a mistake is refused with a message naming the line, before anything is stored.
Restart the app (or each instance) after an upload: the rules are read at start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

from azure.core.credentials_async import AsyncTokenCredential

from bot.adapters.routing_file import RoutingFileError, parse_routing
from bot.admin.command import opened_den
from bot.bootstrap import ROUTING_KEY, checked_against
from bot.domain.routing import RoutingRules
from bot.ports import StoredSetting
from bot.settings import Settings


def describe(routes: RoutingRules) -> list[str]:
    """One line per rule, then escalation and the second look: what an administrator checks."""

    def levels(roles) -> str:
        return ", ".join(role.value for role in roles) or "nobody"

    lines = []
    for rule in (*routes.rules, routes.default):
        when = []
        if rule.cost_bands:
            when.append("cost band " + " or ".join(sorted(rule.cost_bands)))
        if rule.program_areas:
            when.append("program area " + " or ".join(sorted(rule.program_areas)))
        condition = " and ".join(when) or "anything else"
        lines.append(f"{rule.name}: {condition} -> decide: {levels(rule.decide)}; informed: {levels(rule.inform)}")
    e = routes.escalation
    lines.append(
        f"escalation: after {e.after_business_days} business days, {e.action.value}" if e.enabled else "escalation: off"
    )
    lines.append(f"second look: {'on' if routes.second_look else 'off'}")
    return lines


async def run(
    args: argparse.Namespace, settings: Settings, *, graph_credential: AsyncTokenCredential | None = None, out=print
) -> int:
    text = ""
    if args.check or args.upload:
        path = Path(args.check or args.upload)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            routes = checked_against(parse_routing(text, source=path.name), settings)
        except (RoutingFileError, SystemExit, OSError) as error:
            print(f"bot.admin.routing: {error}", file=sys.stderr)
            return 1
        for line in describe(routes):
            out(line)
        if args.check:
            return 0
    async with opened_den(settings, graph_credential=graph_credential) as den:
        if args.upload:
            who = args.by or getpass.getuser()
            await den.store.put_setting(StoredSetting(ROUTING_KEY, text, datetime.now(UTC), who))
            out(f"Stored. Restart the app to use these rules (they now win over {Path(settings.routing_file).name}).")
            return 0
        stored = await den.store.get_setting(ROUTING_KEY)
        if stored is None:
            out(f"No rules are stored with the records: the app uses {settings.routing_file}.")
            routes = den.approvals.routes.now()
        else:
            out(f"Stored with the records by {stored.updated_by or 'someone'} at {stored.updated_at.isoformat()}:")
            try:
                routes = parse_routing(stored.text, source="the stored rules")
            except RoutingFileError as error:
                print(f"bot.admin.routing: {error}", file=sys.stderr)
                return 1
        for line in describe(routes):
            out(line)
        return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.admin.routing", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", metavar="FILE", help="check a rules file and print its routes")
    group.add_argument("--upload", metavar="FILE", help="check a rules file, then store it with the records")
    group.add_argument("--show", action="store_true", help="print the rules in use and where they come from")
    parser.add_argument("--by", help="who is uploading (recorded with the rules); default: your login name")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse(argv), Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
