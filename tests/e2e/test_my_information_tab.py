"""The Den tab's "My information" over HTTP on the real app: the signed-in person gets their own copy
(the administrators' export itself, as JSON and as the readable page in their language) and nothing
of anyone else's; no token, a changed link, a link for the other format or an expired one get nothing."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from html import unescape

import aiohttp
import pytest

from bot.admin.records import parse, run
from bot.ports.records import EntryKind
from bot.services.access import AccessService
from tests.support.people import PRIYA, SAM
from tests.support.running_app import FakeClock, settings_for_test, start_app
from tests.support.tab_ideas import PRIYA_PERSON, a_pitch, an_idea

PRIYAS_SECRET = "Priya's problem, which only her route may read"


@pytest.fixture
async def den(tmp_path):
    clock = FakeClock(datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    settings = settings_for_test(tmp_path / "den.sqlite3", spool_path=str(tmp_path / "spool.sqlite3"))
    app = await start_app(settings, clock=clock)
    await app.store.add(an_idea(1, a_pitch("Licence renewals", "Renewals take <b>weeks</b>."), approved=True))
    await app.store.add(an_idea(2, a_pitch("Tell us once")))
    await app.store.add(an_idea(3, a_pitch("Priya's idea", PRIYAS_SECRET), submitter=PRIYA_PERSON))
    await app.store.set_language(PRIYA.aad_id, "fr", clock())
    async with aiohttp.ClientSession(base_url=app.url) as session:
        yield app, session, clock, settings
    await app.stop()


def signed_in(user, locale="en-CA"):
    return {"Authorization": f"Bearer demo:{user.aad_id}", "X-Den-Locale": locale}


async def my_page(session, user, locale="en-CA") -> tuple[str, dict[str, str]]:
    async with session.get("/tab/api/information", headers=signed_in(user, locale)) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store" and "frame-ancestors" in response.headers[
            "Content-Security-Policy"]  # fmt: skip
        page = await response.text()
    links = {f: unescape(u) for u, f in re.findall(r'href="(http[^"]+/den/information\.(\w+)\?t=[^"]+)"', page)}
    return page, links


async def test_a_person_downloads_their_own_information_and_nobody_elses(den, tmp_path):
    app, session, clock, settings = den
    async with session.get("/tab/api/information") as response:
        assert response.status == 401 and await response.read() == b""

    asked = await AccessService(app.store, None, clock=clock).record_request(SAM.aad_id, by=SAM.aad_id,
                                                                              channel="chat")  # fmt: skip
    clock.advance(minutes=1)
    page, links = await my_page(session, SAM)
    assert "My information" in page and "2 ideas you pitched" in page and "No scores given as a judge" in page
    assert set(links) == {"html", "json"}
    async with session.get(links["json"]) as response:  # opened outside the tab: no token, the link is enough
        assert response.status == 200 and response.content_type == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
        assert re.fullmatch(r'attachment; filename="information-[\w-]+-2026-12-07\.json"',
                            response.headers["Content-Disposition"])  # fmt: skip
        mine = json.loads(await response.text())
    assert mine["person"]["id"] == SAM.aad_id
    assert [i["title"] for i in mine["ideasPitched"]] == ["Licence renewals", "Tell us once"]
    assert PRIYAS_SECRET not in json.dumps(mine) and "Priya's idea" not in json.dumps(mine)

    # The same export the administrators' command writes (only when it was made, and the requests, differ).
    folder = tmp_path / "answers"
    assert await run(parse(["--person", SAM.aad_id, "--export", "--out", str(folder), "--by", "Pat"]), settings) == 0
    [written] = folder.glob("*.json")
    exported = json.loads(written.read_text(encoding="utf-8"))
    assert written.name == re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)
    skip = {"generatedAt", "accessRequests"}
    assert {k: v for k, v in exported.items() if k not in skip} == {k: v for k, v in mine.items() if k not in skip}

    # Sam asked in chat, then downloaded it himself: his request reads as answered.
    lines: list[str] = []
    assert await run(parse(["--requests"]), settings, out=lines.append) == 0
    assert [line for line in lines if asked in line][0].endswith("the person downloaded it from the Den tab")

    # Priya, in French: her page, and the readable copy in French first.
    page, links = await my_page(session, PRIYA, "fr-CA")
    assert "Mes renseignements" in page and "1 idée que vous avez proposée" in page
    async with session.get(links["html"]) as response:
        assert response.status == 200 and response.content_type == "text/html"
        readable = await response.text()
    assert readable.startswith('<!DOCTYPE html><html lang="fr">')
    assert readable.index("Idées que vous avez proposées") < readable.index("Ideas you pitched")
    assert PRIYAS_SECRET.replace("'", "&#x27;") in readable and "Licence renewals" not in readable

    # Each download is recorded (who, when, how): Sam's one and Priya's one, from the tab.
    tab = [e for e in await app.store.register_entries(EntryKind.ACCESS) if e.body.get("channel") == "tab"]
    assert sorted(e.subject_id for e in tab) == sorted([SAM.aad_id, PRIYA.aad_id])


def changed(link: str, **claims: str) -> str:
    """The link with its claims changed, its signature kept (as someone editing the address would)."""
    token = link.split("?t=", 1)[1]
    body, signature = token.split(".")
    values = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    new = base64.urlsafe_b64encode(json.dumps({**values, **claims}, separators=(",", ":")).encode()).rstrip(b"=")
    return f"{link.split('?t=', 1)[0]}?t={new.decode()}.{signature}"


async def test_a_changed_link_another_format_or_an_expired_one_is_not_found(den):
    app, session, clock, _ = den
    _, links = await my_page(session, SAM)
    someone_else = changed(links["json"], u=PRIYA.aad_id)
    other_format = links["json"].replace("/den/information.json", "/den/information.html")
    for link in (someone_else, other_format, links["json"] + "x", links["json"].split("?")[0]):
        async with session.get(link) as response:
            assert response.status == 404, link
            text = await response.text()
            assert "expired or is not valid" in text and PRIYAS_SECRET not in text and "Licence" not in text
    clock.advance(minutes=16)
    async with session.get(links["html"]) as response:
        assert response.status == 404
    _, fresh = await my_page(session, SAM)  # the page again: new links that work
    async with session.get(fresh["html"]) as response:
        assert response.status == 200
    assert [e.subject_id for e in await app.store.register_entries(EntryKind.ACCESS)] == [SAM.aad_id]
