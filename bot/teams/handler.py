"""The botbuilder edge's activity handler: botbuilder's TeamsActivityHandler, handing each activity
to the bot's turns (bot/edge/turns.py), which the Agents SDK edge calls the same way."""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, Attachment

from bot.edge.channel import send_in_turn
from bot.edge.turns import CARD_ACTION, Answer, DenTurns, as_dict
from bot.teams.lean import answer_invoke
from cards.common import CONTENT_TYPE


def invoke_response(answer: Answer) -> InvokeResponse:
    """A plain-dict body: the lean adapter writes it with json.dumps (botbuilder's own would answer 500)."""
    return InvokeResponse(status=answer.status, body=answer.body)


class TurnReplies:
    """Sends within a botbuilder turn, each send riding out a brief 429/5xx."""

    def __init__(self, turn_context: TurnContext) -> None:
        self._context = turn_context

    async def text(self, text: str) -> None:
        await send_in_turn(lambda: self._context.send_activity(text))

    async def card(self, card: dict[str, Any]) -> None:
        activity: Activity = MessageFactory.attachment(Attachment(content_type=CONTENT_TYPE, content=card))
        await send_in_turn(lambda: self._context.send_activity(activity))


class DenBot(TeamsActivityHandler):
    def __init__(self, turns: DenTurns) -> None:
        self._turns = turns

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await self._turns.conversation_update(activity, as_dict(activity.channel_data), TurnReplies(turn_context))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._turns.installation_added(turn_context.activity, as_dict(turn_context.activity.channel_data))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await self._turns.message(activity, as_dict(activity.channel_data), TurnReplies(turn_context))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != CARD_ACTION:
            return await super().on_invoke_activity(turn_context)
        response = invoke_response(await self._turns.card_action(turn_context.activity, TurnReplies(turn_context)))
        answer_invoke(turn_context, response)
        return response
