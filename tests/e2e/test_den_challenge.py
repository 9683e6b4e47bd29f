"""A whole Den the size of 2016's, over HTTP: the real app, a controlled clock, the local Bot
Connector stand-in, and a ministry of 24 staff who pitch.

An organiser opens a challenge and the call is posted in the team's channel; 24 staff pitch (one
through the channel's button); their chains approve 12, return 4 and reject 8; the sponsor
shortlists 8, picks 5 finalists and 1 winner, and records its funding; the winner files two
monthly updates. Each submitter (and each approver) receives exactly the notifications of their
ideas' paths, and the sponsor's digest and the report show the funnel.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.admin import report as report_command
from cards import verbs
from tests.support.fake_connector import FakeConnector
from tests.support.people import TENANT_ID, VALID_PITCH
from tests.support.running_app import FakeClock, RunningApp, settings_for_test
from tests.support.teams_client import BOT_ID, BOT_NAME, TeamsClient, User, bilingual_problems, button, nodes, texts
from tests.support.timers import TIMERS_BY_REQUEST, run_timer

TORONTO = ZoneInfo("America/Toronto")
START = datetime(2026, 9, 1, 10, 0, tzinfo=TORONTO)
CHANNEL = "19:den-general@thread.tacv2"
ORGANISERS = "5a0c1f7e-0000-4000-8000-00000000aaaa"
BRANCHES = ["Client Services Branch", "Policy Branch", "Digital Branch", "Regional Operations Branch"]


def uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def person(n: int, name: str, role: str, manager: int | None, branch: str, title: str = "") -> dict:
    return {
        "id": uid(n),
        "name": name,
        "role": role,
        "managerId": uid(manager) if manager else None,
        "branch": branch,
        "jobTitle": title or role,
        "email": f"p{n}@ministry.example",
    }


DANA, LUC, AMIR, OLGA = (
    User(uid(n), name) for n, name in ((1, "Dana Morel"), (2, "Luc Gagnon"), (3, "Amir Haddad"), (4, "Olga Kowalski"))
)
DIRECTORS = [User(uid(10 + k), f"Director {k}") for k in range(2)]
MANAGERS = [User(uid(20 + k), f"Manager {k}") for k in range(4)]
STAFF = [User(uid(100 + k), f"Staff {k:02d}") for k in range(24)]
LATE = User(uid(200), "Latecomer")


def ministry() -> dict:
    people = [
        person(1, "Dana Morel", "dm", None, "Deputy Minister's Office", "Deputy Minister"),
        person(2, "Luc Gagnon", "dm", None, "Deputy Minister's Office", "Deputy Minister"),
        person(3, "Amir Haddad", "adm", 1, "Service Delivery Division", "Assistant Deputy Minister"),
        person(4, "Olga Kowalski", "staff", 3, "Innovation Office", "Innovation Lead"),
    ]
    people += [person(10 + k, f"Director {k}", "director", 3, "Service Delivery Division") for k in range(2)]
    people += [person(20 + k, f"Manager {k}", "manager", 10 + k // 2, BRANCHES[k]) for k in range(4)]
    people += [person(100 + k, f"Staff {k:02d}", "staff", 20 + k // 6, BRANCHES[k // 6]) for k in range(24)]
    people.append(person(200, "Latecomer", "staff", 20, BRANCHES[0]))
    return {"tenantId": TENANT_ID, "people": people, "groups": [{"id": ORGANISERS, "members": [uid(4)]}]}


# Each staff member's path (by index): what the chain and the sponsor decide.
WINNER = 0
FINALISTS = [0, 1, 2, 3, 4]
SHORTLISTED = [0, 1, 2, 3, 4, 5, 6, 7]
APPROVED = list(range(12))
RETURNED = list(range(12, 16))
REJECTED = list(range(16, 24))


def manager_of(k: int) -> User:
    return MANAGERS[k // 6]


def director_of(k: int) -> User:
    return DIRECTORS[k // 12]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def ministry_settings(folder: Path) -> dict:
    """The app on this ministry (its org file written in `folder`), organisers named by the Entra
    group only, timers run by request."""
    org = folder / "ministry.json"
    org.write_text(json.dumps(ministry()), encoding="utf-8")
    return {"org_file": str(org), **TIMERS_BY_REQUEST, "organiser_group_id": ORGANISERS}


# The organiser's "new challenge" form, filled in.
CHALLENGE_FORM = {
    "name": "Tell us once",
    "question": "How could our clients tell us things only once?",
    "sponsors": DANA.aad_id,
    "opens_on": "2026-09-01",
    "closes_on": "2026-09-14",
    "program_areas": "",
    "finalist_count": "5",
    "pitch_day": "2026-10-15",
    "peoples_choice": "true",
    "channel": CHANNEL,
}


@pytest.fixture
def app_settings(tmp_path) -> dict:
    return ministry_settings(tmp_path)


def in_channel(teams: TeamsClient, activity: dict) -> dict:
    """The same activity as Teams sends it from the team's General channel."""
    activity["conversation"] = {"conversationType": "channel", "tenantId": TENANT_ID, "id": CHANNEL, "isGroup": True}
    activity["channelData"] = {
        "tenant": {"id": TENANT_ID},
        "team": {"id": CHANNEL, "name": "Service Delivery"},
        "channel": {"id": CHANNEL, "name": "General"},
    }
    return activity


async def add_bot_to_team(teams: TeamsClient, by: User) -> int:
    activity = in_channel(teams, teams._base(by, "conversationUpdate"))
    activity["membersAdded"] = [{"id": BOT_ID, "name": BOT_NAME}]
    activity["channelData"]["eventType"] = "teamMemberAdded"
    status, _ = await teams.post(activity)
    return status


async def click_in_channel(teams: TeamsClient, user: User, action: dict) -> dict:
    activity = in_channel(teams, teams._base(user, "invoke"))
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {
        "action": {"type": "Action.Execute", "verb": action["verb"], "data": action.get("data", {})},
        "trigger": "manual",
    }
    status, body = await teams.post(activity)
    assert status == 200, body
    return body


async def settle(app: RunningApp, clock: FakeClock, seconds: float = 30.0) -> None:
    """Wait until every notification due now has been delivered (or given up)."""

    async def due() -> int:
        row = await app.store._fetchone(
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND not_before <= ?",
            (clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),),  # as the store writes due times
        )
        return row[0]

    for _ in range(int(seconds / 0.02)):
        if not await due():
            break
        await asyncio.sleep(0.02)
    assert not await due(), "notifications due now were not delivered in time"
    failed = await app.store._fetchone("SELECT COUNT(*) FROM outbox WHERE state = 'failed'")
    assert failed[0] == 0, "a notification could not be delivered"


def notes(connector: FakeConnector, user: User) -> list[str]:
    """What the bot told this person proactively (the outbox), by each message's summary, in order."""
    return [s.activity["summary"] for s in connector.to(user.conversation_id) if s.activity.get("summary")]


def posted_as(sent, summary: str) -> bool:
    """A channel post whose notification starts with `summary` (its English; the French follows)."""
    return sent.activity.get("summary", "").startswith(summary)


def last_card(connector: FakeConnector, user: User, summary: str) -> dict:
    for sent in reversed(connector.to(user.conversation_id)):
        if sent.activity.get("summary") == summary:
            return sent.cards[0]
    raise AssertionError(f"{user.name} never received {summary!r}: {notes(connector, user)}")


def decide_button(connector: FakeConnector, approver: User, idea_id: str, verb: str) -> dict:
    for sent in reversed(connector.to(approver.conversation_id)):
        for card in sent.cards:
            for node in _buttons(card):
                if node["verb"] == verb and node.get("data", {}).get("ideaId") == idea_id:
                    return node
    raise AssertionError(f"{approver.name} has no {verb} button for {idea_id}")


def _buttons(card: dict) -> list[dict]:
    from tests.support.teams_client import nodes

    return [n for n in nodes(card) if n.get("type") == "Action.Execute"]


async def wait_for_card(connector: FakeConnector, user: User, summary: str, count: int = 1) -> None:
    await connector.wait_for(lambda c: len([n for n in notes(c, user) if n == summary]) >= count or None, 15)


async def test_a_whole_den_from_the_call_for_ideas_to_funded_and_followed_up_winners(app, teams, connector, clock):
    connector.add_to_team(CHANNEL)
    everyone = [DANA, LUC, AMIR, OLGA, *DIRECTORS, *MANAGERS, *STAFF, LATE]
    for someone in everyone:
        await teams.install(someone)
    assert await add_bot_to_team(teams, OLGA) in (200, 201)

    # ---- an organiser opens the challenge; nobody else can ----------------------------------------
    refused = await teams.click(STAFF[23], {"verb": verbs.CHALLENGE_NEW})
    assert "Only Den organisers" in refused.message
    form = (await teams.click(OLGA, {"verb": verbs.CHALLENGE_NEW})).card
    assert "Service Delivery › General" in texts(form) and "Dana Morel" in texts(form)
    fields = CHALLENGE_FORM
    bad = await teams.click(OLGA, button(form, verbs.CHALLENGE_OPEN), {**fields, "weight_cost": "60"})
    assert "The weights must add up to 100." in texts(bad.card)
    opened = await teams.click(OLGA, button(bad.card, verbs.CHALLENGE_OPEN), fields)
    assert "Challenge opened." in texts(opened.card) and "Client impact 20%" in texts(opened.card)
    challenge_id = button(opened.card, verbs.CHALLENGE_CLOSE)["data"]["challengeId"]
    later = {
        **fields,
        "name": "Green operations",
        "opens_on": "2027-01-11",
        "closes_on": "2027-02-05",
        "pitch_day": "2027-03-01",
    }
    await teams.click(OLGA, button(form, verbs.CHALLENGE_OPEN), {**later, "formId": str(uuid.uuid4())})

    # ---- the call for ideas is posted in the channel; one pitch starts from its button --------------
    await connector.wait_for(
        lambda c: (
            any(posted_as(s, "Call for ideas: Tell us once") for s in c.in_channel(CHANNEL)) or None
        )
    )
    posted = next(s for s in connector.in_channel(CHANNEL) if s.activity.get("summary", "").startswith("Call"))
    assert posted.conversation_id.startswith(f"{CHANNEL};messageid="), "a new post (thread) in the channel"
    call = posted.cards[0]
    assert "How could our clients tell us things only once?" in texts(call)
    answer = await click_in_channel(teams, STAFF[0], button(call, verbs.CHALLENGE_PITCH))
    assert answer["value"] == "The form is in your chat with Deputy's Den."
    await wait_for_card(connector, STAFF[0], "Pitch an idea")
    channel_form = last_card(connector, STAFF[0], "Pitch an idea")
    assert "How could our clients tell us things only once?" in texts(channel_form)

    # ---- 24 staff pitch to the challenge ------------------------------------------------------------
    idea_of: dict[int, str] = {}
    for k, staff in enumerate(STAFF):
        submit = (
            button(channel_form, verbs.PITCH_SUBMIT)
            if k == 0
            else {"verb": verbs.PITCH_SUBMIT, "data": {"formId": str(uuid.uuid4()), "challengeId": challenge_id}}
        )
        result = await teams.click(staff, submit, {**VALID_PITCH, "title": f"Idea {k:02d}"})
        assert "Thanks, your idea is in!" in texts(result.card), texts(result.card)
        idea_of[k] = submit["data"]["formId"]

    # ---- their chains approve 12, return 4, reject 8 ------------------------------------------------
    await settle(app, clock)
    for k in APPROVED:
        for approver in (manager_of(k), director_of(k), AMIR):
            await connector.wait_for(lambda c, a=approver, i=idea_of[k]: asked_to_decide(c, a, i), 15)
            decided = await teams.click(
                approver, decide_button(connector, approver, idea_of[k], verbs.APPROVE), {"comment": ""}
            )
            assert decided.status == 200
    for k in RETURNED:
        await teams.click(
            manager_of(k),
            decide_button(connector, manager_of(k), idea_of[k], verbs.RETURN),
            {"comment": "Please add costs"},
        )
    for k in REJECTED:
        await teams.click(
            manager_of(k),
            decide_button(connector, manager_of(k), idea_of[k], verbs.REJECT),
            {"comment": "Not this year"},
        )
    await settle(app, clock)

    # ---- the window closes: the channel is told, the sponsor gets the pool, a late pitch is refused ------
    clock.now = datetime(2026, 9, 15, 9, 0, tzinfo=TORONTO)
    await settle(app, clock)
    closed = [
        s for s in connector.in_channel(CHANNEL) if posted_as(s, "Pitches are closed: Tell us once")
    ]
    assert len(closed) == 1 and "24 ideas were pitched" in texts(closed[0].cards[0])
    late = await teams.click(
        LATE,
        {"verb": verbs.PITCH_SUBMIT, "data": {"formId": str(uuid.uuid4()), "challengeId": challenge_id}},
        VALID_PITCH,
    )
    assert "closed to new pitches" in texts(late.card) and "Green operations" in texts(late.card)
    pool = last_card(connector, DANA, "The pool: Tell us once")
    assert "In the pool: 12. Shortlisted: 0." in texts(pool)

    # ---- the sponsor shortlists 8 (someone else's click and a second click change nothing) -------------
    not_sponsor = await teams.click(LUC, decide_button(connector, DANA, idea_of[0], verbs.DEN_SHORTLIST))
    assert "Only a sponsor deputy minister" in not_sponsor.message
    for k in SHORTLISTED:
        pool = (await teams.click(DANA, decide_button(connector, DANA, idea_of[k], verbs.DEN_SHORTLIST))).card
    again = await teams.click(DANA, {"verb": verbs.DEN_SHORTLIST, "data": {"ideaId": idea_of[0]}})
    assert "That is already done" in texts(again.card)
    undone = await teams.click(DANA, {"verb": verbs.DEN_UNSHORTLIST, "data": {"ideaId": idea_of[7]}})
    assert "Back in the pool." in texts(undone.card)
    pool = (await teams.click(DANA, {"verb": verbs.DEN_SHORTLIST, "data": {"ideaId": idea_of[7]}})).card
    assert "In the pool: 4. Shortlisted: 8." in texts(pool)

    # ---- 5 finalists (not more than the cap); they are asked whether to be named -------------------------
    too_many = await teams.click(
        DANA, button(pool, verbs.DEN_FINALISTS), {"picks": ",".join(idea_of[k] for k in SHORTLISTED[:6])}
    )
    kept = too_many.card  # the pool again, the six boxes still ticked, and why beside them
    assert "more finalists than this challenge has places for" in texts(kept)
    [boxes] = [n for n in nodes(kept) if n.get("id") == "picks"]
    assert set(boxes["value"].split(",")) == {idea_of[k] for k in SHORTLISTED[:6]}
    pool = (
        await teams.click(DANA, button(pool, verbs.DEN_FINALISTS), {"picks": ",".join(idea_of[k] for k in FINALISTS)})
    ).card
    assert "Finalists confirmed." in texts(pool) and "In the pool: 0. Shortlisted: 0. Finalists: 5." in texts(pool)
    await settle(app, clock)
    finalist_card = last_card(connector, STAFF[1], f"{_ref(app, idea_of[1])}: Finalist")
    consent = await teams.click(STAFF[1], button(finalist_card, verbs.DEN_CONSENT))  # the first: "Yes, name me"
    assert "You said yes: you will be named." in texts(consent.card)
    clock.advance(days=1)
    await settle(app, clock)
    announced = [
        s for s in connector.in_channel(CHANNEL) if posted_as(s, "The finalists of Tell us once")
    ]
    shown = texts(announced[0].cards[0])
    assert len(announced) == 1 and "Staff 01" in shown and "Staff 02" not in shown and "Idea 02" in shown

    # ---- after pitch day: one winner, funded -------------------------------------------------------------
    clock.now = datetime(2026, 10, 16, 9, 0, tzinfo=TORONTO)
    pool = (await teams.click(DANA, {"verb": verbs.DEN_POOL, "data": {"challengeId": challenge_id}})).card
    pool = (await teams.click(DANA, button(pool, verbs.DEN_WINNERS), {"picks": idea_of[WINNER], "reason": ""})).card
    assert "Winners confirmed." in texts(pool)
    fund_form = (await teams.click(DANA, button(pool, verbs.DEN_FUND_FORM))).card
    refused = await teams.click(DANA, button(fund_form, verbs.DEN_FUND), {"amount": "lots", "branch": "Digital"})
    assert "Please enter an amount in dollars" in texts(refused.card)
    funded = await teams.click(
        DANA,
        button(fund_form, verbs.DEN_FUND),
        {"amount": "$75,000", "branch": "Digital Branch", "conditions": "Quarterly report"},
    )
    assert "Funding recorded." in texts(funded.card)
    await settle(app, clock)

    # ---- two monthly updates from the winner ----------------------------------------------------------------
    for month, (status, note) in enumerate((("on_track", "Pilot running in two offices"), ("at_risk", "Vendor late"))):
        clock.advance(days=31)
        assert (await run_timer(app, "nudges"))["followUps"] == 1
        await settle(app, clock)
        follow_up = last_card(connector, STAFF[WINNER], "How is implementation going?")
        filed = await teams.click(
            STAFF[WINNER], button(follow_up, verbs.DEN_PROGRESS), {"status": status, "note": note}
        )
        assert "Thank you: your update is recorded." in texts(filed.card), month
    assert "followUps" not in await run_timer(app, "nudges")  # this month's is answered

    # ---- each submitter heard exactly their idea's path ---------------------------------------------------
    await settle(app, clock)
    for k, staff in enumerate(STAFF):
        ref = _ref(app, idea_of[k])
        expected = ["Pitch an idea"] if k == 0 else []
        if k in APPROVED:
            expected += [f"{ref}: Approved"] * 3
            expected += [f"{ref}: Shortlisted"] * (k in SHORTLISTED) + [f"{ref}: In the pool"] * (k == 7)
            expected += [f"{ref}: Shortlisted"] * (k == 7)
            expected += [f"{ref}: Finalist"] * (k in FINALISTS)
            expected += (
                [f"{ref}: Winner", f"{ref}: Funded: being implemented"] if k == WINNER else [f"{ref}: Not selected"]
            )
            expected += ["How is implementation going?"] * 2 if k == WINNER else []
        elif k in RETURNED:
            expected += [f"{ref}: Returned for changes"]
        else:
            expected += [f"{ref}: Rejected"]
        assert notes(connector, staff) == expected, (k, notes(connector, staff))
    assert notes(connector, LATE) == []

    # ---- approvers heard what became of the ideas they said yes to --------------------------------------
    # shortlisted, (finalist), not selected or winner and funded; no. 7 was shortlisted twice (the undo
    # itself is told to the submitter only).
    stage_changes = {k: 1 + (k in SHORTLISTED) + (k in FINALISTS) + (k == WINNER) + (k == 7) for k in APPROVED}
    for approver, mine in (
        [(m, [k for k in range(24) if manager_of(k) == m]) for m in MANAGERS]
        + [(d, [k for k in APPROVED if director_of(k) == d]) for d in DIRECTORS]
        + [(AMIR, APPROVED)]
    ):
        heard = Counter(n.split(": ", 1)[1] for n in notes(connector, approver) if n.startswith("DEN-"))
        expected = sum(stage_changes[k] for k in mine if k in APPROVED)
        assert sum(heard.values()) == expected, (approver.name, heard)

    # ---- the sponsor's digest and the report show the funnel ----------------------------------------------
    digest = await run_timer(app, "digest")
    assert digest["challengeDigests"] == 1  # one per sponsor of each challenge that has opened
    await settle(app, clock)
    weekly = texts(last_card(connector, DANA, "This week in Tell us once"))
    for label, count in (
        ("Pitched", 24),
        ("Approved for the Den", 12),
        ("Shortlisted", 8),
        ("Finalists", 5),
        ("Winners", 1),
        ("Implemented", 0),
    ):
        assert f"{label}\n{count}" in weekly, (label, weekly)
    assert "At risk" in weekly and "Stalled" not in weekly
    shown = texts((await teams.click(DANA, {"verb": verbs.DEN_REPORT, "data": {"challengeId": challenge_id}})).card)
    assert "Pitched\n24" in shown and "Winners\n1" in shown and "Client Services Branch\n6" in shown
    assert (
        "The report is for the Den's organisers and this challenge's sponsors."
        in (await teams.click(STAFF[3], {"verb": verbs.DEN_REPORT, "data": {"challengeId": challenge_id}})).message
    )

    lines: list[str] = []
    args = report_command.parse(["--challenge", challenge_id, "--csv"])
    settings = settings_for_test(app.store._path, org_file=str(app.store._path).replace("den.sqlite3", "ministry.json"))
    assert await report_command.run(args, settings, out=lines.append) == 0
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert len(rows) == 24 and Counter(r["furthest_stage"] for r in rows) == Counter(
        {"": 12, "pool": 4, "shortlisted": 3, "finalist": 4, "implementing": 1}
    )
    winner_row = next(r for r in rows if r["stage"] == "implementing")
    assert winner_row["funding_amount"] == "75000" and winner_row["latest_progress"] == "at_risk"

    # ---- "my ideas" shows each idea's challenge and stage ------------------------------------------------
    await teams.say(STAFF[2], "my ideas")
    mine = connector.to(STAFF[2].conversation_id)[-1].cards[0]
    assert "Tell us once: Not selected (reached: Finalist)" in texts(mine)

    # ---- the channel, read by both language communities, got every post in both languages ------------
    posts = [s for s in connector.in_channel(CHANNEL) if s.cards and s.activity.get("summary")]
    assert len(posts) >= 4  # the call for ideas, the closing, the finalists, the winners
    problems = {s.activity["summary"]: bilingual_problems(s.cards[0], s.activity["summary"]) for s in posts}
    assert {summary: found for summary, found in problems.items() if found} == {}


def asked_to_decide(connector: FakeConnector, approver: User, idea_id: str) -> bool:
    """Whether the approver has been sent a card with the buttons to decide this idea."""
    try:
        decide_button(connector, approver, idea_id, verbs.APPROVE)
    except AssertionError:
        return False
    return True


_REFS: dict[str, str] = {}


def _ref(app: RunningApp, idea_id: str) -> str:
    """An idea's reference (DEN-2026-00NN), read from the store."""
    if idea_id not in _REFS:
        import sqlite3

        with sqlite3.connect(app.store._path) as db:
            for row_id, reference in db.execute("SELECT id, reference FROM ideas"):
                _REFS[row_id] = reference
    return _REFS[idea_id]
