"""The Teams edge: the Bot Framework adapter, its error handler, and the /api/messages handler.

Everything that imports botbuilder lives in `bot/teams/`, so the edge can move to the
Microsoft 365 Agents SDK without touching the services, dialogs or cards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp.web import Request, Response
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication, aiohttp_error_middleware
from botbuilder.schema import Activity, ActivityTypes
from msrest.exceptions import DeserializationError

from bot.i18n import Messages
from bot.logs import error_reference, where_it_failed
from bot.ports import Conversations
from bot.ports.service_urls import ServiceUrlAllowList
from bot.services.ideas import IdeaService
from bot.settings import Settings
from bot.teams.channel import TeamsChannel
from bot.teams.connector import ConnectorSender, ConnectorToken, token_from_app_credentials
from bot.teams.handler import DenBot, invoke_message
from bot.teams.lean import LeanCloudAdapter, fix_msrest_retry_scan
from bot.teams.tenant_guard import TenantGuard
from bot.web.request_guard import READ_ACTIVITY, Unreadable
from dialogs.main import MainDialog

log = logging.getLogger("deputys_den")

error_middleware = aiohttp_error_middleware  # answers the Bot Framework's auth failures with 401, not 500


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """An unexpected failure: the person is told it failed and that nothing was changed (each
    change is one write, and a failure before it writes nothing), with a reference an
    administrator finds in the logs. The log carries where it failed, never the exception's
    text: that can quote what the person typed."""
    reference = error_reference()
    log.error(
        "turn failed",
        extra={
            "activity_type": context.activity.type,
            "error_reference": reference,
            "error_type": type(error).__name__,
            "where": where_it_failed(error),
        },
    )
    m = Messages(context.activity.locale)
    if context.activity.type == ActivityTypes.invoke:
        response: InvokeResponse = invoke_message(m.t("error.generic", reference=reference))
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))
    else:
        await context.send_activity(m.t("error.generic", reference=reference))


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


def bot_adapter(settings: Settings) -> LeanCloudAdapter:
    """The Bot Framework adapter: authentication from the settings, the tenant guard, the error handler."""
    fix_msrest_retry_scan()
    adapter = LeanCloudAdapter(ConfigurationBotFrameworkAuthentication(settings))
    adapter.on_turn_error = on_turn_error
    if settings.tenant_to_enforce:
        adapter.use(TenantGuard(settings.tenant_to_enforce))
    return adapter


def connector_sender(settings: Settings, adapter: LeanCloudAdapter) -> ConnectorSender:
    """One HTTP session for every proactive message; with authentication on, the app's own token."""
    token = None
    if settings.auth_enabled:
        claims = adapter.create_claims_identity(settings.app_id)
        token = ConnectorToken(token_from_app_credentials(adapter.bot_framework_authentication, claims))
    return ConnectorSender(token)


@dataclass
class TeamsEdge:
    """The adapter and the channel built on it (made before the services, which send through the channel)."""

    adapter: LeanCloudAdapter
    channel: TeamsChannel
    sender: ConnectorSender

    @classmethod
    def build(cls, settings: Settings, conversations: Conversations) -> TeamsEdge:
        adapter = bot_adapter(settings)
        sender = connector_sender(settings, adapter)
        allow_list = ServiceUrlAllowList.from_setting(settings.allowed_service_urls)
        channel = TeamsChannel(sender, conversations, app_id=settings.app_id, allow_list=allow_list)
        return cls(adapter, channel, sender)

    async def close(self) -> None:
        """Close the shared HTTP session and the kept connector clients (app shutdown)."""
        await self.sender.close()
        await self.adapter.close()

    def messages_handler(self, ideas: IdeaService, dialog: MainDialog):
        """The aiohttp handler for POST /api/messages."""
        bot = DenBot(ideas, dialog)

        async def messages(request: Request) -> Response:
            return await self.adapter.process(request, bot, activity=request.get(READ_ACTIVITY))

        return messages
