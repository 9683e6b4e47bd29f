"""Idea <-> plain JSON, shared by every store so they all persist the same shape."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.domain.delegation import Delegation
from bot.domain.digest import DigestDecision, DigestIdea
from bot.domain.model import (
    ApprovalStep,
    Decision,
    HistoryEntry,
    HistoryKind,
    Idea,
    IdeaStatus,
    InformedStep,
    Lesson,
    Outcome,
    Person,
    Role,
)
from bot.domain.pitch import Pitch, PitchVersion


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def person_to_dict(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "role": person.role.value,
        "jobTitle": person.job_title,
        "email": person.email,
        "branch": person.branch,
        **({"branchFr": person.branch_fr} if person.branch_fr else {}),
    }


def person_from_dict(data: dict[str, Any]) -> Person:
    return Person(
        id=data["id"],
        name=data.get("name", ""),
        role=Role(data.get("role", "staff")),
        job_title=data.get("jobTitle", ""),
        email=data.get("email", ""),
        branch=data.get("branch", ""),
        branch_fr=data.get("branchFr", ""),
    )


def idea_to_dict(idea: Idea) -> dict[str, Any]:
    return {
        "id": idea.id,
        "reference": idea.reference,
        "submitter": person_to_dict(idea.submitter),
        "pitch": idea.pitch.as_dict(),
        "chain": [_step_to_dict(s) for s in idea.chain],
        "createdAt": idea.created_at.isoformat(),
        "status": idea.status.value,
        "currentStep": idea.current_step,
        "revision": idea.revision,
        "decisions": [
            {
                "stepIndex": d.step_index,
                "revision": d.revision,
                "approverId": d.approver_id,
                "approverName": d.approver_name,
                "outcome": d.outcome.value,
                "comment": d.comment,
                "decidedAt": d.decided_at.isoformat(),
                "requestedAt": d.requested_at.isoformat() if d.requested_at else None,
                **_behalf(d.on_behalf_of_id, d.on_behalf_of_name),
            }
            for d in idea.decisions
        ],
        "statusSince": idea.status_since.isoformat() if idea.status_since else None,
        "updatedAt": idea.updated_at.isoformat() if idea.updated_at else None,
        "challenge": idea.challenge,
        "lineIds": idea.line_ids,
        "shortlistedBy": idea.shortlisted_by,
        "shortlistedAt": idea.shortlisted_at.isoformat() if idea.shortlisted_at else None,
        **_route_to_dict(idea),
        "earlierPitches": [
            {"revision": v.revision, "pitch": v.pitch.as_dict(), "replacedAt": v.replaced_at.isoformat()}
            for v in idea.earlier_pitches
        ],
    }


def _lesson_from(data: dict[str, Any] | None) -> Lesson | None:
    if not data:
        return None
    return Lesson(str(data.get("text", "")), bool(data.get("shared")), datetime.fromisoformat(data["writtenAt"]))


def idea_from_dict(data: dict[str, Any], *, version: int | str = 0) -> Idea:
    return Idea(
        id=data["id"],
        reference=data["reference"],
        submitter=person_from_dict(data["submitter"]),
        pitch=Pitch.from_dict(data["pitch"]),
        chain=[_step_from_dict(s) for s in data["chain"]],
        created_at=datetime.fromisoformat(data["createdAt"]),
        status=IdeaStatus(data["status"]),
        current_step=data["currentStep"],
        revision=data["revision"],
        decisions=[
            Decision(
                step_index=d["stepIndex"],
                revision=d["revision"],
                approver_id=d["approverId"],
                approver_name=d["approverName"],
                outcome=Outcome(d["outcome"]),
                comment=d["comment"],
                decided_at=datetime.fromisoformat(d["decidedAt"]),
                requested_at=_dt(d.get("requestedAt")),
                on_behalf_of_id=d.get("onBehalfOfId", ""),
                on_behalf_of_name=d.get("onBehalfOfName", ""),
            )
            for d in data["decisions"]
        ],
        status_since=_dt(data.get("statusSince")),
        updated_at=_dt(data.get("updatedAt")),
        version=version,
        challenge=data.get("challenge", ""),
        line_ids=list(data.get("lineIds") or []),
        shortlisted_by=data.get("shortlistedBy", ""),
        shortlisted_at=_dt(data.get("shortlistedAt")),
        earlier_pitches=[
            PitchVersion(v["revision"], Pitch.from_dict(v["pitch"]), datetime.fromisoformat(v["replacedAt"]))
            for v in data.get("earlierPitches") or []
        ],
        informed=[
            InformedStep(i["personId"], i["personName"], Role(i["role"]), i["afterStep"])
            for i in data.get("informed") or []
        ],
        route_rule=data.get("routeRule", ""),
        route_why=dict(data.get("routeWhy") or {}),
        route_nearest_decides=bool(data.get("routeNearestDecides", False)),
        history=[_history_from_dict(h) for h in data.get("history") or []],
        second_look_used=bool(data.get("secondLookUsed", False)),
        shared=bool(data.get("shared", False)),
        lesson=_lesson_from(data.get("lesson")),
        held_since=_dt(data.get("heldSince")),
    )


def digest_idea_from_dict(data: dict[str, Any]) -> DigestIdea:
    """The digest's projection of a stored idea, read straight from its record (no full Idea)."""
    chain = data["chain"]
    status = IdeaStatus(data["status"])
    current = data["currentStep"]
    step = chain[current] if status == IdeaStatus.IN_REVIEW and 0 <= current < len(chain) else None
    submitter = data["submitter"]
    pitch = data["pitch"]
    return DigestIdea(
        id=data["id"],
        reference=data["reference"],
        title=pitch.get("title", ""),
        submitter_id=submitter["id"],
        submitter_name=submitter.get("name", ""),
        submitter_branch=submitter.get("branch", ""),
        program_area=pitch.get("program_area", ""),
        status=status,
        created_at=datetime.fromisoformat(data["createdAt"]),
        status_since=_dt(data.get("statusSince")),
        revision=data["revision"],
        current_step=current,
        chain_length=len(chain),
        holder_name=step["approverName"] if step else "",
        holder_role=Role(step["role"]) if step else None,
        shortlisted=bool(data.get("shortlistedBy")),
        line_ids=tuple(data.get("lineIds") or ()),
        decisions=tuple(
            DigestDecision(
                d["stepIndex"],
                Outcome(d["outcome"]),
                datetime.fromisoformat(d["decidedAt"]),
                _dt(d.get("requestedAt")),
                Role(chain[d["stepIndex"]]["role"]),
            )
            for d in data["decisions"]
        ),
        challenge=data.get("challenge") or "",
        submitter_level=submitter.get("role") or "staff",
    )


# The parts of a stored idea the digest never reads: left out in the store, before Python parses it.
DIGEST_UNREAD_PATHS = (
    "$.pitch.problem",
    "$.pitch.solution",
    "$.pitch.first_steps",
    "$.pitch.people",
    "$.earlierPitches",
    "$.history",
    "$.routeWhy",
    "$.informed",
)


# ---- approval routes (routing, acting approvers, hand-overs): absent in older records ----------
def _behalf(person_id: str, name: str) -> dict[str, str]:
    return {"onBehalfOfId": person_id, "onBehalfOfName": name} if person_id else {}


def _step_to_dict(step: ApprovalStep) -> dict[str, Any]:
    return {
        "approverId": step.approver_id,
        "approverName": step.approver_name,
        "role": step.role.value,
        **_behalf(step.on_behalf_of_id, step.on_behalf_of_name),
        **({"holderRole": step.holder_role.value} if step.holder_role else {}),
    }


def _step_from_dict(data: dict[str, Any]) -> ApprovalStep:
    return ApprovalStep(
        data["approverId"],
        data["approverName"],
        Role(data["role"]),
        data.get("onBehalfOfId", ""),
        data.get("onBehalfOfName", ""),
        Role(data["holderRole"]) if data.get("holderRole") else None,
    )


def _route_to_dict(idea: Idea) -> dict[str, Any]:
    return {
        "informed": [
            {"personId": i.person_id, "personName": i.person_name, "role": i.role.value, "afterStep": i.after_step}
            for i in idea.informed
        ],
        "routeRule": idea.route_rule,
        "routeWhy": dict(idea.route_why),
        **({"routeNearestDecides": True} if idea.route_nearest_decides else {}),
        "history": [_history_to_dict(h) for h in idea.history],
        "secondLookUsed": idea.second_look_used,
        "shared": idea.shared,
        "lesson": (
            {"text": idea.lesson.text, "shared": idea.lesson.shared, "writtenAt": idea.lesson.written_at.isoformat()}
            if idea.lesson else None
        ),
        "heldSince": idea.held_since.isoformat() if idea.held_since else None,
    }


_HISTORY_TEXT = ("actor_id", "actor_name", "from_id", "from_name", "to_id", "to_name", "reason")


def _history_to_dict(entry: HistoryEntry) -> dict[str, Any]:
    result: dict[str, Any] = {"kind": entry.kind.value, "at": entry.at.isoformat()}
    result.update({_camel(name): getattr(entry, name) for name in _HISTORY_TEXT if getattr(entry, name)})
    result.update({"stepIndex": entry.step_index, "revision": entry.revision, "days": entry.days})
    return result


def _history_from_dict(data: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        kind=HistoryKind(data["kind"]),
        at=datetime.fromisoformat(data["at"]),
        step_index=int(data.get("stepIndex", -1)),
        revision=int(data.get("revision", 0)),
        days=int(data.get("days", 0)),
        **{name: str(data.get(_camel(name), "")) for name in _HISTORY_TEXT},
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def delegation_to_dict(delegation: Delegation) -> dict[str, Any]:
    return {
        "principalId": delegation.principal_id,
        "principalName": delegation.principal_name,
        "delegateId": delegation.delegate_id,
        "delegateName": delegation.delegate_name,
        "startsAt": delegation.starts_at.isoformat(),
        "endsAt": delegation.ends_at.isoformat(),
        "createdAt": delegation.created_at.isoformat(),
        "lastDay": delegation.last_day.isoformat(),
    }


def delegation_from_dict(data: dict[str, Any]) -> Delegation:
    return Delegation(
        principal_id=data["principalId"],
        principal_name=data.get("principalName", ""),
        delegate_id=data["delegateId"],
        delegate_name=data.get("delegateName", ""),
        starts_at=datetime.fromisoformat(data["startsAt"]),
        ends_at=datetime.fromisoformat(data["endsAt"]),
        created_at=datetime.fromisoformat(data["createdAt"]),
        last_day=date.fromisoformat(data["lastDay"]),
    )
