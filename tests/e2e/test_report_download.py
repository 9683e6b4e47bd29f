"""The report's CSV from Teams, over HTTP (issue #19: the report told organisers to run a Python
command). The report card's *Download the CSV* opens a link on the app made for the person who
asked: it answers them with the CSV, and refuses a changed link, one made for someone who may not
read the report, and one past its time."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
import pytest

from app import DEN_KEY
from cards import verbs
from tests.support.people import DANA, SAM
from tests.support.pitch_day import OLGA_ID, T0, seed
from tests.support.running_app import FakeClock
from tests.support.teams_client import TeamsClient, User, nodes

OLGA = User(OLGA_ID, "Olga Kowalski")
PUBLIC = "https://den.ministry.example"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def app_settings() -> dict:
    return {
        "organiser_ids": frozenset({OLGA_ID}),
        "public_url": PUBLIC,
        "link_secret": "a-long-random-key-for-the-test-only",
    }


async def download_link(teams: TeamsClient, user: User, challenge_id: str) -> str:
    report = await teams.click(user, {"verb": verbs.DEN_REPORT, "data": {"challengeId": challenge_id}})
    [button] = [n for n in nodes(report.card) if n.get("type") == "Action.OpenUrl"]
    return button["url"]


async def fetch(app, link: str) -> tuple[int, dict, bytes]:
    """Open the link on the running app (DEN_PUBLIC_URL is where people reach it; here, loopback)."""
    parts = urlsplit(link)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{app.url.rstrip('/')}{parts.path}?{parts.query}") as response:
            return response.status, dict(response.headers), await response.read()


async def test_an_organiser_downloads_the_csv_from_the_report_card_and_nobody_else_can(app, teams, clock):
    challenge, ideas = await seed(app.store)
    for person in (OLGA, DANA, SAM):
        await teams.install(person)
    link = await download_link(teams, OLGA, challenge.id)
    assert link.startswith(f"{PUBLIC}/den/report.csv?t=")

    status, headers, body = await fetch(app, link)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"] and headers["Cache-Control"] == "no-store"
    text = body.decode("utf-8")
    assert text.startswith("\ufeffreference,title,")
    assert all(idea.reference in text for idea in ideas) and len(text.strip().splitlines()) == len(ideas) + 1

    sponsor_link = await download_link(teams, DANA, challenge.id)  # the sponsor may read it too
    assert (await fetch(app, sponsor_link))[0] == 200

    token = link.split("t=", 1)[1]
    forged = link.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert (await fetch(app, forged))[0] == 403
    refused = await teams.click(SAM, {"verb": verbs.DEN_REPORT, "data": {"challengeId": challenge.id}})
    assert refused.message == "The report is for the Den's organisers and this challenge's sponsors."
    staff_link = app.runner.app[DEN_KEY].report_links.link(SAM.aad_id, challenge.id)  # as if one had been made
    status, _, body = await fetch(app, staff_link)
    assert status == 403 and b"organisers" in body and challenge.name.encode() not in body

    clock.advance(minutes=16)
    status, _, body = await fetch(app, link)
    assert status == 403 and b"expired" in body


async def test_without_a_link_or_with_rubbish_nothing_is_answered(app):
    for query in ("", "?t=", "?t=abc", "?t=abc.def", "?t=%00%ff.x"):
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{app.url}den/report.csv{query}") as response:
                assert response.status == 403, query
