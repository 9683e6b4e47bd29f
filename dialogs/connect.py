"""Asking to connect, from a card: *Ask to connect* (receipt, form), and the owner's *Accept* / *Decline*;
and the form's *Check for similar ideas*."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.visibility import Viewer
from bot.services.connect import ConnectService
from cards import pitch_form_card, verbs
from cards.connect import answered_for_owner, no_similar, similar_section
from dialogs.turn import Reply, Turn, as_id


class ConnectFlows:
    VERBS = (verbs.CONNECT_ASK, verbs.CONNECT_ACCEPT, verbs.CONNECT_DECLINE, verbs.PITCH_SIMILAR)

    def __init__(self, service: ConnectService) -> None:
        self.service = service

    def routes(self) -> dict[str, Any]:
        return {
            verbs.CONNECT_ASK: self.ask,
            verbs.CONNECT_ACCEPT: self.answer,
            verbs.CONNECT_DECLINE: self.answer,
            verbs.PITCH_SIMILAR: self.check_form,
        }

    async def similar_for(self, turn: Turn, text: str, exclude_id: str = "") -> list[dict[str, Any]]:
        hits = await self.service.similar(text, asker_id=turn.user_id, exclude_id=exclude_id)
        return similar_section(turn.messages, hits)

    async def ask(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        request = await self.service.ask(Viewer(turn.user_id), as_id(data.get("ideaId")))
        if request is None:
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(message=turn.messages.t("connect.sent", reference=request.idea_reference))

    async def answer(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        accept = verb == verbs.CONNECT_ACCEPT
        request = await self.service.answer(
            owner_id=turn.user_id, request_id=str(data.get("requestId", ""))[:200], accept=accept
        )
        if request is None:
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(card=answered_for_owner(turn.messages, request))

    async def check_form(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """*Check for similar ideas* on the form: the form comes back as typed, with what is like it first."""
        values = {k: str(v) for k, v in data.items() if isinstance(v, str | int | float)}
        text = " ".join(str(data.get(name, "")) for name in ("title", "problem", "solution"))
        found = await self.similar_for(turn, text)
        preface = found or no_similar(turn.messages)
        form_id = as_id(data.get("formId"))
        card = pitch_form_card(
            turn.messages,
            form_id=form_id,
            values=values,
            preface=preface,
            challenge_id=str(data.get("challengeId") or ""),
        )
        return Reply(card=card)
