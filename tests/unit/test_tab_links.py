"""The cards' View buttons open the idea in the Den tab: a Teams deep link to the personal tab as
Microsoft documents it (appId, the tab's entityId, a URL-encoded JSON context with the idea as
subEntityId, the page as webUrl), or the tab's own page on a local trial; in both languages; and a
card stays under Teams' size limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.domain.connect import ConnectRequest, ConnectState
from bot.i18n import Messages
from bot.ports.tab import TabHit
from cards import approval_card, verbs
from cards.challenge import announcement_card
from cards.connect import answered_for_asker, answered_for_owner, asked_card, similar_section
from cards.digest import digest_card
from cards.size_guard import TEAMS_MESSAGE_LIMIT_BYTES, card_bytes
from cards.status import idea_status_card
from cards.tab_links import TabLinks, with_tab_links
from tests.support.tab_ideas import PRIYA_PERSON, SAM_PERSON, a_pitch, an_idea

APP_ID = "5f3a2e1c-8d4b-4c6a-9e7f-0a1b2c3d4e5f"
IDEA_ID = "00000000-0000-4000-8000-000000000042"


def open_urls(node) -> list[dict]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "Action.OpenUrl" else []
        return found + [a for value in node.values() for a in open_urls(value)]
    if isinstance(node, list):
        return [a for item in node for a in open_urls(item)]
    return []


def views(node) -> list[dict]:
    if isinstance(node, dict):
        found = [node] if node.get("verb") == verbs.VIEW_IDEA else []
        return found + [a for value in node.values() for a in views(value)]
    if isinstance(node, list):
        return [a for item in node for a in views(item)]
    return []


def test_the_deep_link_names_the_app_the_personal_tab_and_the_idea_as_microsoft_documents():
    link = TabLinks(app_id=APP_ID, base_url="https://den.example.ca").deep_link(IDEA_ID)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "teams.microsoft.com", f"/l/entity/{APP_ID}/den")
    query = parse_qs(parts.query)
    assert json.loads(query["context"][0]) == {"subEntityId": f"idea:{IDEA_ID}"}
    assert query["webUrl"] == [f"https://den.example.ca/tab#/idea/{IDEA_ID}"]
    assert "%7B%22subEntityId%22" in link, "the context is URL-encoded JSON, not raw braces"


def test_without_an_app_id_a_local_trial_opens_the_tab_page_signed_in_as_the_reader_in_their_language():
    local = TabLinks(base_url="http://localhost:3831", demo=True)
    link = local.for_reader("maya-id", "fr")(IDEA_ID)
    assert link == f"http://localhost:3831/tab?as=maya-id&lang=fr#/idea/{IDEA_ID}"
    # With sign-in on and no app id, there is nowhere to send a reader: the buttons stay as they are.
    assert TabLinks(base_url="https://den.example.ca", demo=False).for_reader("maya-id") is None
    # With an app id, everyone gets the same deep link (Teams signs them in, in their own language).
    assert TabLinks(app_id=APP_ID, demo=True).for_reader("maya-id", "fr")(IDEA_ID).startswith("https://teams")


@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
def test_every_card_that_shows_an_idea_opens_it_in_the_tab(locale):
    m = Messages(locale)
    idea = an_idea(7, a_pitch("Licence renewals", "Renewals take weeks."), approved=True, shared=True)
    in_review = an_idea(8, a_pitch("Plain-language letters", "Letters confuse clients."), submitter=PRIYA_PERSON)
    hit = TabHit(idea.id, idea.reference, idea.pitch.title, "", "approved", "pool", "client_services",
                 "Client Services Branch", "", idea.created_at, SAM_PERSON.id, True)
    request = ConnectRequest.ask(idea, PRIYA_PERSON, _viewer(), datetime(2026, 12, 7, tzinfo=UTC))
    answered = ConnectRequest(**{**request.__dict__, "state": ConnectState.ACCEPTED})
    cards = {
        "approval": approval_card(m, in_review, viewer_id="maya"),
        "status": idea_status_card(m, in_review),
        "similar ideas": {"type": "AdaptiveCard", "body": similar_section(m, [hit])},
        "asked": asked_card(m, request),
        "accepted (owner)": answered_for_owner(m, answered),
        "accepted (asker)": answered_for_asker(m, answered),
        "channel announcement": announcement_card(m, _challenge(), [(idea, _stage(idea))], winners=True),
    }
    link = TabLinks(app_id=APP_ID).deep_link
    for name, made in cards.items():
        shown = views(made)
        assert shown, f"{name}: a View button"
        linked = with_tab_links(made, link)
        assert not views(linked), f"{name}: every View button became a link"
        urls = [a for a in open_urls(linked) if a["url"].startswith("https://teams.microsoft.com/l/entity/")]
        assert [a["title"] for a in urls] == [v["title"] for v in shown], f"{name}: same titles, same language"
        assert card_bytes(linked) < TEAMS_MESSAGE_LIMIT_BYTES


def test_the_digest_opens_each_idea_in_the_tab():
    from tests.unit.test_digest_content import digest_for_dana  # the digest's own test data

    m = Messages("fr-CA")
    made = digest_card(m, digest_for_dana())
    linked = with_tab_links(made, TabLinks(app_id=APP_ID).deep_link)
    assert views(made) and not views(linked)
    assert all("Consulter" in a["title"] for a in open_urls(linked) if "/l/entity/" in a["url"])


def test_a_channel_post_without_a_link_drops_the_view_buttons_rather_than_post_details_in_the_channel():
    m = Messages("en-CA")
    idea = an_idea(7, a_pitch("Licence renewals", "Renewals take weeks."), approved=True, shared=True)
    made = announcement_card(m, _challenge(), [(idea, _stage(idea))], winners=True)
    kept = with_tab_links(made, None, keep_without=False)
    assert not views(kept) and not open_urls(kept)
    assert "ActionSet" not in json.dumps(kept), "no empty button row left behind"
    assert with_tab_links(made, None) is made, "in a 1:1 chat the View button stays (the details card)"


def test_an_idea_not_shared_gets_no_view_button_in_a_channel():
    m = Messages("en-CA")
    kept_private = an_idea(9, a_pitch("Quiet idea", "Nobody else sees it."), approved=True, shared=False)
    made = announcement_card(m, _challenge(), [(kept_private, _stage(kept_private))], winners=True)
    assert not views(made)


def _viewer():
    from bot.domain.visibility import Viewer

    return Viewer(PRIYA_PERSON.id)


def _challenge():
    from tests.unit.test_challenge_cards import scenario

    return scenario()[0]


def _stage(idea):
    from bot.domain.stage import IdeaStage, Stage

    return IdeaStage(idea_id=idea.id, challenge_id="c1", owner_id=idea.submitter.id, stage=Stage.WINNER)


def test_in_production_the_web_fallback_is_the_public_address_or_none_at_all():
    from bot.settings import Settings
    from bot.tab.wiring import tab_links_for

    signed = dict(app_id="bot-app-id", app_password="secret", teams_app_id=APP_ID)
    without = tab_links_for(Settings(**signed), "http://0.0.0.0:3978").deep_link(IDEA_ID)
    assert "webUrl" not in without and "0.0.0.0" not in without
    public = tab_links_for(Settings(**signed, public_url="https://den.example.ca"), "").deep_link(IDEA_ID)
    assert "webUrl=https%3A%2F%2Fden.example.ca%2Ftab%23%2Fidea%2F" in public
