"""The weekly digest and the nudges, over HTTP: the real app, a controlled clock, and the
local Bot Connector stand-in."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import DigestWeek
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.stage import Stage
from cards import verbs
from tests.support.fake_connector import FakeConnector
from tests.support.inbox import cards_to
from tests.support.people import DANA, DIANE, MAYA, PRIYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import FakeClock, RunningApp, settings_for_test, start_app
from tests.support.settle import settled
from tests.support.teams_client import TeamsClient, User, action, button, nodes, texts
from tests.support.timers import TIMERS_BY_REQUEST, post_timer, run_timer

TORONTO = ZoneInfo("America/Toronto")
MONDAY = datetime(2026, 11, 9, 9, 0, tzinfo=TORONTO)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def app_settings() -> dict:
    return TIMERS_BY_REQUEST


async def pitch_as(teams: TeamsClient, connector: FakeConnector, user: User, title: str) -> None:
    await teams.install(user)
    form = {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}
    result = await teams.click(user, form, {**VALID_PITCH, "title": title})
    assert "Thanks, your idea is in!" in texts(result.card)


async def approve_all_pending(teams: TeamsClient, connector: FakeConnector, approver: User) -> None:
    asks = [c for s in connector.to(approver.conversation_id) for c in s.cards if any(
        a.get("verb") == verbs.APPROVE for a in c.get("actions", []))]
    for card in asks:
        await teams.click(approver, action(card, verbs.APPROVE), {"comment": ""})


async def seed(teams, connector, clock) -> None:
    """Two weeks of activity: one idea all the way to the Den, one stalled with the director."""
    for person in (MAYA, DIANE, DANA):
        await teams.install(person)
    await pitch_as(teams, connector, SAM, "Tell us once")
    await connector.wait_for(lambda c: cards_to(c, MAYA, "An idea needs your decision") or None)
    clock.advance(days=1)
    await approve_all_pending(teams, connector, MAYA)
    await pitch_as(teams, connector, PRIYA, "Plain-language letters")  # vacant manager: goes to Diane
    await connector.wait_for(lambda c: len(cards_to(c, DIANE, "An idea needs your decision")) >= 2 or None)
    clock.advance(days=1)
    diane_cards = cards_to(connector, DIANE, "An idea needs your decision")
    await teams.click(DIANE, action(diane_cards[0], verbs.APPROVE), {"comment": ""})  # Sam's idea
    amir = User("e5b4a7c6-9fa1-42b3-8edf-4a5b6c7d8e05", "Amir Haddad")
    await teams.install(amir)
    ask = await connector.wait_for(
        lambda c: next(
            (
                x
                for s in c.sent
                for x in s.cards
                if "An idea needs your decision" in texts(x) and "Step 3 of 3" in texts(x)
            ),
            None,
        )
    )
    await teams.click(amir, action(ask, verbs.APPROVE), {"comment": ""})
    # Monday 23 Nov: Priya's idea has waited since Tuesday 10 Nov, 9 business days: stalled.
    clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=TORONTO)


async def test_digest_is_sent_once_per_dm_per_week_with_content(teams, connector, clock, app):
    await seed(teams, connector, clock)

    status, result = await post_timer(app, "digest")

    assert status == 200
    assert result["week"] == "2026-W48"
    assert result["results"] == [{"dmId": DANA.aad_id, "name": "Dana Morel", "outcome": "sent", "detail": ""}]
    [card] = cards_to(connector, DANA, "Your Den this week")
    shown = texts(card)
    assert "Approved for the Den (1)" in shown
    assert "Stalled: waiting more than 5 business days (1)" in shown
    assert "Plain-language letters. With Diane Tremblay (Director) for 9 business days" in shown
    assert "Slowest level:" in shown

    status, again = await post_timer(app, "digest")
    assert again["results"][0]["outcome"] == "already_sent"
    assert len(cards_to(connector, DANA, "Your Den this week")) == 1, "a second run sends nothing new"


async def test_two_instances_running_the_digest_together_send_it_once(tmp_path, connector, clock):
    db = tmp_path / "den.sqlite3"
    first = await start_app(settings_for_test(db, **TIMERS_BY_REQUEST), clock)
    second = await start_app(settings_for_test(db, **TIMERS_BY_REQUEST), clock)
    try:
        await TeamsClient(first.messages_url, connector.url, TENANT_ID).install(DANA)
        results = await asyncio.gather(*(post_timer(app, "digest") for app in (first, second, first, second)))
        outcomes = sorted(r[1]["results"][0]["outcome"] for r in results)
        assert outcomes == ["already_sent", "already_sent", "already_sent", "sent"]
        assert len(cards_to(connector, DANA, "Your Den this week")) == 1
    finally:
        await first.stop()
        await second.stop()


async def test_a_throttled_connector_is_retried_with_backoff(teams, connector, app):
    await teams.install(DANA)
    connector.fail_next(1, status=429, retry_after="0")
    status, result = await post_timer(app, "digest")
    assert result["results"][0]["outcome"] == "sent"
    assert len(cards_to(connector, DANA, "Your Den this week")) == 1


async def test_a_dm_who_never_installed_the_app_is_reported_not_skipped(teams, connector, app):
    await teams.install(SAM)  # the bot knows the service URL, but Dana never installed the app
    connector.not_installed.add(DANA.aad_id)
    status, result = await post_timer(app, "digest")
    [outcome] = result["results"]
    assert outcome["outcome"] == "unreachable"
    assert "403" in outcome["detail"]


async def test_the_endpoint_needs_the_shared_secret(app):
    assert (await post_timer(app, "digest", secret=None))[0] == 401
    assert (await post_timer(app, "digest", secret="wrong"))[0] == 401


async def test_only_the_dm_who_owns_the_digest_can_use_its_buttons(teams, connector, clock, app):
    await seed(teams, connector, clock)
    await post_timer(app, "digest")
    [card] = cards_to(connector, DANA, "Your Den this week")
    shortlist = button(card, verbs.DIGEST_SHORTLIST)

    stranger = await teams.click(DIANE, shortlist, {})
    assert stranger.message == (
        "Only the deputy minister who received this digest can use its buttons. Nothing was changed."
    )
    forged = await teams.click(DIANE, {**shortlist, "data": {**shortlist["data"], "dmId": DIANE.aad_id}}, {})
    assert "Only the deputy minister" in forged.message
    idea = await app.store.get(shortlist["data"]["ideaId"])
    assert idea.shortlisted_by == ""


async def open_challenge(app: RunningApp, clock: FakeClock, sponsor: User = DANA) -> Challenge:
    """A Den challenge this deputy minister sponsors, opened a week ago (its window still open)."""
    now = clock()
    draft = ChallengeDraft(
        "Tell us *once*", "How could clients tell us things only once?", (sponsor.aad_id,),
        now - timedelta(days=7), now + timedelta(days=7),
    )  # fmt: skip
    challenge = Challenge.open_new(challenge_id="c-once", draft=draft, actor_id="olga", is_organiser=True, now=now)
    await app.store.add_challenge(challenge)
    return challenge


async def test_shortlist_and_nudge_update_the_card_in_place(teams, connector, clock, app):
    await seed(teams, connector, clock)
    await post_timer(app, "digest")
    [card] = cards_to(connector, DANA, "Your Den this week")
    idea_id = button(card, verbs.DIGEST_SHORTLIST)["data"]["ideaId"]

    nowhere = await teams.click(DANA, button(card, verbs.DIGEST_SHORTLIST), {})
    assert "no challenge you sponsor is taking a shortlist now. Nothing was changed" in nowhere.message
    assert (await app.store.get(idea_id)).challenge == "" and await app.store.get_stage(idea_id) is None

    # One shortlist: the challenge's. The idea was pitched outside any challenge: it enters Dana's.
    await open_challenge(app, clock)
    shortlisted = await teams.click(DANA, button(card, verbs.DIGEST_SHORTLIST), {})
    assert "Shortlisted" in texts(shortlisted.card) and not any(
        b.get("data", {}).get("ideaId") == idea_id for b in nodes(shortlisted.card) if b.get("verb") ==
        verbs.DIGEST_SHORTLIST
    )  # fmt: skip
    idea = await app.store.get(idea_id)
    assert idea.challenge == "c-once" and idea.shortlisted_by == "", "no second, separate flag"
    assert (await app.store.get_stage(idea_id)).stage == Stage.SHORTLISTED
    pool = (await teams.click(DANA, {"verb": verbs.DEN_POOL, "data": {"challengeId": "c-once"}})).card
    assert "Shortlisted: 1." in texts(pool), "the sponsor's pool card shows the same shortlist"
    again = await teams.click(DANA, button(card, verbs.DIGEST_SHORTLIST), {})
    assert "Shortlisted" in texts(again.card), "a second click changes nothing"

    nudged = await teams.click(DANA, button(card, verbs.DIGEST_NUDGE), {})
    assert "Reminder sent today" in texts(nudged.card)
    reminder = await connector.wait_for(
        lambda c: next(iter(cards_to(c, DIANE, "Reminder: an idea is waiting for your decision")), None)
    )
    assert "Dana Morel asked for a decision on this idea." in texts(reminder)
    assert button(reminder, verbs.APPROVE), "the reminder carries the one-click buttons"

    await teams.click(DANA, button(card, verbs.DIGEST_NUDGE), {})  # a second nudge the same day
    await settled(app.store, clock)
    assert len(cards_to(connector, DIANE, "Reminder:")) == 1, "one reminder a day at most"


async def test_an_idea_shortlisted_on_the_sponsors_pool_card_shows_shortlisted_in_the_digest(
    teams, connector, clock, app
):
    """The digest reads the challenge's shortlist, however the idea got on it: shortlisted from the
    sponsor's pool card (not the digest), the DM's digest marks it and offers no Shortlist button."""
    await open_challenge(app, clock)  # Sam's idea is pitched to it, and enters its pool when approved
    await seed(teams, connector, clock)
    [idea_id] = [i.id for i in await app.store.list_challenge_ideas("c-once") if i.pitch.title == "Tell us once"]
    assert (await app.store.get(idea_id)).shortlisted_by == ""

    pool = (await teams.click(DANA, {"verb": verbs.DEN_POOL, "data": {"challengeId": "c-once"}})).card
    shortlist = button(pool, verbs.DEN_SHORTLIST)
    assert shortlist["data"]["ideaId"] == idea_id
    await teams.click(DANA, shortlist, {})
    assert (await app.store.get_stage(idea_id)).stage == Stage.SHORTLISTED
    assert (await app.store.get(idea_id)).shortlisted_by == "", "only the challenge's shortlist says so"

    status, _ = await post_timer(app, "digest")
    assert status == 200
    [card] = cards_to(connector, DANA, "Your Den this week")
    assert "Approved for the Den (1)" in texts(card)
    assert "Shortlisted" in texts(card)
    assert not [b for b in nodes(card) if b.get("verb") == verbs.DIGEST_SHORTLIST], "no Shortlist button left"
    assert [b for b in nodes(card) if b.get("verb") == verbs.DIGEST_NUDGE], "the stalled idea keeps its Nudge"


async def test_daily_nudges_remind_once_a_day_and_tell_the_submitter_later(teams, connector, clock, app):
    await teams.install(DIANE)
    await pitch_as(teams, connector, PRIYA, "Plain-language letters")  # Monday 9 Nov, with Diane
    clock.now = datetime(2026, 11, 12, 10, 0, tzinfo=TORONTO)  # Thursday: 3 business days

    assert await run_timer(app, "nudges") == {"reminders": 1, "submittersTold": 0, "escalated": 0}
    assert await run_timer(app, "nudges") == {"reminders": 0, "submittersTold": 0, "escalated": 0}, "once a day at most"
    await connector.wait_for(lambda c: cards_to(c, DIANE, "It has been waiting for 3 business days.") or None)

    clock.now = datetime(2026, 11, 14, 10, 0, tzinfo=TORONTO)  # Saturday: no nudges at weekends
    assert await run_timer(app, "nudges") == {"reminders": 0, "submittersTold": 0, "escalated": 0}

    clock.now = datetime(2026, 11, 18, 10, 0, tzinfo=TORONTO)  # Wednesday: 7 business days
    assert await run_timer(app, "nudges") == {"reminders": 1, "submittersTold": 1, "escalated": 0}
    told = await connector.wait_for(lambda c: cards_to(c, PRIYA, "is still waiting") or None)
    assert "It has been with Diane Tremblay (Director) for 7 business days." in texts(told[0])


async def test_shortlisting_tells_the_submitter_and_shows_in_my_ideas(teams, connector, clock, app):
    """Issue #14: the submitter was never told their idea was shortlisted, and "my ideas" didn't show it.
    Now the digest's Shortlist is the challenge's: the submitter hears it as every stage change."""
    await seed(teams, connector, clock)
    await open_challenge(app, clock)
    await post_timer(app, "digest")
    [card] = cards_to(connector, DANA, "Your Den this week")
    shortlist = button(card, verbs.DIGEST_SHORTLIST)
    idea = await app.store.get(shortlist["data"]["ideaId"])
    submitter = User(idea.submitter.id, idea.submitter.name)
    await teams.click(DANA, shortlist, {})

    told = await connector.wait_for(lambda c: next(iter(cards_to(c, submitter, "Your idea is on the shortlist")), None))
    assert f"{idea.reference}: " in texts(told)
    assert "Your idea is on the shortlist of Tell us \\*once\\*." in texts(told)
    before = len(connector.to(submitter.conversation_id))
    await teams.say(submitter, "my ideas")
    sent = await connector.wait_for(lambda c: c.to(submitter.conversation_id)[before:] or None)
    assert f"{idea.reference}: " in texts(sent[-1].cards[0])
    assert "Tell us \\*once\\*: Shortlisted" in texts(sent[-1].cards[0])


async def test_the_digests_view_button_posts_the_ideas_details_and_keeps_the_digest(teams, connector, clock, app):
    """Issue #14: a DM couldn't read an idea from the digest before shortlisting it."""
    await seed(teams, connector, clock)
    await post_timer(app, "digest")
    [card] = cards_to(connector, DANA, "Your Den this week")
    view = button(card, verbs.VIEW_IDEA)
    idea = await app.store.get(view["data"]["ideaId"])
    before = len(connector.to(DANA.conversation_id))

    result = await teams.click(DANA, view, {})
    assert result.status == 200 and result.message == "Opened below.", "the digest itself is left as it was"
    sent = await connector.wait_for(lambda c: c.to(DANA.conversation_id)[before:] or None)
    details = texts(sent[-1].cards[0])
    assert f"Idea {idea.reference}" in details and idea.pitch.problem in details and "Approval chain" in details

    stranger = PRIYA if idea.submitter.id == SAM.aad_id else SAM  # staff outside this idea's line
    refused = await teams.click(stranger, view, {})
    assert "couldn't find that idea" in refused.message, "only the idea's own people see its details"


async def test_a_dm_can_see_the_week_so_far_when_the_setting_allows_it(tmp_path, connector, clock):
    """Issue #14: right after trying the bot the digest said "A quiet week" (it covers the last complete week)."""
    settings = settings_for_test(tmp_path / "den.sqlite3", digest_schedule=False, digest_on_request=True)
    running = await start_app(settings, clock)
    try:
        teams = TeamsClient(running.messages_url, connector.url, TENANT_ID)
        await teams.install(DANA)
        await pitch_as(teams, connector, SAM, "Tell us once")
        before = len(connector.to(DANA.conversation_id))
        await teams.say(DANA, "digest")
        sent = await connector.wait_for(lambda c: c.to(DANA.conversation_id)[before:] or None)
        shown = texts(sent[-1].cards[0])
        # A Monday: the week so far is today, and the card says so plainly.
        assert "Your Den today" in shown and "Tell us once" in shown and "A quiet week" not in shown
        assert button(sent[-1].cards[0], verbs.VIEW_IDEA)
        weekly = DigestWeek.ending_at(clock.now, TORONTO).key
        assert await running.store.claim_digest(DANA.aad_id, weekly, clock.now, 600), "the weekly one is not used up"
    finally:
        await running.stop()


async def test_without_the_setting_the_digest_command_says_when_it_comes(teams, connector):
    await teams.install(DANA)
    before = len(connector.to(DANA.conversation_id))
    await teams.say(DANA, "digest")
    sent = await connector.wait_for(lambda c: c.to(DANA.conversation_id)[before:] or None)
    assert "Your digest arrives every Monday morning" in sent[-1].activity.get("text", "")


async def test_a_sent_digest_is_re_sent_only_when_the_setting_allows_it(teams, connector, clock, app, tmp_path):
    """Issue #14: no documented way to re-send the digest locally; in production it stays once a week."""
    await teams.install(DANA)
    await post_timer(app, "digest")
    status, refused = await post_timer(app, "digest", body={"resend": True})
    assert status == 403 and "DEN_DIGEST_ON_REQUEST" in refused["error"]
    assert len(cards_to(connector, DANA, "Your Den this week")) == 1

    allowed = settings_for_test(
        tmp_path / "resend.sqlite3", **TIMERS_BY_REQUEST, digest_on_request=True
    )
    local = await start_app(allowed, clock)
    try:
        await TeamsClient(local.messages_url, connector.url, TENANT_ID).install(DANA)
        await pitch_as(TeamsClient(local.messages_url, connector.url, TENANT_ID), connector, SAM, "This very week")
        assert (await post_timer(local, "digest"))[1]["results"][0]["outcome"] == "sent"
        status, again = await post_timer(local, "digest", body={"resend": True, "week": "current"})
        assert status == 200 and again["results"][0]["outcome"] == "sent" and again["week"].endswith("-so-far")
        latest = cards_to(connector, DANA, "Your Den this week")[-1]
        assert "This very week" in texts(latest), "the week so far, with what was just pitched"
        status, bad = await post_timer(local, "digest", body={"week": "next"})
        assert status == 400
    finally:
        await local.stop()
