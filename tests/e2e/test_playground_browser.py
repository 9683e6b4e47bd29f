"""End to end in a real client: Agents Playground's own web UI, in headless Chromium, in English and
in French.

The app runs on a loopback port. Agents Playground shows one signed-in user per instance,
so each person gets their own: Sam (staff) on one, Maya (his manager) on another, both
pointed at the same bot, as two people on two Teams clients would be. Chromium (Debian's
package, driven by Playwright) goes through the welcome card, fills in and submits the
pitch form, switches to Maya's Playground to approve from her card, and back to Sam's to
see the decision, his idea's details and "my ideas". It runs twice, in English and in French,
every step found by the text of the catalogue in that language; a screenshot of each card kind
goes to test-output/playground-browser/<locale>/. Agents Playground stamps every activity it
sends with `locale: en-US` whatever the browser's language, so the French run is the path of a
person whose Teams is in English: the browser stays in en-US, and each person presses *Français*
on the welcome card (the choice is remembered). Dates then read in French too: the bot writes them in
the reader's language (the client's {{DATE}} would follow the browser's en-US). The fr-CA Teams
locale itself is tested over HTTP (tests/e2e/test_bilingual_and_views.py).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, timedelta

import pytest

from app import DEN_KEY
from bot.i18n import Messages
from bot.settings import ROOT
from tests.support.people import DANA, MAYA, SAM, VALID_PITCH
from tests.support.playground import playground
from tests.support.running_app import settings_for_test, start_app
from tests.unit.test_dates_on_cards import ENGLISH_MONTHS, FRENCH_MONTHS

pytestmark = pytest.mark.playground

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "test-output" / "playground-browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing in CI: `make test` installs Debian's chromium where apt allows")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
async_playwright = pytest.importorskip("playwright.async_api").async_playwright
expect = pytest.importorskip("playwright.async_api").expect


def loose(text: str) -> re.Pattern[str]:
    """The catalogue's text as shown: any run of spaces (French no-break spaces included) matches any other."""
    return re.compile(r"\s+".join(re.escape(part) for part in text.split()))


async def shot(page, folder, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def fill_pitch_form(page, m: Messages) -> None:
    async def field(key: str, value: str) -> None:
        await page.get_by_label(loose(m.t(key))).fill(value)

    await field("field.title", VALID_PITCH["title"])
    await field("field.problem", VALID_PITCH["problem"])
    await field("field.solution", VALID_PITCH["solution"])
    await page.get_by_role("radio", name=loose(m.t("choice.beneficiaries.clients"))).check()
    for label, option in (
        ("field.program_area", "choice.program_area.client_services"),
        ("field.cost_band", "choice.cost_band.50k_250k"),
    ):
        await page.get_by_role("combobox", name=loose(m.t(label))).click()
        await page.get_by_role("option", name=loose(m.t(option))).click()
    await field("field.people", VALID_PITCH["people"])
    await field("field.first_steps", VALID_PITCH["first_steps"])


async def welcome(page, m: Messages) -> None:
    """Wait for the welcome; for the French run, press Français and wait for the French welcome."""
    english = Messages("en-US")
    await page.get_by_text(loose(english.t("welcome.title"))).wait_for()
    if m.language == "fr":
        await page.get_by_role("button", name=english.t("language.switch")).first.click()
        await page.get_by_text(loose(m.t("welcome.title"))).wait_for()


@pytest.mark.parametrize("locale", ["en-US", "fr-CA"])
async def test_pitch_and_approve_in_the_playground_ui(tmp_path, locale):
    m = Messages(locale)
    shots = SHOTS / locale
    app = await start_app(
        settings_for_test(tmp_path / "den.sqlite3", outbox_poll_seconds=0.2, digest_on_request=True)
    )
    shutil.rmtree(shots, ignore_errors=True)
    sam_dir, maya_dir, dana_dir = tmp_path / "sam", tmp_path / "maya", tmp_path / "dana"
    for folder in (sam_dir, maya_dir, dana_dir):
        folder.mkdir()
    reference = f"DEN-{date.today().year}-0001"
    try:
        async with (
            playground(sam_dir, app.messages_url, current_user=SAM.aad_id) as (sam_url, _),
            playground(maya_dir, app.messages_url, current_user=MAYA.aad_id) as (maya_url, _),
            playground(dana_dir, app.messages_url, current_user=DANA.aad_id) as (dana_url, _),
            async_playwright() as pw,
        ):
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = await browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
            maya = await context.new_page()
            await maya.goto(maya_url)  # Maya has the app open: her chat is where her card will land
            await welcome(maya, m)
            await shot(maya, shots, "0-welcome-approver")

            sam = await context.new_page()
            await sam.goto(sam_url)
            await welcome(sam, m)
            await shot(sam, shots, "1-welcome-card")

            await sam.get_by_role("button", name=loose(m.t("welcome.pitch"))).click()
            await sam.get_by_label(loose(m.t("field.title"))).wait_for()
            await fill_pitch_form(sam, m)
            await shot(sam, shots, "2-pitch-form-filled")
            await sam.get_by_role("button", name=loose(m.t("form.submit"))).click()
            await sam.get_by_text(loose(m.t("receipt.title"))).wait_for()
            now_with = m.t("receipt.now_with", name="Maya Singh", role=m.t("level.manager"))
            await sam.get_by_text(loose(now_with)).first.wait_for()
            await shot(sam, shots, "3-receipt")

            await maya.bring_to_front()
            await maya.get_by_text(loose(m.t("approval.title"))).wait_for(timeout=15_000)
            await shot(maya, shots, "4-approver-card")
            comment = "Bonne idée, allez-y." if m.language == "fr" else "Great idea, go ahead."
            await maya.get_by_label(loose(m.t("approval.comment"))).fill(comment)
            await maya.get_by_role("button", name=loose(m.t("approval.approve"))).click()
            decided = m.t("approval.decided_title", outcome=m.t("outcome.approved"))
            await maya.get_by_text(loose(decided)).wait_for()
            assert await maya.get_by_role("button", name=loose(m.t("approval.approve"))).count() == 0
            await shot(maya, shots, "5-approver-decided")

            await sam.bring_to_front()
            update = m.t("update.approved_step", name="Maya Singh", role=m.t("level.manager"), reference=reference)
            await sam.get_by_text(loose(update)).wait_for(timeout=15_000)
            await sam.get_by_text(loose(m.t("chain.comment", comment=comment))).first.wait_for()
            await shot(sam, shots, "6-submitter-sees-decision")

            # View opens the idea's page in the Den tab (no Teams app id here: the tab's own page, in a
            # new window, signed in as Sam, in his language).
            async with context.expect_page() as opened:
                await sam.get_by_role("link", name=loose(m.t("idea.view", reference=reference))).last.click()
            details = await opened.value
            await details.get_by_role("heading", name=loose(m.t("details.title", reference=reference))).wait_for()
            pitched = await details.get_by_text(loose(m.t("details.submitted", name="Sam Chen", when=""))).inner_text()
            if m.language == "fr":  # « 7 décembre 2026 à 14 h 05 », written on the server, never the client's
                written = rf"\d{{1,2}}(er)?\s({FRENCH_MONTHS})\s\d{{4}} à \d{{1,2}}\sh"
            else:
                written = rf"({ENGLISH_MONTHS}) \d{{1,2}}, \d{{4}} at"
            assert re.search(written, pitched), f"the date is written in the reader's language: {pitched!r}"
            await shot(details, shots, "7-idea-details")
            await details.close()
            await sam.get_by_role("button", name=loose(m.t("welcome.my_ideas"))).last.click()
            await sam.get_by_text(loose(m.t("my_ideas.title"))).last.wait_for()
            await shot(sam, shots, "8-my-ideas")

            dana = await context.new_page()  # the deputy minister asks for the week so far
            await dana.goto(dana_url)
            await welcome(dana, m)
            await dana.get_by_role("textbox").last.fill("digest")
            await dana.keyboard.press("Enter")
            week = app.runner.app[DEN_KEY].digests.week_so_far()  # on its Monday, the week so far is today
            title = "digest.title_today" if week.end - week.start <= timedelta(days=1) else "digest.title"
            await dana.get_by_text(loose(m.t(title))).wait_for(timeout=15_000)
            await dana.get_by_role("link", name=loose(m.t("idea.view", reference=reference))).first.wait_for()
            await shot(dana, shots, "9-digest")
            await browser.close()
    finally:
        await app.stop()
    assert sorted(p.name for p in shots.glob("*.png")) == [
        "0-welcome-approver.png",
        "1-welcome-card.png",
        "2-pitch-form-filled.png",
        "3-receipt.png",
        "4-approver-card.png",
        "5-approver-decided.png",
        "6-submitter-sees-decision.png",
        "7-idea-details.png",
        "8-my-ideas.png",
        "9-digest.png",
    ]
