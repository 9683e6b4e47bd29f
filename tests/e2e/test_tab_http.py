"""The Den tab over HTTP on the real app: sign-in refused without a valid token (401 and nothing else),
the security headers, the local assets, search in English and French, paging, and a direct link."""

from __future__ import annotations

import re

import aiohttp
import pytest

from bot.tab.routes import ASSETS
from tests.support.people import PRIYA, SAM
from tests.support.running_app import settings_for_test, start_app
from tests.support.tab_ideas import PRIYA_PERSON, a_pitch, an_idea


@pytest.fixture
async def tab(tmp_path):
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", spool_path=str(tmp_path / "spool.sqlite3")))
    await app.store.add(an_idea(1, a_pitch("Renouvellement de permis", "Les renouvellements sont lents."),
                                approved=True, shared=True))
    await app.store.add(an_idea(2, a_pitch("Licence renewals", "Renewals take weeks; the Numérique team helps."),
                                approved=True, shared=True))
    await app.store.add(an_idea(3, a_pitch("Kept to its route", "Renewals again."), submitter=PRIYA_PERSON))
    async with aiohttp.ClientSession(base_url=app.url) as session:
        yield app, session
    await app.stop()


def signed_in(user, locale="en-CA"):
    return {"Authorization": f"Bearer demo:{user.aad_id}", "X-Den-Locale": locale}


async def titles(session, user, **query):
    async with session.get("/tab/api/ideas", params=query, headers=signed_in(user)) as response:
        assert response.status == 200
        return re.findall(r'<a href="#/idea/[^"]+">(.*?)</a></h2>', await response.text())


@pytest.mark.parametrize("authorization", ["", "Bearer ", "Bearer demo:nobody", "Bearer eyJhbGciOi.x.y"])
@pytest.mark.parametrize("path", ["/tab/api/ideas", "/tab/api/ideas/00000000-0000-4000-8000-000000000001"])
async def test_no_page_without_a_valid_token(tab, path, authorization):
    _, session = tab
    async with session.get(path, headers={"Authorization": authorization} if authorization else {}) as response:
        assert response.status == 401
        assert await response.read() == b""


async def test_only_teams_outlook_and_microsoft_365_may_frame_the_tab(tab):
    _, session = tab
    for path in ("/tab", "/tab/config", "/tab/api/ideas"):
        async with session.get(path) as response:
            policy = response.headers["Content-Security-Policy"]
            ancestors = re.search(r"frame-ancestors ([^;]+)", policy).group(1).split()
            assert ancestors and all(
                re.fullmatch(r"https://([\w*-]+\.)*(teams\.microsoft\.com|cloud\.microsoft|office\.com|"
                             r"office365\.com|microsoft365\.com)", a) for a in ancestors
            ), ancestors
            assert "default-src 'self'" in policy and "script-src 'self';" in policy


async def test_every_asset_is_served_from_here_and_names_no_outside_host(tab):
    _, session = tab
    async with session.get("/tab") as response:
        shell = await response.text()
    for src in re.findall(r'(?:src|href)="([^"#]+)"', shell):
        assert src.startswith("/tab/assets/"), src
    for name in ASSETS:
        async with session.get(f"/tab/assets/{name}") as response:
            assert response.status == 200, name
    async with session.get("/tab/assets/..%2Fapp.py") as response:
        assert response.status == 404


async def test_search_finds_stems_without_accents_or_case_in_both_languages(tab):
    _, session = tab
    assert await titles(session, SAM, q="RENOUVELLEMENTS") == ["<mark>Renouvellement</mark> de permis"]
    assert await titles(session, SAM, q="renewal") == ["Licence <mark>renewals</mark>"]
    assert await titles(session, SAM, q="numerique") == ["Licence renewals"]  # found in the problem
    assert await titles(session, SAM, q="zebra") == []


async def test_a_person_off_the_route_finds_nothing_of_an_idea_kept_to_its_route(tab):
    app, session = tab
    assert "Kept to its route" not in await titles(session, SAM, q="renewals")
    assert "Kept to its route" in await titles(session, PRIYA, q="renewals")
    path = "/tab/api/ideas/00000000-0000-4000-8000-000000000003"
    async with session.get(path, headers=signed_in(SAM)) as hidden:
        hidden_body = await hidden.text()
    async with session.get("/tab/api/ideas/00000000-0000-4000-8000-000000000404", headers=signed_in(SAM)) as none:
        assert (hidden.status, hidden_body) == (404, await none.text())


async def test_results_come_in_pages(tab):
    app, session = tab
    for number in range(10, 35):
        await app.store.add(an_idea(number, a_pitch(f"Counter idea {number}"), approved=True, shared=True))
    first = await titles(session, SAM, q="counter")
    second = await titles(session, SAM, q="counter", page="2")
    assert len(first) == 20 and len(second) == 5 and not set(first) & set(second)
    async with session.get("/tab/api/ideas", params={"q": "counter"}, headers=signed_in(SAM, "fr-CA")) as response:
        page = await response.text()
    assert "25 idées" in page and "Page 1 sur 2" in page and 'rel="next"' in page


@pytest.mark.parametrize("language", ["fr", "fr-CA"])
async def test_a_bare_french_writes_times_as_canadian_french_does(tab, language):
    """A card's link (or a browser) may say only "fr": the page still writes « à 9 h », not « à 9:00 »."""
    app, session = tab
    idea = (await app.store.list_by_submitter(SAM.aad_id))[0]
    async with session.get(f"/tab/api/ideas/{idea.id}", headers=signed_in(SAM, language)) as response:
        page = await response.text()
    assert re.search(r"à \d{1,2}\sh", page) and not re.search(r"à \d{1,2}:\d{2}", page)


async def test_the_shell_and_its_files_are_kept_and_revalidated_and_pages_never_stored(tab):
    """A browser keeps the shell and its scripts and styles, asking each time whether they changed
    (ETag, 304 without a body); pages with people's data are never stored."""
    app, session = tab
    for path in ("/tab", "/tab/assets/tab.js", "/tab/assets/teams-js.js"):
        async with session.get(path) as first:
            assert first.status == 200 and first.headers["Cache-Control"] == "no-cache", path
            etag = first.headers["ETag"]
        async with session.get(path, headers={"If-None-Match": etag}) as again:
            assert again.status == 304 and await again.read() == b"", path
    async with session.get("/tab/api/ideas", headers=signed_in(SAM)) as page:
        assert page.headers["Cache-Control"] == "no-store"
