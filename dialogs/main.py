"""Routing: a typed command or a card verb to the flow that handles it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bot.domain.limits import TYPED_TEXT_SHOWN_MAX
from bot.domain.model import Outcome
from bot.services.digest import DigestService
from bot.services.ideas import IdeaService
from cards import help_card, my_ideas_card, verbs
from cards.safe_text import plain
from dialogs import approval, digest, pitch, read
from dialogs.commands import Command, recognise
from dialogs.turn import Reply, Turn

MY_IDEAS_LIMIT = 20


class MainDialog:
    def __init__(
        self, service: IdeaService, clock: Callable[[], datetime], digests: DigestService | None = None
    ) -> None:
        self._service = service
        self._clock = clock
        self._digests = digests

    async def on_text(self, turn: Turn, text: str | None) -> Reply:
        """A typed message: answer with a new card."""
        command = recognise(text)
        if command == Command.PITCH:
            return Reply(card=pitch.new_form(turn))
        if command == Command.MY_IDEAS:
            return Reply(card=await self._my_ideas(turn))
        if command == Command.HELP:
            return Reply(card=help_card(turn.messages))
        shown = plain((text or "").strip()[:TYPED_TEXT_SHOWN_MAX])  # quoted back as text, never as markdown
        return Reply(message=turn.messages.t("unknown.text", text=shown), follow_ups=[help_card(turn.messages)])

    async def on_action(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """A card button (Action.Execute): answer with the card that replaces it, in place."""
        if verb == verbs.PITCH_SUBMIT:
            return await pitch.submit(self._service, turn, data)
        if verb == verbs.PITCH_RESUBMIT:
            return await pitch.resubmit(self._service, turn, data)
        if verb in verbs.DECISION_VERBS:
            return await approval.decide(self._service, turn, Outcome(verbs.DECISION_VERBS[verb]), data)
        if verb in (verbs.DIGEST_SHORTLIST, verbs.DIGEST_NUDGE) and self._digests is not None:
            return await digest.act(self._digests, turn, verb, data)
        if verb == verbs.IDEA_READ:
            return await read.read(self._service, turn, data)
        if verb == verbs.PITCH_OPEN:
            return Reply(card=pitch.new_form(turn))
        if verb == verbs.MY_IDEAS:
            return Reply(card=await self._my_ideas(turn))
        if verb == verbs.HELP:
            return Reply(card=help_card(turn.messages))
        return Reply(message=turn.messages.t("error.unknown_action"))

    async def _my_ideas(self, turn: Turn) -> dict[str, Any]:
        ideas = await self._service.my_ideas(turn.user_id, MY_IDEAS_LIMIT)
        return my_ideas_card(turn.messages, ideas, self._clock(), limit=MY_IDEAS_LIMIT)
