"""The whole Den challenge on the production adapters, with the app in its own process.

`python app.py` runs as a real process with DEN_STORE=sharepoint and DEN_DIRECTORY=entra, its
records in SharePoint lists and its people and the organisers' group in Entra ID, all through the
real msgraph-sdk against the local Graph server. It signs in as App Service does, with a managed
identity (DEN_GRAPH_MANAGED_IDENTITY, IDENTITY_ENDPOINT, IDENTITY_HEADER): the local identity
endpoint issues the tokens and the Graph server refuses any request without one. Teams traffic
comes over HTTP as in the other end-to-end tests, and the bot's messages go to the local Bot
Connector stand-in.

The people walk the challenge: the organiser (an Entra group member) opens it and the call is
posted in the team's channel; four staff pitch (one from the channel's button); their chains
approve three (the three enter the pool) and reject one; the organiser closes pitching early;
the sponsor deputy minister shortlists and picks two finalists, one of whom agrees to be named;
a panel of three scores both and the chair closes scoring; People's Choice opens in the channel,
people vote (one moves their vote) and it closes; the sponsor picks the winner and records its
funding; a month later the winner is asked how implementation is going and answers. Then the
lists in SharePoint are checked row by row.

The process reads the wall clock, so "pitch day comes" is made by moving the challenge's pitch day
(three weeks away) to today in the DenChallenges list before the chair closes scoring, and "a month
later" by moving the funding's date in the DenIdeaStages list back 31 days (the only two edits the
test makes to the lists), then running the scheduled pass through POST /api/nudges/run as the timer
would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.ports.service_urls import LOCAL_SERVICE_URLS
from bot.settings import ROOT
from cards import verbs
from tests.support.den_process import free_port, start_den
from tests.support.fake_connector import FakeConnector
from tests.support.fake_identity import AuthorisedGraph, FakeManagedIdentity
from tests.support.graph_fixtures import SITE_HOST, SITE_PATH, graph_client
from tests.support.people import AMIR, DANA, DIANE, MAYA, NOAH, PRIYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.teams_client import BOT_ID, BOT_NAME, TeamsClient, User, button, nodes, texts

SECRET = "den-timer-secret-for-tests"
TORONTO = ZoneInfo("America/Toronto")
CHANNEL = "19:den-innovation@thread.tacv2"
ORGANISERS = "0d3e9a51-6b2c-4f7e-8a19-3c5d7e9f1b08"  # the demo org's "Den organisers" group
OLGA = User("c9e8f1a2-d3e5-46f7-8c13-8e9f0a1b2c09", "Olga Kowalski")  # its one member
OLIVIA = User("b8d7eaf9-c2d4-45e6-9b02-7d8e9f0a1b08", "Olivia Grant")
VOTERS = [User(str(uuid.UUID(int=n)), f"Voter {n}") for n in range(1, 6)]
SMALL = {**VALID_PITCH, "cost_band": "10k_50k"}  # manager and director decide; the ADM is informed


# ---- the process ---------------------------------------------------------------------------------
def den_environment(port: int, graph: AuthorisedGraph, identity: FakeManagedIdentity, site: str, tmp: Path):
    """What an administrator sets on App Service, pointed at the local servers. Nothing of the
    test's own environment that could change the app's behaviour is passed on."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEN_", "AZURE_", "IDENTITY_", "MSI_", "IMDS_", "Microsoft", "APP_"))
    }
    return {
        **inherited,
        **identity.environment(),
        "PORT": str(port),
        "DEN_HOST": "127.0.0.1",
        "DEN_STORE": "sharepoint",
        "DEN_SHAREPOINT_SITE": site,
        "DEN_DIRECTORY": "entra",
        "DEN_GRAPH_BASE_URL": graph.url,
        "DEN_GRAPH_MANAGED_IDENTITY": "true",
        "DEN_ORGANISATION": "Test Ministry",
        "DEN_DM_IDS": DANA.aad_id,
        "DEN_ORGANISER_GROUP_ID": ORGANISERS,
        "DEN_SPOOL_PATH": str(tmp / "spool.sqlite3"),
        "DEN_SQLITE_PATH": str(tmp / "unused.sqlite3"),
        "DEN_DIGEST_SECRET": SECRET,
        "DEN_DIGEST_SCHEDULE": "off",
        "DEN_OUTBOX_POLL_SECONDS": "0.2",
        "DEN_SHAREPOINT_IDLE_POLL_SECONDS": "0.5",
        "DEN_NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "DEN_SHUTDOWN_DRAIN_SECONDS": "2",
        "DEN_LOG_LEVEL": "WARNING",
        "DEN_ALLOWED_SERVICE_URLS": LOCAL_SERVICE_URLS,  # the connector stand-in on loopback
        "MicrosoftAppId": "",  # Bot Framework authentication off: local only
    }


def seed_entra(graph: AuthorisedGraph) -> None:
    """The demo organisation as Entra ID users (Priya's vacant manager is left out: she reports to
    Diane), and its "Den organisers" group."""
    org = json.loads((ROOT / "data" / "demo-org.json").read_text())
    vacant = {p["id"]: p["managerId"] for p in org["people"] if p.get("vacant")}
    for p in org["people"]:
        if not p.get("vacant"):
            manager = p.get("managerId") or ""
            graph.add_user(p["id"], p["name"], p.get("jobTitle", ""), p.get("email", ""), vacant.get(manager, manager))
    for group in org["groups"]:
        graph.add_group(group["id"], *group["members"])
    for voter in VOTERS:
        graph.add_user(voter.aad_id, voter.name, "Analyst", f"{voter.aad_id[-4:]}@ministry.example", SAM.aad_id)


@pytest.fixture
async def den(tmp_path):
    """(process, url, graph, site id, identity, connector): the app running on SharePoint."""
    identity = FakeManagedIdentity()
    await identity.start()
    graph = AuthorisedGraph()
    await graph.start()
    connector = FakeConnector()
    await connector.start()
    seed_entra(graph)
    site = graph.add_site(SITE_HOST, SITE_PATH)
    from bot.admin.provision import run as provision

    assert await provision(graph_client(graph), site, dry_run=False, out=lambda _line: None) == 0
    graph.identity = identity  # from here on, only tokens from the identity endpoint are accepted
    port = free_port()
    process = await start_den(den_environment(port, graph, identity, site, tmp_path), port)
    try:
        yield process, f"http://127.0.0.1:{port}/", graph, site, identity, connector
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), 30)
        except TimeoutError:
            process.kill()
        await connector.stop()
        await graph.stop()
        await identity.stop()


# ---- reading the lists ---------------------------------------------------------------------------
def rows(graph: AuthorisedGraph, site: str, list_name: str) -> list[dict]:
    sp = next(sp for sp in graph.sites[site].values() if sp.name == list_name)
    return [item.fields for item in sp.items.values()]


def list_items(graph: AuthorisedGraph, site: str, list_name: str) -> list:
    return list(next(sp for sp in graph.sites[site].values() if sp.name == list_name).items.values())


# ---- Teams over HTTP -----------------------------------------------------------------------------
def in_channel(activity: dict, thread: str = CHANNEL) -> dict:
    activity["conversation"] = {"conversationType": "channel", "tenantId": TENANT_ID, "id": thread, "isGroup": True}
    activity["channelData"] = {
        "tenant": {"id": TENANT_ID},
        "team": {"id": CHANNEL, "name": "Innovation Office"},
        "channel": {"id": CHANNEL, "name": "General"},
    }
    return activity


async def click_in_channel(teams: TeamsClient, user: User, action: dict, thread: str) -> dict:
    activity = in_channel(teams._base(user, "invoke"), thread)
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {
        "action": {"type": "Action.Execute", "verb": action["verb"], "data": action.get("data", {})},
        "trigger": "manual",
    }
    status, body = await teams.post(activity)
    assert status == 200, body
    return body


def cards_to(connector: FakeConnector, user: User) -> list[dict]:
    return [card for sent in connector.to(user.conversation_id) for card in sent.cards]


def summaries(connector: FakeConnector, user: User) -> list[str]:
    return [s.activity["summary"] for s in connector.to(user.conversation_id) if s.activity.get("summary")]


async def card_with(connector: FakeConnector, user: User, phrase: str, seconds: float = 30) -> dict:
    """The latest card the bot sent this person that shows `phrase` (waiting for it to arrive)."""

    def found(c: FakeConnector):
        return next((card for card in reversed(cards_to(c, user)) if phrase in texts(card)), None)

    return await connector.wait_for(found, seconds)


async def channel_post(connector: FakeConnector, summary: str, seconds: float = 30):
    return await connector.wait_for(
        lambda c: next((s for s in c.in_channel(CHANNEL) if s.activity.get("summary", "").startswith(summary)), None),
        seconds,
    )


def channel_post_sent(connector: FakeConnector, summary: str) -> bool:
    return any(s.activity.get("summary", "").startswith(summary) for s in connector.in_channel(CHANNEL))


def decide_button(connector: FakeConnector, approver: User, idea_id: str, verb: str) -> dict | None:
    for card in reversed(cards_to(connector, approver)):
        for node in nodes(card):
            if node.get("verb") == verb and node.get("data", {}).get("ideaId") == idea_id:
                return node
    return None


async def decide_until_done(teams, connector, graph, site, idea_id: str, verb: str) -> None:
    """Whoever holds the idea decides it (approve: at every step; reject: at the first)."""
    people = {u.aad_id: u for u in (MAYA, DIANE, AMIR, DANA, OLIVIA)}
    for _ in range(5):
        [idea] = [r for r in rows(graph, site, "DenIdeas") if r["IdeaId"] == idea_id]
        if idea["Status"] != "in_review":
            return
        holder = people[idea["HolderId"]]
        node = await connector.wait_for(lambda c, h=holder: decide_button(c, h, idea_id, verb), 30)
        decided = await teams.click(holder, node, {"comment": "Not this year" if verb == verbs.REJECT else ""})
        assert "You decided" in texts(decided.card), texts(decided.card)
    raise AssertionError(f"{idea_id} was still pending after five decisions")


async def timer(url: str, path: str) -> dict:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {SECRET}"}
        async with session.post(f"{url}api/{path}", json={}, headers=headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()


def back_date_funding(graph: AuthorisedGraph, site: str, idea_id: str, days: int) -> None:
    """A month passes for the winner: its funding (the last stage change) is moved back `days`."""
    [item] = [i for i in list_items(graph, site, "DenIdeaStages") if i.fields["IdeaId"] == idea_id]
    body = json.loads(item.fields["Body"])
    for change in body["history"]:
        change["at"] = (datetime.fromisoformat(change["at"]) - timedelta(days=days)).isoformat()
    body["funding"]["at"] = (datetime.fromisoformat(body["funding"]["at"]) - timedelta(days=days)).isoformat()
    item.fields["Body"] = json.dumps(body)


def pitch_day_comes(graph: AuthorisedGraph, site: str, challenge_id: str) -> None:
    """Pitch day (three weeks after opening) comes: the challenge's pitch day is moved to today."""
    [item] = [i for i in list_items(graph, site, "DenChallenges") if i.fields["ChallengeId"] == challenge_id]
    body = json.loads(item.fields["Body"])
    body["pitchDay"] = datetime.now(TORONTO).date().isoformat()
    item.fields["Body"] = json.dumps(body)


# ---- the challenge -------------------------------------------------------------------------------
async def test_a_challenge_runs_whole_on_sharepoint_with_the_app_in_its_own_process(den):
    process, url, graph, site, identity, connector = den
    teams = TeamsClient(f"{url}api/messages", connector.url, TENANT_ID)
    connector.add_to_team(CHANNEL)
    for someone in (OLGA, DANA, SAM, PRIYA, NOAH, MAYA, DIANE, AMIR, OLIVIA, *VOTERS):
        assert await teams.install(someone) in (200, 201)
    added = in_channel(teams._base(OLGA, "conversationUpdate"))
    added["membersAdded"] = [{"id": BOT_ID, "name": BOT_NAME}]
    added["channelData"]["eventType"] = "teamMemberAdded"
    assert (await teams.post(added))[0] in (200, 201)

    # ---- the organiser (a member of the Entra group) opens the challenge; others cannot ----------
    assert "Only Den organisers" in (await teams.click(SAM, {"verb": verbs.CHALLENGE_NEW})).message
    form = (await teams.click(OLGA, {"verb": verbs.CHALLENGE_NEW})).card
    assert "Innovation Office › General" in texts(form) and "Dana Morel" in texts(form), "sponsors from Entra ID"
    today = datetime.now(TORONTO).date()
    fields = {
        "name": "Tell us once",
        "question": "How could our clients tell us things only once?",
        "sponsors": DANA.aad_id,
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=14)).isoformat(),
        "program_areas": "",
        "finalist_count": "2",
        "pitch_day": (today + timedelta(days=21)).isoformat(),
        "peoples_choice": "true",
        "channel": CHANNEL,
    }
    opened = await teams.click(OLGA, button(form, verbs.CHALLENGE_OPEN), fields)
    assert "Challenge opened." in texts(opened.card), texts(opened.card)
    challenge_id = button(opened.card, verbs.CHALLENGE_CLOSE)["data"]["challengeId"]

    # ---- the call for ideas in the channel; Sam pitches from its button, three others directly ----
    call = (await channel_post(connector, "Call for ideas: Tell us once")).cards[0]
    answer = await click_in_channel(teams, SAM, button(call, verbs.CHALLENGE_PITCH), CHANNEL)
    assert answer["value"] == "The form is in your chat with Deputy's Den."
    sam_form = await card_with(connector, SAM, "How could our clients tell us things only once?")
    pitchers = {SAM: "Tell us once, for movers", NOAH: "Plain-language letters", DIANE: "Open data for grants",
                PRIYA: "A shared intake desk"}  # fmt: skip
    idea_of: dict[User, str] = {}
    for person, title in pitchers.items():
        submit = (
            button(sam_form, verbs.PITCH_SUBMIT)
            if person == SAM
            else {"verb": verbs.PITCH_SUBMIT, "data": {"formId": str(uuid.uuid4()), "challengeId": challenge_id}}
        )
        receipt = await teams.click(person, submit, {**SMALL, "title": title})
        assert "Thanks, your idea is in!" in texts(receipt.card), texts(receipt.card)
        idea_of[person] = submit["data"]["formId"]

    # ---- their chains approve three (they enter the pool) and reject Priya's ----------------------
    for person in (SAM, NOAH, DIANE):
        await decide_until_done(teams, connector, graph, site, idea_of[person], verbs.APPROVE)
    await decide_until_done(teams, connector, graph, site, idea_of[PRIYA], verbs.REJECT)
    status = {r["IdeaId"]: r["Status"] for r in rows(graph, site, "DenIdeas")}
    assert [status[idea_of[p]] for p in pitchers] == ["approved", "approved", "approved", "rejected"]

    # ---- the organiser closes pitching early: the channel is told, the sponsor gets the pool -------
    closed = await teams.click(OLGA, button(opened.card, verbs.CHALLENGE_CLOSE))
    assert closed.status == 200
    notice = (await channel_post(connector, "Pitches are closed: Tell us once")).cards[0]
    assert "4 ideas were pitched" in texts(notice)
    pool = await card_with(connector, DANA, "In the pool: 3. Shortlisted: 0.")

    # ---- the sponsor shortlists all three and picks two finalists; Sam agrees to be named ----------
    not_sponsor = await teams.click(AMIR, decide_button(connector, DANA, idea_of[SAM], verbs.DEN_SHORTLIST))
    assert "Only a sponsor" in not_sponsor.message
    for person in (SAM, NOAH, DIANE):
        pool = (await teams.click(DANA, {"verb": verbs.DEN_SHORTLIST, "data": {"ideaId": idea_of[person]}})).card
    assert "In the pool: 0. Shortlisted: 3." in texts(pool)
    finalists = [idea_of[SAM], idea_of[NOAH]]
    pool = (await teams.click(DANA, button(pool, verbs.DEN_FINALISTS), {"picks": ",".join(finalists)})).card
    assert "Finalists confirmed." in texts(pool) and "Finalists: 2." in texts(pool)
    asked = await connector.wait_for(lambda c: decide_button(c, SAM, idea_of[SAM], verbs.DEN_CONSENT), 30)
    consent = await teams.click(SAM, asked)  # the first: "Yes, name me"
    assert "You said yes: you will be named." in texts(consent.card)

    # ---- the panel: three judges score both finalists; the chair closes scoring -------------------
    ref = {"challengeId": challenge_id}
    judges = (MAYA, DIANE, AMIR)
    named = await teams.click(
        OLGA,
        {"verb": verbs.PANEL_NAME, "data": ref},
        {"judges": ",".join(j.aad_id for j in judges), "chair": DIANE.aad_id, "remind_on": "", "remind_time": ""},
    )
    assert "The panel is named: 3 judges are being told." in texts(named.card), texts(named.card)
    marks = {idea_of[SAM]: 5, idea_of[NOAH]: 3}
    for judge in judges:
        for finalist, mark in marks.items():
            declared = await teams.click(
                judge, {"verb": verbs.DECLARE, "data": {**ref, "finalistId": finalist, "conflict": "none"}}
            )
            assert "Recorded: no conflict of interest." in texts(declared.card), texts(declared.card)
            scores = {n["id"]: str(mark) for n in nodes(declared.card) if str(n.get("id", "")).startswith("score_")}
            assert len(scores) == 5
            saved = await teams.click(judge, button(declared.card, verbs.SCORE), scores)
            assert "Your scores are saved." in texts(saved.card), texts(saved.card)
    early = await teams.click(DIANE, {"verb": verbs.CLOSE_SCORING, "data": ref})
    assert early.message == "Scoring closes on pitch day or later, once the finalists have pitched."
    pitch_day_comes(graph, site, challenge_id)
    closed_scoring = await teams.click(DIANE, {"verb": verbs.CLOSE_SCORING, "data": ref})
    assert "Scoring is closed." in texts(closed_scoring.card)
    results = texts(await card_with(connector, DANA, "Panel results: Tell us once"))
    ranked = [line for line in results.splitlines() if line.split(" · ")[0].endswith(" place")]
    assert [line.split(" · ")[0] for line in ranked] == ["1st place", "2nd place"]
    assert "Tell us once, for movers" in ranked[0]

    # ---- People's Choice in the channel: five vote, one moves their vote, the organiser closes ------
    opened_vote = await teams.click(OLGA, {"verb": verbs.VOTING_OPEN, "data": ref})
    assert "People's Choice voting is open" in texts(opened_vote.card), texts(opened_vote.card)
    poll = await connector.wait_for(
        lambda c: next((s for s in c.in_channel(CHANNEL) if any(n.get("verb") == verbs.VOTE for n in nodes(s.cards))),
                       None), 30)  # fmt: skip
    vote_buttons = {n["data"]["finalistId"]: n for n in nodes(poll.cards) if n.get("verb") == verbs.VOTE}
    assert set(vote_buttons) == set(finalists)
    thread = poll.conversation_id
    choice = {VOTERS[0]: SAM, VOTERS[1]: SAM, VOTERS[2]: NOAH, VOTERS[3]: NOAH, VOTERS[4]: NOAH}
    for voter, pick in choice.items():
        await click_in_channel(teams, voter, vote_buttons[idea_of[pick]], thread)
    await click_in_channel(teams, VOTERS[4], vote_buttons[idea_of[SAM]], thread)  # Voter 5 moves to Sam's
    choice[VOTERS[4]] = SAM
    closed_vote = await teams.click(OLGA, {"verb": verbs.VOTING_CLOSE, "data": ref})
    assert "Voting is closed." in texts(closed_vote.card), texts(closed_vote.card)
    await connector.wait_for(
        lambda c: next((s for s in c.in_channel(CHANNEL) if "with 3 votes" in json.dumps(s.activity)), None), 30
    )

    # ---- the sponsor picks the winner: the panel's second needs a reason, its first does not; funding ----
    pool = (await teams.click(DANA, {"verb": verbs.DEN_POOL, "data": ref})).card
    departs = await teams.click(DANA, button(pool, verbs.DEN_WINNERS), {"picks": idea_of[NOAH], "reason": ""})
    assert "Your choice departs from the panel's ranking: please give the reason." in texts(departs.card)
    pool = (await teams.click(DANA, button(pool, verbs.DEN_WINNERS), {"picks": idea_of[SAM], "reason": ""})).card
    assert "Winners confirmed." in texts(pool), texts(pool)
    fund_form = (await teams.click(DANA, button(pool, verbs.DEN_FUND_FORM))).card
    funded = await teams.click(
        DANA,
        button(fund_form, verbs.DEN_FUND),
        {"amount": "$75,000", "branch": "Client Services Branch", "conditions": "Quarterly report"},
    )
    assert "Funding recorded." in texts(funded.card), texts(funded.card)

    # ---- a month later the winner is asked how implementation is going, and answers ----------------
    assert "followUps" not in await timer(url, "nudges/run"), "not before a month has passed"
    back_date_funding(graph, site, idea_of[SAM], days=31)
    assert (await timer(url, "nudges/run"))["followUps"] == 1
    follow_up = await card_with(connector, SAM, "How is implementation going?")
    filed = await teams.click(SAM, button(follow_up, verbs.DEN_PROGRESS),
                              {"status": "on_track", "note": "Pilot running in two offices"})  # fmt: skip
    assert "Thank you: your update is recorded." in texts(filed.card), texts(filed.card)

    # ---- what is in SharePoint -----------------------------------------------------------------
    [challenge] = rows(graph, site, "DenChallenges")
    assert challenge["ChallengeId"] == challenge_id and challenge["ChallengeName"] == "Tell us once"
    body = json.loads(challenge["Body"])
    assert body["closedEarlyAt"] and body["finalistsChosenBy"] == DANA.aad_id and body["winnersChosenBy"] == DANA.aad_id
    assert [(r["ChannelKey"], r["TeamName"], r["ChannelName"]) for r in rows(graph, site, "DenChannels")] == [
        (CHANNEL, "Innovation Office", "General")
    ]
    ideas = {r["IdeaId"]: r for r in rows(graph, site, "DenIdeas")}
    assert {ideas[idea_of[p]]["ChallengeId"] for p in pitchers} == {challenge_id}
    stages = {r["IdeaId"]: r["Stage"] for r in rows(graph, site, "DenIdeaStages")}
    assert stages == {idea_of[SAM]: "implementing", idea_of[NOAH]: "not_selected", idea_of[DIANE]: "not_selected"}
    history: dict[str, list[str]] = {}
    keys = [r["ChangeKey"] for r in rows(graph, site, "DenStageHistory")]
    assert len(keys) == len(set(keys)), "each change recorded once"
    for r in sorted(rows(graph, site, "DenStageHistory"), key=lambda r: int(r["ChangeKey"].rsplit(":", 1)[1])):
        history.setdefault(r["IdeaId"], []).append(r["ToStage"])
    assert history == {  # one row per change, the entry into the pool included
        idea_of[SAM]: ["pool", "shortlisted", "finalist", "winner", "implementing"],
        idea_of[NOAH]: ["pool", "shortlisted", "finalist", "not_selected"],
        idea_of[DIANE]: ["pool", "shortlisted", "not_selected"],
    }
    [funding] = rows(graph, site, "DenFunding")
    assert (funding["IdeaId"], funding["Amount"], funding["FundingBranch"], funding["RecordedBy"]) == (
        idea_of[SAM], 75000, "Client Services Branch", DANA.aad_id
    )  # fmt: skip
    [update] = rows(graph, site, "DenProgressUpdates")
    assert (update["IdeaId"], update["ProgressStatus"], update["FiledBy"]) == (idea_of[SAM], "on_track", SAM.aad_id)
    [panel] = rows(graph, site, "DenPanels")
    assert panel["ChairId"] == DIANE.aad_id and json.loads(panel["Body"])["scoringClosedBy"] == DIANE.aad_id
    scorecards = rows(graph, site, "DenScorecards")
    assert Counter((r["JudgeId"], r["FinalistId"], r["Conflict"]) for r in scorecards) == Counter(
        {(j.aad_id, f, "none"): 1 for j in judges for f in finalists}
    )
    [poll_row] = rows(graph, site, "DenPeoplesChoice")
    assert poll_row["VotingOpen"] is False
    votes = rows(graph, site, "DenVotes")
    assert Counter(r["FinalistId"] for r in votes) == Counter(idea_of[p] for p in choice.values())
    assert sorted(r["Moves"] for r in votes) == [0, 0, 0, 0, 1]
    assert {r["VoteKey"] for r in votes} == {f"{challenge_id}:{v.aad_id}" for v in VOTERS}
    outbox = rows(graph, site, "DenOutbox")
    assert not [r for r in outbox if r["State"] == "failed"], "every notification could be delivered"
    reminders = [r for r in outbox if r["Kind"] == "panel_reminder"]  # the morning after pitch day
    assert len(reminders) == 3 and {r["State"] for r in reminders} == {"pending"}
    assert not [c for j in judges for c in cards_to(connector, j) if "A reminder about scoring" in texts(c)]
    [finalists_news] = [r for r in outbox if r["Kind"] == "finalists_announced"]  # after a day to consent
    not_before = datetime.fromisoformat(str(finalists_news["NotBefore"]).replace("Z", "+00:00"))
    assert finalists_news["State"] == "pending" and not_before > datetime.now(UTC) + timedelta(hours=23)
    [winners_news] = [r for r in outbox if r["Kind"] == "winners_announced"]
    assert winners_news["State"] == "sent" and channel_post_sent(connector, "The winners of Tell us once")

    # ---- and every Graph call was signed in through the managed identity -------------------------
    assert identity.requests >= 1 and set(identity.issued.values()) == {graph.url.removesuffix("/v1.0")}
    assert graph.authorised_requests > 0 and graph.refused_requests == 0
    assert process.poll() is None
