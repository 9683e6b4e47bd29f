"""The Den tab's "My information" in a real browser (headless Chromium), in English and French and the
three Teams themes: a person goes from the ideas to My information by the navigation, with the keyboard,
reads what the Den holds about them, and downloads their copy; the readable copy opens in the person's
language first. axe-core finds no WCAG 2.1 AA violation on the page or on the copy; nothing is loaded
from outside and no rule of the page's Content-Security-Policy is broken.
Screenshots: test-output/tab/information-<lang>-<theme>/."""

from __future__ import annotations

import json

import pytest

from bot.i18n import Messages
from bot.settings import ROOT
from tests.e2e.test_tab_browser import axe_violations, page_for
from tests.support.people import PRIYA, SAM
from tests.support.running_app import settings_for_test, start_app
from tests.support.tab_browser import watched_tab
from tests.support.tab_ideas import PRIYA_PERSON, a_pitch, an_idea

SHOTS = ROOT / "test-output" / "tab"


@pytest.fixture
async def den(tmp_path):
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", spool_path=str(tmp_path / "spool.sqlite3")))
    await app.store.add(an_idea(1, a_pitch("Online permit renewals", "Renewals take <b>weeks</b>."), approved=True))
    await app.store.add(an_idea(2, a_pitch("Shared calendar for counters")))
    await app.store.add(an_idea(3, a_pitch("Priya's own idea", "Only her route may read this."),
                                submitter=PRIYA_PERSON))  # fmt: skip
    yield app
    await app.stop()


@pytest.mark.parametrize("theme", ["default", "dark", "contrast"])
@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
async def test_a_person_reads_and_downloads_their_own_information(den, locale, theme):
    m = Messages(locale)
    folder = SHOTS / f"information-{m.language}-{theme}"
    folder.mkdir(parents=True, exist_ok=True)
    async with watched_tab(den.url, locale=locale) as page:
        await page.goto(f"{den.url}tab?theme={theme}&lang={locale}&as={SAM.aad_id}#/ideas")
        await page_for(page, "#/ideas")
        await page.get_by_role("link", name=m.t("tab.nav.information")).focus()
        await page.keyboard.press("Enter")
        await page_for(page, "#/information")
        await page.get_by_role("heading", level=1, name=m.t("tab.information.title")).wait_for()
        assert await page.get_by_role("link", name=m.t("tab.nav.information")).get_attribute("aria-current") == "page"
        held = await page.get_by_role("list", name=m.t("tab.information.held")).inner_text()
        assert m.count("my_information.ideasPitched", 2) in held
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "1-my-information.png"), full_page=True)

        # The data file: Sam's ideas, and nothing of Priya's.
        async with page.context.expect_page() as opened, page.context.expect_event("download") as waiting:
            await page.get_by_role("link", name=m.t("tab.information.json")).click()
        download = await waiting.value
        mine = json.loads((await download.path()).read_text(encoding="utf-8"))
        assert [i["title"] for i in mine["ideasPitched"]] == ["Online permit renewals", "Shared calendar for counters"]
        assert "Priya" not in json.dumps(mine) and mine["person"]["id"] == SAM.aad_id
        await (await opened.value).close()

        # The readable copy, with the keyboard: in the person's language first, accessible, escaped.
        async with page.context.expect_page() as opened, page.context.expect_event("download") as waiting:
            await page.get_by_role("link", name=m.t("tab.information.html")).focus()
            await page.keyboard.press("Enter")
        download = await waiting.value
        assert download.suggested_filename.endswith(".html")
        readable = (await download.path()).read_text(encoding="utf-8")
        await (await opened.value).close()
        copy = await page.context.new_page()
        await copy.set_content(readable)
        assert await copy.evaluate("document.documentElement.lang") == m.language
        first = await copy.get_by_role("heading", level=1).inner_text()
        assert first.startswith("Your information" if m.language == "en" else "Vos renseignements")
        assert "Renewals take <b>weeks</b>." in await copy.locator("main").inner_text()
        assert await axe_violations(copy) == []
        await copy.screenshot(path=str(folder / "2-readable-copy.png"), full_page=True)
        await copy.close()

        # Priya's page is hers: her one idea, none of Sam's.
        await page.goto(f"{den.url}tab?theme={theme}&lang={locale}&as={PRIYA.aad_id}#/information")
        await page_for(page, "#/information")
        held = await page.get_by_role("list", name=m.t("tab.information.held")).inner_text()
        assert m.count("my_information.ideasPitched", 1) in held
