"""Which SDK receives /api/messages: DEN_TEAMS_EDGE=botbuilder (the default) or agents.

Both edges offer the same face to the app (`TeamsEdge`), run the same turns and send through the
same channel, over the same stored conversation references, so an instance can switch from one
to the other with a restart and lose nothing. Each SDK is imported only when its edge is chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aiohttp import web

from bot.edge.channel import TeamsChannel
from bot.edge.turns import DenTurns
from bot.ports import Conversations
from bot.settings import Settings

EDGES = ("botbuilder", "agents")


class TeamsEdge(Protocol):
    """What the app needs from an edge."""

    name: str
    channel: TeamsChannel
    middlewares: Sequence[Any]  # aiohttp middlewares the edge needs after the request guard

    def read_activity(self, body: dict) -> Any:
        """The request guard's last check: the SDK's own reader (raises Unreadable)."""

    def mount(self, app: web.Application, turns: DenTurns) -> None:
        """Add POST /api/messages to the app."""

    async def close(self) -> None: ...


def build_edge(settings: Settings, conversations: Conversations, telemetry: Any = None) -> TeamsEdge:
    """`telemetry`: either edge traces each activity, its replies and its Bot Connector requests the
    same way (bot/edge/turns.py, bot/edge/channel.py, bot/edge/connector.py)."""
    if settings.teams_edge == "agents":
        from bot.agents_sdk.edge import AgentsEdge

        return AgentsEdge.build(settings, conversations, telemetry)
    from bot.teams.edge import BotbuilderEdge

    return BotbuilderEdge.build(settings, conversations, telemetry)
