"""A Den rehearsed in an afternoon, with restarts: the real app in its own process (`python app.py`,
SQLite, authentication off), the demo organisation, the local Bot Connector stand-in, and time
moved forward by the administrators' rehearsal endpoint (`POST /api/rehearsal/run`).

Olga opens a challenge and the call is posted; three staff pitch and their chains approve; the
window closes; Dana shortlists and picks two finalists, who are announced a day later; Olga names
the panel and opens People's Choice on pitch day; people vote; the judges are reminded the next
morning; Dana picks and funds a winner, who is followed up a month later. The app is stopped and
started again after the call, after the finalists and during voting: each time /healthz answers
200 at once (notifications scheduled for later are not late), and everything scheduled happens
exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.ports.service_urls import LOCAL_SERVICE_URLS
from bot.settings import ROOT
from cards import verbs
from tests.e2e.test_den_challenge import CHANNEL, add_bot_to_team, click_in_channel, in_channel
from tests.support.fake_connector import FakeConnector
from tests.support.people import AMIR, DANA, DIANE, MAYA, NOAH, PRIYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.pitch_day import OLGA_ID
from tests.support.running_app import DEMO_ORG
from tests.support.teams_client import TeamsClient, User, button, nodes, texts

TORONTO = ZoneInfo("America/Toronto")
OLGA = User(OLGA_ID, "Olga Kowalski")
SECRET = "rehearsal-secret"
STAFF = (SAM, PRIYA, NOAH)
JUDGES = (MAYA, DIANE, AMIR)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Den:
    """The app as a real process: started, stopped (SIGTERM, as App Service does) and started again."""

    def __init__(self, db: Path) -> None:
        self.db, self.port, self.process = db, free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> dict:
        env = {**os.environ, "PORT": str(self.port), "DEN_HOST": "127.0.0.1", "DEN_SQLITE_PATH": str(self.db),
               "DEN_ORG_FILE": str(DEMO_ORG), "DEN_LOG_LEVEL": "WARNING", "DEN_DIGEST_SCHEDULE": "off",
               "DEN_OUTBOX_POLL_SECONDS": "0.2", "DEN_NOTIFY_RETRY_BASE_SECONDS": "0.2", "MicrosoftAppId": "",
               "DEN_ORGANISER_IDS": OLGA_ID, "DEN_DIGEST_SECRET": SECRET,
               "DEN_ALLOWED_SERVICE_URLS": LOCAL_SERVICE_URLS}  # fmt: skip
        self.process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=ROOT)  # noqa: ASYNC220
        deadline = asyncio.get_running_loop().time() + 120  # a cold start on a busy 2-core machine
        async with aiohttp.ClientSession() as session:
            while asyncio.get_running_loop().time() < deadline:
                assert self.process.poll() is None, "the app stopped while starting"
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        body = await response.json()
                        assert response.status == 200, f"/healthz answered {response.status} {body}"
                        return body
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        raise AssertionError("the app did not start")

    async def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(self.process.wait, 30)

    async def restart(self) -> dict:
        await self.stop()
        return await self.start()

    async def as_of(self, moment: datetime) -> dict:
        """The administrators' rehearsal run: the clock moves to `moment`, what is due then happens."""
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{self.url}/api/rehearsal/run", json={"asOf": moment.isoformat()},
                                    headers={"Authorization": f"Bearer {SECRET}"}) as response:  # fmt: skip
                body = await response.json()
                assert response.status == 200, body
                return body


def summaries(connector: FakeConnector, conversation_id: str) -> list[str]:
    return [s.activity.get("summary", "") for s in connector.to(conversation_id) if s.method == "POST"]


def channel_posts(connector: FakeConnector) -> Counter:
    """Channel posts by their English summary (a channel post is bilingual: "English · French")."""
    return Counter(s.activity.get("summary", "").split(" · ")[0] for s in connector.in_channel(CHANNEL)
                   if s.method == "POST")  # fmt: skip


def last_card(connector: FakeConnector, user: User, phrase: str) -> dict:
    for sent in reversed(connector.to(user.conversation_id)):
        for card in sent.cards:
            if phrase in texts(card):
                return card
    raise AssertionError(f"{user.name} has no card saying {phrase!r}")


async def arrived(connector: FakeConnector, check, seconds: float = 20.0):
    return await connector.wait_for(lambda c: check(c) or None, seconds)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TORONTO)


@pytest.fixture
async def den(tmp_path):
    connector = FakeConnector()
    await connector.start()
    connector.add_to_team(CHANNEL)
    app = Den(tmp_path / "den.sqlite3")
    yield app, connector
    if app.process is not None and app.process.poll() is None:
        await app.stop()
    await connector.stop()


async def test_a_den_rehearsed_in_an_afternoon_survives_three_restarts(den):
    app, connector = den
    health = await app.start()
    assert health["outbox"]["state"] == "ok"
    teams = TeamsClient(f"{app.url}/api/messages", connector.url, TENANT_ID)
    for person in (OLGA, DANA, *STAFF, *JUDGES):
        await teams.install(person)
    assert await add_bot_to_team(teams, OLGA) in (200, 201)

    # ---- Olga opens the challenge; the call is posted in the channel ---------------------------------
    today = datetime.now(TORONTO).date()
    closes, pitch_day = today + timedelta(days=2), today + timedelta(days=5)
    form = {"name": "Rehearsal Den", "question": "How could we serve clients faster?", "sponsors": DANA.aad_id,
            "opens_on": today.isoformat(), "closes_on": closes.isoformat(), "program_areas": "",
            "finalist_count": "2", "pitch_day": pitch_day.isoformat(), "peoples_choice": "true",
            "channel": CHANNEL}  # fmt: skip
    new = (await teams.click(OLGA, {"verb": verbs.CHALLENGE_NEW})).card
    opened = await teams.click(OLGA, button(new, verbs.CHALLENGE_OPEN), form)
    assert "Challenge opened." in texts(opened.card), texts(opened.card)
    cid = button(opened.card, verbs.CHALLENGE_CLOSE)["data"]["challengeId"]
    await arrived(connector, lambda c: channel_posts(c)["Call for ideas: Rehearsal Den"])

    await app.restart()  # ---- restart 1: after the call ----------------------------------------------

    # ---- three staff pitch; under $10,000 their managers and director decide -------------------------
    ideas = {}
    for n, person in enumerate(STAFF):
        pitch = {**VALID_PITCH, "title": f"Rehearsal idea {n}", "problem": f"{n}: {VALID_PITCH['problem']}",
                 "cost_band": "under_10k"}  # fmt: skip
        submit = {"verb": verbs.PITCH_SUBMIT, "data": {"formId": str(uuid.uuid4()), "challengeId": cid}}
        result = await teams.click(person, submit, pitch)
        assert "Thanks, your idea is in!" in texts(result.card), texts(result.card)
        ideas[person] = submit["data"]["formId"]

    async def approve_all() -> None:
        for _ in range(6):
            for approver in (MAYA, DIANE):
                for sent in connector.to(approver.conversation_id):
                    for card in sent.cards:
                        for node in nodes(card):
                            if node.get("verb") == verbs.APPROVE:
                                await teams.click(approver, node, {"comment": ""})
            await asyncio.sleep(0.3)

    await approve_all()
    for person in STAFF:
        await arrived(connector, lambda c, p=person: "approved for the Den" in "".join(
            texts(card) for s in c.to(p.conversation_id) for card in s.cards))  # fmt: skip

    # ---- the window closes: the channel is told, Dana gets the pool --------------------------------
    ran = await app.as_of(at(closes + timedelta(days=1), 9))
    assert ran["asOf"].startswith((closes + timedelta(days=1)).isoformat())
    await arrived(connector, lambda c: channel_posts(c)["Pitches are closed: Rehearsal Den"])
    pool = (await teams.click(DANA, {"verb": verbs.DEN_POOL, "data": {"challengeId": cid}})).card
    for person in (SAM, PRIYA):
        pool = (await teams.click(DANA, {"verb": verbs.DEN_SHORTLIST, "data": {"ideaId": ideas[person]}})).card
    picks = ",".join(ideas[p] for p in (SAM, PRIYA))
    pool = (await teams.click(DANA, button(pool, verbs.DEN_FINALISTS), {"picks": picks})).card
    assert "Finalists confirmed." in texts(pool), texts(pool)

    health = await app.restart()  # ---- restart 2: after the finalists (their announcement is tomorrow) --
    assert health["outbox"]["state"] == "ok"
    assert not channel_posts(connector)["The finalists of Rehearsal Den"]
    await app.as_of(at(closes + timedelta(days=2), 10))
    await arrived(connector, lambda c: channel_posts(c)["The finalists of Rehearsal Den"])

    # ---- the panel is named; on pitch day People's Choice opens and people vote ------------------------
    ref = {"challengeId": cid}
    named = await teams.click(OLGA, {"verb": verbs.PANEL_NAME, "data": ref},
                              {"judges": ",".join(j.aad_id for j in JUDGES), "chair": DIANE.aad_id,
                               "remind_on": "", "remind_time": ""})  # fmt: skip
    assert "The panel is named" in texts(named.card), texts(named.card)
    await app.as_of(at(pitch_day, 10))
    opened = await teams.click(OLGA, {"verb": verbs.VOTING_OPEN, "data": ref})
    assert "People's Choice voting is open" in texts(opened.card), texts(opened.card)
    poll = await arrived(connector, lambda c: next((s.cards[0] for s in c.in_channel(CHANNEL) if s.cards
                                                    and verbs.VOTE in str(s.cards[0])), None))  # fmt: skip
    choices = {n["data"]["finalistId"]: n for n in nodes(poll) if n.get("verb") == verbs.VOTE}
    voted = await click_in_channel(teams, NOAH, choices[ideas[SAM]])
    assert "Your vote: Rehearsal idea 0" in texts(voted["value"])

    health = await app.restart()  # ---- restart 3: during voting, the judges' reminder still to come ---
    assert health["outbox"]["state"] == "ok" and health["outbox"]["pending"] >= len(JUDGES)

    voted = await click_in_channel(teams, MAYA, choices[ideas[PRIYA]])
    assert "Your vote: Rehearsal idea 1" in texts(voted["value"])
    voted = await click_in_channel(teams, AMIR, choices[ideas[SAM]])
    assert "Your vote: Rehearsal idea 0" in texts(voted["value"])
    closing = in_channel(teams, teams._base(OLGA, "invoke"))
    action = {"type": "Action.Execute", "verb": verbs.VOTING_CLOSE, "data": ref}
    closing |= {"name": "adaptiveCard/action", "value": {"action": action}}
    status, _ = await teams.post(closing)
    assert status == 200
    await arrived(connector, lambda c: channel_posts(c)["People's Choice result: Rehearsal Den"])

    # ---- the morning after pitch day: each judge (nobody scored) is reminded once ------------------
    await app.as_of(at(pitch_day + timedelta(days=1), 9, 30))
    for judge in JUDGES:
        await arrived(connector, lambda c, j=judge: "A reminder about scoring Rehearsal Den" in summaries(
            c, j.conversation_id))  # fmt: skip

    # ---- Dana picks and funds the winner; a month later its owner is asked how it is going ---------
    pool = (await teams.click(DANA, {"verb": verbs.DEN_POOL, "data": {"challengeId": cid}})).card
    pool = (await teams.click(DANA, button(pool, verbs.DEN_WINNERS), {"picks": ideas[SAM], "reason": ""})).card
    assert "Winners confirmed." in texts(pool), texts(pool)
    fund_form = (await teams.click(DANA, button(pool, verbs.DEN_FUND_FORM))).card
    funded = await teams.click(DANA, button(fund_form, verbs.DEN_FUND),
                               {"amount": "$8,000", "branch": "Client Services Branch", "conditions": ""})  # fmt: skip
    assert "Funding recorded." in texts(funded.card), texts(funded.card)
    ran = await app.as_of(at(pitch_day + timedelta(days=33), 10))
    assert ran["followUps"] == 1
    await arrived(connector, lambda c: "How is implementation going?" in summaries(c, SAM.conversation_id))

    # ---- everything scheduled happened exactly once, across the three restarts ---------------------
    health = await app.restart()
    assert health["outbox"]["state"] == "ok"
    await app.as_of(at(pitch_day + timedelta(days=33), 11))  # a second run the same day queues nothing new
    await asyncio.sleep(0)
    posts = channel_posts(connector)
    for summary in ("Call for ideas: Rehearsal Den", "Pitches are closed: Rehearsal Den",
                    "The finalists of Rehearsal Den", "People's Choice result: Rehearsal Den"):  # fmt: skip
        assert posts[summary] == 1, (summary, posts)
    assert summaries(connector, DANA.conversation_id).count("The pool: Rehearsal Den") == 1
    for judge in JUDGES:
        assert summaries(connector, judge.conversation_id).count("A reminder about scoring Rehearsal Den") == 1
    assert summaries(connector, SAM.conversation_id).count("How is implementation going?") == 1
    wrong = [s for s in connector.sent if s.method == "POST" and s.activity.get("summary") and not s.cards]
    assert wrong == []


async def test_the_rehearsal_run_is_refused_in_production_and_never_goes_back(tmp_path):
    from tests.support.people import AUTHENTICATED
    from tests.support.running_app import settings_for_test, start_app

    async def post(app, body: dict) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{app.url}api/rehearsal/run", json=body,
                                    headers={"Authorization": f"Bearer {SECRET}"}) as response:  # fmt: skip
                return response.status, await response.json()

    production = await start_app(settings_for_test(tmp_path / "prod.sqlite3", digest_secret=SECRET, **AUTHENTICATED))
    try:
        status, body = await post(production, {"days": 1})
        assert status == 403 and "refused in production" in body["error"]
    finally:
        await production.stop()

    trial = await start_app(settings_for_test(tmp_path / "trial.sqlite3", digest_secret=SECRET))
    try:
        status, body = await post(trial, {"days": 2})
        assert status == 200 and 2 * 86400 - 60 < body["clockAheadBySeconds"] <= 2 * 86400
        status, body = await post(trial, {"asOf": datetime.now(TORONTO).isoformat()})
        assert status == 409 and "only moves forward" in body["error"]
        assert (await post(trial, {"asOf": "next tuesday"}))[0] == 400
        assert (await post(trial, {}))[0] == 400
    finally:
        await trial.stop()
