"""The Teams edge: the Bot Framework adapter, its error handler, and the /api/messages handler.

Everything that imports botbuilder lives in `bot/teams/`, so the edge can move to the
Microsoft 365 Agents SDK without touching the services, dialogs or cards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp.web import Request, Response
from botbuilder.core import InvokeResponse, Middleware, TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication, aiohttp_error_middleware
from botbuilder.schema import Activity, ActivityTypes
from msrest.exceptions import DeserializationError

from bot.i18n import Messages
from bot.ports import Conversations
from bot.ports.service_urls import ServiceUrlAllowList
from bot.services.ideas import IdeaService
from bot.settings import Settings
from bot.teams.channel import TeamsChannel
from bot.teams.connector import ConnectorSender, ConnectorToken, token_from_app_credentials
from bot.teams.handler import DenBot, invoke_message
from bot.teams.lean import LeanCloudAdapter, fix_msrest_retry_scan
from bot.teams.tenant_guard import TenantGuard
from bot.telemetry import Telemetry, TurnFacts
from bot.telemetry.connector import connector_call
from bot.telemetry.privacy import guid_or_empty, known, word
from bot.telemetry.turns import mark_current_turn_failed, turn_span
from bot.web.request_guard import READ_ACTIVITY, Unreadable
from cards import verbs
from dialogs.main import MainDialog

log = logging.getLogger("deputys_den")

error_middleware = aiohttp_error_middleware  # answers the Bot Framework's auth failures with 401, not 500


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    mark_current_turn_failed(error)
    log.error("turn failed", exc_info=error, extra={"activity_type": context.activity.type})
    m = Messages(context.activity.locale)
    if context.activity.type == ActivityTypes.invoke:
        response: InvokeResponse = invoke_message(m.t("error.generic"))
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))
    else:
        await context.send_activity(m.t("error.generic"))


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


def connector_sender(
    settings: Settings, adapter: LeanCloudAdapter, telemetry: Telemetry | None = None
) -> ConnectorSender:
    """One HTTP session for every proactive message; with authentication on, the app's own token."""
    token = None
    if settings.auth_enabled:
        claims = adapter.create_claims_identity(settings.app_id)
        token = ConnectorToken(token_from_app_credentials(adapter.bot_framework_authentication, claims))
    return ConnectorSender(token, telemetry=telemetry)


@dataclass
class TeamsEdge:
    """The adapter and the channel built on it (made before the services, which send through the channel)."""

    adapter: LeanCloudAdapter
    channel: TeamsChannel
    sender: ConnectorSender
    telemetry: Telemetry | None = None  # on: a trace per activity (bot/telemetry/turns.py)

    @classmethod
    def build(cls, settings: Settings, conversations: Conversations, telemetry: Telemetry | None = None) -> TeamsEdge:
        adapter = bot_adapter(settings)
        if telemetry is not None and telemetry.enabled:
            adapter.use(ReplySpans(telemetry))
        sender = connector_sender(settings, adapter, telemetry)
        allow_list = ServiceUrlAllowList.from_setting(settings.allowed_service_urls)
        channel = TeamsChannel(sender, conversations, app_id=settings.app_id, allow_list=allow_list)
        return cls(adapter, channel, sender, telemetry if telemetry is not None and telemetry.enabled else None)

    async def close(self) -> None:
        """Close the shared HTTP session and the kept connector clients (app shutdown)."""
        await self.sender.close()
        await self.adapter.close()

    def messages_handler(self, ideas: IdeaService, dialog: MainDialog):
        """The aiohttp handler for POST /api/messages."""
        bot = DenBot(ideas, dialog)
        telemetry = self.telemetry

        async def messages(request: Request) -> Response:
            activity = request.get(READ_ACTIVITY)
            if telemetry is None:
                return await self.adapter.process(request, bot, activity=activity)
            with turn_span(telemetry, turn_facts(activity), request.headers) as turn:
                response = await self.adapter.process(request, bot, activity=activity)
                turn.answered(response.status if response is not None else 200)
                return response

        return messages


class ReplySpans(Middleware):
    """Each reply a turn sends through the Bot Connector in a span of its own (an invoke's answer,
    which goes back in the HTTP response, is not a send)."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    async def on_turn(self, context: TurnContext, logic) -> None:
        context.on_send_activities(self._sending)
        await logic()

    async def _sending(self, context: TurnContext, activities: list[Activity], next_send):
        if all(a.type == ActivityTypes.invoke_response for a in activities):
            return await next_send()
        with connector_call(self._telemetry, "send", "POST") as call:
            try:
                responses = await next_send()
            except Exception as error:
                call.unreachable(error)
                raise
            call.answered(200)
            return responses


VERBS = frozenset(v for k, v in vars(verbs).items() if k.isupper() and isinstance(v, str))


def turn_facts(activity: Activity | None) -> TurnFacts:
    """What a trace may say about this activity: its type, invoke name, and for a card click its verb
    (one of the app's) and the idea's id. Nothing the person typed."""
    if activity is None:
        return TurnFacts("unknown")
    facts = TurnFacts(word(activity.type), word(activity.name) if activity.name else "")
    value = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("action") if isinstance(value.get("action"), dict) else {}
    if activity.type == ActivityTypes.invoke and action:
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        facts = TurnFacts(facts.activity_type, facts.name, known(action.get("verb"), VERBS),
                          guid_or_empty(data.get("ideaId")))
    return facts
