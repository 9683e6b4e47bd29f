"""Idea <-> plain JSON, shared by every store so they all persist the same shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.model import ApprovalStep, Decision, Idea, IdeaStatus, Outcome, Person, Role
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
    }


def person_from_dict(data: dict[str, Any]) -> Person:
    return Person(
        id=data["id"],
        name=data.get("name", ""),
        role=Role(data.get("role", "staff")),
        job_title=data.get("jobTitle", ""),
        email=data.get("email", ""),
        branch=data.get("branch", ""),
    )


def idea_to_dict(idea: Idea) -> dict[str, Any]:
    return {
        "id": idea.id,
        "reference": idea.reference,
        "submitter": person_to_dict(idea.submitter),
        "pitch": idea.pitch.as_dict(),
        "chain": [
            {"approverId": s.approver_id, "approverName": s.approver_name, "role": s.role.value} for s in idea.chain
        ],
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
            }
            for d in idea.decisions
        ],
        "statusSince": idea.status_since.isoformat() if idea.status_since else None,
        "updatedAt": idea.updated_at.isoformat() if idea.updated_at else None,
        "challenge": idea.challenge,
        "lineIds": idea.line_ids,
        "shortlistedBy": idea.shortlisted_by,
        "shortlistedAt": idea.shortlisted_at.isoformat() if idea.shortlisted_at else None,
        "earlierPitches": [
            {"revision": v.revision, "pitch": v.pitch.as_dict(), "replacedAt": v.replaced_at.isoformat()}
            for v in idea.earlier_pitches
        ],
    }


def idea_from_dict(data: dict[str, Any], *, version: int | str = 0) -> Idea:
    return Idea(
        id=data["id"],
        reference=data["reference"],
        submitter=person_from_dict(data["submitter"]),
        pitch=Pitch.from_dict(data["pitch"]),
        chain=[ApprovalStep(s["approverId"], s["approverName"], Role(s["role"])) for s in data["chain"]],
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
    )
