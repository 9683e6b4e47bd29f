"""Access requests: everything the Den holds about one person, as plain data (FIPPA, s. 47).

`AccessService.information_about(person_id)` is the one function every way of asking uses: the
administrators' command (`python -m bot.admin.records --person <id or UPN> --export`), the person's own
`my information` command in chat, and the Den tab's "My information" page (bot/tab/information.py, its
downloads bot/web/information_download.py) — each renders the same dictionary as JSON and as a bilingual
HTML page (bot/web/personal_information.py).

What it holds, and no more than the person may see:
- the ideas they pitched, whole: every revision, the route, the decisions and comments others made on
  them, the history, the stage in a challenge, funding and follow-ups;
- what they did on other people's ideas: their own decisions, comments and hand-overs (with the idea's
  reference and title for context, never the rest of someone else's idea);
- scores they gave (their own scorecards only), votes they cast (while the votes are kept), messages
  sent to them (kind, idea, date, state), their acting arrangements, language choice, the conversation
  the bot keeps with them, and the register's entries about them (corrections, earlier requests);
- requests to connect they made or were asked (the embedded store keeps them): the idea, the answer
  and its dates; the other person's name only once the idea's owner accepted (as the cards show it),
  before that only the asker's branch, which the owner was shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.domain.connect import ConnectRequest
from bot.domain.model import HistoryKind, Idea
from bot.ports.records import EntryKind, RegisterEntry

SHOWN_HISTORY = {HistoryKind.COMMENTED, HistoryKind.REASSIGNED, HistoryKind.WITHDRAWN, HistoryKind.SECOND_LOOK}


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


class AccessService:
    def __init__(self, store, directory, *, clock: Callable[[], datetime], notice: Callable[[], dict] | None = None):
        self.store = store  # Ideas + Stages + Challenges + Panels + Votes + Delegations + Preferences + records
        self.directory = directory
        self.clock = clock
        self.notice = notice or dict  # the notice of collection's settings, shown on the export

    async def find_person(self, who: str) -> tuple[str, str, str]:
        """(id, name, email) for an object id or a UPN/email; the id alone if the directory does not know it."""
        person = await self.directory.get_person(who.strip()) if who.strip() else None
        if person is None:
            return who.strip(), "", ""
        return person.id, person.name, person.email

    async def information_about(self, who: str) -> dict[str, Any]:
        person_id, name, email = await self.find_person(who)
        ideas = await self.store.list_for_digest(None)
        mine = sorted((i for i in ideas if i.submitter.id == person_id), key=lambda i: i.created_at)
        others = [i for i in ideas if i.submitter.id != person_id and i.involves(person_id)]
        challenges = {c.id: c for c in await self.store.list_challenges()}
        refs = {i.id: i.reference for i in ideas}
        info: dict[str, Any] = {
            "person": {"id": person_id, "name": name or (mine[0].submitter.name if mine else ""), "email": email},
            "generatedAt": _when(self.clock()),
            "notice": self.notice(),
            "ideasPitched": [await self._idea(i, challenges) for i in mine],
            "actionsOnOthersIdeas": [a for i in others for a in _actions(i, person_id)],
            "scoresGiven": [],
            "votesCast": [],
            "messagesSent": [
                {"kind": m.kind, "idea": refs.get(m.idea_id, ""), "at": _when(m.created_at), "state": m.state}
                for m in await self.store.messages_to(person_id)
            ],
            "actingArrangements": await self._delegations(person_id),
            "preferences": {"language": await self.store.get_language(person_id)},
            "conversation": await self._conversation(person_id),
            "connectionRequests": await self._connection_requests(person_id),
            "corrections": await self._register(EntryKind.CORRECTION, person_id),
            "accessRequests": await self._register(EntryKind.ACCESS, person_id),
        }
        for challenge in challenges.values():
            for card in await self.store.list_scorecards(challenge.id):
                if card.judge_id == person_id:
                    info["scoresGiven"].append({
                        "challenge": challenge.name, "finalist": refs.get(card.finalist_id, ""),
                        "conflict": card.conflict.value, "declaredAt": _when(card.declared_at),
                        "scores": dict(card.scores), "comment": card.comment,
                        "scoredAt": _when(card.scored_at), "changedAt": _when(card.changed_at),
                    })  # fmt: skip
            vote = await self.store.get_vote(challenge.id, person_id)
            if vote is not None:
                info["votesCast"].append({
                    "challenge": challenge.name, "finalist": refs.get(vote.finalist_id, ""),
                    "castAt": _when(vote.cast_at), "changedAt": _when(vote.changed_at),
                })  # fmt: skip
        return info

    async def record_request(self, person_id: str, *, by: str, channel: str) -> str:
        """Keep a line in the register: who asked for whose information, when, and how (no content).
        Returns the request's reference (ACC-...), which the person is given."""
        now = self.clock()
        reference = f"ACC-{uuid.uuid4().hex[:8].upper()}"
        entry = RegisterEntry(f"access:{reference}", EntryKind.ACCESS, now, by, subject_id=person_id,
                              body={"reference": reference, "requestedBy": by, "channel": channel})  # fmt: skip
        await self.store.add_entry(entry)
        return reference

    async def requests(self) -> list[tuple[RegisterEntry, RegisterEntry | None]]:
        """Requests made in chat, each with what answered it (None: open): an administrator's export, or
        the person's own download from the Den tab's "My information" after they asked."""
        entries = await self.store.register_entries(EntryKind.ACCESS)
        answers = [e for e in entries if e.body.get("channel") in ("administrator", "tab")]
        asked = [e for e in entries if e.body.get("channel") == "chat"]
        return [(e, next((a for a in answers if a.subject_id == e.subject_id and a.at >= e.at), None)) for e in asked]

    async def _idea(self, idea: Idea, challenges: dict) -> dict[str, Any]:
        stage = await self.store.get_stage(idea.id) if idea.challenge else None
        challenge = challenges.get(idea.challenge)
        return {
            "reference": idea.reference,
            "title": idea.pitch.title,
            "status": idea.status.value,
            "createdAt": _when(idea.created_at),
            "challenge": challenge.name if challenge else "",
            "pitch": idea.pitch.as_dict(),
            "revision": idea.revision,
            "earlierRevisions": [
                {"revision": v.revision, "replacedAt": _when(v.replaced_at), "pitch": v.pitch.as_dict()}
                for v in idea.earlier_pitches
            ],
            "route": [{"level": s.role.value, "approver": s.approver_name, "actingFor": s.on_behalf_of_name}
                      for s in idea.chain],  # fmt: skip
            "decisions": [
                {"revision": d.revision, "level": idea.chain[d.step_index].role.value if d.step_index < len(idea.chain)
                 else "", "by": d.approver_name, "actingFor": d.on_behalf_of_name, "outcome": d.outcome.value,
                 "comment": d.comment, "at": _when(d.decided_at)}
                for d in idea.decisions
            ],  # fmt: skip
            "history": [
                {"kind": h.kind.value, "at": _when(h.at), "by": h.actor_name, "from": h.from_name, "to": h.to_name,
                 "text": h.reason if h.kind in SHOWN_HISTORY else ""}
                for h in idea.history
            ],  # fmt: skip
            "stage": _stage(stage),
            "shared": idea.shared,  # their consent to share it with the whole public service
            "lesson": _lesson(idea),
        }

    async def _delegations(self, person_id: str) -> list[dict[str, Any]]:
        """Every arrangement kept where they are the approver or the one acting: in force, ended or to come."""
        found = await self.store.delegations_involving(person_id)
        return [{"for": d.principal_name, "by": d.delegate_name, "from": _when(d.starts_at), "lastDay": str(d.last_day)}
                for d in found]  # fmt: skip

    async def _conversation(self, person_id: str) -> dict[str, Any] | None:
        record = await self.store.get_conversation(person_id)
        if record is None:
            return None
        return {"conversationId": record.conversation_id, "locale": record.locale,
                "updatedAt": _when(record.updated_at)}  # fmt: skip

    async def _connection_requests(self, person_id: str) -> list[dict[str, Any]]:
        if not hasattr(self.store, "connect_requests_for"):
            return []  # a store without requests to connect (SharePoint)
        found = sorted(await self.store.connect_requests_for(person_id, limit=None), key=lambda r: r.created_at)
        return [_connection(r, person_id) for r in found]

    async def _register(self, kind: EntryKind, person_id: str) -> list[dict[str, Any]]:
        entries = await self.store.register_entries(kind)
        return [{"at": _when(e.at), **e.body} for e in entries if e.subject_id == person_id]


def _actions(idea: Idea, person_id: str) -> list[dict[str, Any]]:
    """What this person did on someone else's idea: their decisions, comments and hand-overs."""
    context = {"idea": idea.reference, "title": idea.pitch.title}
    done = [
        {**context, "action": f"decision:{d.outcome.value}", "revision": d.revision, "comment": d.comment,
         "at": _when(d.decided_at), "actingFor": d.on_behalf_of_name}
        for d in idea.decisions if d.approver_id == person_id
    ]  # fmt: skip
    done += [
        {**context, "action": h.kind.value, "revision": h.revision, "comment": h.reason if h.kind in SHOWN_HISTORY
         else "", "at": _when(h.at), "actingFor": ""}
        for h in idea.history if h.actor_id == person_id
    ]  # fmt: skip
    return sorted(done, key=lambda a: a["at"] or "")


def _connection(request: ConnectRequest, person_id: str) -> dict[str, Any]:
    """One request to connect as this person may see it: the other side named only once accepted."""
    asked_by_them = request.asker.id == person_id
    other = request.owner if asked_by_them else request.asker
    return {
        "role": "asked" if asked_by_them else "askedOfYou",
        "idea": request.idea_reference,
        "title": request.idea_title,
        "answer": request.state.value,
        "askedAt": _when(request.created_at),
        "answeredAt": _when(request.answered_at),
        "with": other.name if request.names_shown_to(person_id) else "",
        # the owner was shown the asker's branch from the start; the asker learns the owner's on acceptance
        "branch": other.branch if not asked_by_them or request.names_shown_to(person_id) else "",
    }


def _lesson(idea: Idea) -> dict[str, Any] | None:
    """The lesson learned the submitter wrote (kept in the idea's record), if any."""
    lesson = idea.lesson
    if lesson is None:
        return None
    return {"text": lesson.text, "shared": lesson.shared, "at": _when(lesson.written_at)}


def _stage(stage) -> dict[str, Any] | None:
    if stage is None:
        return None
    return {
        "stage": stage.stage.value,
        "changes": [{"from": c.from_stage.value if c.from_stage else None, "to": c.to_stage.value, "at": _when(c.at)}
                    for c in stage.history],  # fmt: skip
        "funding": (
            {"amount": stage.funding.amount, "branch": stage.funding.branch, "conditions": stage.funding.conditions,
             "recordedAt": _when(stage.funding.recorded_at)} if stage.funding else None
        ),  # fmt: skip
        "updates": [{"status": u.status.value, "note": u.note, "at": _when(u.at)} for u in stage.updates],
        "consentToName": stage.consent_to_name,
    }
