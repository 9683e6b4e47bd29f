"""The notice of collection is complete before going live: with authentication on and any part unset
the app refuses to start naming what to set; the pitch form and the privacy pages show it."""

from __future__ import annotations

import aiohttp
import pytest

from bot.bootstrap import collection_notice
from bot.domain.notice import CollectionNotice
from bot.i18n import Messages
from bot.settings import Settings
from cards.pitch_form import pitch_form_card
from tests.support.people import AUTHENTICATED, NOTICE
from tests.support.running_app import settings_for_test, start_app
from tests.support.teams_client import texts

FILLED = CollectionNotice(**{k.removeprefix("notice_"): v for k, v in NOTICE.items()})


def test_with_authentication_on_a_missing_part_stops_start_up_naming_it():
    with pytest.raises(SystemExit) as stopped:
        collection_notice(Settings(**{**AUTHENTICATED, "notice_purpose_fr": "", "notice_contact": " "}))
    assert "DEN_NOTICE_PURPOSE_FR, DEN_NOTICE_CONTACT" in str(stopped.value)
    assert "DEN_NOTICE_LEGAL_AUTHORITY" not in str(stopped.value)
    with pytest.raises(SystemExit, match="set DEN_NOTICE_LEGAL_AUTHORITY, DEN_NOTICE_LEGAL_AUTHORITY_FR, DEN_NOTICE_P"):
        collection_notice(Settings(app_id="app", app_password="secret"))
    assert collection_notice(Settings()).missing() != []  # local runs (authentication off) start, placeholders shown
    assert collection_notice(Settings(**AUTHENTICATED)) == FILLED


def test_the_pitch_form_shows_the_notice_in_the_readers_language():
    english = texts(pitch_form_card(Messages("en-CA"), form_id="f", collection=FILLED))
    assert "Legal authority: Ministry of Public and Business Service Delivery Act, s. 6." in english
    assert "Questions: Manager, Innovation Office, 777 Bay St" in english
    french = texts(pitch_form_card(Messages("fr-CA"), form_id="f", collection=FILLED))
    assert "Autorisation légale\u00a0: Loi sur le ministère des Services au public et aux entreprises" in french
    assert "Gestionnaire, Bureau de l’innovation" in french
    generic = texts(pitch_form_card(Messages("en-CA"), form_id="f"))
    assert "The Privacy page in the app's About tab gives the legal authority" in generic


async def test_the_privacy_pages_show_the_notice_the_ministry_set(tmp_path, connector):
    notice = {**NOTICE, "notice_contact": "<b>Privacy</b> Office"}
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", **notice))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(app.url + "privacy") as answer:
                english = await answer.text()
            async with http.get(app.url + "privacy-fr") as answer:
                french = await answer.text()
    finally:
        await app.stop()
    assert "Ministry of Public and Business Service Delivery Act, s. 6" in english
    assert "To route staff ideas to the people who decide on them" in english
    assert "&lt;b&gt;Privacy&lt;/b&gt; Office" in english and "<b>Privacy</b>" not in english
    assert "to be completed by the ministry" not in english
    assert "Loi sur le ministère des Services au public et aux entreprises, art. 6" in french
    assert "Gestionnaire, Bureau de l’innovation" in french and "à remplir par le ministère" not in french
