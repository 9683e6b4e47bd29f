"""The dashboard over HTTP on the real app: only organisers, a challenge's sponsors and deputy ministers
(their own ministry) get one, everyone else a 404 exactly as for no page; figures and dates in the
reader's language; each chart's CSV; and a number of store statements that does not grow with the ideas."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import unquote

import aiohttp
import pytest

from bot.adapters.sqlite_store import SqliteStore
from bot.domain.calendar import WorkCalendar
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.visibility import Viewer
from bot.services.dashboard import DashboardService
from tests.support.den_dashboard import CHALLENGE_ID, CLOSES, NOW, OLGA_ID, OPENS, den_app, pitched, seed_challenge
from tests.support.people import DANA, SAM

OTHER_CHALLENGE = "c-other-ministry"


@pytest.fixture
async def den(tmp_path):
    async with den_app(tmp_path) as app:
        # A challenge another DM sponsors, with ideas from both ministries: Dana sees her ministry's share.
        draft = ChallengeDraft("Another ministry's den", "How?", ("other-dm",), OPENS, CLOSES)
        other = Challenge.open_new(challenge_id=OTHER_CHALLENGE, draft=draft, actor_id=OLGA_ID, is_organiser=True,
                                   now=OPENS - timedelta(days=1))
        await app.store.add_challenge(other)
        for n in range(30, 36):
            await app.store.add(pitched(n, line=(DANA.aad_id,) if n < 32 else ("other-dm",), challenge=OTHER_CHALLENGE))
        async with aiohttp.ClientSession(base_url=app.url) as session:
            yield app, session


async def page(session, user_id: str, locale: str = "en-CA", **query) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer demo:{user_id}", "X-Den-Locale": locale}
    async with session.get("/tab/api/dashboard", params=query, headers=headers) as response:
        return response.status, await response.text()


def figure(html: str, label: str) -> str:
    """The cell after a row heading in the page's tables."""
    return unescape(re.search(rf"<th scope=\"row\">{re.escape(label)}</th><td>([^<]*)</td>", html).group(1))


async def test_organisers_and_the_sponsor_see_the_whole_challenge_staff_and_guests_get_not_found(den):
    _, session = den
    for user in (OLGA_ID, DANA.aad_id):
        status, html = await page(session, user, challenge=CHALLENGE_ID)
        assert status == 200 and figure(html, "Pitched") == "14"
    for user, query in ((SAM.aad_id, {"challenge": CHALLENGE_ID}), (SAM.aad_id, {}), ("demo-guest", {}),
                        (OLGA_ID, {"challenge": "no-such-challenge"})):
        status, html = await page(session, user, **query)
        assert status == 404 and "cannot be found" in html and "Pitched" not in html, (user, query)
    async with session.get("/tab/api/dashboard") as response:
        assert response.status == 401 and await response.read() == b""


async def test_a_deputy_minister_sees_only_their_ministrys_ideas_of_a_challenge_they_do_not_sponsor(den):
    _, session = den
    status, html = await page(session, OLGA_ID, challenge=OTHER_CHALLENGE)
    assert status == 200 and figure(html, "Pitched") == "6"
    status, html = await page(session, DANA.aad_id, challenge=OTHER_CHALLENGE)
    assert status == 200 and figure(html, "Pitched") == "2" and "Your ministry&#39;s ideas only" in html
    # The year: every idea for the organiser, Dana's ministry's for her.
    assert figure((await page(session, OLGA_ID, year="2026"))[1], "Pitched") == "20"
    assert figure((await page(session, DANA.aad_id, year="2026"))[1], "Pitched") == "16"


async def test_figures_and_dates_in_the_readers_language_and_a_csv_per_chart(den):
    _, session = den
    _, english = await page(session, OLGA_ID, challenge=CHALLENGE_ID)
    _, french = await page(session, OLGA_ID, "fr-CA", challenge=CHALLENGE_ID)
    assert figure(english, "Shortlisted") == "5" and "$140,000" in english and "140\u00a0000\u00a0$" in unescape(french)
    assert "Week of August 31, 2026" in english and "Semaine du 31 août 2026" in unescape(french)
    assert re.search(r"36\s?%", figure(english, "Shortlisted") + english)
    assert 'lang="fr"' in french and "Tableau de bord" in unescape(french)
    links = dict(re.findall(r'href="data:text/csv;charset=utf-8,([^"]+)" download="([^"]+)"', english))
    files = {name: unquote(body) for body, name in links.items()}
    assert {"den-dashboard-tell-us-once-funnel.csv", "den-dashboard-tell-us-once-waiting.csv",
            "den-dashboard-tell-us-once-funded.csv", "den-dashboard-tell-us-once-by-week.csv"} <= set(files)
    funnel = files["den-dashboard-tell-us-once-funnel.csv"]
    assert funnel.startswith("\ufeffstep,ideas,share_of_pitched,share_of_previous\r\npitched,14,1.0000,1.0000")
    funded = files["den-dashboard-tell-us-once-funded.csv"].splitlines()
    assert funded[2].startswith("DEN-2026-0101,Plain-language letters,Person 1,140000,") and funded[2].endswith(
        "yes,no")  # its monthly update is overdue, not yet stalled
    waiting = files["den-dashboard-tell-us-once-waiting.csv"].splitlines()
    assert [line.split(",")[0] for line in waiting[1:]] == ["DEN-2026-0102", "DEN-2026-0104", "DEN-2026-0108",
                                                             "DEN-2026-0110"]  # the oldest first
    assert waiting[1].split(",")[2:4] == ["Diane Tremblay", "director"]


async def test_only_the_people_with_a_dashboard_see_its_link(den):
    _, session = den
    for user, shown in ((OLGA_ID, True), (DANA.aad_id, True), (SAM.aad_id, False)):
        headers = {"Authorization": f"Bearer demo:{user}"}
        async with session.get("/tab/api/ideas", headers=headers) as response:
            assert ('href="#/dashboard"' in await response.text()) is shown, user


@pytest.mark.parametrize("size", [10, 40])
async def test_the_store_statements_do_not_grow_with_the_ideas(size):
    """Counted on the store's own connection (an in-memory store reads its scan there too)."""
    store = SqliteStore(":memory:")
    await store.open()
    challenge, _ = await seed_challenge(store, count=size)
    statements: list[str] = []
    await store.set_trace_callback(statements.append)
    service = DashboardService(store, _NoDirectory(), calendar=WorkCalendar.of("America/Toronto"), clock=lambda: NOW)
    view = await service.view(Viewer(OLGA_ID, organiser=True), challenge_id=challenge.id)
    await store.set_trace_callback(None)
    await store.close()
    assert view.dashboard.funnel[0].count == size
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 4, reads  # the challenges, its ideas, their decisions, their stages


class _NoDirectory:
    async def get_person(self, user_id):
        return None

    async def deputy_ministers(self):
        return []


async def showcase(session, user_id: str, locale: str = "en-CA") -> tuple[int, str]:
    headers = {"Authorization": f"Bearer demo:{user_id}", "X-Den-Locale": locale}
    async with session.get("/tab/api/showcase", headers=headers) as response:
        return response.status, unescape(await response.text())


async def test_the_showcase_shows_every_member_the_winners_progress_and_the_shared_lessons(den):
    _, session = den
    status, html = await showcase(session, SAM.aad_id)
    assert status == 200
    assert "Tell us once: one address change" in html and "Plain-language letters" in html
    assert "Latest update, November 27, 2026: On track" in html and "Funded $140,000 on October 24, 2026." in html
    assert "By Person 0" in html and "Person 1" not in html  # named only with consent
    assert "Pilot in two offices." not in html and 'href="#/idea/' in html  # notes only to those who may open it
    assert "Start with one program" in html  # a lesson its submitter shared
    status, french = await showcase(session, SAM.aad_id, "fr-CA")
    assert "Financement de 140\u00a0000\u00a0$ accordé le 24 octobre 2026." in french
    status, html = await showcase(session, OLGA_ID)
    assert "Pilot in two offices." in html  # the organiser may open the idea, and read its owner's note
    assert (await showcase(session, "demo-guest"))[0] == 404
