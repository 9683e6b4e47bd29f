"""Pitch day in a real client: Agents Playground's web UI in headless Chromium.

Diane Tremblay chairs the panel (and, for this test, organises the challenge). In her 1:1 chat
she declares no conflict and scores a finalist on its scorecard; the other judges' scores are
recorded through the service. She closes scoring from the pitch-day card and reads the results
card. In the team's General channel she opens People's Choice, votes and sees her own vote on
the card, then closes voting and sees the result. (The Playground warns that it does not do
Universal Actions' user-specific refresh; the click's own answer, and *Show my vote*, show the
voter's view.) Screenshots go to test-output/playground-pitch-day/.
"""

from __future__ import annotations

import shutil

import pytest

from app import DEN_KEY
from bot.settings import ROOT
from tests.e2e.test_playground_browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_playground_den_challenge import pick
from tests.support.people import AMIR, DIANE, MAYA
from tests.support.pitch_day import seed
from tests.support.playground import playground
from tests.support.running_app import settings_for_test, start_app

pytestmark = pytest.mark.playground
async_playwright = pytest.importorskip("playwright.async_api").async_playwright

SHOTS = ROOT / "test-output" / "playground-pitch-day"
GENERAL = "team-id"  # the Playground's team: its General channel's id is the team's


async def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def form(challenge, value: int) -> dict[str, str]:
    return {f"score_{c.key}": str(value) for c in challenge.criteria}


async def test_score_close_and_vote_in_the_playground_ui(tmp_path):
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", organiser_ids=frozenset({DIANE.aad_id}),
                                            outbox_poll_seconds=0.2))  # fmt: skip
    service = app.runner.app[DEN_KEY].pitch_day
    shutil.rmtree(SHOTS, ignore_errors=True)
    (tmp_path / "diane").mkdir()
    try:
        async with (
            playground(tmp_path / "diane", app.messages_url, current_user=DIANE.aad_id) as (url, _),
            async_playwright() as pw,
        ):
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 1000})
            await page.goto(url)
            await page.get_by_text("Welcome to Deputy's Den").wait_for()
            await page.get_by_text("General").click()  # the bot learns the channel, as when added to a team
            await page.get_by_text("Personal Chat").click()

            challenge, ideas = await seed(app.store, channel_key=GENERAL, count=3)
            judges = [DIANE.aad_id, MAYA.aad_id, AMIR.aad_id]
            named = await service.name_panel(actor_id=DIANE.aad_id, challenge_id=challenge.id, remind_at=None,
                                             judge_ids=judges, chair_id=DIANE.aad_id)  # fmt: skip
            assert named.status == "recorded"
            await page.get_by_text("You are on the panel for The 2026 Den").wait_for(timeout=15_000)
            cards = page.locator(".ac-adaptiveCard")
            first = cards.filter(has_text=ideas[0].pitch.title).filter(has_text="conflict of interest").first
            await first.wait_for(timeout=15_000)
            await first.get_by_role("button", name="No conflict of interest").click()
            await page.get_by_text("Recorded: no conflict of interest.").wait_for()
            scorecard = cards.filter(has_text="Recorded: no conflict of interest.")
            criteria = scorecard.get_by_role("combobox")  # one compact choice per criterion
            assert await criteria.count() == len(challenge.criteria)
            for n in range(len(challenge.criteria)):
                await pick(criteria.nth(n), "4")
            await scorecard.get_by_label("Comment (optional)").fill("Clear plan, strong client focus.")
            await scorecard.get_by_role("button", name="Save my scores").click()
            await page.get_by_text("Your scores are saved.").wait_for()
            await shot(page, "1-scorecard-saved")

            for finalist, value in ((ideas[1].id, 3), (ideas[2].id, 5)):
                await service.declare(actor_id=DIANE.aad_id, challenge_id=challenge.id, finalist_id=finalist,
                                      conflict="none")  # fmt: skip
                await service.score(actor_id=DIANE.aad_id, challenge_id=challenge.id, finalist_id=finalist,
                                    form=form(challenge, value))  # fmt: skip
            for judge, values in ((MAYA, (4, 4, 2)), (AMIR, (5, 3, None))):
                for idea, value in zip(ideas, values, strict=True):
                    conflict = "recused" if value is None else "none"
                    await service.declare(actor_id=judge.aad_id, challenge_id=challenge.id, finalist_id=idea.id,
                                          conflict=conflict)  # fmt: skip
                    if value is not None:
                        await service.score(actor_id=judge.aad_id, challenge_id=challenge.id, finalist_id=idea.id,
                                            form=form(challenge, value))  # fmt: skip

            panel_card = cards.filter(has_text="You are on the panel for The 2026 Den").first
            await panel_card.get_by_role("button", name="Pitch day").click()
            await page.get_by_role("button", name="Close scoring").first.click()  # asks first, on the card
            await page.get_by_role("button", name="Yes, close scoring").first.click()
            await page.get_by_text("Scoring is closed.").wait_for()
            await page.get_by_text("Panel results: The 2026 Den").wait_for(timeout=15_000)
            results = cards.filter(has_text="Panel results: The 2026 Den").first
            await results.get_by_text("Below quorum").first.wait_for()
            await results.scroll_into_view_if_needed()
            await shot(page, "2-results-card")

            await page.get_by_role("button", name="Open People's Choice voting").first.click()
            await page.get_by_text("People's Choice voting is open").wait_for()
            await service.vote(voter_id=MAYA.aad_id, voter_mri=f"29:{MAYA.aad_id}", challenge_id=challenge.id,
                               finalist_id=ideas[2].id)  # fmt: skip
            await page.get_by_text("General").click()
            poll_card = cards.filter(has_text="People's Choice: The 2026 Den").first
            await poll_card.wait_for(timeout=15_000)
            await shot(page, "3-peoples-choice-open")
            await poll_card.get_by_role("button", name="Vote").nth(2).click()
            await page.get_by_text(f"Your vote: {ideas[2].pitch.title}").wait_for()
            await shot(page, "4-peoples-choice-my-vote")
            await service.settle()  # the card's refresh list is updated (the Playground then shows everyone's view)
            await poll_card.get_by_role("button", name="Show my vote").click()
            await page.get_by_text(f"Your vote: {ideas[2].pitch.title}").wait_for()
            await poll_card.get_by_role("button", name="Close voting").click()
            await poll_card.get_by_role("button", name="Yes, close voting").click()
            await page.get_by_text("People's Choice: Open data for grants, with 2 votes.").first.wait_for()
            await shot(page, "5-peoples-choice-closed")
            await browser.close()
        poll = await app.store.get_poll(challenge.id)
        assert not poll.is_open and poll.counts == {ideas[0].id: 0, ideas[1].id: 0, ideas[2].id: 2}
    finally:
        await app.stop()
    assert sorted(p.name for p in SHOTS.glob("*.png")) == [
        "1-scorecard-saved.png", "2-results-card.png", "3-peoples-choice-open.png",
        "4-peoples-choice-my-vote.png", "5-peoples-choice-closed.png",
    ]  # fmt: skip
