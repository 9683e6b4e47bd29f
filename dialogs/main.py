"""Routing: a typed command or a card verb to the flow that handles it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bot.domain.model import Outcome
from bot.ports import ConversationRecord
from bot.services.challenge import ChallengeService
from bot.services.digest import DigestService
from bot.services.ideas import IdeaService
from bot.services.pitch_day import PitchDayService
from cards import help_card, my_ideas_card, verbs
from cards.challenge import challenge_preface, pitch_privately_card, stage_label
from dialogs import approval, digest, pitch
from dialogs.challenge import ChallengeFlows
from dialogs.commands import Command, recognise
from dialogs.pitch_day import PitchDayFlows
from dialogs.turn import Reply, Turn

MY_IDEAS_LIMIT = 20


class MainDialog:
    def __init__(
        self,
        service: IdeaService,
        clock: Callable[[], datetime],
        digests: DigestService | None = None,
        challenges: ChallengeService | None = None,
        pitch_day: PitchDayService | None = None,
    ) -> None:
        self._service = service
        self._clock = clock
        self._digests = digests
        self._challenges = challenges
        self._den = ChallengeFlows(challenges) if challenges is not None else None
        self._pitch_day = PitchDayFlows(pitch_day) if pitch_day is not None else None

    async def on_channel_added(self, record: ConversationRecord, team_name: str, channel_name: str) -> bool:
        """The bot is in a team's channel: remember it (calls for ideas go there). False if no Den."""
        if self._challenges is None:
            return False
        await self._challenges.register_channel(record, team_name, channel_name)
        return True

    async def on_text(self, turn: Turn, text: str | None) -> Reply:
        """A typed message: answer with a new card."""
        if not turn.is_personal:
            # In a channel or group chat nothing private is shown: pitching happens in the 1:1 chat.
            return Reply(card=await self._pitch_privately(turn))
        command = recognise(text)
        if command == Command.PITCH:
            return Reply(card=await self._pitch_form(turn))
        if command == Command.CHALLENGES and self._den is not None:
            return await self._den.list(turn)
        if command == Command.MY_IDEAS:
            return Reply(card=await self._my_ideas(turn))
        if command == Command.HELP:
            return Reply(card=help_card(turn.messages))
        shown = (text or "").strip()[:60]
        return Reply(message=turn.messages.t("unknown.text", text=shown), follow_ups=[help_card(turn.messages)])

    async def on_action(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """A card button (Action.Execute): answer with the card that replaces it, in place."""
        if verb == verbs.PITCH_SUBMIT:
            return await pitch.submit(self._service, turn, data, self._challenges)
        if verb == verbs.PITCH_RESUBMIT:
            return await pitch.resubmit(self._service, turn, data)
        if verb in verbs.DECISION_VERBS:
            return await approval.decide(self._service, turn, Outcome(verbs.DECISION_VERBS[verb]), data)
        if verb in (verbs.DIGEST_SHORTLIST, verbs.DIGEST_NUDGE) and self._digests is not None:
            return await digest.act(self._digests, turn, verb, data)
        if self._pitch_day is not None and verb in verbs.PITCH_DAY_VERBS:
            return await self._pitch_day.on_action(turn, verb, data)
        if self._den is not None and verb in DEN_VERBS:
            return await self._on_den_action(turn, verb, data)
        if verb == verbs.PITCH_OPEN:
            return Reply(card=await self._pitch_form(turn))
        if verb == verbs.MY_IDEAS:
            return Reply(card=await self._my_ideas(turn))
        if verb == verbs.HELP:
            return Reply(card=help_card(turn.messages))
        return Reply(message=turn.messages.t("error.unknown_action"))

    async def _on_den_action(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        den = self._den
        assert den is not None
        routes = {
            verbs.CHALLENGES: lambda: den.list(turn),
            verbs.CHALLENGE_NEW: lambda: den.new_form(turn),
            verbs.CHALLENGE_OPEN: lambda: den.open(turn, data),
            verbs.CHALLENGE_SHOW: lambda: den.show(turn, data),
            verbs.CHALLENGE_EDIT_FORM: lambda: den.edit_form(turn, data),
            verbs.CHALLENGE_EDIT: lambda: den.edit(turn, data),
            verbs.CHALLENGE_CLOSE: lambda: den.close(turn, data),
            verbs.CHALLENGE_PITCH: lambda: den.pitch_from_channel(turn, data),
            verbs.DEN_POOL: lambda: den.pool(turn, data),
            verbs.DEN_VIEW: lambda: den.view(turn, data),
            verbs.DEN_SHORTLIST: lambda: den.shortlist(turn, data),
            verbs.DEN_UNSHORTLIST: lambda: den.shortlist(turn, data, undo=True),
            verbs.DEN_FINALISTS: lambda: den.finalists(turn, data),
            verbs.DEN_WINNERS: lambda: den.winners(turn, data),
            verbs.DEN_FUND_FORM: lambda: den.fund_form(turn, data),
            verbs.DEN_FUND: lambda: den.fund(turn, data),
            verbs.DEN_CONSENT: lambda: den.consent(turn, data),
            verbs.DEN_PROGRESS: lambda: den.progress(turn, data),
            verbs.DEN_REPORT: lambda: den.report(turn, data),
        }
        return await routes[verb]()

    async def _pitch_form(self, turn: Turn) -> dict[str, Any]:
        """The form, showing the open challenge's question when one is open."""
        if self._challenges is None:
            return pitch.new_form(turn)
        target = await self._challenges.target_for_pitch()
        if target.challenge is None:
            return pitch.new_form(turn)
        preface = challenge_preface(turn.messages, target.challenge, tz=self._challenges.tz)
        return pitch.new_form(turn, preface=preface, challenge_id=target.challenge.id)

    async def _pitch_privately(self, turn: Turn) -> dict[str, Any]:
        target = await self._challenges.target_for_pitch() if self._challenges is not None else None
        challenge_id = target.challenge.id if target and target.challenge else ""
        return pitch_privately_card(turn.messages, challenge_id)

    async def _my_ideas(self, turn: Turn) -> dict[str, Any]:
        ideas = await self._service.my_ideas(turn.user_id, MY_IDEAS_LIMIT)
        den_lines: dict[str, str] = {}
        if self._challenges is not None:
            stages = await self._challenges.stages_for(ideas)
            names = {c.id: c.name for c in await self._challenges.challenges()}
            for idea in ideas:
                if idea.challenge in names:
                    stage = stages.get(idea.id)
                    label = stage_label(turn.messages, stage) if stage else turn.messages.t("den.stage.in_review")
                    den_lines[idea.id] = turn.messages.t(
                        "den.my_ideas.stage", challenge=names[idea.challenge], stage=label
                    )
        return my_ideas_card(turn.messages, ideas, self._clock(), limit=MY_IDEAS_LIMIT, den_lines=den_lines)


DEN_VERBS = frozenset(
    {
        verbs.CHALLENGES,
        verbs.CHALLENGE_NEW,
        verbs.CHALLENGE_OPEN,
        verbs.CHALLENGE_SHOW,
        verbs.CHALLENGE_EDIT_FORM,
        verbs.CHALLENGE_EDIT,
        verbs.CHALLENGE_CLOSE,
        verbs.CHALLENGE_PITCH,
        verbs.DEN_POOL,
        verbs.DEN_VIEW,
        verbs.DEN_SHORTLIST,
        verbs.DEN_UNSHORTLIST,
        verbs.DEN_FINALISTS,
        verbs.DEN_WINNERS,
        verbs.DEN_FUND_FORM,
        verbs.DEN_FUND,
        verbs.DEN_CONSENT,
        verbs.DEN_PROGRESS,
        verbs.DEN_REPORT,
    }
)
