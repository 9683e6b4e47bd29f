"""Administrators' command line for a Den challenge's report.

    python -m bot.admin.report --list                          the challenges, with their ids
    python -m bot.admin.report --challenge <id>                 the funnel, time at each stage, participation
    python -m bot.admin.report --challenge <id> --csv [--out F]  one row per idea (stdout, or the file F)

Reads the same settings as the app, through the same bootstrap: the same store (SQLite or
SharePoint) and directory. Three store queries whatever the number of ideas.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from azure.core.credentials_async import AsyncTokenCredential

from bot.admin.command import opened_den
from bot.domain.den_report import FUNNEL_STEPS, TIMED_STAGES, ChallengeReport, report_csv
from bot.settings import Settings


def as_csv(report: ChallengeReport) -> str:
    return report_csv(report)


def as_text(report: ChallengeReport) -> list[str]:
    lines = [f"{report.challenge.name} ({report.challenge.id})", "", "Funnel:"]
    lines += [f"  {step:<12} {report.funnel[step]:>6}" for step in FUNNEL_STEPS]
    lines += ["", "Median business days at each stage:"]
    for name in TIMED_STAGES:
        days = report.median_days.get(name)
        lines.append(f"  {name:<12} {'-' if days is None else days:>6}")
    for title, pairs in (
        ("branch", report.by_branch),
        ("program area", report.by_program_area),
        ("level", report.by_level),
    ):
        lines += ["", f"Pitches by {title}:"] + [f"  {k:<40} {v:>6}" for k, v in pairs]
    lines += ["", "Funded:"]
    for f in report.funded:
        status = f.latest.value if f.latest else "no update yet"
        lines.append(f"  {f.reference}  ${f.amount:,}  {f.branch}  {status}{'  STALLED' if f.stalled else ''}")
    return lines


async def run(
    args: argparse.Namespace, settings: Settings, *, graph_credential: AsyncTokenCredential | None = None, out=print
) -> int:
    async with opened_den(settings, graph_credential=graph_credential) as den:
        if args.list:
            for challenge in await den.challenges.challenges():
                out(f"{challenge.id}\t{challenge.name}")
            return 0
        report = await den.challenges.report(args.challenge)
        if report is None:
            print(f"bot.admin.report: no challenge with id {args.challenge}", file=sys.stderr)
            return 2
        if args.csv:
            text = as_csv(report)
            if args.out:
                await asyncio.to_thread(Path(args.out).write_text, text, encoding="utf-8")
            else:
                out(text.rstrip("\n"))
            return 0
        for line in as_text(report):
            out(line)
        return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.admin.report", description=__doc__.splitlines()[0])
    parser.add_argument("--challenge", help="the challenge's id (see --list)")
    parser.add_argument("--csv", action="store_true", help="one row per idea, as CSV")
    parser.add_argument("--out", help="write the CSV to this file instead of standard output")
    parser.add_argument("--list", action="store_true", help="list the challenges")
    args = parser.parse_args(argv)
    if not args.list and not args.challenge:
        parser.error("use --challenge <id> [--csv], or --list")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse(argv), Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
