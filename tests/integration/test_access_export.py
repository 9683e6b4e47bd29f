"""An access request, on the SQLite store and on the SharePoint store (local Graph server): Kim has records
of every class the Den keeps about a person, and colleagues have records beside them. The export holds
everything the test made about Kim, and nothing of anyone else's beyond what Kim may see."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.adapters.sharepoint_den import SharePointDenStore
from bot.adapters.sqlite_store import SqliteStore
from bot.domain import stage as st
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.connect import ConnectRequest
from bot.domain.delegation import Delegation
from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.notice import CollectionNotice
from bot.domain.panel import Conflict, Panel, Scorecard
from bot.domain.pitch import Pitch
from bot.domain.stage import IdeaStage
from bot.domain.voting import Poll
from bot.ports import ConversationRecord, OutboxMessage
from bot.services.access import AccessService
from bot.services.audit import AuditService
from bot.web.personal_information import as_html, as_json
from tests.support.graph_fixtures import graph_client, provisioned_site
from tests.support.people import NOTICE, VALID_PITCH

T0 = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
KIM = Person("kim-id", "Kim Nguyen", Role.MANAGER, email="kim.nguyen@ministry.example")
LEE = Person("lee-id", "Lee Park")
MAYA = Person("maya-id", "Maya Singh", Role.MANAGER)
DIANE = Person("diane-id", "Diane Tremblay", Role.DIRECTOR)
SECRET = "Lee's own problem statement, which only Lee's route may read"


class People:
    async def get_person(self, who: str) -> Person | None:
        return next((p for p in (KIM, LEE, MAYA, DIANE) if who in (p.id, p.email)), None)


@pytest.fixture(params=["sqlite", "sharepoint"])
async def store(request, tmp_path, fake_graph):
    if request.param == "sqlite":
        made = SqliteStore(tmp_path / "den.sqlite3")
    else:
        made = SharePointDenStore(graph_client(fake_graph), await provisioned_site(fake_graph), page_size=50)
    await made.open()
    yield made
    await made.close()


def pitch(title: str, problem: str = VALID_PITCH["problem"]) -> Pitch:
    fields = {k: v for k, v in VALID_PITCH.items() if k in Pitch.__dataclass_fields__}
    return Pitch(**{**fields, "title": title, "problem": problem})


def note(message_id: str, to: Person, kind: str, idea_id: str) -> OutboxMessage:
    return OutboxMessage.due_now(message_id, recipient_id=to.id, kind=kind, idea_id=idea_id, now=T0)


def chain(*people: Person):
    from bot.domain.model import ApprovalStep

    return [ApprovalStep(p.id, p.name, p.role) for p in people]


async def kims_records(store) -> dict[str, str]:
    draft = ChallengeDraft("Tell us once", "How?", ("dana",), T0 - timedelta(days=1), T0 + timedelta(days=20))
    challenge = Challenge.open_new(challenge_id="c1", draft=draft, actor_id="olga", is_organiser=True, now=T0)
    await store.add_challenge(challenge)
    # Kim's idea: returned by Maya with a comment, revised, approved by Maya and Diane, then shortlisted.
    first = pitch("Kim's <b>first</b> idea")
    kims, _ = Idea.submit(idea_id="k1", reference="DEN-2026-0001", submitter=KIM, pitch=first, chain=chain(MAYA, DIANE),
                          now=T0)  # fmt: skip
    kims.challenge = "c1"
    await store.add(kims, [note("m1", KIM, "filed_receipt", "k1")])
    kims = await store.get("k1")
    kims.decide(actor_id=MAYA.id, step_index=0, revision=1, outcome=Outcome.RETURNED, comment="Cost it, please",
                now=T0 + timedelta(days=1))  # fmt: skip
    await store.update(kims)
    kims = await store.get("k1")
    kims.resubmit(actor_id=KIM.id, pitch=pitch("Kim's revised idea"), revision=1, now=T0 + timedelta(days=2))
    await store.update(kims)
    for step, who in enumerate((MAYA, DIANE)):
        kims = await store.get("k1")
        kims.decide(actor_id=who.id, step_index=step, revision=2, outcome=Outcome.APPROVED,
                    comment=f"Yes from {who.name}", now=T0 + timedelta(days=3 + step))  # fmt: skip
        await store.update(kims)
    challenge = await store.get_challenge("c1")
    stage = IdeaStage.enter_pool(idea_id="k1", challenge_id="c1", owner_id=KIM.id, at=T0 + timedelta(days=4),
                                 by=DIANE.id)  # fmt: skip
    st.shortlist(challenge, stage, actor_id="dana", now=T0 + timedelta(days=5))
    await store.write_stages(challenge, [stage])
    # Lee's idea, on which Kim decides (Kim sees its reference, title and Kim's own decision: nothing else).
    lees, _ = Idea.submit(idea_id="l1", reference="DEN-2026-0002", submitter=LEE, pitch=pitch("Lee's idea", SECRET),
                          chain=chain(KIM, DIANE), now=T0)  # fmt: skip
    await store.add(lees, [OutboxMessage.due_now("m2", recipient_id=KIM.id, kind="approval_request", idea_id="l1",
                                                 now=T0)])  # fmt: skip
    lees = await store.get("l1")
    lees.decide(actor_id=KIM.id, step_index=0, revision=1, outcome=Outcome.APPROVED, comment="Kim says go",
                now=T0 + timedelta(days=1))  # fmt: skip
    await store.update(lees, [note("m3", LEE, "decision_update", "l1")])
    # Pitch day: Kim and Diane judge Lee's idea (scores are taken only while the panel scores); Kim and Lee vote.
    await store.save_panel(Panel("c1", [KIM.id, DIANE.id], DIANE.id, "olga", T0))
    await store.save_scorecard(Scorecard("c1", "l1", KIM.id, Conflict.NONE, T0, {"impact": 4, "cost": 3},
                                         "Kim's judging note", T0, T0))  # fmt: skip
    await store.save_scorecard(Scorecard("c1", "l1", DIANE.id, Conflict.NONE, T0, {"impact": 1}, "Diane's private note",
                                         T0, T0))  # fmt: skip
    await store.save_poll(Poll("c1", ["l1", "k1"], "olga", T0))
    await store.cast_vote("c1", KIM.id, "l1", T0 + timedelta(hours=1))
    await store.cast_vote("c1", LEE.id, "k1", T0 + timedelta(hours=1))
    # Lessons learned: Kim's own, and Lee's (Kim never sees it).
    for idea_id, who, lesson in (("k1", KIM, "What Kim learned"), ("l1", LEE, "Lee's private lesson")):
        idea = await store.get(idea_id)
        idea.record_lesson(actor_id=who.id, text=lesson, shared=False, now=T0 + timedelta(days=40))
        await store.update(idea)
    # Requests to connect (the embedded store keeps them): Kim asked Lee, who accepted; Maya asked Kim
    # (no answer yet); Lee asked Diane (nothing of Kim's).
    if hasattr(store, "add_connect_request"):
        asked = ConnectRequest(ConnectRequest.id_for("l1", KIM.id), "l1", "DEN-2026-0002", "Lee's idea", LEE, KIM, T0)
        asked.answer(actor_id=LEE.id, accept=True, now=T0 + timedelta(days=1))
        await store.add_connect_request(asked)
        later = T0 + timedelta(hours=1)
        await store.add_connect_request(ConnectRequest(ConnectRequest.id_for("k1", MAYA.id), "k1", "DEN-2026-0001",
                                                       "Kim's revised idea", KIM, MAYA, later))  # fmt: skip
        await store.add_connect_request(ConnectRequest(ConnectRequest.id_for("x9", LEE.id), "x9", "DEN-2026-0009",
                                                       "Diane's idea", DIANE, LEE, T0))  # fmt: skip
    # Kim's own settings: an acting approver, French, the chat with the bot.
    await store.save_delegation(Delegation(KIM.id, KIM.name, DIANE.id, DIANE.name, T0, T0 + timedelta(days=400),
                                           T0, date(2027, 10, 6)))  # fmt: skip
    # An arrangement that ended: Kim acted for Maya last summer (kept until the schedule's period passes).
    summer = T0 - timedelta(days=60)
    await store.save_delegation(Delegation(MAYA.id, MAYA.name, KIM.id, KIM.name, summer, summer + timedelta(days=14),
                                           summer, date(2026, 7, 17)))  # fmt: skip
    await store.set_language(KIM.id, "fr", T0)
    await store.save_conversation(ConversationRecord(KIM.id, KIM.name, "a:kim-chat", "https://smba.trafficmanager.net/",
                                                     "t", "msteams", "b", "Den", "29:kim", "fr-CA", T0))  # fmt: skip
    return {"mine": "k1", "theirs": "l1"}


async def test_the_export_holds_everything_about_the_person_and_nothing_else(store):
    await kims_records(store)
    notice = CollectionNotice(**{k.removeprefix("notice_"): v for k, v in NOTICE.items()})
    access = AccessService(store, People(), clock=lambda: T0 + timedelta(days=30), notice=notice.both_languages)
    info = await access.information_about("kim.nguyen@ministry.example")  # by UPN
    assert info["person"] == {"id": KIM.id, "name": KIM.name, "email": KIM.email}

    [idea] = info["ideasPitched"]
    assert idea["reference"] == "DEN-2026-0001" and idea["title"] == "Kim's revised idea" and idea["revision"] == 2
    assert idea["earlierRevisions"][0]["pitch"]["title"] == "Kim's <b>first</b> idea"
    assert [(d["by"], d["outcome"], d["comment"]) for d in idea["decisions"]] == [
        ("Maya Singh", "returned", "Cost it, please"),
        ("Maya Singh", "approved", "Yes from Maya Singh"),
        ("Diane Tremblay", "approved", "Yes from Diane Tremblay"),
    ]
    assert [r["approver"] for r in idea["route"]] == ["Maya Singh", "Diane Tremblay"]
    assert idea["challenge"] == "Tell us once" and idea["stage"]["stage"] == "shortlisted"

    assert info["actionsOnOthersIdeas"] == [{
        "idea": "DEN-2026-0002", "title": "Lee's idea", "action": "decision:approved", "revision": 1,
        "comment": "Kim says go", "at": (T0 + timedelta(days=1)).isoformat(), "actingFor": "",
    }]  # fmt: skip
    [score] = info["scoresGiven"]
    assert score["finalist"] == "DEN-2026-0002" and score["scores"] == {"impact": 4, "cost": 3}
    assert score["comment"] == "Kim's judging note" and score["conflict"] == "none"
    assert [(v["challenge"], v["finalist"]) for v in info["votesCast"]] == [("Tell us once", "DEN-2026-0002")]
    assert [(m["kind"], m["idea"]) for m in info["messagesSent"]] == [("filed_receipt", "DEN-2026-0001"),
                                                                     ("approval_request", "DEN-2026-0002")]  # fmt: skip
    assert [(a["for"], a["by"], a["lastDay"]) for a in info["actingArrangements"]] == [
        ("Maya Singh", "Kim Nguyen", "2026-07-17"),  # ended: Kim acted for Maya
        ("Kim Nguyen", "Diane Tremblay", "2027-10-06"),  # in force: Diane acts for Kim
    ]
    assert info["preferences"] == {"language": "fr"}
    assert info["conversation"]["locale"] == "fr-CA"
    assert "Ministry of Public and Business Service Delivery Act" in info["notice"]["authority"]
    assert idea["lesson"] == {"text": "What Kim learned", "shared": False, "at": (T0 + timedelta(days=40)).isoformat()}
    if hasattr(store, "add_connect_request"):
        assert [(r["role"], r["idea"], r["answer"], r["with"]) for r in info["connectionRequests"]] == [
            ("asked", "DEN-2026-0002", "accepted", "Lee Park"),
            ("askedOfYou", "DEN-2026-0001", "pending", ""),  # Maya is not named until Kim accepts
        ]
    else:
        assert info["connectionRequests"] == []  # SharePoint keeps no requests to connect

    exported = as_json(info)
    assert json.loads(exported) == info
    for someone_elses in (SECRET, "Diane's private note", "m3", '"k1"', LEE.id, "Lee's private lesson", "Diane's idea"):
        assert someone_elses not in exported, someone_elses
    page = as_html(info)
    assert "Kim&#x27;s &lt;b&gt;first&lt;/b&gt; idea" in page and "<b>first</b>" not in page
    assert 'lang="fr"' in page and "Idées que vous avez proposées" in page and "Ideas you pitched" in page
    assert SECRET not in page and "Diane&#x27;s private note" not in page


async def test_someone_the_den_never_saw_gets_an_empty_export(store):
    await kims_records(store)
    info = await AccessService(store, People(), clock=lambda: T0).information_about("nobody@ministry.example")
    assert info["person"]["id"] == "nobody@ministry.example" and info["ideasPitched"] == []
    assert info["actionsOnOthersIdeas"] == info["scoresGiven"] == info["votesCast"] == info["messagesSent"] == []
    assert info["conversation"] is None and info["preferences"] == {"language": None}
    assert info["connectionRequests"] == []


async def test_the_audit_trail_reads_the_same_records_on_either_store(store):
    await kims_records(store)
    audit = AuditService(store, clock=lambda: T0 + timedelta(days=30))
    events = await audit.events(T0 - timedelta(days=1), T0 + timedelta(days=40))
    seen = {(e["event"], e["actor_id"], e["subject"]) for e in events}
    assert ("decision:returned", MAYA.id, "DEN-2026-0001") in seen
    assert ("decision:approved", KIM.id, "DEN-2026-0002") in seen
    assert ("stage_change", "dana", "DEN-2026-0001") in seen and ("declaration:none", KIM.id, "DEN-2026-0002") in seen
    assert ("voting_opened", "olga", "") in seen and ("acting_arrangement", KIM.id, "") in seen
    assert not any("Cost it" in str(e) or "judging note" in str(e) for e in events), "no text anyone typed"
    mine = await audit.events(T0 - timedelta(days=1), T0 + timedelta(days=40), challenge_ids=["c1"])
    assert {e["challenge"] for e in mine} == {"c1"} and ("decision:approved", KIM.id, "DEN-2026-0002") not in {
        (e["event"], e["actor_id"], e["subject"]) for e in mine
    }
    assert await audit.events(T0 + timedelta(days=100), T0 + timedelta(days=101)) == []
