"""Pitch day's verbs routed to their flows (the panel's, and People's Choice)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.services.pitch_day import PitchDayService
from cards import verbs
from dialogs.panel import PanelFlows
from dialogs.turn import Reply, Turn
from dialogs.voting import VotingFlows


class PitchDayFlows:
    def __init__(self, service: PitchDayService) -> None:
        self.panel = PanelFlows(service)
        self.voting = VotingFlows(service, self.panel)

    async def on_action(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        panel, voting = self.panel, self.voting
        routes = {
            verbs.PITCH_DAY: panel.show,
            verbs.PANEL_FORM: panel.form,
            verbs.PANEL_NAME: panel.name,
            verbs.SCORECARDS: panel.mine,
            verbs.SCORECARD: panel.open_card,
            verbs.DECLARE: panel.declare,
            verbs.SCORE: panel.score,
            verbs.CLOSE_SCORING: panel.close_scoring,
            verbs.RESULTS: panel.results,
            verbs.ROOM: panel.room,
            verbs.VOTING_OPEN: voting.open,
            verbs.VOTING_CLOSE: voting.close,
            verbs.VOTING_REPOST: voting.repost,
            verbs.VOTE: voting.vote,
            verbs.VOTE_VIEW: voting.view,
        }
        return await routes[verb](turn, data)
