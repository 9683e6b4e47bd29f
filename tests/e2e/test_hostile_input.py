"""Issue #10's cases, each reproduced over real HTTP against the running app, then held.

Every case the attacker's report listed is here as it was tried: a huge comment, a markdown
link in a title and in a comment, malformed bodies (with and without authentication), an
activity without serviceUrl, a flood of identical pitches, a digest button with a date
without a time zone, a digest send outlasting its lease, and the clock going back a week.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from cards import verbs
from tests.support.edges import both_edges
from tests.support.fake_connector import FakeConnector
from tests.support.markdown_oracle import links_in, markup_in
from tests.support.people import AUTHENTICATED, DANA, MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import FakeClock, settings_for_test, start_app
from tests.support.settle import settled
from tests.support.teams_client import TeamsClient, User, action, nodes, texts
from tests.support.timers import TIMERS_BY_REQUEST, run_timer

pytestmark = both_edges

TORONTO = ZoneInfo("America/Toronto")
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=TORONTO)
COMMENT_LABEL = "Comment (needed to return or reject)"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def app_settings() -> dict:
    return TIMERS_BY_REQUEST


def markdown_texts(card: dict) -> list[str]:
    """Every string of the card that Teams parses as markdown."""
    found = [n["text"] for n in nodes(card) if n.get("type") == "TextBlock" and isinstance(n.get("text"), str)]
    found += [f["value"] for n in nodes(card) if n.get("type") == "FactSet" for f in n.get("facts", [])]
    return found


def assert_no_user_markdown(card: dict) -> None:
    for value in markdown_texts(card):
        assert links_in(value) == [], value
        assert not [tag for tag in markup_in(value) if tag.startswith(("<a", "<img", "<h"))], value


async def pitch(teams: TeamsClient, user: User, **fields) -> dict:
    result = await teams.click(user, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, {**VALID_PITCH, **fields})
    assert result.status == 200, result
    return result.card


async def approval_for(connector: FakeConnector, user: User, count: int = 1) -> dict:
    def ready(c: FakeConnector):
        cards = [
            card
            for s in c.to(user.conversation_id)
            for card in s.cards
            if any(a.get("verb") == verbs.APPROVE for a in card.get("actions", []))
        ]
        return cards[-1] if len(cards) >= count else None

    return await connector.wait_for(ready)


async def raw_post(url: str, body: bytes, headers: dict | None = None) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers={"Content-Type": "application/json", **(headers or {})}) as r:
            return r.status


# ---- no server-side limit on comments ---------------------------------------------------------
async def test_a_comment_over_the_card_s_limit_is_refused_in_place_and_nothing_decided(teams, connector, app):
    await teams.install(MAYA)
    await pitch(teams, SAM)
    card = await approval_for(connector, MAYA)
    answer = await teams.click(MAYA, action(card, verbs.RETURN), {"comment": "x" * 5000})
    assert answer.status == 200
    shown = texts(answer.card)
    assert f'"{COMMENT_LABEL}" is too long: please keep it to 1000 characters (you have 5000).' in shown
    assert action(answer.card, verbs.RETURN), "the approver can shorten it and decide from the same card"
    [idea] = await app.store.list_by_submitter(SAM.aad_id)
    assert idea.decisions == [] and idea.status.value == "in_review"


async def test_a_900000_character_comment_never_reaches_the_bot(teams, connector, app):
    await teams.install(MAYA)
    await pitch(teams, SAM)
    card = await approval_for(connector, MAYA)
    answer = await teams.click(MAYA, action(card, verbs.RETURN), {"comment": "x" * 900_000})
    assert answer.status == 413
    [idea] = await app.store.list_by_submitter(SAM.aad_id)
    assert idea.decisions == []


# ---- markdown link injection -----------------------------------------------------------------
async def test_a_markdown_link_in_a_title_reaches_the_approver_as_text(teams, connector, app):
    await teams.install(MAYA)
    await teams.install(SAM)
    title = "[Click here to approve](https://evil.example)"
    receipt = await pitch(teams, SAM, title=title, problem="![x](https://evil.example/p.png)\n# Urgent")
    assert_no_user_markdown(receipt)
    card = await approval_for(connector, MAYA)
    assert_no_user_markdown(card)
    assert any("Click here to approve" in t for t in markdown_texts(card)), "the title is still shown"

    returned = await teams.click(
        MAYA, action(card, verbs.RETURN), {"comment": "[Fix it here](https://evil.example) **now**"}
    )
    assert_no_user_markdown(returned.card)
    update = await connector.wait_for(
        lambda c: next((x for s in c.to(SAM.conversation_id) for x in s.cards if "asked for changes" in texts(x)), None)
    )
    assert_no_user_markdown(update)
    assert "Fix it here" in texts(update)


async def test_an_unrecognised_message_is_quoted_back_as_text(teams, connector):
    await teams.say(SAM, "[Approve all](https://evil.example)")
    sent = await connector.wait_for(
        lambda c: next((s for s in c.to(SAM.conversation_id) if s.activity.get("text")), None)
    )
    assert links_in(sent.activity["text"]) == []


# ---- malformed requests ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "body", [b"null", b"{", b"[]", b'"text"', json.dumps(json.loads("[" * 50 + "]" * 50)).encode(), b"[" * 5000]
)
async def test_malformed_bodies_answer_400_not_500(app, body):
    assert await raw_post(app.messages_url, body) == 400


async def test_with_authentication_on_malformed_bodies_are_400_before_the_token_is_checked(
    tmp_path, connector, teams_edge
):
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", **AUTHENTICATED, teams_edge=teams_edge))
    try:
        for body in (b"null", b"{", b"[" * 5000):
            assert await raw_post(app.messages_url, body) == 400
        assert await raw_post(app.messages_url, b"x" * 400_000) == 413
    finally:
        await app.stop()


async def test_an_activity_without_service_url_is_refused_at_once(teams, connector, app):
    activity = teams._base(SAM, "message")
    activity["text"] = "help"
    del activity["serviceUrl"]
    started = time.monotonic()
    status, _ = await teams.post(activity)
    assert status == 400
    assert time.monotonic() - started < 1.0, "no attempt to reach the public Bot Framework host"
    activity["serviceUrl"] = "https://evil.example/"
    assert (await teams.post(activity))[0] == 403
    await settled(app.store)
    assert connector.sent == []


# ---- duplicate and flood control -------------------------------------------------------------
async def test_the_same_pitch_again_asks_before_sending(teams, connector, app):
    await teams.install(MAYA)
    await pitch(teams, SAM)
    again = await pitch(teams, SAM)
    assert "You pitched this on" in texts(again) and "send it anyway?" in texts(again)
    assert len(await app.store.list_by_submitter(SAM.aad_id)) == 1
    confirmed = await teams.click(SAM, action(again, verbs.PITCH_SUBMIT), VALID_PITCH)
    assert "Thanks, your idea is in!" in texts(confirmed.card)
    assert len(await app.store.list_by_submitter(SAM.aad_id)) == 2


async def test_two_hundred_identical_pitches_reach_the_manager_once(teams, connector, app):
    await teams.install(MAYA)
    answers = [await pitch(teams, SAM) for _ in range(200)]
    assert sum("Thanks, your idea is in!" in texts(a) for a in answers) == 1
    await settled(app.store)
    assert len(await app.store.list_by_submitter(SAM.aad_id)) == 1
    await approval_for(connector, MAYA)
    asks = [c for s in connector.to(MAYA.conversation_id) for c in s.cards if "An idea needs your decision" in texts(c)]
    assert len(asks) == 1


async def test_a_person_can_pitch_ten_ideas_a_day(teams, connector, app, clock):
    for n in range(10):
        card = await pitch(teams, SAM, title=f"Idea number {n}", problem=f"Problem {n}")
        assert "Thanks, your idea is in!" in texts(card)
    refused = await pitch(teams, SAM, title="Idea number 11", problem="Problem 11")
    assert "10 ideas" in texts(refused)
    assert [v for k, v in _inputs(refused).items() if k == "title"] == ["Idea number 11"], "nothing typed is lost"
    assert len(await app.store.list_by_submitter(SAM.aad_id)) == 10
    clock.advance(days=1)
    assert "Thanks, your idea is in!" in texts(await pitch(teams, SAM, title="Idea number 11", problem="P 11"))


def _inputs(card: dict) -> dict[str, str]:
    return {n["id"]: n.get("value", "") for n in nodes(card) if str(n.get("type", "")).startswith("Input.")}


# ---- card data ------------------------------------------------------------------------------
async def test_a_digest_button_with_a_date_without_a_time_zone_is_refused_politely(teams, connector, app):
    await teams.install(DANA)
    await pitch(teams, SAM)
    [idea] = await app.store.list_by_submitter(SAM.aad_id)
    data = {
        "dmId": DANA.aad_id,
        "weekKey": "2026-W48",
        "weekStart": "2026-11-16T00:00:00",
        "weekEnd": "2026-11-23T00:00:00",
        "ideaId": idea.id,
    }
    answer = await teams.click(DANA, {"verb": verbs.DIGEST_SHORTLIST, "data": data}, {})
    assert answer.status == 200
    assert "don't recognise that button" in answer.message


# ---- the digest at most once a week ------------------------------------------------------------
def digests_to(connector: FakeConnector, user: User) -> list[dict]:
    return [c for s in connector.to(user.conversation_id) for c in s.cards if "Your Den this week" in texts(c)]


async def test_a_digest_send_that_outlasts_its_lease_is_not_sent_twice(tmp_path, connector, clock, teams_edge):
    db = tmp_path / "den.sqlite3"
    settings = settings_for_test(db, **TIMERS_BY_REQUEST, teams_edge=teams_edge)
    first, second = await start_app(settings, clock), await start_app(settings, clock)
    try:
        await TeamsClient(first.messages_url, connector.url, TENANT_ID).install(DANA)
        connector.fail_next(1, status=429, retry_after="2")
        slow = asyncio.create_task(run_timer(first, "digest"))
        for _ in range(500):  # the install's welcome, then the digest's 429
            if connector.attempts >= 2:
                break
            await asyncio.sleep(0.01)
        assert connector.attempts >= 2, connector.attempts
        clock.advance(minutes=11)  # past the 10-minute lease while the first run waits
        await run_timer(second, "digest")
        await slow
        await asyncio.sleep(0.2)
        assert len(digests_to(connector, DANA)) == 1
    finally:
        await first.stop()
        await second.stop()


async def test_a_long_retry_after_is_capped(tmp_path, connector, clock, teams_edge):
    app = await start_app(
        settings_for_test(
            tmp_path / "den.sqlite3", **TIMERS_BY_REQUEST, retry_after_cap_seconds=0.5, teams_edge=teams_edge
        ),
        clock,
    )
    try:
        await TeamsClient(app.messages_url, connector.url, TENANT_ID).install(DANA)
        connector.fail_next(1, status=429, retry_after="3600")
        started = time.monotonic()
        result = await asyncio.wait_for(run_timer(app, "digest"), timeout=10)
        assert result["results"][0]["outcome"] == "sent"
        assert time.monotonic() - started < 5
    finally:
        await app.stop()


async def test_the_clock_going_back_a_week_does_not_send_the_digest_again(teams, connector, app, clock):
    await teams.install(DANA)
    first = await run_timer(app, "digest")
    assert first["week"] == "2026-W48" and first["results"][0]["outcome"] == "sent"
    clock.now = datetime(2026, 11, 22, 23, 0, tzinfo=TORONTO)  # Sunday: the week before
    again = await run_timer(app, "digest")
    assert again["results"][0]["outcome"] == "already_sent"
    assert len(digests_to(connector, DANA)) == 1


async def test_a_reason_longer_than_its_box_is_refused_politely_and_nothing_changes(teams, connector, app):
    await teams.install(MAYA)
    await pitch(teams, SAM)
    [idea] = await app.store.list_by_submitter(SAM.aad_id)
    answer = await teams.click(
        SAM, {"verb": verbs.WITHDRAW, "data": {"ideaId": idea.id}}, {"withdrawReason": "x" * 600}
    )
    assert answer.status == 200
    assert answer.message == '"Reason (optional)" is too long: please keep it to 500 characters (you have 600).'
    assert (await app.store.get(idea.id)).status.value == "in_review"
