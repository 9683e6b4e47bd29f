"""The botbuilder edge (DEN_TEAMS_EDGE=botbuilder, the default): the Bot Framework adapter, its error
handler, and the /api/messages handler.

Everything that imports botbuilder lives in `bot/teams/`; the Microsoft 365 Agents SDK edge
(bot/agents_sdk/) runs the same turns (bot/edge/turns.py) and sends through the same channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web import Request, Response
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication, aiohttp_error_middleware
from botbuilder.schema import Activity, ActivityTypes, CallerIdConstants
from botframework.connector.auth import AuthenticationConstants, BotFrameworkAuthentication
from msrest.exceptions import DeserializationError

from bot.edge.channel import TeamsChannel
from bot.edge.connector import ConnectorSender, ConnectorToken
from bot.edge.turns import DenTurns, traced_messages
from bot.edge.turns import on_turn_error as den_turn_error
from bot.ports import Conversations
from bot.ports.service_urls import ServiceUrlAllowList
from bot.settings import Settings
from bot.teams.handler import DenBot, TurnReplies, invoke_response
from bot.teams.lean import LeanCloudAdapter, fix_msrest_retry_scan
from bot.teams.tenant_guard import TenantGuard
from bot.telemetry import Telemetry
from bot.web.request_guard import READ_ACTIVITY, Unreadable

log = logging.getLogger("deputys_den")

error_middleware = aiohttp_error_middleware  # answers the Bot Framework's auth failures with 401, not 500


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    answer = await den_turn_error(context.activity, error, TurnReplies(context))
    if answer is not None:
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=invoke_response(answer)))


def read_activity(body: dict) -> Activity:
    """The request guard's last check, botbuilder's own reader (else it would answer 500). The
    activity it reads is the one the adapter runs: each activity is deserialized once."""
    try:
        activity = Activity().deserialize(body)
    except (DeserializationError, TypeError, ValueError, AttributeError) as exc:
        raise Unreadable("activity cannot be read") from exc
    if not activity.type:
        raise Unreadable("activity has no type")
    return activity


class BotFrameworkConfiguration:
    """The names ConfigurationBotFrameworkAuthentication reads (APP_ID, APP_PASSWORD, APP_TYPE,
    APP_TENANTID from bot/settings.py). With a login authority of its own (a sovereign cloud, ADFS)
    botbuilder switches to its 'parameterized' mode, which needs every endpoint spelled out: the
    public cloud's, but for the login URL."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        if settings.login_authority:
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = settings.login_authority
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = (
                AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
            )
            self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
                AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
            )
            self.OAUTH_URL = AuthenticationConstants.OAUTH_URL
            self.CALLER_ID = CallerIdConstants.public_azure_channel.value

    def __getattr__(self, name: str) -> Any:
        if name in ("APP_ID", "APP_PASSWORD", "APP_TYPE", "APP_TENANTID"):
            return getattr(self._settings, name)
        raise AttributeError(name)


def bot_adapter(settings: Settings) -> LeanCloudAdapter:
    """The Bot Framework adapter: authentication from the settings, the tenant guard, the error handler."""
    fix_msrest_retry_scan()
    adapter = LeanCloudAdapter(ConfigurationBotFrameworkAuthentication(BotFrameworkConfiguration(settings)))
    adapter.on_turn_error = on_turn_error
    if settings.tenant_to_enforce:
        adapter.use(TenantGuard(settings.tenant_to_enforce))
    return adapter


def token_from_app_credentials(
    auth: BotFrameworkAuthentication, claims_identity: Any, audience: str | None = None
) -> Callable[[], Awaitable[str]]:
    """A fetcher using the app's credentials exactly as botbuilder's connector client would."""

    async def fetch() -> str:
        factory = auth.create_connector_factory(claims_identity)
        credentials = await factory._credential_factory.create_credentials(  # noqa: SLF001 - botbuilder 4.17.1
            factory._app_id,  # noqa: SLF001
            audience or factory._to_channel_from_bot_oauth_scope,  # noqa: SLF001
            factory._login_endpoint,  # noqa: SLF001
            factory._validate_authority,  # noqa: SLF001
        )
        return await asyncio.to_thread(credentials.get_access_token)

    return fetch


def connector_sender(
    settings: Settings, adapter: LeanCloudAdapter, telemetry: Telemetry | None = None
) -> ConnectorSender:
    """One HTTP session for every proactive message; with authentication on, the app's own token."""
    token = None
    if settings.auth_enabled:
        claims = adapter.create_claims_identity(settings.app_id)
        token = ConnectorToken(token_from_app_credentials(adapter.bot_framework_authentication, claims))
    return ConnectorSender(token, telemetry=telemetry)


class BotbuilderEdge:
    """The adapter and the channel built on it (made before the services, which send through the channel)."""

    name = "botbuilder"
    middlewares = (error_middleware,)

    def __init__(
        self, adapter: LeanCloudAdapter, channel: TeamsChannel, sender: ConnectorSender, *, auth_required: bool
    ) -> None:
        self.adapter = adapter
        self.auth_required = auth_required
        self.channel = channel
        self.sender = sender
        self.telemetry: Telemetry | None = None  # a trace per activity (bot/edge/turns.py), when on

    @classmethod
    def build(
        cls, settings: Settings, conversations: Conversations, telemetry: Telemetry | None = None
    ) -> BotbuilderEdge:
        adapter = bot_adapter(settings)
        sender = connector_sender(settings, adapter, telemetry)
        allow_list = ServiceUrlAllowList.from_setting(settings.allowed_service_urls)
        channel = TeamsChannel(sender, conversations, app_id=settings.app_id, allow_list=allow_list)
        edge = cls(adapter, channel, sender, auth_required=settings.auth_enabled)
        edge.telemetry = telemetry if telemetry is not None and telemetry.enabled else None
        return edge

    @staticmethod
    def read_activity(body: dict) -> Activity:
        return read_activity(body)

    async def close(self) -> None:
        """Close the shared HTTP session and the kept connector clients (app shutdown)."""
        await self.sender.close()
        await self.adapter.close()

    def mount(self, app: web.Application, turns: DenTurns) -> None:
        """POST /api/messages, through the lean CloudAdapter."""
        bot = DenBot(turns)

        async def process(request: Request) -> Response:
            if self.auth_required and not request.headers.get("Authorization"):
                # botbuilder 4.17.1 answers this itself, except with a login authority of the app's
                # own (its "parameterized" authentication), where it fails with AttributeError: 500.
                raise web.HTTPUnauthorized()
            return await self.adapter.process(request, bot, activity=request.get(READ_ACTIVITY))

        app.router.add_post("/api/messages", traced_messages(self.telemetry, process))
