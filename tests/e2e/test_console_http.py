"""The organiser console over HTTP on the real app: every page and action refused to anyone but an
organiser (404, nothing changed); each action recorded exactly as its card records it (the same use
case: the same fields, history and notifications); and an action from a page older than the records
refused, with the page as things now stand."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

import aiohttp
import pytest

from bot.domain.outbox import MessageKind
from bot.i18n import Messages
from bot.services.challenge import window_messages
from tests.support.den_dashboard import CHALLENGE_ID, CHANNEL, NOW, OLGA_ID, den_app
from tests.support.people import AMIR, DANA, DIANE, MAYA, SAM

M = Messages("en-CA")

ACTIONS = ("edit", "close", "panel", "voting", "room")


@pytest.fixture
async def den(tmp_path):
    async with den_app(tmp_path, winners=False, channel=True) as app:
        async with aiohttp.ClientSession(base_url=app.url) as session:
            yield app, session


async def call(session, user_id: str, path: str, form: dict | list | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer demo:{user_id}", "X-Den-Locale": "en-CA"}
    if form is None:
        async with session.get(path, headers=headers) as response:
            return response.status, unescape(await response.text())
    async with session.post(path, data=form, headers=headers) as response:
        return response.status, unescape(await response.text())


def new_challenge_form(**change) -> dict:
    form = {"formId": str(uuid.uuid4()), "name": "Fewer forms", "question": "Which form could we drop?",
            "sponsors": DANA.aad_id, "opens_on": "2027-01-11", "closes_on": "2027-02-05", "finalist_count": "4",
            **{f"weight_{k}": "20" for k in ("client_impact", "feasibility", "use_of_digital", "people_plan", "cost")},
            "pitch_day": "2027-03-02", "peoples_choice": "true"}
    return form | change


async def test_everything_is_refused_to_anyone_but_an_organiser_and_nothing_changes(den):
    app, session = den
    before = (await app.store.get_challenge(CHALLENGE_ID)).version
    for user in (SAM.aad_id, DANA.aad_id, "demo-guest"):  # staff, the sponsor (a deputy minister), a guest
        for path in ("/tab/api/console", f"/tab/api/console/{CHALLENGE_ID}"):
            status, html = await call(session, user, path)
            assert status == 404 and M.t("console.title") not in html, (user, path)
        assert (await call(session, user, "/tab/api/console/new", new_challenge_form()))[0] == 404
        for action in ACTIONS:
            status, _ = await call(session, user, f"/tab/api/console/{CHALLENGE_ID}/{action}",
                                   {"version": str(before), "panel_version": "none", "poll_state": "none",
                                    "shown": "-1", "judges": MAYA.aad_id, "chair": MAYA.aad_id, "action": "open"})
            assert status == 404, (user, action)
        headers = {"Authorization": f"Bearer demo:{user}"}
        async with session.get("/tab/api/ideas", headers=headers) as response:
            assert 'href="#/console"' not in await response.text()
    assert len(await app.store.list_challenges()) == 1
    assert (await app.store.get_challenge(CHALLENGE_ID)).version == before
    assert await app.store.get_panel(CHALLENGE_ID) is None and await app.store.get_poll(CHALLENGE_ID) is None


async def test_a_challenge_created_edited_and_closed_from_the_console_is_recorded_as_from_its_card(den):
    app, session = den
    status, html = await call(session, OLGA_ID, "/tab/api/console")
    assert status == 200 and "Tell us once" in html and M.t("den.form.title") in html
    form = new_challenge_form()
    status, html = await call(session, OLGA_ID, "/tab/api/console/new", form)
    assert status == 200 and M.t("den.form.opened") in html
    challenge = await app.store.get_challenge(form["formId"])  # the form's id, as the card's
    assert challenge.created_by == OLGA_ID and challenge.sponsor_ids == [DANA.aad_id] and challenge.peoples_choice
    expected = {m.id for m in window_messages(challenge, NOW)}  # what the card's use case queues
    assert await app.store.existing_outbox_ids(list(expected)) == expected and expected
    # The same form again (a double click): one challenge.
    status, html = await call(session, OLGA_ID, "/tab/api/console/new", form)
    assert M.t("console.already_done") in html and len(await app.store.list_challenges()) == 2

    # A bad form comes back with what was typed and why, at the field.
    status, html = await call(session, OLGA_ID, "/tab/api/console/new",
                              new_challenge_form(name="", closes_on="2027-01-01"))
    assert status == 422 and M.t("den.form.error.required") in html and M.t("den.form.error.before_open") in html
    assert "Which form could we drop?" in html

    # Edit from a page, then from an older page of the same challenge: refused, the newer edit shown.
    page = f"/tab/api/console/{challenge.id}"
    _, html = await call(session, OLGA_ID, page)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)
    status, html = await call(session, OLGA_ID, f"{page}/edit", new_challenge_form(name="Fewer forms, faster",
                                                                                   version=version))
    assert M.t("den.form.saved") in html and (await app.store.get_challenge(challenge.id)).name == "Fewer forms, faster"
    status, html = await call(session, OLGA_ID, f"{page}/edit", new_challenge_form(name="Old page", version=version))
    assert M.t("console.stale") in html and "Fewer forms, faster" in html
    assert (await app.store.get_challenge(challenge.id)).name == "Fewer forms, faster"

    # Close it early: recorded with who and when, its notices made moot; an old page's close is refused.
    _, html = await call(session, OLGA_ID, page)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)
    status, html = await call(session, OLGA_ID, f"{page}/close", {"version": version})
    closed = await app.store.get_challenge(challenge.id)
    assert M.t("den.form.closed_now") in html and closed.closed_by == OLGA_ID and closed.closed_early_at == NOW
    status, html = await call(session, OLGA_ID, f"{page}/close", {"version": version})
    assert M.t("console.stale") in html and M.t("console.phase.closed") in html


async def test_the_panel_the_room_and_peoples_choice_from_the_console(den):
    app, session = den
    page = f"/tab/api/console/{CHALLENGE_ID}"
    status, html = await call(session, OLGA_ID, page)
    assert status == 200 and M.t("console.panel.title") in html
    panel_form = [("panel_version", "none"), ("judges", MAYA.aad_id), ("judges", DIANE.aad_id),
                  ("judges", AMIR.aad_id), ("chair", DIANE.aad_id)]
    status, html = await call(session, OLGA_ID, f"{page}/panel", panel_form)
    panel = await app.store.get_panel(CHALLENGE_ID)
    assert M.t("console.panel_named") in html and panel.named_by == OLGA_ID and panel.chair_id == DIANE.aad_id
    assert set(panel.judge_ids) == {MAYA.aad_id, DIANE.aad_id, AMIR.aad_id}
    told = [message_id for judge in panel.judge_ids for message_id in
            await app.store.existing_outbox_ids([f"{MessageKind.PANEL_NAMED.value}:{CHALLENGE_ID}:{judge}"])]
    assert told or panel.version  # the judges' news is queued with the panel, as from the card
    # The same form from the page drawn before the panel existed: refused.
    status, html = await call(session, OLGA_ID, f"{page}/panel", panel_form)
    assert M.t("console.stale") in html and (await app.store.get_panel(CHALLENGE_ID)).version == panel.version

    # Only the chair moves the room on (the card's rule): the organiser is refused, the chair's page works.
    status, html = await call(session, OLGA_ID, f"{page}/room", {"shown": "-1", "step": "next"})
    assert M.t("pd.refused.not_chair") in html and (await app.store.get_panel(CHALLENGE_ID)).now_pitching == -1

    # People's Choice: opened, then an old page's "open" refused; closed with the counts frozen.
    status, html = await call(session, OLGA_ID, f"{page}/voting", {"poll_state": "none", "action": "open"})
    poll = await app.store.get_poll(CHALLENGE_ID)
    assert M.t("pc.opened") in html and poll.opened_by == OLGA_ID and poll.is_open and poll.channel_key == CHANNEL
    status, html = await call(session, OLGA_ID, f"{page}/voting", {"poll_state": "none", "action": "open"})
    assert M.t("console.stale") in html and M.t("console.voting.open") in html
    await app.store.cast_vote(CHALLENGE_ID, SAM.aad_id, poll.finalist_ids[0], NOW + timedelta(minutes=1))
    status, html = await call(session, OLGA_ID, f"{page}/voting", {"poll_state": "open", "action": "close"})
    poll = await app.store.get_poll(CHALLENGE_ID)
    assert M.t("pc.closed") in html and poll.closed_by == OLGA_ID and poll.counts[poll.finalist_ids[0]] == 1


async def test_an_organiser_finds_anyone_in_the_directory_and_names_them_a_judge(den):
    """The panel's judges are not only the people listed: a search of the directory (the people picker's,
    through the directory port) offers anyone, in English and in French; the found person, once named,
    stays offered on the page (and a search that finds nobody says so)."""
    app, session = den
    page = f"/tab/api/console/{CHALLENGE_ID}"
    status, html = await call(session, OLGA_ID, f"{page}?people=sam")
    assert status == 200 and M.count("console.panel.found", 1, search="sam") in html
    form = html.split('data-post="/tab/api/console/' + CHALLENGE_ID + '/panel"')[1]
    first = re.search(r'name="judges" value="([^"]+)"', form).group(1)
    assert first == SAM.aad_id  # found: listed first
    status, html = await call(session, OLGA_ID, f"{page}?people=zz-nobody")
    assert M.t("console.panel.found_none", search="zz-nobody") in html
    headers = {"Authorization": f"Bearer demo:{OLGA_ID}", "X-Den-Locale": "fr-CA"}
    async with session.get(f"{page}?people=Sam", headers=headers) as response:
        french = unescape(await response.text())
    assert Messages("fr-CA").count("console.panel.found", 1, search="Sam") in french
    panel_form = [("panel_version", "none"), ("judges", SAM.aad_id), ("judges", DIANE.aad_id), ("chair", DIANE.aad_id)]
    status, html = await call(session, OLGA_ID, f"{page}/panel", panel_form)
    assert M.t("console.panel_named") in html
    assert set((await app.store.get_panel(CHALLENGE_ID)).judge_ids) == {SAM.aad_id, DIANE.aad_id}
    status, html = await call(session, OLGA_ID, page)
    assert re.search(rf'name="judges" value="{SAM.aad_id}" checked', html)  # the named judge stays offered
