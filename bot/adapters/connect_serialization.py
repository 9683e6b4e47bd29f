"""A request to connect as the stores keep it (a JSON body): one format for SQLite and SharePoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.adapters.serialization import person_from_dict, person_to_dict
from bot.domain.connect import ConnectRequest, ConnectState


def request_to_dict(request: ConnectRequest) -> dict[str, Any]:
    return {
        "id": request.id, "ideaId": request.idea_id, "ideaReference": request.idea_reference,
        "ideaTitle": request.idea_title, "owner": person_to_dict(request.owner), "asker": person_to_dict(request.asker),
        "createdAt": request.created_at.isoformat(), "state": request.state.value,
        "answeredAt": request.answered_at.isoformat() if request.answered_at else None,
    }


def request_from_dict(data: dict[str, Any], version: int | str) -> ConnectRequest:
    answered = data.get("answeredAt")
    return ConnectRequest(
        id=data["id"], idea_id=data["ideaId"], idea_reference=data["ideaReference"], idea_title=data["ideaTitle"],
        owner=person_from_dict(data["owner"]), asker=person_from_dict(data["asker"]),
        created_at=datetime.fromisoformat(data["createdAt"]), state=ConnectState(data["state"]),
        answered_at=datetime.fromisoformat(answered) if answered else None, version=version,
    )
