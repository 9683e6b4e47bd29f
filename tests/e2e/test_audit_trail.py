"""The audit trail over HTTP and from the command: a decision, someone else's click refused (kept in the
records register as it is logged), a disposal authorization, for a date range, as CSV and JSON; ids and
outcomes only, never what anyone typed."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta

from bot.admin.records import parse, run
from bot.ports.records import EntryKind
from cards import verbs
from tests.e2e.test_core_loop import approval_card_for, install_approvers, pitch
from tests.support.people import MAYA, PRIYA
from tests.support.running_app import settings_for_test
from tests.support.teams_client import action


async def test_decisions_and_refusals_are_in_the_trail_for_the_days_asked(teams, connector, app, tmp_path):
    await install_approvers(teams)
    await pitch(teams, connector)
    card = await approval_card_for(connector, MAYA)
    forged = await teams.click(PRIYA, action(card, verbs.APPROVE), {"comment": "Priya's words stay out"})
    assert "Only Maya Singh" in forged.message
    assert (await teams.click(MAYA, action(card, verbs.APPROVE), {"comment": "Maya's words stay out"})).status == 200

    [refusal] = await _eventually(lambda: app.store.register_entries(EntryKind.REFUSAL))
    assert refusal.body["actor_id"] == PRIYA.aad_id and refusal.body["action"] == "decision"

    settings = settings_for_test(tmp_path / "den.sqlite3")
    today = datetime.now(UTC).date()
    lines: list[str] = []
    days = ["--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1))]
    assert await run(parse(["--audit", *days]), settings, out=lines.append) == 0
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    events = {(r["event"], r["actor_id"]) for r in rows}
    assert ("decision:approved", MAYA.aad_id) in events and ("refused:decision", PRIYA.aad_id) in events
    assert not any("words stay out" in line for line in lines)
    out = tmp_path / "audit.json"
    assert await run(parse(["--audit", *days, "--json", "--out", str(out)]), settings, out=lines.append) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert {e["event"] for e in document["events"]} >= {"decision:approved", "refused:decision"}
    lines.clear()
    earlier = ["--from", str(today - timedelta(days=9)), "--to", str(today - timedelta(days=2))]
    assert await run(parse(["--audit", *earlier]), settings, out=lines.append) == 0
    assert lines == ["at,event,actor_id,actor,subject,challenge,detail"], "nothing happened on those days"
    lines.clear()
    assert await run(parse(["--audit", *days, "--challenge", "no-such-challenge"]), settings, out=lines.append) == 0
    assert len(lines) == 1, "an organiser's view of one challenge holds only that challenge's events"


async def _eventually(read, attempts: int = 250):
    """What `read` finds, once it finds something (the refusal is written in the background)."""
    for _ in range(attempts):
        found = await read()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("never kept")
