"""The Microsoft 365 Agents SDK edge (DEN_TEAMS_EDGE=agents): the supported successor of botbuilder.

The SDK's pieces, as Microsoft's Teams samples put them together: `CloudAdapter`
(microsoft-agents-hosting-aiohttp), an `AgentApplication` with the Teams extension
(`TeamsAgentExtension`, microsoft-agents-hosting-msteams), the app's connection through MSAL
(`MsalConnectionManager`, microsoft-agents-authentication-msal), and the SDK's JWT check of every
request to /api/messages (`jwt_authorization_decorator`). The application's routes hand each
activity to the same turns the botbuilder edge runs (bot/edge/turns.py); proactive messages go
through the same channel (bot/edge/channel.py), with the token from the same MSAL connection.

Everything that imports the Agents SDK lives in `bot/agents_sdk/`.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any
from uuid import uuid4

from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes, Attachment, InvokeResponse
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    ApplicationOptions,
    ClaimsIdentity,
    MemoryStorage,
    MessageFactory,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.authorization import AuthTypes
from microsoft_agents.hosting.msteams import TeamsAgentExtension
from pydantic import ValidationError

from bot.edge.channel import TeamsChannel, send_in_turn
from bot.edge.connector import ConnectorSender, ConnectorToken
from bot.edge.turns import (
    CARD_ACTION,
    FORBIDDEN,
    Answer,
    DenTurns,
    on_turn_error,
    refused_tenant,
    tenant_of,
    traced_messages,
)
from bot.ports import Conversations
from bot.ports.service_urls import ServiceUrlAllowList
from bot.settings import Settings
from bot.telemetry import Telemetry
from bot.web.request_guard import READ_ACTIVITY, Unreadable
from cards.common import CONTENT_TYPE

log = logging.getLogger("deputys_den")

BOT_CONNECTOR = "https://api.botframework.com"  # the Bot Connector's token audience
SERVICE_CONNECTION = "SERVICE_CONNECTION"  # the SDK's name for the app's own connection
RAW_CHANNEL_DATA = "den.channel_data"  # the channel data Teams sent, before the extension types it
AGENT_CONFIGURATION = "agent_configuration"  # where the SDK's JWT check finds the configuration
SDK_LOG = "microsoft_agents"


def quiet_sdk_logs(settings: Settings) -> None:
    """The SDK's own records stay out of the app's logs unless DEN_LOG_LEVEL=DEBUG: its warnings and
    information carry what the app logs never do (an activity's text for a route it has none for,
    its configuration) and, with authentication off, a warning on every turn."""
    if settings.log_level != "DEBUG":
        logging.getLogger(SDK_LOG).setLevel(logging.ERROR)


# ---- settings -> the SDK's configuration -------------------------------------------------------
def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The app's connection, from the SDK's own settings (CONNECTIONS__SERVICE_CONNECTION__SETTINGS__*)
    or the Bot Framework's (MicrosoftApp*): bot/settings.py reads either. No app id: anonymous, as
    botbuilder is without one (local runs, Agents Playground)."""
    if not settings.auth_enabled:
        return AgentAuthConfiguration(anonymous_allowed=True, connection_name=SERVICE_CONNECTION)
    auth_type = settings.agents_auth_type or (
        AuthTypes.user_managed_identity if settings.app_type == "UserAssignedMSI" else AuthTypes.client_secret
    )
    tenant = settings.app_tenant_id or ("botframework.com" if settings.app_type == "MultiTenant" else "")
    return AgentAuthConfiguration(
        auth_type=auth_type,
        client_id=settings.app_id,
        tenant_id=tenant or None,
        client_secret=settings.app_password or None,
        authority=settings.login_authority or None,
        connection_name=SERVICE_CONNECTION,
    )


def read_activity(body: dict) -> Activity:
    """The request guard's last check, the SDK's own reader (else it would answer 500)."""
    try:
        activity = Activity.model_validate(body)
    except (ValidationError, TypeError, ValueError) as exc:
        raise Unreadable("activity cannot be read") from exc
    if not activity.type or not activity.conversation or not activity.conversation.id:
        raise Unreadable("activity has no type or conversation")
    return activity


# ---- in the turn ---------------------------------------------------------------------------------
class TurnReplies:
    """Sends within an Agents SDK turn, each send riding out a brief 429/5xx."""

    def __init__(self, context: TurnContext) -> None:
        self._context = context

    async def text(self, text: str) -> None:
        await send_in_turn(lambda: self._context.send_activity(text))

    async def card(self, card: dict[str, Any]) -> None:
        activity = MessageFactory.attachment(Attachment(content_type=CONTENT_TYPE, content=card))
        await send_in_turn(lambda: self._context.send_activity(activity))


async def answer_invoke(context: TurnContext, answer: Answer) -> None:
    """The invoke's answer, sent the SDK's way: the adapter keeps it and writes it as the HTTP response."""
    response = InvokeResponse(status=answer.status, body=answer.body)
    await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))


def channel_data_of(context: TurnContext) -> dict[str, Any]:
    raw = context.turn_state.get(RAW_CHANNEL_DATA)
    return raw if isinstance(raw, dict) else {}


class TenantGuard:
    """Adapter middleware: an activity from another tenant never reaches the application."""

    def __init__(self, tenant_id: str) -> None:
        self._tenant_id = tenant_id.lower()

    async def on_turn(self, context: TurnContext, logic) -> None:
        activity = context.activity
        raw = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        tenant = tenant_of(activity, raw).lower()
        if tenant == self._tenant_id:
            await logic(context)
            return
        refused_tenant(tenant)
        if activity.type == ActivityTypes.invoke:
            await answer_invoke(context, FORBIDDEN)


def den_application(turns: DenTurns, connections: MsalConnectionManager) -> AgentApplication[TurnState]:
    """The AgentApplication: the Teams extension, and one route per kind of activity the bot answers."""
    options = ApplicationOptions(
        storage=MemoryStorage(),  # the SDK's turn state; the Den keeps nothing in it (its store is its own)
        start_typing_timer=False,  # every answer is quick; no typing indicator between them
        remove_recipient_mention=False,  # the dialogs read the text as botbuilder passes it
    )
    app: AgentApplication[TurnState] = AgentApplication[TurnState](options, connection_manager=connections)

    async def keep_raw_channel_data(context: TurnContext, state: TurnState) -> bool:
        context.turn_state[RAW_CHANNEL_DATA] = context.activity.channel_data
        return True

    app.before_turn(keep_raw_channel_data)  # before the Teams extension's own hook types it
    TeamsAgentExtension(app)

    @app.activity(ActivityTypes.conversation_update)
    async def conversation_update(context: TurnContext, state: TurnState) -> None:
        await turns.conversation_update(context.activity, channel_data_of(context), TurnReplies(context))

    @app.activity(ActivityTypes.installation_update)
    async def installation_update(context: TurnContext, state: TurnState) -> None:
        if context.activity.action in ("add", "add-upgrade"):
            await turns.installation_added(context.activity, channel_data_of(context))

    @app.activity(ActivityTypes.message)
    async def message(context: TurnContext, state: TurnState) -> None:
        await turns.message(context.activity, channel_data_of(context), TurnReplies(context))

    @app.invoke(CARD_ACTION)
    async def card_action(context: TurnContext, state: TurnState) -> None:
        await answer_invoke(context, await turns.card_action(context.activity, TurnReplies(context)))

    @app.error
    async def turn_failed(context: TurnContext, error: Exception) -> None:
        answer = await on_turn_error(context.activity, error, TurnReplies(context))
        if answer is not None:
            await answer_invoke(context, answer)

    return app


# ---- the edge ------------------------------------------------------------------------------------
class AgentsEdge:
    """The Agents SDK adapter and application, and the channel (made before the services, which send
    through the channel)."""

    name = "agents"
    middlewares = ()

    def __init__(
        self,
        settings: Settings,
        connections: MsalConnectionManager,
        configuration: AgentAuthConfiguration,
        channel: TeamsChannel,
        sender: ConnectorSender,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.settings = settings
        self.telemetry = telemetry if telemetry is not None and telemetry.enabled else None  # a trace per activity
        self.connections = connections
        self.configuration = configuration
        self.adapter = CloudAdapter(connection_manager=connections)
        if settings.tenant_to_enforce:
            self.adapter.use(TenantGuard(settings.tenant_to_enforce))
        self.channel = channel
        self.sender = sender

    @classmethod
    def build(cls, settings: Settings, conversations: Conversations, telemetry: Telemetry | None = None) -> AgentsEdge:
        quiet_sdk_logs(settings)
        configuration = auth_configuration(settings)
        connections = MsalConnectionManager(connections_configurations={SERVICE_CONNECTION: configuration})
        token = None
        if settings.auth_enabled:
            provider = connections.get_default_connection()

            async def fetch() -> str:
                return await provider.get_access_token(BOT_CONNECTOR, [f"{BOT_CONNECTOR}/.default"])

            token = ConnectorToken(fetch)
        sender = ConnectorSender(token, telemetry=telemetry)
        allow_list = ServiceUrlAllowList.from_setting(settings.allowed_service_urls)
        channel = TeamsChannel(sender, conversations, app_id=settings.app_id, allow_list=allow_list)
        return cls(settings, connections, configuration, channel, sender, telemetry)

    @staticmethod
    def read_activity(body: dict) -> Activity:
        return read_activity(body)

    async def close(self) -> None:
        await self.sender.close()

    def mount(self, app: web.Application, turns: DenTurns) -> None:
        """POST /api/messages: the SDK's JWT check, then the adapter runs the application."""
        application = den_application(turns, self.connections)
        with warnings.catch_warnings():  # the SDK looks its configuration up by this plain string key
            warnings.simplefilter("ignore")
            app[AGENT_CONFIGURATION] = self.configuration

        @jwt_authorization_decorator
        async def messages(request: web.Request) -> web.Response:
            activity = request.get(READ_ACTIVITY)
            if activity is None:  # no request guard in front (it always is in the app)
                activity = read_activity(await request.json())
            claims: ClaimsIdentity = request.get("claims_identity") or ClaimsIdentity()
            if not _service_url_matches(claims, activity):
                return web.json_response({"error": "serviceUrl does not match the token"}, status=401)
            activity.request_id = str(uuid4())
            invoke = await self.adapter.process_activity(claims, activity, application.on_turn)
            if activity.type != ActivityTypes.invoke:
                return web.Response(status=201)  # as the botbuilder edge answers (the SDK's own: 202)
            if invoke is None:
                return web.json_response(None, status=501)
            return web.json_response(invoke.body, status=int(invoke.status or 501))

        app.router.add_post("/api/messages", traced_messages(self.telemetry, messages))


def _service_url_matches(claims: ClaimsIdentity, activity: Activity) -> bool:
    """A channel token names the connector it came from (`serviceurl`): the activity must name the same."""
    claimed = claims.get_claim_value("serviceurl")
    if not claimed or not activity.service_url:
        return True
    return ServiceUrlAllowList.host_of(claimed) == ServiceUrlAllowList.host_of(activity.service_url)
