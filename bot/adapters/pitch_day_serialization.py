"""Panel, Scorecard and Poll <-> plain JSON, shared by every store so they all persist one shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.panel import Conflict, Panel, Scorecard
from bot.domain.voting import Poll


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def panel_to_dict(p: Panel) -> dict[str, Any]:
    return {
        "challengeId": p.challenge_id,
        "judgeIds": list(p.judge_ids),
        "chairId": p.chair_id,
        "namedBy": p.named_by,
        "namedAt": _iso(p.named_at),
        "remindAt": _iso(p.remind_at),
        "scoringClosedAt": _iso(p.scoring_closed_at),
        "scoringClosedBy": p.scoring_closed_by,
        "nowPitching": p.now_pitching,
        "roomCardId": p.room_card_id,
    }


def panel_from_dict(d: dict[str, Any], *, version: int | str) -> Panel:
    return Panel(
        challenge_id=d["challengeId"],
        judge_ids=list(d.get("judgeIds") or []),
        chair_id=d.get("chairId", ""),
        named_by=d.get("namedBy", ""),
        named_at=datetime.fromisoformat(d["namedAt"]),
        remind_at=_dt(d.get("remindAt")),
        scoring_closed_at=_dt(d.get("scoringClosedAt")),
        scoring_closed_by=d.get("scoringClosedBy", ""),
        now_pitching=int(d.get("nowPitching", -1)),
        room_card_id=d.get("roomCardId", ""),
        version=version,
    )


def scorecard_to_dict(c: Scorecard) -> dict[str, Any]:
    return {
        "challengeId": c.challenge_id,
        "finalistId": c.finalist_id,
        "judgeId": c.judge_id,
        "conflict": c.conflict.value,
        "declaredAt": _iso(c.declared_at),
        "scores": dict(c.scores),
        "comment": c.comment,
        "scoredAt": _iso(c.scored_at),
        "changedAt": _iso(c.changed_at),
        "changes": c.changes,
    }


def scorecard_from_dict(d: dict[str, Any], *, version: int | str) -> Scorecard:
    return Scorecard(
        challenge_id=d["challengeId"],
        finalist_id=d["finalistId"],
        judge_id=d["judgeId"],
        conflict=Conflict(d.get("conflict", Conflict.UNDECLARED.value)),
        declared_at=_dt(d.get("declaredAt")),
        scores={k: int(v) for k, v in (d.get("scores") or {}).items()},
        comment=d.get("comment", ""),
        scored_at=_dt(d.get("scoredAt")),
        changed_at=_dt(d.get("changedAt")),
        changes=int(d.get("changes", 0)),
        version=version,
    )


def poll_to_dict(p: Poll) -> dict[str, Any]:
    return {
        "challengeId": p.challenge_id,
        "finalistIds": list(p.finalist_ids),
        "openedBy": p.opened_by,
        "openedAt": _iso(p.opened_at),
        "channelKey": p.channel_key,
        "cardId": p.card_id,
        "refreshIds": list(p.refresh_ids),
        "closedAt": _iso(p.closed_at),
        "closedBy": p.closed_by,
        "counts": dict(p.counts),
    }


def poll_from_dict(d: dict[str, Any], *, version: int | str) -> Poll:
    return Poll(
        challenge_id=d["challengeId"],
        finalist_ids=list(d.get("finalistIds") or []),
        opened_by=d.get("openedBy", ""),
        opened_at=datetime.fromisoformat(d["openedAt"]),
        channel_key=d.get("channelKey", ""),
        card_id=d.get("cardId", ""),
        refresh_ids=list(d.get("refreshIds") or []),
        closed_at=_dt(d.get("closedAt")),
        closed_by=d.get("closedBy", ""),
        counts={k: int(v) for k, v in (d.get("counts") or {}).items()},
        version=version,
    )
