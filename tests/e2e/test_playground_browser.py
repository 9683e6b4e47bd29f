"""End to end in a real client: Agents Playground's own web UI, in headless Chromium.

The app runs on a loopback port. Agents Playground shows one signed-in user per instance,
so each person gets their own: Sam (staff) on one, Maya (his manager) on another, both
pointed at the same bot, as two people on two Teams clients would be. Chromium (Debian's
package, driven by Playwright) goes through the welcome card, fills in and submits the
pitch form, switches to Maya's Playground to approve from her card, and back to Sam's to
see the decision. A screenshot of each step goes to test-output/playground-browser/.
"""

from __future__ import annotations

import os
import shutil

import pytest

from bot.settings import ROOT
from tests.support.people import MAYA, SAM, VALID_PITCH
from tests.support.playground import playground
from tests.support.running_app import settings_for_test, start_app

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


async def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def fill_pitch_form(page) -> None:
    await page.get_by_label("Title of your idea").fill(VALID_PITCH["title"])
    await page.get_by_label("What problem does it solve?").fill(VALID_PITCH["problem"])
    await page.get_by_label("What is your proposed solution?").fill(VALID_PITCH["solution"])
    await page.get_by_role("radio", name="Clients and citizens").check()
    for label, option in (("Program area", "Client services"), ("Rough cost", "$50,000 to $250,000")):
        await page.get_by_role("combobox", name=label).click()
        await page.get_by_role("option", name=option).click()
    await page.get_by_label("People involved (optional)").fill(VALID_PITCH["people"])
    await page.get_by_label("First steps to implement").fill(VALID_PITCH["first_steps"])


async def test_pitch_and_approve_in_the_playground_ui(tmp_path):
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", outbox_poll_seconds=0.2))
    shutil.rmtree(SHOTS, ignore_errors=True)
    sam_dir, maya_dir = tmp_path / "sam", tmp_path / "maya"
    sam_dir.mkdir()
    maya_dir.mkdir()
    try:
        async with (
            playground(sam_dir, app.messages_url, current_user=SAM.aad_id) as (sam_url, _),
            playground(maya_dir, app.messages_url, current_user=MAYA.aad_id) as (maya_url, _),
            async_playwright() as pw,
        ):
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            maya = await browser.new_page(viewport={"width": 1280, "height": 1000})
            await maya.goto(maya_url)  # Maya has the app open: her chat is where her card will land
            await maya.get_by_text("Welcome to Deputy's Den").wait_for()

            sam = await browser.new_page(viewport={"width": 1280, "height": 1000})
            await sam.goto(sam_url)
            await sam.get_by_text("Welcome to Deputy's Den").wait_for()
            await shot(sam, "1-welcome-card")

            await sam.get_by_role("button", name="Pitch an idea").click()
            await sam.get_by_label("Title of your idea").wait_for()
            await fill_pitch_form(sam)
            await shot(sam, "2-pitch-form-filled")
            await sam.get_by_role("button", name="Submit my pitch").click()
            await sam.get_by_text("Thanks, your idea is in!").wait_for()
            await sam.get_by_text("Now with Maya Singh (Manager).").first.wait_for()
            await shot(sam, "3-receipt")

            await maya.bring_to_front()
            await maya.get_by_text("An idea needs your decision").wait_for(timeout=15_000)
            await shot(maya, "4-approver-card")
            await maya.get_by_label("Comment (needed to return or reject)").fill("Great idea, go ahead.")
            await maya.get_by_role("button", name="Approve").click()
            await maya.get_by_text("You decided: Approved").wait_for()
            assert await maya.get_by_role("button", name="Approve").count() == 0, "the buttons are gone"
            await shot(maya, "5-approver-decided")

            await sam.bring_to_front()
            await sam.get_by_text("Maya Singh (Manager) approved your idea").wait_for(timeout=15_000)
            await sam.get_by_text("Comment: Great idea, go ahead.").first.wait_for()
            await shot(sam, "6-submitter-sees-decision")
            await browser.close()
    finally:
        await app.stop()
    assert sorted(p.name for p in SHOTS.glob("*.png")) == [
        "1-welcome-card.png",
        "2-pitch-form-filled.png",
        "3-receipt.png",
        "4-approver-card.png",
        "5-approver-decided.png",
        "6-submitter-sees-decision.png",
    ]
