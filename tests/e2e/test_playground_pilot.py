"""The pilot rehearsal's fixes in a real client: Agents Playground's web UI in headless Chromium.

- Maya Singh names a colleague to act for her, then presses "I'm back: end it now": the card says
  the arrangement has ended (the button used to trip the form's required-person check, so
  nothing was sent). Then the same in French, typed: "je suis de retour".
- Dana Morel (deputy minister, sponsor) types `digest`: its "Shortlist for the Den" button puts
  an approved idea on her challenge's shortlist, and the card shows it shortlisted (the button
  used to answer "Sorry, I don't recognise that button").
- Dana (an organiser for this test) opens People's Choice; in the team's General channel she
  votes, and the card shows "Your vote: ..." and keeps showing it: with the voters' refresh list
  off (as `make run` sets it: the Playground has no per-user refresh), no update of the channel
  card replaces her confirmation with everyone's view.

Sam's pitch and its approvals go over HTTP from other Teams clients (the local Bot Connector
stand-in), as in the other Playground tests. Screenshots: test-output/playground-pilot/.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from app import DEN_KEY
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.i18n import Messages
from bot.settings import ROOT
from cards import verbs
from tests.e2e.test_playground_browser import CHROMIUM, CHROMIUM_ARGS, loose
from tests.e2e.test_playground_den_challenge import card, say
from tests.support.inbox import card_saying
from tests.support.people import DANA, DIANE, MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.pitch_day import seed
from tests.support.playground import playground
from tests.support.running_app import settings_for_test, start_app
from tests.support.teams_client import TeamsClient, action, texts

pytestmark = pytest.mark.playground
async_playwright = pytest.importorskip("playwright.async_api").async_playwright

SHOTS = ROOT / "test-output" / "playground-pilot"
GENERAL = "team-id"  # the Playground's team: its General channel's id is the team's
WAIT = 20_000
en, fr = Messages("en-US"), Messages("fr-CA")


async def shot(page, name: str, focus=None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if focus is not None:
        await focus.scroll_into_view_if_needed()
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def name_an_acting_approver(page, m: Messages) -> None:
    form = card(page, m.t("delegate.title"))
    await form.wait_for(timeout=WAIT)
    await form.get_by_label(loose(m.t("delegate.until"))).fill((datetime.now(UTC) + timedelta(days=10)).date()
                                                                .isoformat())  # fmt: skip
    picker = form.get_by_role("combobox", name="People Picker").first
    await picker.click()
    await picker.fill("Diane")
    suggestion = page.locator("[role=option], .ms-Suggestions-itemButton").filter(has_text="Diane Tremblay").first
    await suggestion.wait_for(timeout=WAIT)
    await suggestion.click()
    await form.get_by_role("listitem").filter(has_text="Diane Tremblay").first.wait_for()
    await form.get_by_role("button", name=m.t("delegate.set"), exact=True).click()
    await page.get_by_text(loose(m.t("delegate.end"))).last.wait_for(timeout=WAIT)


async def test_end_a_delegation_shortlist_from_the_digest_and_see_my_vote_in_the_playground_ui(tmp_path, connector):
    settings = settings_for_test(tmp_path / "den.sqlite3", outbox_poll_seconds=0.2, digest_on_request=True,
                                 organiser_ids=frozenset({DANA.aad_id}), vote_refresh_list=False)  # fmt: skip
    app = await start_app(settings)
    den = app.runner.app[DEN_KEY]
    shutil.rmtree(SHOTS, ignore_errors=True)
    for name in ("maya", "dana"):
        (tmp_path / name).mkdir()
    try:
        async with (
            playground(tmp_path / "maya", app.messages_url, current_user=MAYA.aad_id) as (maya_url, _),
            playground(tmp_path / "dana", app.messages_url, current_user=DANA.aad_id) as (dana_url, _),
            async_playwright() as pw,
        ):
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = await browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})

            # ---- Maya ends her acting approver arrangement, by button, then typed in French ----------
            maya = await context.new_page()
            await maya.goto(maya_url)
            await maya.get_by_text(loose(en.t("welcome.title"))).first.wait_for(timeout=WAIT)
            await say(maya, "acting")
            await name_an_acting_approver(maya, en)
            await shot(maya, "1-delegation-set")
            await card(maya, en.t("delegate.end")).get_by_role("button", name=loose(en.t("delegate.end"))).click()
            await maya.get_by_text(loose(en.t("delegate.ended"))).first.wait_for(timeout=WAIT)
            await shot(maya, "2-delegation-ended")
            assert await den.approvals.delegation_of(MAYA.aad_id) is None

            await maya.get_by_role("button", name=en.t("language.switch")).first.click()
            await maya.get_by_text(loose(fr.t("welcome.title"))).first.wait_for(timeout=WAIT)
            await say(maya, "intérim")
            await name_an_acting_approver(maya, fr)
            await say(maya, "je suis de retour")
            await maya.get_by_text(loose(fr.t("delegate.ended"))).first.wait_for(timeout=WAIT)
            await shot(maya, "3-delegation-ended-fr")
            assert await den.approvals.delegation_of(MAYA.aad_id) is None

            # ---- an approved idea; Dana shortlists it from the digest she typed for ---------------------
            teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
            for person in (SAM, MAYA, DIANE):
                await teams.install(person)
            now = datetime.now(UTC)
            draft = ChallengeDraft("Rehearsal Den", "How could clients tell us things only once?", (DANA.aad_id,),
                                   now - timedelta(days=1), now + timedelta(days=7))  # fmt: skip
            opened_then = now - timedelta(days=2)
            await app.store.add_challenge(Challenge.open_new(challenge_id="rehearsal", draft=draft, actor_id="olga",
                                                             is_organiser=True, now=opened_then))  # fmt: skip
            pitch = {**VALID_PITCH, "cost_band": "under_10k", "title": "Plain-language letters"}
            filed = await teams.click(SAM, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, pitch)
            assert "Thanks, your idea is in!" in texts(filed.card)
            for approver, m in ((MAYA, fr), (DIANE, en)):  # Maya reads French now
                asked = await card_saying(connector, approver, m.t("approval.title"))
                await teams.click(approver, action(asked, verbs.APPROVE), {"comment": ""})

            dana = await context.new_page()
            await dana.goto(dana_url)
            await dana.get_by_text(loose(en.t("welcome.title"))).first.wait_for(timeout=WAIT)
            await say(dana, "digest")
            digest = card(dana, "Plain-language letters")
            await digest.get_by_role("button", name=en.t("digest.shortlist")).wait_for(timeout=WAIT)
            await shot(dana, "4-digest", digest)
            await digest.get_by_role("button", name=en.t("digest.shortlist")).click()
            await dana.get_by_text(en.t("digest.shortlisted"), exact=True).first.wait_for(timeout=WAIT)
            await shot(dana, "5-digest-shortlisted", card(dana, "Plain-language letters"))
            [idea] = [i for i in await app.store.list_challenge_ideas("rehearsal")]
            assert (await app.store.get_stage(idea.id)).stage.value == "shortlisted"
            assert not await dana.get_by_text(loose(en.t("error.unknown_action"))).count()

            # ---- People's Choice: Dana votes in General and the card confirms it, and keeps it ---------
            await dana.get_by_text("General", exact=True).first.click()  # the bot learns the channel
            await dana.get_by_text("Personal Chat", exact=True).first.click()
            challenge, finalists = await seed(app.store, channel_key=GENERAL, count=3)
            opened = await den.pitch_day.open_voting(actor_id=DANA.aad_id, challenge_id=challenge.id)
            assert opened.status == "recorded", opened
            await dana.get_by_text("General", exact=True).first.click()
            poll = card(dana, en.t("pc.title", name=challenge.name))
            await poll.wait_for(timeout=WAIT)
            await poll.get_by_role("button", name=loose(en.t("pc.action.vote"))).nth(1).click()
            mine = en.t("pc.your_vote", title=finalists[1].pitch.title)
            await dana.get_by_text(loose(mine)).first.wait_for(timeout=WAIT)
            await den.pitch_day.settle()  # nothing is left to update the channel's card
            assert [p for p in (await app.store.get_poll(challenge.id)).refresh_ids] == []
            await dana.get_by_text(loose(mine)).first.wait_for(timeout=WAIT)
            await shot(dana, "6-peoples-choice-my-vote", card(dana, en.t("pc.title", name=challenge.name)))
            await browser.close()
    finally:
        await app.stop()
    assert sorted(p.name for p in SHOTS.glob("*.png")) == [
        "1-delegation-set.png", "2-delegation-ended.png", "3-delegation-ended-fr.png", "4-digest.png",
        "5-digest-shortlisted.png", "6-peoples-choice-my-vote.png",
    ]  # fmt: skip
