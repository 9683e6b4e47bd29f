"""SharePoint lists past the list view threshold, for the store contracts.

The local Graph server's threshold is set low and every list that grows with use (ideas,
decisions, the outbox, stages and their history, votes, scorecards, sent cards, digest claims,
conversations, preferences, delegations) is filled past it with other people's old records, written
straight into the server (as a year of use would have left them), so every query the store makes
runs as it would on a list of 50,000 items: refused unless an indexed clause narrows it.
The records are a past challenge's and long-gone people's, so no contract's own figures change.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.adapters.den_serialization import stage_to_dict
from bot.adapters.serialization import idea_to_dict
from bot.adapters.sharepoint_schema import LISTS_BY_KEY
from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.pitch import Pitch
from bot.domain.stage import IdeaStage
from bot.ports import ConversationRecord
from tests.support.chains import build_chain
from tests.support.fake_graph import FakeGraph, Item
from tests.support.people import VALID_PITCH

THRESHOLD = 50
PAST = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # a year before the contracts' records
FILLER_CHALLENGE = "past-challenge"
GROWING = ("ideas", "decisions", "outbox", "stages", "stage_history", "votes", "scorecards", "sent_cards",
           "digests", "conversations", "preferences", "delegations", "progress")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _past_idea(n: int) -> tuple[Idea, dict[str, Any]]:
    at = PAST + timedelta(hours=n)
    submitter = Person(f"former-{n}", f"Former Staff {n}")
    manager = Person(f"former-manager-{n}", "Former Manager", Role.MANAGER)
    idea, _ = Idea.submit(
        idea_id=str(uuid.uuid4()), reference=f"DEN-2025-{n:04d}", submitter=submitter,
        pitch=Pitch(**{**VALID_PITCH, "title": f"Past idea {n}"}), chain=build_chain(submitter, [manager]),
        now=at, line_ids=[],
    )
    idea.decide(actor_id=manager.id, step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=at)
    idea.challenge = FILLER_CHALLENGE
    values = {
        "IdeaId": idea.id, "Reference": idea.reference, "IdeaTitle": idea.pitch.title, "SubmitterId": submitter.id,
        "HolderId": idea.holder_id, "ChallengeId": FILLER_CHALLENGE, "Status": idea.status.value,
        "CreatedAt": _iso(at), "UpdatedAt": _iso(at), "Body": json.dumps(idea_to_dict(idea)),
    }
    return idea, values


def _rows(key: str, n: int, idea: Idea) -> dict[str, Any]:
    at = _iso(PAST + timedelta(hours=n))
    person = f"former-{n}"
    if key == "ideas":
        return _past_idea(n)[1]
    if key == "decisions":
        return {"DecisionKey": f"{idea.id}:1:0", "IdeaId": idea.id, "ApproverId": "former-manager",
                "Outcome": "approved", "DecidedAt": at, "Revision": 1, "StepIndex": 0}
    if key == "outbox":
        return {"MessageId": f"past:{idea.id}", "RecipientId": person, "Kind": "decision", "IdeaId": idea.id,
                "Payload": "{}", "State": "sent", "NotBefore": at, "Attempts": 1, "CreatedAt": at}
    if key == "stages":
        stage = IdeaStage.enter_pool(idea_id=idea.id, challenge_id=FILLER_CHALLENGE, owner_id=person,
                                     at=PAST + timedelta(hours=n), by="former-manager")
        return {"IdeaId": idea.id, "ChallengeId": FILLER_CHALLENGE, "OwnerId": person, "Stage": "not_selected",
                "Body": json.dumps(stage_to_dict(stage))}
    if key == "stage_history":
        return {"ChangeKey": f"{idea.id}:1", "IdeaId": idea.id, "ChallengeId": FILLER_CHALLENGE,
                "ToStage": "pool", "ChangedAt": at, "ChangedBy": "former-manager"}
    if key == "votes":
        return {"VoteKey": f"{FILLER_CHALLENGE}:{uuid.uuid4()}", "ChallengeId": FILLER_CHALLENGE,
                "VoterId": str(uuid.uuid4()), "FinalistId": idea.id, "CastAt": at, "ChangedAt": at, "Moves": 0}
    if key == "scorecards":
        return {"ScoreKey": f"{FILLER_CHALLENGE}:{idea.id}:{person}", "ChallengeId": FILLER_CHALLENGE,
                "FinalistId": idea.id, "JudgeId": person, "Conflict": "none", "Body": "{}"}
    if key == "sent_cards":
        return {"MessageId": f"past-card:{idea.id}", "IdeaId": idea.id, "RecipientId": person, "ActivityId": "1:x",
                "SentAt": at}
    if key == "digests":
        return {"DeliveryKey": f"former-dm-{n}|2025-W10", "DmId": f"former-dm-{n}", "WeekKey": "2025-W10",
                "State": "sent"}
    if key == "conversations":
        record = ConversationRecord(person, f"Former Staff {n}", f"a:former-{n}", "https://smba.example/", "",
                                    "msteams", "", "", "")
        return {"UserId": person, "UpdatedAt": at, "Body": json.dumps({**record.__dict__, "updated_at": at})}
    if key == "preferences":
        return {"UserId": person, "Language": "fr", "UpdatedAt": at}
    if key == "delegations":
        return {"PrincipalId": person, "DelegateId": f"former-{n + 1}", "EndsAt": at, "Body": "{}"}
    if key == "progress":
        return {"UpdateKey": f"{idea.id}:1", "IdeaId": idea.id, "ProgressStatus": "done", "FiledAt": at}
    raise KeyError(key)


def fill_past_threshold(graph: FakeGraph, site_id: str, *, threshold: int = THRESHOLD, extra: int = 10) -> None:
    """Set the server's threshold to `threshold` and put threshold + extra old records in each growing list."""
    graph.behaviours.list_view_threshold = threshold
    lists = {sp.name: sp for sp in graph.sites[site_id].values()}
    for key in GROWING:
        sp = lists[LISTS_BY_KEY[key].name]
        for n in range(threshold + extra):
            idea = _past_idea(n)[0] if key != "ideas" else None
            fields = _rows(key, n, idea)
            item_id = str(next(sp.ids))
            stamp = fields.get("CreatedAt") or _iso(PAST)
            sp.items[item_id] = Item(item_id, fields, created=stamp, modified=stamp)
            sp.changed(item_id)
