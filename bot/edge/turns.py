"""What the bot does with each activity, whichever SDK received it: recognise it, hand it to a flow,
send what the flow returns.

Both edges (botbuilder in bot/teams/, the Microsoft 365 Agents SDK in bot/agents_sdk/) read an
activity the same way: the SDKs' activity models share their attribute names (`from_property`,
`aad_object_id`, `conversation_type`, `members_added`, ...), so the functions here read either one.
Channel data is passed as the plain JSON object Teams sent, because the Agents SDK's Teams
extension turns it into its own model during the turn. What the bot stores (a conversation
record) and answers (an invoke body) is plain data too, so an instance can switch edges and keep
every stored conversation. Kept thin on purpose, as in Microsoft's samples: no business rule here.

Telemetry is the same on both edges too: each edge's POST /api/messages handler is wrapped by
`traced_messages` (one trace per activity, bot/telemetry/turns.py), the replies a turn sends are
traced where both edges send them (bot/edge/channel.py), and `on_turn_error` marks the trace failed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol

from aiohttp import web

from bot.i18n import Messages
from bot.logs import error_reference, where_it_failed
from bot.ports import ConversationRecord, StoreUnavailable
from bot.services.ideas import IdeaService
from bot.telemetry import Telemetry, TurnFacts
from bot.telemetry.privacy import guid_or_empty, known, word
from bot.telemetry.turns import mark_current_turn_failed, turn_span
from bot.web.request_guard import READ_ACTIVITY
from cards import verbs, welcome_card
from cards.bilingual import in_both
from cards.common import CONTENT_TYPE
from cards.size_guard import fit_for_teams
from dialogs.main import MainDialog
from dialogs.turn import Reply, Turn

log = logging.getLogger(__name__)

MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
CARD_ACTION = "adaptiveCard/action"
CHANNEL_EVENTS = ("channelCreated", "channelRenamed", "channelRestored")


class Replies(Protocol):
    """How an edge sends within the turn (each send rides out a brief 429/5xx: bot/edge/channel.py)."""

    async def text(self, text: str) -> None: ...

    async def card(self, card: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Answer:
    """An invoke's HTTP answer: its status and JSON body."""

    status: int
    body: dict[str, Any] | None = None


def fitted(card: dict[str, Any], locale: str | None = None) -> dict[str, Any]:
    return fit_for_teams(Messages(locale), card)  # never a card Teams would refuse


def invoke_card(card: dict[str, Any], locale: str | None = None) -> Answer:
    """Replace the clicked card with this one."""
    return Answer(int(HTTPStatus.OK), {"statusCode": 200, "type": CONTENT_TYPE, "value": fitted(card, locale)})


def invoke_message(text: str) -> Answer:
    """Answer a click with a short message; the card stays as it was."""
    return Answer(int(HTTPStatus.OK), {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text})


FORBIDDEN = Answer(int(HTTPStatus.FORBIDDEN))


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def tenant_of(activity: Any, channel_data: dict[str, Any]) -> str:
    tenant = as_dict(channel_data.get("tenant")).get("id")
    if not tenant and activity.conversation is not None:
        tenant = activity.conversation.tenant_id
    return tenant or ""


def turn_of(activity: Any) -> Turn | None:
    sender = activity.from_property
    user_id = getattr(sender, "aad_object_id", None) if sender else None
    if not user_id:
        return None
    conversation = activity.conversation
    kind = (conversation.conversation_type if conversation else None) or "personal"
    return Turn(
        user_id=user_id,
        user_name=sender.name or "",
        locale=activity.locale or "en-US",
        conversation_type=kind,
        user_channel_id=sender.id or "",
    )


def channel_of(activity: Any, channel_data: dict[str, Any]) -> tuple[ConversationRecord, str, str] | None:
    """A team channel the activity came from: (how to post there, team name, channel name).

    When the bot is added to a team, Teams sends conversationUpdate in the team's General
    channel, whose conversation id is the channel's (`19:...@thread.tacv2`)."""
    conversation = activity.conversation
    team = as_dict(channel_data.get("team"))
    channel = as_dict(channel_data.get("channel"))
    if conversation is None or not (team or conversation.conversation_type == "channel"):
        return None
    tenant = tenant_of(activity, channel_data)
    channel_id = channel.get("id") or conversation.id.split(";")[0]
    record = ConversationRecord(
        user_id="",
        user_name=channel.get("name") or "General",
        conversation_id=channel_id,
        service_url=activity.service_url,
        tenant_id=tenant,
        channel_id=str(activity.channel_id),
        bot_id=activity.recipient.id if activity.recipient else "",
        bot_name=activity.recipient.name if activity.recipient else "",
        user_channel_id="",
        locale=activity.locale or "en-US",
    )
    return record, team.get("name") or "", channel.get("name") or "General"


def conversation_record_of(activity: Any, channel_data: dict[str, Any]) -> ConversationRecord | None:
    """Only personal (1:1) conversations are kept: that is where the bot writes to people."""
    conversation = activity.conversation
    sender = activity.from_property
    if conversation is None or sender is None or not sender.aad_object_id:
        return None
    if conversation.is_group or (conversation.conversation_type not in (None, "personal")):
        return None
    return ConversationRecord(
        user_id=sender.aad_object_id,
        user_name=sender.name or "",
        conversation_id=conversation.id,
        service_url=activity.service_url,
        tenant_id=tenant_of(activity, channel_data),
        channel_id=str(activity.channel_id),
        bot_id=activity.recipient.id if activity.recipient else "",
        bot_name=activity.recipient.name if activity.recipient else "",
        user_channel_id=sender.id,
        locale=activity.locale or "en-US",
    )


class DenTurns:
    """The bot's answer to each kind of activity; the edges call it from their SDK's handler."""

    def __init__(self, service: IdeaService, dialog: MainDialog) -> None:
        self._service = service
        self._dialog = dialog

    # ---- installation and welcome -----------------------------------------------------
    async def conversation_update(self, activity: Any, channel_data: dict[str, Any], replies: Replies) -> None:
        bot_id = activity.recipient.id if activity.recipient else None
        bot_added = any(member.id == bot_id for member in activity.members_added or [])
        channel = channel_of(activity, channel_data)
        if channel is not None:
            if bot_added or channel_data.get("eventType") in CHANNEL_EVENTS:
                known = await self._dialog.on_channel_added(*channel)
                if bot_added and known:
                    await replies.text(in_both(Messages(activity.locale), "den.channel.hello"))
            return
        if bot_added:
            await self._remember(activity, channel_data)
            turn = turn_of(activity)
            welcome = await self._dialog.welcome(turn) if turn else welcome_card(Messages(activity.locale))
            await replies.card(fitted(welcome))

    async def installation_added(self, activity: Any, channel_data: dict[str, Any]) -> None:
        channel = channel_of(activity, channel_data)
        if channel is not None:
            await self._dialog.on_channel_added(*channel)
            return
        await self._remember(activity, channel_data)

    # ---- typed messages -----------------------------------------------------------------
    async def message(self, activity: Any, channel_data: dict[str, Any], replies: Replies) -> None:
        turn = turn_of(activity)
        if turn is None:
            await replies.text(Messages(activity.locale).t("error.no_user"))
            return
        await self._remember(activity, channel_data)
        reply = await self._dialog.on_text(turn, activity.text)
        await self._send(activity.locale, reply, replies)

    # ---- card buttons (Universal Actions, and their automatic refresh) ------------------
    async def card_action(self, activity: Any, replies: Replies) -> Answer:
        m = Messages(activity.locale)
        turn = turn_of(activity)
        if turn is None:
            return invoke_message(m.t("error.no_user"))
        value = as_dict(activity.value)
        action = as_dict(value.get("action"))
        verb = str(action.get("verb") or "")
        data = as_dict(action.get("data"))
        try:
            reply = await self._dialog.on_action(turn, verb, data)
        except StoreUnavailable:
            log.exception("store unavailable during a card action", extra={"verb": verb})
            return invoke_message(m.t("error.store_unavailable"))
        for follow_up in reply.follow_ups:
            await replies.card(fitted(follow_up, turn.locale))
        if reply.card is not None:
            return invoke_card(reply.card, turn.locale)
        return invoke_message(reply.message or "")

    # ---- helpers ------------------------------------------------------------------------
    async def _remember(self, activity: Any, channel_data: dict[str, Any]) -> None:
        record = conversation_record_of(activity, channel_data)
        if record is not None:
            await self._service.remember_conversation(record)

    @staticmethod
    async def _send(locale: str | None, reply: Reply, replies: Replies) -> None:
        if reply.message:
            await replies.text(reply.message)
        if reply.card is not None:
            await replies.card(fitted(reply.card, locale))
        for follow_up in reply.follow_ups:
            await replies.card(fitted(follow_up, locale))


async def on_turn_error(activity: Any, error: Exception, replies: Replies) -> Answer | None:
    """A turn that failed: the person is told, in their language, that it failed and that nothing
    was changed (each change is one write, and a failure before it writes nothing), with a
    reference an administrator finds in the logs. The log carries ids and where it failed, never
    the exception's text: that can quote what the person typed."""
    mark_current_turn_failed(error)  # the SDK answered politely; the trace still says the turn failed
    reference = error_reference()
    log.error(
        "turn failed",
        extra={
            "activity_type": activity.type,
            "error_reference": reference,
            "error_type": type(error).__name__,
            "where": where_it_failed(error),
        },
    )
    text = Messages(activity.locale).t("error.generic", reference=reference)
    if activity.type == "invoke":
        return invoke_message(text)
    await replies.text(text)
    return None


def refused_tenant(tenant_id: str) -> None:
    log.warning("activity from another tenant refused", extra={"tenant_id": tenant_id or "(none)"})



# ---- telemetry: one trace per activity, on either edge ----------------------------------------------
VERBS = frozenset(v for k, v in vars(verbs).items() if k.isupper() and isinstance(v, str))
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def turn_facts(activity: Any) -> TurnFacts:
    """What a trace may say about this activity (either SDK's model): its type, invoke name, and for a
    card click its verb (one of the app's) and the idea's id. Nothing the person typed."""
    if activity is None:
        return TurnFacts("unknown")
    facts = TurnFacts(word(activity.type), word(activity.name) if activity.name else "")
    value = as_dict(activity.value)
    action = as_dict(value.get("action"))
    if activity.type == "invoke" and action:
        data = as_dict(action.get("data"))
        facts = TurnFacts(facts.activity_type, facts.name, known(action.get("verb"), VERBS),
                          guid_or_empty(data.get("ideaId")))  # fmt: skip
    return facts


def traced_messages(telemetry: Telemetry | None, handle: Handler) -> Handler:
    """`handle` (an edge's POST /api/messages) in a turn span when telemetry is on; as it is when off,
    so an app without telemetry pays nothing per turn."""
    if telemetry is None or not telemetry.enabled:
        return handle

    async def messages(request: web.Request) -> web.StreamResponse:
        with turn_span(telemetry, turn_facts(request.get(READ_ACTIVITY)), request.headers) as turn:
            try:
                response = await handle(request)
            except web.HTTPException as answered:  # aiohttp's answers raised as exceptions (401, 400...)
                turn.answered(answered.status)
                raise
            turn.answered(response.status if response is not None else 200)
            return response

    return messages
