"""The organiser console in a real browser (headless Chromium), in English and French and the three Teams
themes: the organiser reaches it from the tab's navigation, sends the new-challenge form empty and reads
what to fix beside each field, opens a challenge on its pitch day, finds a judge with the people search and
names the panel with the keyboard.
axe-core finds no WCAG 2.1 AA violation on any page. Screenshots: test-output/tab/console-<lang>-<theme>/."""

from __future__ import annotations

import pytest

from bot.i18n import Messages
from bot.settings import ROOT
from tests.e2e.test_tab_browser import axe_violations, page_for
from tests.support.den_dashboard import CHALLENGE_ID, OLGA_ID, den_app
from tests.support.people import DIANE, MAYA
from tests.support.tab_browser import watched_tab

SHOTS = ROOT / "test-output" / "tab"


@pytest.fixture
async def den(tmp_path):
    async with den_app(tmp_path, winners=False) as app:
        yield app


@pytest.mark.parametrize("theme", ["default", "dark", "contrast"])
@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
async def test_the_console_for_an_organiser(den, locale, theme):
    m = Messages(locale)
    folder = SHOTS / f"console-{m.language}-{theme}"
    folder.mkdir(parents=True, exist_ok=True)
    async with watched_tab(den.url, locale=locale, width=1200) as page:

        await page.goto(f"{den.url}tab?theme={theme}&lang={locale}&as={OLGA_ID}#/ideas")
        await page_for(page, "#/ideas")
        await page.get_by_role("link", name=m.t("dash.nav.console")).focus()
        await page.keyboard.press("Enter")
        await page_for(page, "#/console")
        await page.get_by_role("heading", name=m.t("console.title")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "1-challenges.png"), full_page=True)

        # The new-challenge form sent empty: nothing saved, and what to fix under each field.
        await page.get_by_role("button", name=m.t("den.form.submit")).click()
        await page.get_by_text(m.t("console.fix_form")).wait_for()
        assert await page.get_by_text(m.t("den.form.error.required")).count() >= 3
        assert await page.get_by_label(m.t("den.form.name")).get_attribute("aria-invalid") == "true"
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "2-form-refused.png"), full_page=True)

        # A challenge with its finalists: name the panel with the keyboard.
        await page.goto(f"{den.url}tab?theme={theme}&lang={locale}&as={OLGA_ID}#/console/{CHALLENGE_ID}")
        await page_for(page, f"#/console/{CHALLENGE_ID}")
        await page.get_by_role("heading", name=m.t("console.panel.title")).wait_for()
        # Anyone in the directory may be named: the people search lists whom it finds first.
        await page.get_by_label(m.t("console.panel.find")).fill("Maya")
        await page.get_by_role("button", name=m.t("console.panel.find_button")).click()
        await page.get_by_text(m.count("console.panel.found", 1, search="Maya")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "3-people-found.png"), full_page=True)
        for person in (MAYA, DIANE):
            await page.get_by_label(person.name, exact=True).first.check()
        await page.get_by_label(m.t("pd.form.chair")).select_option(DIANE.aad_id)
        await page.get_by_role("button", name=m.t("pd.action.save_panel")).focus()
        await page.keyboard.press("Enter")
        await page.get_by_text(m.t("console.panel_named")).wait_for()
        await page.get_by_role("heading", name=m.t("console.room.title")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "3-pitch-day.png"), full_page=True)
