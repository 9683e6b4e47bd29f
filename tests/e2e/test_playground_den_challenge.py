"""The Den challenge as its people live it, in a real client: Agents Playground's web UI in
headless Chromium, one Playground per person, all pointed at the same app.

- Olga Kowalski (the Innovation Office, a Den organiser) adds the bot to the team's General
  channel, types "challenges", opens a challenge from the form (sponsor, dates, People's Choice,
  the channel) and sees the call for ideas posted in the channel.
- Sam Chen (staff) pitches to it from his chat: the form shows the challenge's question.
- Two colleagues pitch too, and everyone's approvers decide (see below); the approved ideas
  enter the pool. Olga closes pitching early from her challenge card: the channel is told and
  Dana Morel (the sponsor deputy minister) gets the pool in her chat.
- Dana shortlists all three from the pool card and picks two finalists; Sam agrees to be
  named; a day later the channel hears who the finalists are.
- Olga names the panel from the Pitch day card with the people picker (herself as chair, Diane
  Tremblay and Amir Haddad); she declares no conflict and scores both finalists on her
  scorecards, the other two judges score from their own clients; Olga closes scoring, and she
  and Dana (the sponsor)
  both read the results card.
- Olga opens People's Choice: the card is in the channel, she votes and sees her own vote,
  then closes voting and the result shows on the card.
- Dana picks the winner from the pool card and records its funding; a month later Sam is
  asked how implementation is going, and answers.

What Agents Playground cannot do, and how the test covers it instead:
- It shows one signed-in person per instance (with at most five others to mock), so the
  approvers (Maya Singh, Diane Tremblay) and the two other pitchers are people on other Teams
  clients: their activities go to the app over HTTP from the local Bot Connector stand-in, as
  in tests/e2e/test_den_challenge.py.
- It runs no Universal Actions per-user refresh, so the two other voters' votes go through the
  Playground's own conversation API (the same HTTP call its client makes for a click), and each
  voter's own view is the click's answer.
- Its people picker suggests only the Playground's own mock users (the signed-in person and
  five colleagues), so the panel is chosen among those.
- Time: the app runs on a controlled clock; "a day later" and "a month later" move it, and the
  monthly follow-up is queued by POST /api/nudges/run, as the scheduler would.

Screenshots go to test-output/playground-den-challenge/; on a failure, each person's page is
saved there too (png and html).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from app import DEN_KEY
from bot.i18n import Messages
from bot.settings import ROOT
from cards import verbs
from tests.e2e.test_playground_browser import CHROMIUM, CHROMIUM_ARGS, loose
from tests.support.people import DIANE, MAYA, NOAH, PRIYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.playground import playground
from tests.support.running_app import FakeClock, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, User, nodes, texts

pytestmark = pytest.mark.playground
async_playwright = pytest.importorskip("playwright.async_api").async_playwright

SHOTS = ROOT / "test-output" / "playground-den-challenge"
SECRET = "den-timer-secret-for-tests"
TORONTO = ZoneInfo("America/Toronto")
ORGANISERS = "0d3e9a51-6b2c-4f7e-8a19-3c5d7e9f1b08"  # the demo org's "Den organisers" group
OLGA = User("c9e8f1a2-d3e5-46f7-8c13-8e9f0a1b2c09", "Olga Kowalski")
DANA = User("f6a5b8d7-a0b2-43c4-9fe0-5b6c7d8e9f06", "Dana Morel")
OLIVIA = User("b8d7eaf9-c2d4-45e6-9b02-7d8e9f0a1b08", "Olivia Grant")
AMIR = User("e5b4a7c6-9fa1-42b3-8edf-4a5b6c7d8e05", "Amir Haddad")
CHALLENGE = "Tell us once"
QUESTION = "How could our clients tell us things only once?"
SAM_TITLE = "One address change for every program"
OTHER_PITCHES = {NOAH: "Plain-language letters", PRIYA: "A shared intake desk"}
WAIT = 30_000  # ms: a notification crosses the outbox, the connector and the Playground's client
m = Messages("en-US")


async def shot(page, name: str, focus=None) -> None:
    """A screenshot of the page, with `focus` (a locator) scrolled into view first."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if focus is not None:
        await focus.scroll_into_view_if_needed()
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def card(page, phrase: str):
    """The last Adaptive Card on the page that shows `phrase`."""
    return page.locator(".ac-adaptiveCard").filter(has_text=loose(phrase)).last


async def go(page, place: str) -> None:
    """Open a conversation from the Playground's left-hand list ("Personal Chat", "General")."""
    await page.get_by_text(place, exact=True).first.click()


async def say(page, text: str) -> None:
    await page.get_by_role("textbox").last.fill(text)
    await page.keyboard.press("Enter")


async def wait_until(condition, what: str, seconds: float = 30.0):
    """Poll an async condition (the app's store) until it holds."""
    for _ in range(int(seconds / 0.1)):
        found = await condition()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def choose(page, label: str, option: str) -> None:
    """Pick an option of a compact choice set, whichever way the renderer draws it."""
    await pick(page.get_by_role("combobox", name=loose(label)), option)


async def pick(box, option: str) -> None:
    """Pick an option in this compact choice set (a <select>, or Fluent UI's combobox in the Playground)."""
    if await box.evaluate("e => e.tagName") == "SELECT":
        await box.select_option(label=option)
        return
    await box.click()
    await box.page.get_by_role("option", name=option, exact=True).click()


async def decide_all(app, teams: TeamsClient, connector, idea_ids: list[str]) -> None:
    """Each idea's approvers (on other Teams clients) approve it at every step."""
    people = {u.aad_id: u for u in (MAYA, DIANE, AMIR, DANA, OLIVIA)}

    def approve_button(holder: User, idea_id: str):
        for sent in reversed(connector.to(holder.conversation_id)):
            for node in nodes(sent.cards):
                if node.get("verb") == verbs.APPROVE and node.get("data", {}).get("ideaId") == idea_id:
                    return node
        return None

    for idea_id in idea_ids:
        for _ in range(5):
            idea = await app.store.get(idea_id)
            if idea.status.value != "in_review":
                break
            holder = people[idea.holder_id]
            node = await connector.wait_for(lambda c, h=holder, i=idea_id: approve_button(h, i), 30)
            decided = await teams.click(holder, node, {"comment": ""})
            assert decided.status == 200
        assert (await app.store.get(idea_id)).status.value == "approved"


async def playground_click(base: str, user: User, verb: str, data: dict, conversation_id: str, card_id: str) -> dict:
    """A click sent through the Playground's own conversation API, as its client sends one."""
    body = {
        "name": "adaptiveCard/action",
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        "from": {"id": user.aad_id},
        "conversation": {"id": conversation_id},
        "replyToId": card_id,
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/_conversation/v1/invoke", json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()


async def run_nudges(app) -> dict:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {SECRET}"}
        async with session.post(f"{app.url}api/nudges/run", json={}, headers=headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()


async def save_failure(pages: dict) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, page in pages.items():
        try:
            await page.screenshot(path=str(SHOTS / f"failure-{name}.png"), full_page=True)
            (SHOTS / f"failure-{name}.html").write_text(await page.content(), encoding="utf-8")
        except Exception:  # noqa: BLE001 - a page that cannot be saved must not hide the failure
            pass


async def test_a_den_challenge_from_the_call_for_ideas_to_the_follow_up_in_the_playground_ui(tmp_path, connector):
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    settings = settings_for_test(
        tmp_path / "den.sqlite3",
        organiser_group_id=ORGANISERS,
        outbox_poll_seconds=0.2,
        digest_secret=SECRET,
        digest_schedule=False,
        # As under `make run`: Agents Playground has no per-user view, so listing voters for Teams' refresh
        # had the Playground redraw the channel's card under Olga's clicks (Close, then its confirmation).
        vote_refresh_list=False,
    )
    app = await start_app(settings, clock)
    den = app.runner.app[DEN_KEY]
    teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
    shutil.rmtree(SHOTS, ignore_errors=True)
    for name in ("olga", "dana", "sam"):
        (tmp_path / name).mkdir()
    pages: dict = {}
    try:
        async with (
            playground(tmp_path / "olga", app.messages_url, current_user=OLGA.aad_id) as (olga_url, _),
            playground(tmp_path / "dana", app.messages_url, current_user=DANA.aad_id) as (dana_url, _),
            playground(tmp_path / "sam", app.messages_url, current_user=SAM.aad_id) as (sam_url, _),
            async_playwright() as pw,
        ):
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = await browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
            try:
                await walk_the_challenge(app, den, clock, teams, connector, context, pages,
                                         olga_url, dana_url, sam_url)  # fmt: skip
            except BaseException:
                await save_failure(pages)
                raise
            finally:
                await browser.close()
    finally:
        await app.stop()
    assert sorted(p.name for p in SHOTS.glob("*.png")) == [
        "01-organiser-challenge-form.png", "02-organiser-challenge-opened.png", "03-channel-call-for-ideas.png",
        "04-staff-pitch-form.png", "05-staff-idea-approved.png", "06-channel-pitches-closed.png",
        "07-sponsor-pool.png", "08-sponsor-finalists.png", "08a-sponsor-finalists-asks-first.png",
        "09-staff-finalist-consent.png",
        "10-channel-finalists.png", "11-judge-scorecards.png", "12-results-card.png", "13-sponsor-results.png",
        "14-peoples-choice-my-vote.png", "15-peoples-choice-closed.png", "15a-sponsor-winner-picker.png",
        "16-sponsor-winner-funded.png",
        "17-staff-follow-up.png",
    ]  # fmt: skip


async def walk_the_challenge(app, den, clock, teams, connector, context, pages, olga_url, dana_url, sam_url):
    # ---- everyone opens the app; Olga adds it to the team's General channel ---------------------
    for name, url in (("olga", olga_url), ("dana", dana_url), ("sam", sam_url)):
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_text(loose(m.t("welcome.title"))).first.wait_for(timeout=WAIT)
        pages[name] = page
    olga, dana, sam = pages["olga"], pages["dana"], pages["sam"]
    for person in (MAYA, DIANE, AMIR, OLIVIA, *OTHER_PITCHES):
        await teams.install(person)
    await olga.bring_to_front()
    await go(olga, "General")  # the bot learns the channel, as when added to a team
    await wait_until(den.challenges.channels, "the channel to be registered")
    await go(olga, "Personal Chat")

    # ---- the organiser opens the challenge from the form --------------------------------------
    await say(olga, "challenges")
    await card(olga, m.t("den.list.title")).get_by_role("button", name=m.t("den.action.new"), exact=True).click()
    form = card(olga, m.t("den.form.title"))
    await form.get_by_label(loose(m.t("den.form.name"))).fill(CHALLENGE)
    await form.get_by_label(loose(m.t("den.form.question"))).fill(QUESTION)
    await form.get_by_role("checkbox", name="Dana Morel").check()
    today = clock().astimezone(TORONTO).date()
    await form.get_by_label(loose(m.t("den.form.opens_on"))).fill(today.isoformat())
    await form.get_by_label(loose(m.t("den.form.closes_on"))).fill((today + timedelta(days=14)).isoformat())
    await form.get_by_label(loose(m.t("den.form.finalist_count"))).fill("2")
    await form.get_by_label(loose(m.t("den.form.pitch_day"))).fill((today + timedelta(days=21)).isoformat())
    await form.get_by_role("checkbox", name=loose(m.t("den.form.peoples_choice"))).check()
    await choose(form, m.t("den.form.channel"), "Innovation Office › General")
    await shot(olga, "01-organiser-challenge-form")
    await form.get_by_role("button", name=m.t("den.form.submit"), exact=True).click()
    opened = card(olga, m.t("den.form.opened"))
    await opened.wait_for(timeout=WAIT)
    await shot(olga, "02-organiser-challenge-opened")
    [challenge] = await den.challenges.challenges()
    assert challenge.name == CHALLENGE and list(challenge.sponsor_ids) == [DANA.aad_id] and challenge.peoples_choice

    await go(olga, "General")
    await card(olga, m.t("den.call.title", name=CHALLENGE)).wait_for(timeout=WAIT)
    await olga.get_by_text(QUESTION).last.wait_for()
    await shot(olga, "03-channel-call-for-ideas")
    await go(olga, "Personal Chat")

    # ---- Sam pitches from his chat; two colleagues pitch from theirs ----------------------------
    await sam.bring_to_front()
    await sam.get_by_role("button", name=loose(m.t("welcome.pitch"))).first.click()
    await sam.get_by_text(QUESTION).last.wait_for(timeout=WAIT)
    await sam.get_by_label(loose(m.t("field.title"))).fill(SAM_TITLE)
    await sam.get_by_label(loose(m.t("field.problem"))).fill(VALID_PITCH["problem"])
    await sam.get_by_label(loose(m.t("field.solution"))).fill(VALID_PITCH["solution"])
    await sam.get_by_role("radio", name=loose(m.t("choice.beneficiaries.clients"))).check()
    await choose(sam, m.t("field.program_area"), m.t("choice.program_area.client_services"))
    await choose(sam, m.t("field.cost_band"), m.t("choice.cost_band.10k_50k"))
    await sam.get_by_label(loose(m.t("field.people"))).fill(VALID_PITCH["people"])
    await sam.get_by_label(loose(m.t("field.first_steps"))).fill(VALID_PITCH["first_steps"])
    await shot(sam, "04-staff-pitch-form")
    await sam.get_by_role("button", name=loose(m.t("form.submit"))).click()
    await sam.get_by_text(loose(m.t("receipt.title"))).wait_for(timeout=WAIT)
    for person, title in OTHER_PITCHES.items():
        submit = {"verb": verbs.PITCH_SUBMIT, "data": {"formId": str(uuid.uuid4()), "challengeId": challenge.id}}
        receipt = await teams.click(person, submit, {**VALID_PITCH, "cost_band": "10k_50k", "title": title})
        assert receipt.status == 200

    ideas, _ = await den.challenges.entries(challenge.id)
    by_title = {i.pitch.title: i for i in ideas}
    assert set(by_title) == {SAM_TITLE, *OTHER_PITCHES.values()}
    sam_idea, noah_idea = by_title[SAM_TITLE], by_title[OTHER_PITCHES[NOAH]]
    await decide_all(app, teams, connector, [i.id for i in ideas])
    await sam.get_by_text(loose(m.t("update.final", reference=sam_idea.reference))).last.wait_for(timeout=WAIT)
    await shot(sam, "05-staff-idea-approved")

    # ---- the organiser closes pitching early: the channel is told, the sponsor gets the pool ------
    await olga.bring_to_front()
    await opened.get_by_role("button", name=m.t("den.action.close"), exact=True).click()  # asks first, on the card
    await opened.get_by_role("button", name=m.t("den.action.close_confirm"), exact=True).click()
    await olga.get_by_text(loose(m.t("den.form.closed_now"))).last.wait_for(timeout=WAIT)
    await go(olga, "General")
    await card(olga, m.t("den.closed.title", name=CHALLENGE)).wait_for(timeout=WAIT)
    await shot(olga, "06-channel-pitches-closed")
    await go(olga, "Personal Chat")

    await dana.bring_to_front()
    pool = card(dana, m.t("den.pool.title", name=CHALLENGE))
    await pool.get_by_text(loose(m.t("den.pool.counts", pool=3, shortlisted=0, finalists=0, winners=0))).wait_for(
        timeout=WAIT
    )
    await shot(dana, "07-sponsor-pool")

    # ---- the sponsor shortlists the three and picks two finalists -------------------------------
    for shortlisted in range(1, 4):
        await pool.get_by_role("button", name=m.t("den.action.shortlist"), exact=True).first.click()
        counts = m.t("den.pool.counts", pool=3 - shortlisted, shortlisted=shortlisted, finalists=0, winners=0)
        await pool.get_by_text(loose(counts)).wait_for(timeout=WAIT)
    for idea in (sam_idea, noah_idea):
        name = m.t("idea.reference_title", reference=idea.reference, title=idea.pitch.title)
        await pool.get_by_role("checkbox", name=loose(name)).check()
    await pool.get_by_role("button", name=m.t("den.action.finalists"), exact=True).click()
    confirm = pool.get_by_role("button", name=m.t("den.action.finalists_confirm"), exact=True)
    await shot(dana, "08a-sponsor-finalists-asks-first", focus=confirm)
    await confirm.click()
    await pool.get_by_text(loose(m.t("den.recorded.finalists"))).wait_for(timeout=WAIT)
    await shot(dana, "08-sponsor-finalists")

    await sam.bring_to_front()
    consent = card(sam, m.t("den.consent.ask"))
    await consent.wait_for(timeout=WAIT)
    await consent.get_by_role("button", name=m.t("den.consent.yes"), exact=True).click()
    await sam.get_by_text(loose(m.t("den.consent.yes_now"))).last.wait_for(timeout=WAIT)
    await shot(sam, "09-staff-finalist-consent")

    clock.advance(days=1)  # the finalists are announced once they have had a day to answer
    await olga.bring_to_front()
    await go(olga, "General")
    announced = card(olga, m.t("den.announce.finalists.title", name=CHALLENGE))
    await announced.wait_for(timeout=WAIT)
    await announced.get_by_text("Sam Chen").first.wait_for()
    await shot(olga, "10-channel-finalists")
    await go(olga, "Personal Chat")
    clock.advance(days=20)  # pitch day (three weeks after the challenge opened): the finalists pitch

    # ---- the panel: Olga (chair), Diane and Amir score both finalists; Olga closes scoring -----------
    await say(olga, "challenges")
    await card(olga, m.t("den.list.title")).get_by_role("button", name=m.t("den.action.show"), exact=True).click()
    await card(olga, m.t("den.phase.closed")).get_by_role("button", name=m.t("pd.action.open"), exact=True).click()
    await olga.get_by_role("button", name=m.t("pd.action.name_panel"), exact=True).last.click()
    panel_form = card(olga, m.t("pd.form.title", name=CHALLENGE))
    await panel_form.wait_for(timeout=WAIT)
    await choose_people(panel_form, 0, ["Olga Kowalski", "Diane Tremblay", "Amir Haddad"])  # the judges
    await choose_people(panel_form, 1, ["Olga Kowalski"])  # the chair
    await panel_form.get_by_role("button", name=m.t("pd.action.save_panel"), exact=True).click()
    await olga.get_by_text(loose(m.t("pd.named.done", count=3))).last.wait_for(timeout=WAIT)
    for idea, mark in zip((sam_idea, noah_idea), (5, 3), strict=True):
        await score(olga, idea, mark)
    await shot(olga, "11-judge-scorecards")
    ref = {"challengeId": challenge.id}
    for judge, marks in ((DIANE, (4, 2)), (AMIR, (4, 3))):  # on their own clients
        for idea, mark in zip((sam_idea, noah_idea), marks, strict=True):
            declare = {**ref, "finalistId": idea.id, "conflict": "none"}
            declared = await teams.click(judge, {"verb": verbs.DECLARE, "data": declare})
            scores = {n["id"]: str(mark) for n in nodes(declared.card) if str(n.get("id", "")).startswith("score_")}
            saved = await teams.click(judge, {"verb": verbs.SCORE, "data": {**ref, "finalistId": idea.id}}, scores)
            assert m.t("pd.scorecard.saved") in texts(saved.card), texts(saved.card)
    await olga.bring_to_front()
    await olga.get_by_role("button", name=m.t("pd.action.close_scoring"), exact=True).last.click()
    await olga.get_by_role("button", name=m.t("pd.action.close_scoring_confirm"), exact=True).last.click()
    results = card(olga, m.t("pd.results.title", name=CHALLENGE))
    await results.wait_for(timeout=WAIT)
    first = re.escape(m.ordinal("pd.results.rank", 1))
    await results.get_by_text(re.compile(rf"^{first} · .*" + re.escape(SAM_TITLE))).wait_for()
    await results.scroll_into_view_if_needed()
    await shot(olga, "12-results-card")
    await dana.bring_to_front()
    sponsor_copy = card(dana, m.t("pd.results.title", name=CHALLENGE))
    await sponsor_copy.get_by_text(re.compile(rf"^{first} · .*" + re.escape(SAM_TITLE))).wait_for(timeout=WAIT)
    await shot(dana, "13-sponsor-results", focus=sponsor_copy.get_by_text(m.t("pd.results.title", name=CHALLENGE)))
    await olga.bring_to_front()

    # ---- People's Choice in the channel: Olga votes and sees her vote; two others vote; it closes ----
    await olga.get_by_role("button", name=m.t("pc.action.open"), exact=True).last.click()
    await olga.get_by_text(loose(m.t("pc.opened"))).last.wait_for(timeout=WAIT)
    await go(olga, "General")
    poll = card(olga, m.t("pc.title", name=CHALLENGE))
    await poll.wait_for(timeout=WAIT)
    # the channel's card is in both languages: its buttons read "Vote · Voter"
    await poll.get_by_role("button", name=loose(m.t("pc.action.vote"))).first.click()
    await olga.get_by_text(loose(m.t("pc.your_vote", title=SAM_TITLE))).last.wait_for(timeout=WAIT)
    await shot(olga, "14-peoples-choice-my-vote")
    vote = {"challengeId": challenge.id, "finalistId": sam_idea.id}
    card_id = (await app.store.get_poll(challenge.id)).card_id  # the card's message in the channel
    for voter in (MAYA, DIANE):  # people on other clients: through the Playground's own API
        answer = await playground_click(olga_url, voter, verbs.VOTE, vote, f"team-id;messageid={card_id}", card_id)
        assert m.t("pc.voted") in texts(answer["value"]), answer
    await poll.get_by_role("button", name=m.t("pc.action.close"), exact=True).click()
    await poll.get_by_role("button", name=m.t("pc.action.close_confirm"), exact=True).click()
    await olga.get_by_text(loose(m.count("pc.result.winner", 3, title=SAM_TITLE))).last.wait_for(timeout=WAIT)
    await shot(olga, "15-peoples-choice-closed")
    stored_poll = await app.store.get_poll(challenge.id)
    assert not stored_poll.is_open and stored_poll.counts == {sam_idea.id: 3, noah_idea.id: 0}

    # ---- the sponsor picks the winner and records the funding ------------------------------------
    await dana.bring_to_front()
    await pool.get_by_role("button", name=m.t("den.action.refresh"), exact=True).click()
    name = m.t("idea.reference_title", reference=sam_idea.reference, title=SAM_TITLE)
    await pool.get_by_text(loose(m.t("den.winners.title"))).wait_for(timeout=WAIT)
    beside = m.count("den.winners.votes", 3)  # the People's Choice result beside the panel's rank
    await pool.get_by_role("checkbox", name=re.compile(loose(name).pattern + ".*" + loose(beside).pattern)).check()
    await pool.get_by_role("button", name=m.t("den.action.winners"), exact=True).click()
    confirm = pool.get_by_role("button", name=m.t("den.action.winners_confirm"), exact=True)
    await shot(dana, "15a-sponsor-winner-picker", focus=confirm)  # the panel's rank and People's Choice beside each
    await confirm.click()
    await pool.get_by_text(loose(m.t("den.recorded.winners"))).wait_for(timeout=WAIT)
    await pool.get_by_role("button", name=m.t("den.action.fund"), exact=True).click()
    fund = card(dana, m.t("den.fund.title"))
    await fund.get_by_label(loose(m.t("den.fund.amount"))).fill("75000")
    await fund.get_by_label(loose(m.t("den.fund.branch"))).fill("Client Services Branch")
    await fund.get_by_label(loose(m.t("den.fund.conditions"))).fill("A quarterly report to the sponsor")
    await fund.get_by_role("button", name=m.t("den.action.record_funding"), exact=True).click()
    funded = dana.get_by_text(loose(m.t("den.recorded.funded"))).last
    await funded.wait_for(timeout=WAIT)
    await shot(dana, "16-sponsor-winner-funded", focus=funded)

    # ---- a month later the winner is asked how it is going, and answers -------------------------
    clock.advance(days=31)
    assert (await run_nudges(app))["followUps"] == 1
    await sam.bring_to_front()
    follow_up = card(sam, m.t("den.follow_up.title"))
    await follow_up.wait_for(timeout=WAIT)
    await follow_up.get_by_role("radio", name=loose(m.t("den.progress.on_track"))).check()
    await follow_up.get_by_label(loose(m.t("den.follow_up.note"))).fill("Pilot running in two offices")
    await follow_up.get_by_role("button", name=m.t("den.action.file_update"), exact=True).click()
    await sam.get_by_text(loose(m.t("den.follow_up.thanks"))).last.wait_for(timeout=WAIT)
    await shot(sam, "17-staff-follow-up")

    stage = await app.store.get_stage(sam_idea.id)
    assert stage.stage.value == "implementing" and stage.funding.amount == 75000
    assert [u.status.value for u in stage.updates] == ["on_track"]


async def choose_people(form, nth: int, names: list[str]) -> None:
    """Teams' people picker as the Playground draws it (the card's `nth` picker): type each name
    and take the suggestion."""
    picker = form.get_by_role("combobox", name="People Picker").nth(nth)
    for name in names:
        await picker.click()
        await picker.fill(name.split()[0])
        suggestion = form.page.locator("[role=option], .ms-Suggestions-itemButton").filter(has_text=name).first
        await suggestion.wait_for(timeout=WAIT)
        await suggestion.click()
        await form.get_by_role("listitem").filter(has_text=name).first.wait_for()  # the chosen person


async def score(page, idea, mark: int) -> None:
    """Declare no conflict on the finalist's scorecard, then score every criterion `mark`."""
    scorecard = (
        page.locator(".ac-adaptiveCard")
        .filter(has_text=idea.pitch.title)
        .filter(has=page.get_by_role("button", name=m.t("pd.coi.none"), exact=True))
        .last
    )
    await scorecard.wait_for(timeout=WAIT)
    await scorecard.get_by_role("button", name=m.t("pd.coi.none"), exact=True).click()
    declared = (
        page.locator(".ac-adaptiveCard")
        .filter(has_text=idea.pitch.title)
        .filter(has_text=loose(m.t("pd.coi.recorded_none")))
        .last
    )
    await declared.wait_for(timeout=WAIT)
    criteria = declared.get_by_role("combobox")  # one compact choice per criterion
    for n in range(await criteria.count()):
        await pick(criteria.nth(n), str(mark))
    await declared.get_by_role("button", name=m.t("pd.action.save_scores"), exact=True).click()
    await (
        page.locator(".ac-adaptiveCard")
        .filter(has_text=idea.pitch.title)
        .filter(has_text=loose(m.t("pd.scorecard.saved")))
        .last.wait_for(timeout=WAIT)
    )
