"""Administrators' command line for the Den's records: retention, disposal, access requests, audit.

    python -m bot.admin.records --schedule                     the schedule in use, class by class
    python -m bot.admin.records --check-schedule FILE          check a schedule file (names the line of a mistake)
    python -m bot.admin.records --upload-schedule FILE         check it, then keep it with the records (wins over
                                                               DEN_RETENTION_FILE; restart to apply)
    python -m bot.admin.records --due                          what the schedule makes due: class, count, oldest, newest
    python -m bot.admin.records --authorize CLASS --item ITEM --by "NAME, TITLE" [--note TEXT]
                                                               record the authorization to destroy CLASS's due records
    python -m bot.admin.records --authorize notifications --item ITEM --by NAME --standing
                                                               transitory records only: destroyed daily as they
                                                               fall due, until --revoke AUTHORIZATION --by NAME
    python -m bot.admin.records --routine                      run the daily round of standing disposals now
    python -m bot.admin.records --authorizations               the authorizations, used or not
    python -m bot.admin.records --dispose AUTHORIZATION --by NAME [--dry-run]
                                                               destroy what the authorization covers (dry run: show it)
    python -m bot.admin.records --disposals                    the disposal records
    python -m bot.admin.records --correct REFERENCE --field title --value TEXT --requested-by ID_OR_UPN \
                                --reason TEXT --by NAME     correct a pitch at its submitter's request (the
                                                               original kept in the register; the person told)
    python -m bot.admin.records --corrections                  the corrections made
    python -m bot.admin.records --audit --from 2026-11-01 --to 2026-11-30 [--json] [--out FILE] [--challenge ID]
                                                               the audit trail for those days (CSV by default)
    python -m bot.admin.records --requests                     access requests made in chat, answered or not
    python -m bot.admin.records --person ID_OR_UPN --export [--out DIR] [--by NAME]
                                                               everything held about a person: JSON and a
                                                               bilingual HTML page (access request)

Reads the same settings as the app, through the same bootstrap (SQLite or SharePoint). Nothing is
destroyed without an authorization, and a dry run changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from azure.core.credentials_async import AsyncTokenCredential

from bot.adapters.retention_file import RetentionFileError, parse_retention
from bot.admin.command import opened_den
from bot.bootstrap import RETENTION_KEY
from bot.domain.correction import CorrectionRefused
from bot.domain.retention import DueSummary, RecordClass, RetentionSchedule
from bot.ports import StoredSetting
from bot.ports.records import EntryKind
from bot.services.audit import as_csv as audit_csv
from bot.services.audit import as_json as audit_json
from bot.services.records import DisposalRefused
from bot.settings import Settings
from bot.web.personal_information import as_html, as_json, file_stem
from cards.my_information import COUNTED

PROG = "bot.admin.records"


def describe_schedule(schedule: RetentionSchedule) -> list[str]:
    lines = [f"{schedule.title} ({schedule.source})"]
    lines += [f"  {c.value:<20} {schedule.rule(c).describe()}" for c in RecordClass]
    return lines


def _day(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else "-"


def due_lines(summaries: list[DueSummary]) -> list[str]:
    lines = [f"{'class':<20} {'item':<10} {'due':>6}  {'oldest':<10}  {'newest':<10}  rule"]
    for s in summaries:
        lines.append(
            f"{s.record_class.value:<20} {s.rule.item:<10} {s.count:>6}  {_day(s.oldest):<10}  {_day(s.newest):<10}  "
            f"{s.rule.keep} after {s.rule.since.value.replace('_', ' ')}"
        )
    return lines


async def run(
    args: argparse.Namespace, settings: Settings, *, graph_credential: AsyncTokenCredential | None = None, out=print
) -> int:
    text = ""
    if args.check_schedule or args.upload_schedule:
        path = Path(args.check_schedule or args.upload_schedule)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            schedule = parse_retention(text, source=path.name)
        except (RetentionFileError, OSError) as error:
            print(f"{PROG}: {error}", file=sys.stderr)
            return 1
        for line in describe_schedule(schedule):
            out(line)
        if args.check_schedule:
            return 0
    async with opened_den(settings, graph_credential=graph_credential) as den:
        await den.use_stored_schedule()
        records = den.records
        if args.upload_schedule:
            who = args.by or getpass.getuser()
            await den.store.put_setting(StoredSetting(RETENTION_KEY, text, datetime.now(UTC), who))
            out(f"Stored. Restart the app to use it (it now wins over {Path(settings.retention_file).name}).")
            return 0
        if args.person:
            return await _export(den, args, out)
        if args.audit:
            return await _audit(den, args, out)
        if args.correct:
            return await _correct(den, args, out)
        if args.corrections:
            for entry in await den.store.register_entries(EntryKind.CORRECTION):
                b = entry.body
                out(f"{entry.at.isoformat(timespec='seconds')}  {b['idea']}  {b['field']}  "
                    f"asked by {b['requestedBy']}  corrected by {b['correctedBy']}: {b['reason']}")  # fmt: skip
            return 0
        if args.requests:
            for asked, answered in await den.access.requests():
                state = f"answered {answered.at:%Y-%m-%d} by {answered.by}" if answered else "OPEN"
                if answered and answered.body.get("channel") == "tab":
                    state = f"answered {answered.at:%Y-%m-%d}: the person downloaded it from the Den tab"
                out(f"{asked.body.get('reference', asked.key)}  {asked.at.isoformat(timespec='seconds')}  "
                    f"{asked.subject_id}  {state}")  # fmt: skip
            return 0
        try:
            return await _records_command(args, records, out)
        except DisposalRefused as refusal:
            print(f"{PROG}: refused, nothing changed: {refusal}.", file=sys.stderr)
            return 2


async def _records_command(args: argparse.Namespace, records, out) -> int:
    if args.schedule:
        for line in describe_schedule(records.schedule):
            out(line)
    elif args.due:
        out(f"Due for disposal on {_day(records.clock())} under {records.schedule.title}:")
        for line in due_lines(await records.due()):
            out(line)
        out("Nothing is destroyed until an administrator records an authorization (--authorize), then --dispose.")
    elif args.authorize:
        entry = await records.authorize(RecordClass(args.authorize), by=args.by or "", item=args.item or "",
                                        note=args.note or "", standing=args.standing)  # fmt: skip
        out(f"Authorization recorded: {entry.key}")
        out(f"  {entry.body['count']} {entry.record_class} due as of {entry.at.isoformat(timespec='seconds')}, "
            f"oldest {_day(_when(entry.body['oldest']))}, newest {_day(_when(entry.body['newest']))}")  # fmt: skip
        out(f"  authorized by {entry.by} under item {entry.body['item']}")
        if args.standing:
            out("Standing: the app destroys these records daily as they fall due, each disposal recorded.")
        else:
            out(f"Next: python -m bot.admin.records --dispose {entry.key} --by <your name> [--dry-run]")
    elif args.revoke:
        entry = await records.revoke(args.revoke, by=args.by or "")
        out(f"Revoked {args.revoke} ({entry.key}): nothing more is destroyed under it.")
    elif args.routine:
        done = await records.routine()
        for plan in done:
            out(f"Destroyed {plan.destroyed} {plan.summary.record_class.value} under {plan.authorization.key}")
        if not done:
            out("Nothing to destroy under a standing authorization.")
    elif args.authorizations:
        for authorization, used in await records.authorizations():
            state = f"used by {used.key}" if used else "not used yet"
            state = "standing" if authorization.body.get("standing") else state
            out(f"{authorization.key}  {authorization.record_class:<20} {authorization.body.get('count', 0):>6}  "
                f"{authorization.at.isoformat(timespec='seconds')}  {authorization.by}  ({state})")  # fmt: skip
    elif args.dispose:
        plan = await records.dispose(args.dispose, by=args.by or "", dry_run=args.dry_run)
        s = plan.summary
        what = f"{s.count} {s.record_class.value} (events {_day(s.oldest)} to {_day(s.newest)})"
        if plan.dry_run:
            out(f"Dry run, nothing changed: the disposal would destroy {what}, under item {s.rule.item}.")
        else:
            out(f"Destroyed {plan.destroyed} of {what}, under item {s.rule.item}.")
            out(f"Disposal record kept: {plan.entry.key}")
            if plan.destroyed < s.count:
                out(f"{s.count - plan.destroyed} could not be destroyed now: run --due again later.")
    elif args.disposals:
        for entry in await records.disposals():
            b = entry.body
            out(f"{entry.key}  {entry.at.isoformat(timespec='seconds')}  {entry.record_class:<20} {b['count']:>6}  "
                f"{_day(_when(b['oldest']))}..{_day(_when(b['newest']))}  item {b['item']}  by {entry.by}  "
                f"authorized by {b['authorizedBy']} ({b['authorization']})")  # fmt: skip
    return 0


async def _audit(den, args: argparse.Namespace, out) -> int:
    """The audit trail from the first day's start to the last day's end, in the Den's time zone."""
    tz = ZoneInfo(den.settings.timezone)
    try:
        first, last = date.fromisoformat(args.date_from or ""), date.fromisoformat(args.date_to or "")
    except ValueError:
        print(f"{PROG}: give --from and --to as dates, e.g. --from 2026-11-01 --to 2026-11-30", file=sys.stderr)
        return 2
    since = datetime.combine(first, time.min, tzinfo=tz)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    events = await den.audit.events(since, until, challenge_ids=args.challenge or None)
    text = audit_json(events, since, until) if args.json else audit_csv(events)
    if args.out:
        await asyncio.to_thread(Path(args.out).write_text, text, encoding="utf-8")
        out(f"Wrote {len(events)} events to {args.out}")
    else:
        out(text.rstrip("\n"))
    return 0


async def _correct(den, args: argparse.Namespace, out) -> int:
    requester, _, _ = await den.access.find_person(args.requested_by or "")
    try:
        entry = await den.records.correct(
            args.correct, field=args.field or "", value=args.value or "", requested_by=requester,
            by=args.by or "", reason=args.reason or "",
        )  # fmt: skip
    except CorrectionRefused as refusal:
        print(f"{PROG}: refused, nothing changed: {refusal}.", file=sys.stderr)
        return 2
    out(f"Corrected {entry.body['field']} of {entry.body['idea']}; the original is kept ({entry.key}).")
    out("The person is told in their chat with the bot (by the app's next delivery round).")
    return 0


async def _export(den, args: argparse.Namespace, out) -> int:
    """Write what the Den holds about the person: <dir>/<id>-<date>.json and .html; record the request."""
    person_id, name, _ = await den.access.find_person(args.person)
    info = await den.access.information_about(args.person)
    stem = file_stem(info)
    folder = Path(args.out or ".")
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    json_path, html_path = folder / f"{stem}.json", folder / f"{stem}.html"
    await asyncio.to_thread(json_path.write_text, as_json(info), encoding="utf-8")
    language = (info.get("preferences") or {}).get("language") or "en"  # the person's own first
    await asyncio.to_thread(html_path.write_text, as_html(info, language), encoding="utf-8")
    await den.access.record_request(person_id, by=args.by or getpass.getuser(), channel="administrator")
    counts = {key: len(info[key]) for key in COUNTED}
    out(f"{name or person_id}: " + ", ".join(f"{n} {key}" for key, n in counts.items()))
    if not name and not any(counts.values()):
        out("Nobody by that id or UPN is in the directory, and the Den holds nothing under it.")
    out(f"Wrote {json_path} and {html_path}")
    return 0


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--person", metavar="ID_OR_UPN", help="with --export: everything held about this person")
    group.add_argument("--schedule", action="store_true", help="print the retention schedule in use")
    group.add_argument("--check-schedule", metavar="FILE", help="check a retention schedule file")
    group.add_argument("--upload-schedule", metavar="FILE", help="check a schedule file, then store it")
    group.add_argument("--due", action="store_true", help="list what is due for disposal")
    group.add_argument("--authorize", metavar="CLASS", choices=[c.value for c in RecordClass],
                       help="record the authorization to destroy a class's due records")  # fmt: skip
    group.add_argument("--revoke", metavar="AUTHORIZATION", help="end a standing authorization")
    group.add_argument("--routine", action="store_true", help="the daily round of standing disposals, now")
    group.add_argument("--authorizations", action="store_true", help="list the authorizations")
    group.add_argument("--dispose", metavar="AUTHORIZATION", help="destroy what an authorization covers")
    group.add_argument("--audit", action="store_true", help="the audit trail for --from .. --to (CSV or --json)")
    group.add_argument("--correct", metavar="REFERENCE", help="correct a field of this idea (see --field)")
    group.add_argument("--corrections", action="store_true", help="list the corrections made")
    group.add_argument("--requests", action="store_true", help="list access requests made in chat")
    group.add_argument("--disposals", action="store_true", help="list the disposal records")
    parser.add_argument("--item", help="the schedule item the authorization is given under")
    parser.add_argument("--by", help="who authorizes, disposes or uploads (recorded)")
    parser.add_argument("--from", dest="date_from", help="with --audit: the first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="date_to", help="with --audit: the last day (YYYY-MM-DD), included")
    parser.add_argument("--json", action="store_true", help="with --audit: JSON instead of CSV")
    parser.add_argument("--challenge", action="append", help="with --audit: only this challenge (repeatable)")
    parser.add_argument("--field", help="with --correct: title, problem, solution, beneficiaries, first_steps, ...")
    parser.add_argument("--value", help="with --correct: the corrected text")
    parser.add_argument("--requested-by", help="with --correct: who asked (the idea's submitter: id or UPN)")
    parser.add_argument("--reason", help="with --correct: why (kept with the correction)")
    parser.add_argument("--standing", action="store_true", help="with --authorize: transitory records, daily")
    parser.add_argument("--note", help="a note kept with the authorization (e.g. the head's file number)")
    parser.add_argument("--export", action="store_true", help="with --person: write JSON and bilingual HTML")
    parser.add_argument("--out", help="with --export: the folder to write to (default: the current folder); "
                        "with --audit: the file")
    parser.add_argument("--dry-run", action="store_true", help="with --dispose: show what would go, change nothing")
    args = parser.parse_args(argv)
    if args.person and not args.export:
        parser.error("--person needs --export (it writes the files)")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse(argv), Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
