"""Who may find an idea, for each kind of person, by every road the tab offers: browsing, searching,
the filters' choices, and a direct link. The domain's rule (bot/domain/visibility.py) decides; the
embedded store's index answers the same in SQL, and the two must agree on every person and idea."""

from __future__ import annotations

import pytest

from bot.adapters.sqlite_store import SqliteStore
from bot.domain.visibility import Viewer, may_see
from bot.ports.tab import TabQuery
from bot.tab.service import TabService
from tests.support.people import MAYA, PRIYA, SAM
from tests.support.tab_ideas import PRIYA_PERSON, a_pitch, an_idea

OLGA = "c9e8f1a2-d3e5-46f7-8c13-8e9f0a1b2c09"
DANA = "f6a5b8d7-a0b2-43c4-9fe0-5b6c7d8e9f06"
CHALLENGE = "den-2026"

IDEAS = {
    "in review": an_idea(1, a_pitch("Permit renewals in review"), challenge=CHALLENGE),
    "shared, approved": an_idea(2, a_pitch("Permit renewals shared"), approved=True, shared=True),
    "approved, not shared": an_idea(3, a_pitch("Permit renewals kept"), approved=True),
    "shared, still in review": an_idea(4, a_pitch("Permit renewals waiting"), shared=True),
    "another branch's, shared": an_idea(5, a_pitch("Permit renewals elsewhere"), submitter=PRIYA_PERSON,
                                        approved=True, shared=True, challenge=CHALLENGE),
}
PEOPLE = {
    "submitter": Viewer(SAM.aad_id),
    "approver": Viewer(MAYA.aad_id),
    "another branch": Viewer(PRIYA.aad_id),
    "another ministry": Viewer("7d1e0c55-0f6b-4b5e-9a51-3c2d1e0f9a88"),
    "organiser": Viewer(OLGA, organiser=True),
    "sponsor": Viewer(DANA, sponsor_of=frozenset({CHALLENGE})),
    "guest": Viewer("demo-guest", member=False),
}
# What each kind of person may find (by reference number), as a ministry would expect.
EXPECTED = {
    "submitter": {1, 2, 3, 4, 5},  # all of Sam's own, and Priya's shared one
    "approver": {1, 2, 3, 4, 5},  # Maya is on the route of all Sam's ideas
    "another branch": {2, 5},
    "another ministry": {2, 5},
    "organiser": {1, 2, 5},
    "sponsor": {1, 2, 5},
    "guest": set(),
}


def numbers(ids) -> set[int]:
    return {int(i[-4:]) for i in ids}


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "den.sqlite3")
    await store.open()
    for idea in IDEAS.values():
        await store.add(idea)
    yield store
    await store.close()


class _Resolver:
    async def of(self, user_id, *, member=True):
        raise AssertionError("the tests pass viewers directly")


def service(store) -> TabService:
    async def names():
        return {CHALLENGE: "Tell us once"}

    async def standings(ideas):
        return {}

    return TabService(store, store, _Resolver(), challenge_names=names, standings=standings)


@pytest.mark.parametrize("kind", PEOPLE)
def test_the_rule_for_each_kind_of_person(kind):
    seen = {idea.id for idea in IDEAS.values() if may_see(idea, PEOPLE[kind])}
    assert numbers(seen) == EXPECTED[kind]


@pytest.mark.parametrize("kind", PEOPLE)
async def test_browsing_searching_filters_and_links_agree_with_the_rule(store, kind):
    viewer, tab = PEOPLE[kind], service(store)
    allowed = EXPECTED[kind]
    browsed = (await tab.browse(viewer, TabQuery())).page
    assert numbers(h.idea_id for h in browsed.hits) == allowed
    assert browsed.total == len(allowed)  # counts never give away what is hidden
    searched = (await tab.browse(viewer, TabQuery(text="renewal"))).page  # every idea's title has the word
    assert numbers(h.idea_id for h in searched.hits) == allowed
    assert searched.total == len(allowed)
    facets = (await tab.browse(viewer, TabQuery())).facets
    challenge_ideas = {n for n, idea in enumerate(IDEAS.values(), 1) if idea.challenge}
    assert bool(facets.challenges) == bool(allowed & challenge_ideas)  # offered only with an idea to find
    for number, idea in enumerate(IDEAS.values(), 1):
        opened = await tab.idea(viewer, idea.id)
        assert (opened is not None) == (number in allowed), (kind, number)


async def test_similar_ideas_come_only_from_ideas_every_member_may_see(store):
    found = await store.similar_ideas("We want permit renewals online", limit=10)
    assert numbers(h.idea_id for h in found) == {2, 5}


async def test_consent_withdrawn_hides_the_idea_again(store):
    idea = await store.get(IDEAS["shared, approved"].id)
    idea.shared = False
    await store.update(idea)
    stranger = PEOPLE["another ministry"]
    assert numbers(h.idea_id for h in (await service(store).browse(stranger, TabQuery())).page.hits) == {5}
    assert await service(store).idea(stranger, idea.id) is None


def test_idea_visible_to_is_the_rules_need_to_know_part():
    for idea in IDEAS.values():
        for viewer in PEOPLE.values():
            if idea.visible_to(viewer.id):
                assert may_see(idea, viewer)


async def test_a_lesson_shared_with_consent_opens_its_idea_to_members_only(store):
    from datetime import UTC, datetime

    idea = an_idea(6, a_pitch("Permit renewals that did not go"), rejected=True)
    await store.add(idea)
    stranger, guest = PEOPLE["another ministry"], PEOPLE["guest"]
    assert not may_see(idea, stranger)
    idea = await store.get(idea.id)
    idea.record_lesson(actor_id=SAM.aad_id, text="Start with one office.", shared=True,
                       now=datetime(2026, 4, 1, tzinfo=UTC))
    await store.update(idea)
    assert may_see(idea, stranger) and not may_see(idea, guest)
    lessons = (await service(store).browse(stranger, TabQuery(lessons=True))).page
    assert numbers(h.idea_id for h in lessons.hits) == {6}
    assert (await service(store).browse(guest, TabQuery(lessons=True))).page.total == 0
