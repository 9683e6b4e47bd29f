"""The pitch-day room view over HTTP and in a real browser: who pitches now and next, the count of People's
Choice votes cast (never who is ahead), the result once voting closes; each screen asks whether anything
changed, and the question is held until it has (204 after a while); any number of screens cost the store one
read per freshness period (half a second). Browser: English and French, the three Teams themes, axe-core
finds nothing, and the screen follows the room without reloading. Screenshots: test-output/tab/room-<lang>-<theme>/."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest

from bot.domain.voting import Poll
from bot.i18n import Messages
from bot.services.room import RoomService
from bot.settings import ROOT
from tests.e2e.test_tab_browser import axe_violations, page_for
from tests.support.den_dashboard import CHALLENGE_ID, NOW, OLGA_ID, den_app
from tests.support.people import DIANE, SAM
from tests.support.tab_browser import watched_tab

SHOTS = ROOT / "test-output" / "tab"



@pytest.fixture
async def den(tmp_path):
    async with den_app(tmp_path, winners=False, channel=True, panel=True) as app:
        yield app


async def finalists(store) -> list[str]:
    return sorted(s.idea_id for s in await store.list_stages(CHALLENGE_ID) if s.stage.value == "finalist")


async def advance(store) -> None:
    panel = await store.get_panel(CHALLENGE_ID)
    panel.advance(actor_id=DIANE.aad_id, finalist_count=len(await finalists(store)))
    await store.save_panel(panel)


async def open_voting(store) -> Poll:
    challenge = await store.get_challenge(CHALLENGE_ID)
    poll = Poll.open(challenge=challenge, finalist_ids=await finalists(store), actor_id=OLGA_ID, is_organiser=True,
                     now=NOW)
    await store.save_poll(poll)
    return poll


async def state(session, token: str = "", locale: str = "en-CA", wait: float = 0) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer demo:{SAM.aad_id}", "X-Den-Locale": locale}
    params = {"challenge": CHALLENGE_ID, "since": token} | ({"wait": str(wait)} if wait else {})
    async with session.get("/tab/api/room/state", params=params, headers=headers) as response:
        return response.status, response.headers.get("X-Room-Token", ""), await response.text()


async def test_the_room_now_and_next_the_count_and_then_the_result(den):
    m = Messages("en-CA")
    async with aiohttp.ClientSession(base_url=den.url) as session:
        status, token, html = await state(session)
        assert status == 200 and m.t("room.soon") in html and m.t("roomview.not_open") in html
        await asyncio.sleep(1.1)  # past the shared read's freshness: nothing changed, so nothing is sent
        assert (await state(session, token))[0] == 204
        await advance(den.store)
        await asyncio.sleep(1.1)
        status, token, html = await state(session, token)
        assert status == 200 and m.t("room.position", number=1, count=3) in html
        assert "Up next:" in html
        poll = await open_voting(den.store)
        for n, voter in enumerate(("v1", "v2", "v3")):
            await den.store.cast_vote(CHALLENGE_ID, voter, poll.finalist_ids[n % 2], NOW + timedelta(minutes=n))
        await asyncio.sleep(1.1)
        status, token, html = await state(session, token)
        votes = html.split('class="room-votes"')[1]
        titles = [(await den.store.get(i)).pitch.title for i in poll.finalist_ids]
        assert "3 votes cast so far" in votes and not any(t in votes for t in titles)  # never who is ahead
        poll = await den.store.get_poll(CHALLENGE_ID)
        poll.close(actor_id=OLGA_ID, is_organiser=True, counts=await den.store.count_votes(CHALLENGE_ID), now=NOW)
        await den.store.save_poll(poll)
        await asyncio.sleep(1.1)
        status, token, html = await state(session, token)
        assert status == 200 and "with 2 votes" in html and "3 votes in all." in html
        status, _, french = await state(session, "", "fr-CA")
        assert "3 voix en tout." in french and "avec 2 voix" in french
    async with aiohttp.ClientSession(base_url=den.url) as session:
        headers = {"Authorization": "Bearer demo:demo-guest"}
        async with session.get("/tab/api/room", params={"challenge": CHALLENGE_ID}, headers=headers) as response:
            assert response.status == 404  # the room is the public service's, not a guest's


async def test_a_screens_question_is_held_until_the_room_changes(den):
    """The shell asks with `wait`: the answer comes when a vote is counted, not a poll period later; an
    unchanged room answers 204 once the wait is over."""
    async with aiohttp.ClientSession(base_url=den.url) as session:
        poll = await open_voting(den.store)
        await asyncio.sleep(0.6)  # past the shared read's freshness: the screen's first view counts no vote
        status, token, html = await state(session)
        assert status == 200 and "0 votes cast so far" in html
        assert (await state(session, token, wait=0.3))[0] == 204  # nothing changed while it was held
        held = asyncio.create_task(state(session, token, wait=60))
        await asyncio.sleep(0.2)
        assert not held.done()  # held: nothing has changed yet
        await den.store.cast_vote(CHALLENGE_ID, "v1", poll.finalist_ids[0], NOW)
        status, changed, html = await asyncio.wait_for(held, 30)  # answered long before its 60 s wait
        assert status == 200 and changed != token and "1 vote cast so far" in html


async def test_any_number_of_screens_cost_one_store_read_per_freshness_period(den):
    rooms = RoomService(den.store, fresh_seconds=60)
    shown = await asyncio.gather(*(rooms.room(CHALLENGE_ID) for _ in range(300)))
    assert rooms.reads == 1 and len({r.token for r in shown}) == 1
    later = RoomService(den.store, fresh_seconds=0)
    await later.room(CHALLENGE_ID)
    await later.room(CHALLENGE_ID)
    assert later.reads == 2  # past its freshness, the room is read again


@pytest.mark.parametrize("theme", ["default", "dark", "contrast"])
@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
async def test_the_projector_follows_the_room_without_reloading(den, locale, theme):
    m = Messages(locale)
    folder = SHOTS / f"room-{m.language}-{theme}"
    folder.mkdir(parents=True, exist_ok=True)
    async with watched_tab(den.url, locale=locale, height=720) as page:
        await page.goto(f"{den.url}tab?context=channel&theme={theme}&lang={locale}&as={SAM.aad_id}#/room")
        await page_for(page, "#/room")
        await page.get_by_text(m.t("room.soon")).wait_for()
        await page.evaluate("window.notReloaded = true")
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "1-before.png"))

        await advance(den.store)
        await open_voting(den.store)
        await page.get_by_text(m.t("room.position", number=1, count=3)).wait_for()
        await page.get_by_text(m.count("roomview.votes", 0)).wait_for()
        assert await page.evaluate("window.notReloaded === true")  # updated in place
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "2-pitching-and-voting.png"))
