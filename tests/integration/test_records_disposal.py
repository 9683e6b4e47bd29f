"""Disposal under the retention schedule, on the SQLite store and on the SharePoint store (real
msgraph-sdk against the local Graph server), each as two store objects on the same records.

A Den from 2018 (a closed challenge with two ideas, one shortlisted, a People's Choice vote) beside
one idea still in review and one approved last month: what is due, a refusal without authorization,
an authorization recorded, a dry run, the disposal and its record, the closed challenge's funnel
unchanged, decisions following their ideas, and votes reduced to their counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.retention_file import load_retention_file
from bot.adapters.sqlite_store import SqliteStore
from bot.domain import stage as st
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.delegation import Delegation
from bot.domain.model import Outcome
from bot.domain.retention import RecordClass
from bot.domain.stage import IdeaStage
from bot.domain.voting import Poll
from bot.ports import ConversationRecord, OutboxMessage, SentCard
from bot.ports.records import EntryKind
from bot.services.challenge import ChallengeService
from bot.services.records import DisposalRefused, RecordsService
from bot.settings import ROOT
from tests.integration.test_store_contract import new_idea

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
OLD = datetime(2018, 9, 3, 14, 0, tzinfo=UTC)
CLOSES = datetime(2018, 10, 1, 4, 0, tzinfo=UTC)
VOTING_CLOSED = datetime(2018, 10, 20, 20, 0, tzinfo=UTC)
SCHEDULE = load_retention_file(ROOT / "data" / "retention.yml")


# The Den and pitch-day contracts' two store instances (tests/integration/conftest.py), on the stores that
# keep the records register: SQLite and SharePoint.
pytestmark = pytest.mark.parametrize("stores", ["sqlite", "sharepoint"], indirect=True)


def service(store) -> RecordsService:
    challenges = ChallengeService(store, None, None, clock=lambda: NOW, tz=ZoneInfo("America/Toronto"))
    return RecordsService(store, SCHEDULE, clock=lambda: NOW, report=challenges.report)


async def decided(store, n: int, outcomes: list[Outcome], at: datetime, challenge: str = ""):
    idea, _ = new_idea(n, created=at)
    idea.challenge = challenge
    await store.add(idea)
    for step, outcome in enumerate(outcomes):
        idea = await store.get(idea.id)
        when = at + timedelta(days=step + 1)
        approver = idea.chain[step].approver_id
        idea.decide(actor_id=approver, step_index=step, revision=1, outcome=outcome, comment="why", now=when)
        await store.update(idea)
    return idea


async def a_den_from_2018(store) -> dict[str, str]:
    draft = ChallengeDraft("Tell us once", "How?", ("dana",), OLD - timedelta(days=2), CLOSES)
    challenge = Challenge.open_new(challenge_id="c1", draft=draft, actor_id="olga", is_organiser=True, now=OLD)
    challenge.peoples_choice = True
    await store.add_challenge(challenge)
    kept = await decided(store, 1, [Outcome.APPROVED, Outcome.APPROVED], OLD, "c1")
    turned_down = await decided(store, 2, [Outcome.REJECTED], OLD, "c1")
    waiting = await decided(store, 3, [], OLD)
    recent = await decided(store, 4, [Outcome.APPROVED, Outcome.APPROVED], NOW - timedelta(days=30))
    challenge = await store.get_challenge("c1")
    stage = IdeaStage.enter_pool(idea_id=kept.id, challenge_id="c1", owner_id="sam", at=OLD, by="diane")
    st.shortlist(challenge, stage, actor_id="dana", now=OLD + timedelta(days=20))
    await store.write_stages(challenge, [stage])
    poll = Poll("c1", [kept.id], "olga", CLOSES + timedelta(days=10))
    poll.refresh_ids = ["29:v1", "29:v2"]
    await store.save_poll(poll)
    for voter in ("v1", "v2", "v3"):
        await store.cast_vote("c1", voter, kept.id, CLOSES + timedelta(days=11))
    poll = await store.get_poll("c1")
    poll.close(actor_id="olga", is_organiser=True, counts=await store.count_votes("c1"), now=VOTING_CLOSED)
    await store.save_poll(poll)
    return {"kept": kept.id, "turned_down": turned_down.id, "waiting": waiting.id, "recent": recent.id}


def by_class(summaries) -> dict[RecordClass, int]:
    return {s.record_class: s.count for s in summaries}


async def test_nothing_is_destroyed_without_an_authorization_and_a_dry_run_changes_nothing(stores):
    mine, other = stores
    ids = await a_den_from_2018(mine)
    records = service(mine)
    due = by_class(await records.due())
    assert due[RecordClass.IDEAS] == 2  # the challenge's two; not the one in review, nor last month's
    assert due[RecordClass.DECISIONS] == 3 and due[RecordClass.VOTES] == 3 and due[RecordClass.STAGE_HISTORY] == 1
    assert due[RecordClass.LESSONS] == 0
    with pytest.raises(DisposalRefused, match="without an authorization"):
        await records.dispose("", by="Pat Admin")
    with pytest.raises(DisposalRefused, match="without an authorization"):
        await records.dispose("authorization:forged", by="Pat Admin")
    with pytest.raises(DisposalRefused, match="DEN-01"):
        await records.authorize(RecordClass.IDEAS, by="Deputy Head", item="DEN-99")
    authorization = await records.authorize(RecordClass.IDEAS, by="Deputy Head (delegated)", item="DEN-01")
    assert authorization.body["count"] == 2 and authorization.by == "Deputy Head (delegated)"
    plan = await records.dispose(authorization.key, by="Pat Admin", dry_run=True)
    assert plan.dry_run and sorted(r.key for r in plan.records) == sorted([ids["kept"], ids["turned_down"]])
    for idea_id in ids.values():
        assert await other.get(idea_id) is not None
    assert await other.register_entries(EntryKind.DISPOSAL) == []
    assert by_class(await service(other).due())[RecordClass.IDEAS] == 2


async def test_an_authorized_disposal_destroys_what_is_due_and_keeps_its_record_and_the_funnel(stores):
    mine, other = stores
    ids = await a_den_from_2018(mine)
    records = service(mine)
    before = await ChallengeService(mine, None, None, clock=lambda: NOW, tz=ZoneInfo("UTC")).report("c1")
    assert before.funnel["pitched"] == 2 and before.funnel["shortlisted"] == 1
    authorization = await records.authorize(RecordClass.IDEAS, by="Deputy Head", item="DEN-01", note="file 2026-14")
    plan = await records.dispose(authorization.key, by="Pat Admin")
    assert plan.destroyed == 2 and not plan.dry_run
    assert await other.get(ids["kept"]) is None and await other.get(ids["turned_down"]) is None
    assert await other.get(ids["waiting"]) is not None and await other.get(ids["recent"]) is not None
    if isinstance(other, SqliteStore):  # the tab's search index forgets them too (their words with them)
        indexed = await other._fetchall("SELECT idea_id FROM tab_ideas")
        assert {r[0] for r in indexed} == {ids["waiting"], ids["recent"]}
        assert (await other._fetchall("SELECT count(*) FROM tab_fts"))[0][0] == 2
    [disposal] = await other.register_entries(EntryKind.DISPOSAL)
    assert disposal.record_class == "ideas" and disposal.by == "Pat Admin" and disposal.at == plan.entry.at
    assert disposal.body["count"] == 2 and disposal.body["authorization"] == authorization.key
    assert disposal.body["authorizedBy"] == "Deputy Head" and disposal.body["item"] == "DEN-01"
    assert disposal.body["oldest"].startswith("2018-10-01") and disposal.body["newest"].startswith("2018-10-01")
    after = await ChallengeService(other, None, None, clock=lambda: NOW, tz=ZoneInfo("UTC")).report("c1")
    assert after.funnel == before.funnel and after.by_branch == before.by_branch
    assert after.rows() == []  # the per-idea rows were the ideas: gone
    with pytest.raises(DisposalRefused, match="was used"):
        await records.dispose(authorization.key, by="Pat Admin")
    assert by_class(await records.due())[RecordClass.IDEAS] == 0

    # Decisions are kept as their ideas are: those of the destroyed ideas are now due, and only those.
    assert by_class(await records.due())[RecordClass.DECISIONS] == 3
    decisions = await records.authorize(RecordClass.DECISIONS, by="Deputy Head", item="DEN-01")
    assert (await records.dispose(decisions.key, by="Pat Admin")).destroyed == 3
    left = await other.stored_records(RecordClass.DECISIONS)
    assert {r.idea_id for r in left} == {ids["recent"]}
    # The register outlives what it describes: both disposals are there, on either instance.
    assert sorted(d.record_class for d in await other.register_entries(EntryKind.DISPOSAL)) == ["decisions", "ideas"]


async def test_after_the_period_no_link_between_voter_and_choice_remains_and_the_counts_stand(stores):
    mine, other = stores
    ids = await a_den_from_2018(mine)
    records = service(mine)
    assert (await other.get_vote("c1", "v1")).finalist_id == ids["kept"]
    authorization = await records.authorize(RecordClass.VOTES, by="Deputy Head", item="DEN-04")
    assert (await records.dispose(authorization.key, by="Pat Admin")).destroyed == 3
    for voter in ("v1", "v2", "v3"):
        assert await other.get_vote("c1", voter) is None
    assert await other.count_votes("c1") == {} and await other.stored_records(RecordClass.VOTES) == []
    poll = await other.get_poll("c1")
    assert poll.counts == {ids["kept"]: 3} and poll.winners() == [ids["kept"]]
    assert poll.refresh_ids == []  # the first voters the card refreshed for: gone with the votes
    [disposal] = await other.register_entries(EntryKind.DISPOSAL)
    assert disposal.body["kept"] == "the counts" and disposal.body["oldest"].startswith("2018-10-20")


async def test_votes_are_not_due_while_voting_is_open_or_before_the_period(stores):
    mine, _ = stores
    draft = ChallengeDraft("Now", "How?", ("dana",), NOW - timedelta(days=40), NOW - timedelta(days=20))
    challenge = Challenge.open_new(challenge_id="c2", draft=draft, actor_id="olga", is_organiser=True, now=NOW)
    await mine.add_challenge(challenge)
    await mine.save_poll(Poll("c2", ["f1"], "olga", NOW - timedelta(days=10)))
    await mine.cast_vote("c2", "v1", "f1", NOW - timedelta(days=9))
    assert by_class(await service(mine).due())[RecordClass.VOTES] == 0  # voting still open
    poll = await mine.get_poll("c2")
    poll.close(actor_id="olga", is_organiser=True, counts={"f1": 1}, now=NOW - timedelta(days=89))
    await mine.save_poll(poll)
    assert by_class(await service(mine).due())[RecordClass.VOTES] == 0  # 89 days: not yet
    later = RecordsService(mine, SCHEDULE, clock=lambda: NOW + timedelta(days=2))
    assert by_class(await later.due())[RecordClass.VOTES] == 1


async def test_transitory_records_go_daily_only_under_a_standing_authorization(stores):
    """Delivered notifications, old digest claims and remembered cards (what kept SharePoint's lists
    small, removed before without any schedule) are destroyed as they fall due, under a standing
    authorization, each round recorded; pending messages and recent rows stay."""
    mine, other = stores
    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=2)
    messages = [OutboxMessage(f"m:{n}", "maya", "reminder", "i", at, at, {})
                for n, at in enumerate([old, old, old, recent])]  # fmt: skip
    await mine.enqueue(messages)
    for message in (messages[0], messages[3]):
        await mine.complete(message.id)
    await mine.give_up(messages[1].id, "gone")
    assert await mine.claim_digest("dana", "2025-W30", NOW, 600)
    await mine.record_digest("dana", "2025-W30", "sent", "", NOW)
    assert await mine.claim_digest("dana", "2026-W45", NOW, 600)
    await mine.remember_card(SentCard("m:0", "i", "maya", "1:a", old))
    await mine.remember_card(SentCard("m:3", "i", "maya", "1:b", recent))
    records = service(mine)
    assert await records.routine() == [], "nothing goes without a standing authorization"
    assert await other.existing_outbox_ids([m.id for m in messages]) == {"m:0", "m:1", "m:2", "m:3"}
    with pytest.raises(DisposalRefused, match="only transitory records"):
        await records.authorize(RecordClass.IDEAS, by="Deputy Head", item="DEN-01", standing=True)
    standing = {c: await records.authorize(c, by="Deputy Head", item="DEN-07", standing=True)
                for c in (RecordClass.NOTIFICATIONS, RecordClass.DIGESTS, RecordClass.DELIVERY_LOGS)}  # fmt: skip
    done = {p.summary.record_class: p.destroyed for p in await records.routine()}
    assert done == {RecordClass.NOTIFICATIONS: 2, RecordClass.DIGESTS: 1, RecordClass.DELIVERY_LOGS: 1}
    assert await other.existing_outbox_ids([m.id for m in messages]) == {"m:2", "m:3"}, "pending and recent stay"
    assert {r.key for r in await other.stored_records(RecordClass.DIGESTS)} == {"dana|2026-W45"}
    assert [c.message_id for c in await other.cards_sent("i", "maya")] == ["m:3"]
    assert await records.routine() == [], "a second round finds nothing more"
    disposals = await other.register_entries(EntryKind.DISPOSAL)
    assert len(disposals) == 3 and all(d.body["standing"] and d.by.startswith("Deputy's Den") for d in disposals)
    await records.revoke(standing[RecordClass.NOTIFICATIONS].key, by="Deputy Head")
    await mine.complete("m:3")
    later = RecordsService(mine, SCHEDULE, clock=lambda: NOW + timedelta(days=60))
    assert {p.summary.record_class for p in await later.routine()} == {RecordClass.DELIVERY_LOGS}
    assert await other.existing_outbox_ids(["m:3"]) == {"m:3"}, "revoked: nothing more goes under it"


async def test_a_lesson_goes_under_its_own_item_and_its_idea_stays(stores):
    """A lesson lives in its idea's record: disposing of it takes the words out of the idea (and out of
    the tab's search index) on either store, and leaves the idea, kept under its own item, as it was."""
    mine, other = stores
    ids = await a_den_from_2018(mine)
    turned_down = await mine.get(ids["turned_down"])
    turned_down.record_lesson(actor_id="sam", text="Ask the branch first: budgets close in October", shared=True,
                              now=CLOSES + timedelta(days=3))  # fmt: skip
    await mine.update(turned_down)
    recent = await mine.get(ids["recent"])
    recent.record_lesson(actor_id="sam", text="Written last month", shared=False, now=NOW - timedelta(days=30))
    await mine.update(recent)
    records = service(mine)
    due = await records.due_records(RecordClass.LESSONS, NOW)
    assert [r.key for r in due] == [ids["turned_down"]]  # 7 years after it was written; last month's is not due
    authorization = await records.authorize(RecordClass.LESSONS, by="Deputy Head", item="DEN-05")
    plan = await records.dispose(authorization.key, by="Pat Admin")
    assert plan.destroyed == 1
    kept = await other.get(ids["turned_down"])
    assert kept is not None and kept.lesson is None and kept.pitch == turned_down.pitch
    assert (await other.get(ids["recent"])).lesson.text == "Written last month"
    assert [r.key for r in await other.stored_records(RecordClass.LESSONS)] == [ids["recent"]]
    if isinstance(other, SqliteStore):  # the tab no longer finds the lesson's words
        found = await other._fetchall("SELECT rowid FROM tab_fts WHERE tab_fts MATCH 'budgets'")
        assert found == []
    [disposal] = await other.register_entries(EntryKind.DISPOSAL)
    assert disposal.record_class == "lessons" and disposal.body["item"] == "DEN-05" and disposal.body["count"] == 1


async def test_contacts_language_choices_and_acting_arrangements_go_under_their_own_items(stores):
    """A person's chat reference and language choice count from their last contact with the Den (the
    latest of the chat recorded, the choice made and a message sent to them); a message still to send
    keeps both. An acting arrangement counts from its end; one in force, or made since, stays."""
    mine, other = stores
    gone, back, waiting = NOW - timedelta(days=800), NOW - timedelta(days=30), NOW - timedelta(days=900)
    for person, at in (("left", gone), ("returns", gone), ("waits", waiting)):
        chat = ConversationRecord(person, "", f"a:{person}", "https://smba.trafficmanager.net/", "t", "msteams",
                                  "b", "Den", f"29:{person}", "fr-CA", at)  # fmt: skip
        await mine.save_conversation(chat)
        await mine.set_language(person, "fr", at)
    await mine.set_language("chose-lately", "en", back)
    tomorrow = NOW + timedelta(days=1)
    await mine.enqueue([OutboxMessage("m:returns", "returns", "reminder", "i", back, back, {}),
                        OutboxMessage("m:waits", "waits", "reminder", "i", waiting, tomorrow, {})])  # fmt: skip
    ended = Delegation("maya", "Maya Singh", "olivia", "Olivia Grant", OLD, OLD + timedelta(days=14), OLD,
                       (OLD + timedelta(days=13)).date())  # fmt: skip
    in_force = Delegation("diane", "Diane Tremblay", "amir", "Amir Haddad", waiting, NOW + timedelta(days=5),
                          waiting, (NOW + timedelta(days=4)).date())  # fmt: skip
    await mine.save_delegation(ended)
    await mine.save_delegation(in_force)
    records = service(mine)
    due = {c: sorted(r.key.split("|")[0] for r in await records.due_records(c, NOW))
           for c in (RecordClass.CONTACTS, RecordClass.PREFERENCES, RecordClass.ACTING_ARRANGEMENTS)}  # fmt: skip
    # "returns" was sent a message last month; "waits" has one still to send; "chose-lately" chose last month
    assert due == {RecordClass.CONTACTS: ["left"], RecordClass.PREFERENCES: ["left"],
                   RecordClass.ACTING_ARRANGEMENTS: ["maya"]}  # fmt: skip
    with pytest.raises(DisposalRefused, match="DEN-08"):
        await records.authorize(RecordClass.ACTING_ARRANGEMENTS, by="Deputy Head", item="DEN-08")
    for record_class, item in ((RecordClass.CONTACTS, "DEN-08"), (RecordClass.PREFERENCES, "DEN-08"),
                               (RecordClass.ACTING_ARRANGEMENTS, "DEN-09")):  # fmt: skip
        authorization = await records.authorize(record_class, by="Deputy Head", item=item)
        assert (await records.dispose(authorization.key, by="Pat Admin", dry_run=True)).destroyed == 0
        assert (await records.dispose(authorization.key, by="Pat Admin")).destroyed == 1
    assert await other.get_conversation("left") is None and await other.get_language("left") is None
    assert (await other.get_conversation("returns")).conversation_id == "a:returns"
    assert await other.get_language("waits") == "fr" and await other.get_conversation("waits") is not None
    assert await other.get_language("chose-lately") == "en"
    assert await other.get_delegation("maya") is None and await other.get_delegation("diane") == in_force
    assert sorted(d.record_class for d in await other.register_entries(EntryKind.DISPOSAL)) == [
        "acting_arrangements", "contacts", "preferences"]
    assert by_class(await records.due())[RecordClass.ACTING_ARRANGEMENTS] == 0
