"""The links "My information" makes: for one person, one format, a few minutes; never taken for a report
link (or the reverse); the tab's page reached from a card or the privacy page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.notice import CollectionNotice
from bot.services.information_links import InformationGrant, InformationLinks
from bot.services.report_links import ReportLinks
from bot.web.pages import privacy_page
from cards.tab_links import TabLinks

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_a_link_is_for_one_person_one_format_and_a_few_minutes():
    now = [NOW]
    links = InformationLinks("key", "https://den.example/", lambda: now[0])
    link = links.link("kim-id", "html", "fr")
    assert link.startswith("https://den.example/den/information.html?t=")
    token = link.split("?t=")[1]
    assert links.check(token, "html") == InformationGrant("kim-id", "html", "fr")
    assert links.check(token, "json") is None  # the other format's address
    assert InformationLinks("another key", "", lambda: NOW).check(token, "html") is None  # not ours
    now[0] = NOW + timedelta(minutes=links.minutes, seconds=1)
    assert links.check(token, "html") is None  # expired


def test_a_report_link_and_an_information_link_are_never_taken_for_each_other():
    information = InformationLinks("key", "", lambda: NOW)
    reports = ReportLinks("key", "", lambda: NOW)
    report_token = reports.token("kim-id", "c1")
    assert information.check(report_token, "json") is None and information.check(report_token, "html") is None
    assert reports.check(information.link("kim-id", "json", "en").split("?t=")[1]) is None
    assert reports.check(report_token).challenge_id == "c1"


def test_my_information_is_reached_by_a_deep_link_or_in_a_demo_by_the_tabs_own_page():
    deep = TabLinks(app_id="app-1", base_url="https://den.example").information()
    assert deep.startswith("https://teams.microsoft.com/l/entity/app-1/den?webUrl=")
    assert deep.endswith("context=%7B%22subEntityId%22%3A%22information%22%7D")
    demo = TabLinks(base_url="http://localhost:3978", demo=True).information(reader_id="sam", locale="fr")
    assert demo == "http://localhost:3978/tab?as=sam&lang=fr#/information"
    assert TabLinks().information() == ""


async def test_the_privacy_page_links_to_my_information_in_teams_when_it_can():
    parts = CollectionNotice().in_language("en")
    async def body(link: str) -> str:
        response = await privacy_page("privacy", parts, link)(None)
        return response.text

    assert '<a data-link="information" href="tab#/information">My information</a>' in await body("")
    deep = TabLinks(app_id="app-1", base_url="https://den.example").information()
    page = await body(deep)
    assert 'href="https://teams.microsoft.com/l/entity/app-1/den?webUrl=' in page and "tab#/information" not in page
    assert "&amp;context=" in page  # the link is written as HTML
