"""Routing: a typed command or a card verb to the flow that handles it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from bot.domain.model import Outcome
from bot.services.digest import DigestService
from bot.services.ideas import IdeaService
from cards import help_card, my_ideas_card, verbs
from dialogs import approval, digest, pitch
from dialogs.approvals import ApprovalFlows
from dialogs.commands import Command, recognise
from dialogs.turn import Reply, Turn

MY_IDEAS_LIMIT = 20

Route = Callable[[Turn, str, Mapping[str, Any]], Awaitable[Reply]]


class MainDialog:
    def __init__(
        self,
        service: IdeaService,
        clock: Callable[[], datetime],
        digests: DigestService | None = None,
        approvals: ApprovalFlows | None = None,
    ) -> None:
        self._service = service
        self._clock = clock
        self._digests = digests
        self._approvals = approvals
        # Every verb the bot answers, declared in one table (as the Agents SDK's routes are).
        self._routes: dict[str, Route] = {
            verbs.PITCH_SUBMIT: self._submit,
            verbs.PITCH_RESUBMIT: self._resubmit,
            **dict.fromkeys(verbs.DECISION_VERBS, self._decide),
            verbs.PITCH_OPEN: self._open_form,
            verbs.MY_IDEAS: self._show_my_ideas,
            verbs.HELP: self._help,
        }
        if digests is not None:
            self._routes.update(dict.fromkeys((verbs.DIGEST_SHORTLIST, verbs.DIGEST_NUDGE), self._digest_button))
        if approvals is not None:
            self._routes.update(approval_routes(approvals))

    async def on_text(self, turn: Turn, text: str | None) -> Reply:
        """A typed message: answer with a new card."""
        command = recognise(text)
        if command == Command.PITCH:
            return Reply(card=pitch.new_form(turn))
        if command == Command.MY_IDEAS:
            return Reply(card=await self._my_ideas(turn))
        if command == Command.HELP:
            return Reply(card=help_card(turn.messages))
        if command == Command.MY_APPROVALS and self._approvals is not None:
            return await self._approvals.my_approvals(turn)
        if command == Command.DELEGATE and self._approvals is not None:
            return await self._approvals.delegation_form(turn)
        shown = (text or "").strip()[:60]
        return Reply(message=turn.messages.t("unknown.text", text=shown), follow_ups=[help_card(turn.messages)])

    async def on_action(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """A card button (Action.Execute): answer with the card that replaces it, in place."""
        handler = self._routes.get(verb)
        if handler is None:
            return Reply(message=turn.messages.t("error.unknown_action"))
        return await handler(turn, verb, data)

    # ---- the flows each verb leads to ---------------------------------------------------------
    async def _submit(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return await pitch.submit(self._service, turn, data)

    async def _resubmit(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return await pitch.resubmit(self._service, turn, data)

    async def _decide(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return await approval.decide(self._service, turn, Outcome(verbs.DECISION_VERBS[verb]), data)

    async def _digest_button(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return await digest.act(self._digests, turn, verb, data)

    async def _open_form(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return Reply(card=pitch.new_form(turn))

    async def _show_my_ideas(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return Reply(card=await self._my_ideas(turn))

    async def _help(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return Reply(card=help_card(turn.messages))

    async def _my_ideas(self, turn: Turn) -> dict[str, Any]:
        ideas = await self._service.my_ideas(turn.user_id, MY_IDEAS_LIMIT)
        return my_ideas_card(turn.messages, ideas, self._clock(), limit=MY_IDEAS_LIMIT)


def approval_routes(flows: ApprovalFlows) -> dict[str, Route]:
    """The verbs of lean approval routes: hand-overs, withdrawal, a second look, acting approvers."""
    return {
        verbs.REFRESH: lambda turn, verb, data: flows.refresh(turn, data),
        verbs.REASSIGN: lambda turn, verb, data: flows.reassign(turn, data),
        verbs.WITHDRAW: lambda turn, verb, data: flows.withdraw(turn, data),
        verbs.SECOND_LOOK: lambda turn, verb, data: flows.second_look(turn, data),
        verbs.COMMENT: lambda turn, verb, data: flows.comment(turn, data),
        verbs.OPEN_APPROVAL: lambda turn, verb, data: flows.open_approval(turn, data),
        verbs.MY_APPROVALS: lambda turn, verb, data: flows.my_approvals(turn),
        verbs.DELEGATE_OPEN: lambda turn, verb, data: flows.delegation_form(turn),
        verbs.DELEGATE_SET: lambda turn, verb, data: flows.delegate(turn, data),
        verbs.DELEGATE_END: lambda turn, verb, data: flows.end_delegation(turn),
    }
