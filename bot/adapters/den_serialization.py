"""Challenge and IdeaStage <-> plain JSON, shared by every store so they all persist the same shape."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.domain.challenge import Challenge, Criterion
from bot.domain.den_report import IdeaSummary
from bot.domain.model import IdeaStatus
from bot.domain.stage import Funding, IdeaStage, ProgressStatus, ProgressUpdate, Stage, StageChange


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def challenge_to_dict(c: Challenge) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "question": c.question,
        "sponsorIds": list(c.sponsor_ids),
        "opensAt": _iso(c.opens_at),
        "closesAt": _iso(c.closes_at),
        "createdBy": c.created_by,
        "createdAt": _iso(c.created_at),
        "programAreas": list(c.program_areas),
        "finalistCount": c.finalist_count,
        "criteria": [{"key": k.key, "weight": k.weight} for k in c.criteria],
        "pitchDay": c.pitch_day.isoformat() if c.pitch_day else None,
        "peoplesChoice": c.peoples_choice,
        "updatedAt": _iso(c.updated_at),
        "closedEarlyAt": _iso(c.closed_early_at),
        "closedBy": c.closed_by,
        "closeAnnounced": c.close_announced,
        "finalistsChosenAt": _iso(c.finalists_chosen_at),
        "finalistsChosenBy": c.finalists_chosen_by,
        "winnersChosenAt": _iso(c.winners_chosen_at),
        "winnersChosenBy": c.winners_chosen_by,
        "winnersReason": c.winners_reason,
        "channelKey": c.channel_key,
    }


def challenge_from_dict(d: dict[str, Any], *, version: int | str) -> Challenge:
    return Challenge(
        id=d["id"],
        name=d["name"],
        question=d["question"],
        sponsor_ids=list(d.get("sponsorIds") or []),
        opens_at=datetime.fromisoformat(d["opensAt"]),
        closes_at=datetime.fromisoformat(d["closesAt"]),
        created_by=d.get("createdBy", ""),
        created_at=datetime.fromisoformat(d["createdAt"]),
        program_areas=list(d.get("programAreas") or []),
        finalist_count=int(d.get("finalistCount", 5)),
        criteria=[Criterion(k["key"], int(k["weight"])) for k in d.get("criteria") or []],
        pitch_day=date.fromisoformat(d["pitchDay"]) if d.get("pitchDay") else None,
        peoples_choice=bool(d.get("peoplesChoice")),
        updated_at=_dt(d.get("updatedAt")),
        closed_early_at=_dt(d.get("closedEarlyAt")),
        closed_by=d.get("closedBy", ""),
        close_announced=bool(d.get("closeAnnounced")),
        finalists_chosen_at=_dt(d.get("finalistsChosenAt")),
        finalists_chosen_by=d.get("finalistsChosenBy", ""),
        winners_chosen_at=_dt(d.get("winnersChosenAt")),
        winners_chosen_by=d.get("winnersChosenBy", ""),
        winners_reason=d.get("winnersReason", ""),
        channel_key=d.get("channelKey", ""),
        version=version,
    )


def summary_from_dict(d: dict[str, Any]) -> IdeaSummary:
    """An idea's stored JSON, read only for what a report needs (no chain, route or pitch text)."""
    submitter, pitch = d.get("submitter") or {}, d.get("pitch") or {}
    last = (d.get("decisions") or [None])[-1] or {}
    return IdeaSummary(
        id=d["id"],
        reference=d.get("reference", ""),
        title=pitch.get("title", ""),
        challenge=d.get("challenge", ""),
        submitter_id=submitter.get("id", ""),
        submitter_name=submitter.get("name", ""),
        branch=submitter.get("branch", ""),
        level=submitter.get("role", "staff"),
        program_area=pitch.get("program_area", ""),
        status=IdeaStatus(d["status"]),
        created_at=datetime.fromisoformat(d["createdAt"]),
        last_decided_at=_dt(last.get("decidedAt")),
        last_decided_by=last.get("approverId", ""),
    )


def change_to_dict(c: StageChange) -> dict[str, Any]:
    return {
        "seq": c.seq,
        "from": c.from_stage.value if c.from_stage else None,
        "to": c.to_stage.value,
        "at": _iso(c.at),
        "by": c.by,
        "reason": c.reason,
    }


def stage_to_dict(s: IdeaStage) -> dict[str, Any]:
    f = s.funding
    return {
        "ideaId": s.idea_id,
        "challengeId": s.challenge_id,
        "ownerId": s.owner_id,
        "stage": s.stage.value,
        "history": [change_to_dict(c) for c in s.history],
        "funding": None
        if f is None
        else {
            "amount": f.amount,
            "branch": f.branch,
            "conditions": f.conditions,
            "by": f.recorded_by,
            "at": _iso(f.recorded_at),
        },
        "updates": [
            {"seq": u.seq, "status": u.status.value, "note": u.note, "at": _iso(u.at), "by": u.by} for u in s.updates
        ],
        "consent": s.consent_to_name,
    }


# Enum lookups by value, without Enum.__call__: a report or dashboard reads thousands of stage records.
_STAGE = {s.value: s for s in Stage}
_PROGRESS = {p.value: p for p in ProgressStatus}


def stage_from_dict(d: dict[str, Any], *, version: int | str) -> IdeaStage:
    f = d.get("funding")
    return IdeaStage(
        idea_id=d["ideaId"],
        challenge_id=d["challengeId"],
        owner_id=d.get("ownerId", ""),
        stage=_STAGE[d["stage"]],
        history=[
            StageChange(
                int(c["seq"]),
                _STAGE[c["from"]] if c.get("from") else None,
                _STAGE[c["to"]],
                datetime.fromisoformat(c["at"]),
                c.get("by", ""),
                c.get("reason", ""),
            )
            for c in d.get("history") or []
        ],
        funding=None
        if not f
        else Funding(
            int(f["amount"]), f["branch"], f.get("conditions", ""), f.get("by", ""), datetime.fromisoformat(f["at"])
        ),
        updates=[
            ProgressUpdate(
                int(u["seq"]),
                _PROGRESS[u["status"]],
                u.get("note", ""),
                datetime.fromisoformat(u["at"]),
                u.get("by", ""),
            )
            for u in d.get("updates") or []
        ],
        consent_to_name=d.get("consent"),
        version=version,
    )
