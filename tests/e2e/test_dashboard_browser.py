"""The dashboard in a real browser (headless Chromium), in English and French and the three Teams themes:
an organiser reaches it from the tab's navigation with the keyboard, picks a challenge, reads each chart's
table and downloads its CSV; a deputy minister sees their ministry's year; staff have no link and a typed
address shows "not found"; staff open the showcase. axe-core finds no WCAG 2.1 AA violation; nothing is
loaded from outside and no rule of the page's Content-Security-Policy is broken.
Screenshots: test-output/tab/dashboard-<lang>-<theme>/."""

from __future__ import annotations

import csv
import io

import pytest

from bot.i18n import Messages
from bot.settings import ROOT
from tests.e2e.test_tab_browser import axe_violations, page_for
from tests.support.den_dashboard import CHALLENGE_ID, OLGA_ID, den_app
from tests.support.people import DANA, SAM
from tests.support.tab_browser import watched_tab

SHOTS = ROOT / "test-output" / "tab"


@pytest.fixture
async def den(tmp_path):
    async with den_app(tmp_path) as app:
        yield app


@pytest.mark.parametrize("theme", ["default", "dark", "contrast"])
@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
async def test_the_dashboard_for_an_organiser_a_deputy_minister_and_staff(den, locale, theme):
    m = Messages(locale)
    folder = SHOTS / f"dashboard-{m.language}-{theme}"
    folder.mkdir(parents=True, exist_ok=True)
    async with watched_tab(den.url, locale=locale) as page:
        # The organiser: from the ideas page to the dashboard by the navigation, with the keyboard.
        await page.goto(f"{den.url}tab?theme={theme}&lang={locale}&as={OLGA_ID}#/ideas")
        await page_for(page, "#/ideas")
        await page.get_by_role("link", name=m.t("dash.nav.dashboard")).focus()
        await page.keyboard.press("Enter")
        await page_for(page, "#/dashboard")
        await page.get_by_label(m.t("dash.pick.challenge")).select_option(CHALLENGE_ID)
        await page.get_by_role("button", name=m.t("dash.pick.show")).focus()
        await page.keyboard.press("Enter")
        await page_for(page, f"challenge={CHALLENGE_ID}")
        heading = m.t("dash.title", name="Tell us once")
        await page.get_by_role("heading", name=heading).wait_for()
        # Every chart is an image with a name, beside a table of the same figures.
        charts = page.get_by_role("img")
        assert await charts.count() == 7  # funnel, two timings, four of participation
        funnel = page.get_by_role("table", name=m.t("dash.table_of", title=m.t("dash.funnel.title")))
        first = await funnel.locator("tbody tr").first.inner_text()
        assert first.split("\t")[:2] == [m.t("den.funnel.pitched"), "14"]
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "1-organiser-challenge.png"), full_page=True)

        # The funded ideas' CSV, as a spreadsheet would read it.
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name=m.t("dash.csv", title=m.t("dash.funded.title"))).click()
        download = await waiting.value
        assert download.suggested_filename == "den-dashboard-tell-us-once-funded.csv"
        rows = list(csv.reader(io.StringIO((await download.path()).read_text(encoding="utf-8-sig"))))
        assert rows[0][:4] == ["reference", "title", "owner", "amount"] and len(rows) == 3

        # The deputy minister: her ministry's year.
        await page.goto(f"{den.url}tab?theme={theme}&lang={locale}&as={DANA.aad_id}#/dashboard?year=2026")
        await page_for(page, "#/dashboard?year=2026")
        await page.get_by_text(m.t("dash.scope.ministry")).wait_for()
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "2-deputy-minister-year.png"), full_page=True)

        # Staff: no link, and the address typed by hand is "not found".
        await page.goto(f"{den.url}tab?theme={theme}&lang={locale}&as={SAM.aad_id}#/ideas")
        await page_for(page, "#/ideas")
        assert await page.get_by_role("link", name=m.t("dash.nav.dashboard")).count() == 0
        await page.goto(f"{den.url}tab?theme={theme}&lang={locale}&as={SAM.aad_id}#/dashboard")
        await page_for(page, "#/dashboard")
        await page.get_by_role("heading", name=m.t("tab.not_found.title")).wait_for()
        await page.screenshot(path=str(folder / "3-staff-not-found.png"), full_page=True)

        # Staff: the showcase, from the navigation, with the keyboard.
        await page.get_by_role("link", name=m.t("dash.nav.showcase")).focus()
        await page.keyboard.press("Enter")
        await page_for(page, "#/showcase")
        await page.get_by_role("heading", name=m.t("show.successes.title")).wait_for()
        assert await page.get_by_role("heading", level=3).count() == 4  # two funded winners, two shared lessons
        assert await axe_violations(page) == []
        await page.screenshot(path=str(folder / "4-staff-showcase.png"), full_page=True)
