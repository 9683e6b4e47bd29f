"""The Den tab in a real browser (headless Chromium, Playwright), in English and French and in the three
Teams themes: sign in as a demo person, browse, filter, search, open an idea, change its sharing, with
the keyboard alone;
axe-core (from npm) finds no WCAG 2.1 AA violation on any page; the page loads nothing from outside
and breaks no rule of its Content-Security-Policy. Screenshots go to test-output/tab/<lang>-<theme>/.

Outside Teams there is no Teams host to give a theme or locale: the shell takes them from its address
(`?theme=dark&lang=fr-CA`), as it takes them from the Teams context inside Teams.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.i18n import Messages
from bot.settings import ROOT
from tests.e2e.test_playground_browser import CHROMIUM, CHROMIUM_ARGS, async_playwright
from tests.support.people import PRIYA, SAM
from tests.support.running_app import settings_for_test, start_app
from tests.support.tab_ideas import PRIYA_PERSON, a_pitch, an_idea

SHOTS = ROOT / "test-output" / "tab"
AXE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def seed(store) -> None:
    await store.add(an_idea(1, a_pitch("Online permit renewals", "Renewals take weeks at the counter."),
                            approved=True, shared=True))
    await store.add(an_idea(2, a_pitch("Renouvellement des permis en ligne",
                                       "Les renouvellements prennent des semaines au comptoir.", area="digital_it"),
                            submitter=PRIYA_PERSON, approved=True, shared=True))
    await store.add(an_idea(3, a_pitch("Plain language letters", "Letters confuse clients.", area="policy"),
                            submitter=PRIYA_PERSON, approved=True, shared=False))
    await store.add(an_idea(4, a_pitch("Shared calendar for counters", "Nobody knows who is on shift.")))
    await store.add(an_idea(5, a_pitch("Weekend counter hours", "Clients cannot come on weekdays."),
                            submitter=PRIYA_PERSON, rejected=True))


def refused_by_csp(text: str) -> bool:
    """A CSP refusal in the console, other than the one expected: the Teams library asks its CDN for a
    fresher list of Teams hosts when it loads, is refused (no outside host), and uses the list it ships."""
    return "Content Security Policy" in text and "teams-js/validDomains" not in text


async def page_for(page, fragment: str) -> None:
    """Wait until the tab shows the page of its address (`#/ideas?...`), not the one before it."""
    await page.wait_for_function(
        "(part) => location.hash.includes(part) && document.getElementById('app').dataset.shown === location.hash",
        arg=fragment,
    )


async def axe_violations(page) -> list[dict]:
    await page.evaluate(AXE)  # evaluated by the test, not loaded by the page: the page's CSP stays strict
    result = await page.evaluate("async (tags) => (await axe.run(document, {runOnly: tags})).violations", AA)
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in result]


@pytest.fixture
async def tab(tmp_path):
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", spool_path=str(tmp_path / "spool.sqlite3")))
    await seed(app.store)
    yield app
    await app.stop()


@pytest.mark.parametrize("theme", ["default", "dark", "contrast"])
@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
async def test_browse_filter_search_and_open_an_idea_with_the_keyboard(tab, locale, theme):
    m = Messages(locale)
    folder = SHOTS / f"{m.language}-{theme}"
    folder.mkdir(parents=True, exist_ok=True)
    outside, refused, problems = [], [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(locale=locale, viewport={"width": 1100, "height": 900})
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(tab.url) else None)
        page.on("console", lambda msg: refused.append(msg.text) if refused_by_csp(msg.text) else None)
        page.on("pageerror", lambda error: problems.append(str(error)))

        # Sign in as Priya with the keyboard: the choice of demo people, then her tab.
        await page.goto(f"{tab.url}tab?theme={theme}&lang={locale}")
        await page.get_by_role("heading", name=m.t("tab.signin.title")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "1-sign-in.png"), full_page=True)
        await page.get_by_role("button", name=re.compile(re.escape(PRIYA.name))).focus()
        await page.keyboard.press("Enter")
        await page.get_by_role("heading", name=m.t("tab.browse.title")).wait_for()
        assert await page.evaluate("document.documentElement.lang") == m.language
        assert await page.evaluate("document.documentElement.dataset.theme") == theme
        # Priya sees the two shared ideas and her own two unshared ones; not Sam's idea still in review.
        results = page.locator("ol.results > li")
        assert await results.count() == 4
        assert "Shared calendar" not in await page.locator("main").inner_text()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "2-browse.png"), full_page=True)

        # Filter by program area, with the keyboard only.
        await page.get_by_label(m.t("tab.filter.program_area")).focus()
        await page.keyboard.press("ArrowDown")  # "All" -> the first area offered
        await page.wait_for_function("() => document.getElementById('f-area').value !== ''")
        area = await page.get_by_label(m.t("tab.filter.program_area")).input_value()
        await page.get_by_role("button", name=m.t("tab.search.button")).focus()
        await page.keyboard.press("Enter")
        await page_for(page, f"area={area}")
        shown = await page.locator("ol.results .meta").all_inner_texts()
        assert shown and all(m.t(f"choice.program_area.{area}") in text for text in shown)
        await page.screenshot(path=str(folder / "3-filtered.png"), full_page=True)

        # Search in the other language's stems: "renewal" (en) and "renouvellements" (fr) each find theirs.
        await page.goto(f"{tab.url}tab?theme={theme}&lang={locale}#/ideas")  # only the hash changes: no reload
        await page_for(page, "#/ideas")
        search = page.get_by_label(m.t("tab.search.label"))
        await search.focus()
        await page.keyboard.type("renouvellements")
        await page.keyboard.press("Enter")
        await page_for(page, "q=renouvellements")
        await page.get_by_role("status").filter(has_text=m.count("tab.results", 1)).wait_for()
        marks = await page.locator("ol.results mark").all_inner_texts()
        assert "Renouvellement" in marks
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "4-search.png"), full_page=True)

        # Open the result with the keyboard: the idea page shows what the details card shows.
        await page.locator("ol.results h2 a").first.focus()
        await page.keyboard.press("Enter")
        await page.get_by_role("heading", name=m.t("details.title", reference="DEN-2026-0002")).wait_for()
        body = await page.locator("main").inner_text()
        assert m.t("chain.title") in body and "Diane Tremblay" in body
        assert await page.evaluate("document.activeElement.tagName") == "H1"  # focus moved to the new page
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "5-idea.png"), full_page=True)

        # Her own idea: she stops sharing it, with the keyboard; the page says it was saved.
        await page.get_by_role("button", name=m.t("tab.sharing.stop")).focus()
        await page.keyboard.press("Enter")
        await page.get_by_role("status").filter(has_text=m.t("tab.sharing.saved_off")).wait_for()
        assert await page.get_by_role("button", name=m.t("tab.sharing.share")).count() == 1
        assert (await tab.store.get("00000000-0000-4000-8000-000000000002")).shared is False
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "6-sharing.png"), full_page=True)
        await browser.close()
    assert outside == [], outside
    assert refused == [], refused
    assert problems == [], problems


async def test_a_link_to_an_idea_the_person_may_not_see_reads_as_not_found(tab):
    """Sam opens a link to Priya's unshared idea: the same page as for an idea that does not exist."""
    m = Messages("en-CA")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        texts = []
        for idea_id in ("00000000-0000-4000-8000-000000000003", "00000000-0000-4000-8000-999999999999"):
            await page.goto(f"{tab.url}tab?as={SAM.aad_id}#/idea/{idea_id}")
            await page.get_by_role("heading", name=m.t("tab.not_found.title")).wait_for()
            texts.append(await page.locator("main").inner_text())
        assert texts[0] == texts[1]
        assert "Plain language" not in json.dumps(texts)
        await browser.close()


@pytest.mark.parametrize("theme", ["default", "dark", "contrast"])
@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
async def test_ask_to_connect_accept_and_write_a_lesson_in_the_tab(tab, locale, theme):
    """Sam asks to talk about Priya's shared idea; Priya, in her tab, sees only his branch, accepts,
    and only then sees his name; then she writes what she learned from her idea that was not approved,
    shares it, and Sam finds it in Lessons learned. With the keyboard alone; axe on every page."""
    m = Messages(locale)
    folder = SHOTS / f"{m.language}-{theme}"
    folder.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(locale=locale, viewport={"width": 1100, "height": 900})
        base = f"{tab.url}tab?theme={theme}&lang={locale}"
        await page.goto(f"{base}&as={SAM.aad_id}#/idea/00000000-0000-4000-8000-000000000002")
        await page.get_by_role("heading", name=m.t("tab.connect.title")).wait_for()
        await page.get_by_role("button", name=m.t("tab.connect.ask")).focus()
        await page.keyboard.press("Enter")
        await page.get_by_role("status").filter(has_text=m.t("tab.connect.pending")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "7-asked.png"), full_page=True)

        await page.goto(f"{base}&as={PRIYA.aad_id}#/requests")
        await page.get_by_role("heading", name=m.t("tab.requests.title")).wait_for()
        before = await page.locator("main").inner_text()
        branch = "Direction des services à la clientèle" if m.language == "fr" else "Client Services Branch"
        assert branch in before and SAM.name not in before, "his branch, in the reader's language"
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "8-request.png"), full_page=True)
        await page.get_by_role("button", name=re.compile("^" + re.escape(m.t("connect.accept")))).focus()
        await page.keyboard.press("Enter")
        await page.get_by_role("status").filter(has_text=m.t("tab.requests.saved_on")).wait_for()
        assert SAM.name in await page.locator("main").inner_text()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "9-accepted.png"), full_page=True)

        # Her idea that was not approved: she writes what she learned and shares it, with the keyboard.
        await page.goto(f"{base}&as={PRIYA.aad_id}#/idea/00000000-0000-4000-8000-000000000005")
        await page.get_by_role("heading", name=m.t("tab.lesson.title")).wait_for()
        await page.get_by_label(m.t("lesson.label")).focus()
        await page.keyboard.type("Ask the regional offices first: they knew the weekend demand.")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Space")  # the consent box
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await page.get_by_role("status").filter(has_text=m.t("tab.lesson.saved")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "10-lesson.png"), full_page=True)
        lesson = (await tab.store.get("00000000-0000-4000-8000-000000000005")).lesson
        assert lesson.shared and lesson.text.startswith("Ask the regional offices")

        # Sam, in another ministry's shoes, finds it in Lessons learned by a word of it.
        await page.goto(f"{base}&as={SAM.aad_id}#/lessons?q=regional")
        await page_for(page, "#/lessons?q=regional")
        assert "Weekend counter hours" in await page.locator("ol.results").inner_text()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "11-lessons.png"), full_page=True)

        # My ideas: Sam withdraws the one still in review, with the keyboard; he is invited, once, to
        # say what he learned, and the link takes him to the idea's page with the form.
        await page.goto(f"{base}&as={SAM.aad_id}#/mine")
        await page.get_by_role("heading", name=m.t("tab.mine.title")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "12-my-ideas.png"), full_page=True)
        await page.locator("details.withdraw summary").first.focus()
        await page.keyboard.press("Enter")  # the disclosure opens
        await page.keyboard.press("Tab")
        await page.keyboard.type("Another branch is already doing it.")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        done = m.t("withdraw.done", reference="DEN-2026-0004")
        await page.get_by_role("status").filter(has_text=done).wait_for()
        assert (await tab.store.get("00000000-0000-4000-8000-000000000004")).status.value == "withdrawn"
        await page.get_by_role("heading", name=m.t("lesson.invite")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "13-withdrawn.png"), full_page=True)
        await page.get_by_role("link", name=m.t("tab.mine.write_lesson", reference="DEN-2026-0004")).click()
        await page.get_by_label(m.t("lesson.label")).wait_for()
        await browser.close()
