"""The Teams activity handler: recognise what arrived, hand it to a flow, send what it returns.

Kept thin on purpose (as in Microsoft's samples): no business rule lives here.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, Attachment

from bot.i18n import Messages
from bot.ports import ConversationRecord, StoreUnavailable
from bot.services.ideas import IdeaService
from bot.teams.channel import send_in_turn
from bot.teams.lean import answer_invoke
from cards import welcome_card
from cards.bilingual import in_both
from cards.common import CONTENT_TYPE
from cards.size_guard import fit_for_teams
from dialogs.main import MainDialog
from dialogs.turn import Reply, Turn

log = logging.getLogger(__name__)

MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"


def card_activity(card: dict[str, Any], locale: str | None = None) -> Activity:
    card = fit_for_teams(Messages(locale), card)  # never a card Teams would refuse
    return MessageFactory.attachment(Attachment(content_type=CONTENT_TYPE, content=card))


def turn_of(turn_context: TurnContext) -> Turn | None:
    sender = turn_context.activity.from_property
    user_id = getattr(sender, "aad_object_id", None) if sender else None
    if not user_id:
        return None
    conversation = turn_context.activity.conversation
    kind = (conversation.conversation_type if conversation else None) or "personal"
    return Turn(
        user_id=user_id,
        user_name=sender.name or "",
        locale=turn_context.activity.locale or "en-US",
        conversation_type=kind,
        user_channel_id=sender.id or "",
    )


def channel_of(turn_context: TurnContext) -> tuple[ConversationRecord, str, str] | None:
    """A team channel the activity came from: (how to post there, team name, channel name).

    When the bot is added to a team, Teams sends conversationUpdate in the team's General
    channel, whose conversation id is the channel's (`19:...@thread.tacv2`)."""
    activity = turn_context.activity
    conversation = activity.conversation
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = channel_data.get("team") or {}
    channel = channel_data.get("channel") or {}
    if conversation is None or not (team or conversation.conversation_type == "channel"):
        return None
    tenant = (channel_data.get("tenant") or {}).get("id") or conversation.tenant_id or ""
    channel_id = channel.get("id") or conversation.id.split(";")[0]
    record = ConversationRecord(
        user_id="",
        user_name=channel.get("name") or "General",
        conversation_id=channel_id,
        service_url=activity.service_url,
        tenant_id=tenant,
        channel_id=activity.channel_id,
        bot_id=activity.recipient.id if activity.recipient else "",
        bot_name=activity.recipient.name if activity.recipient else "",
        user_channel_id="",
        locale=activity.locale or "en-US",
    )
    return record, team.get("name") or "", channel.get("name") or "General"


def conversation_record_of(turn_context: TurnContext) -> ConversationRecord | None:
    """Only personal (1:1) conversations are kept: that is where the bot writes to people."""
    activity = turn_context.activity
    conversation = activity.conversation
    sender = activity.from_property
    if conversation is None or sender is None or not sender.aad_object_id:
        return None
    if conversation.is_group or (conversation.conversation_type not in (None, "personal")):
        return None
    channel_data = activity.channel_data or {}
    tenant = (channel_data.get("tenant") or {}).get("id") if isinstance(channel_data, dict) else None
    return ConversationRecord(
        user_id=sender.aad_object_id,
        user_name=sender.name or "",
        conversation_id=conversation.id,
        service_url=activity.service_url,
        tenant_id=tenant or conversation.tenant_id or "",
        channel_id=activity.channel_id,
        bot_id=activity.recipient.id if activity.recipient else "",
        bot_name=activity.recipient.name if activity.recipient else "",
        user_channel_id=sender.id,
        locale=activity.locale or "en-US",
    )


def invoke_card(card: dict[str, Any], locale: str | None = None) -> InvokeResponse:
    """Replace the clicked card with this one. A plain dict: the lean adapter writes it with json.dumps."""
    card = fit_for_teams(Messages(locale), card)  # never a card Teams would refuse
    return InvokeResponse(status=int(HTTPStatus.OK), body={"statusCode": 200, "type": CONTENT_TYPE, "value": card})


def invoke_message(text: str) -> InvokeResponse:
    """Answer a click with a short message; the card stays as it was."""
    return InvokeResponse(status=int(HTTPStatus.OK), body={"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text})


class DenBot(TeamsActivityHandler):
    def __init__(self, service: IdeaService, dialog: MainDialog) -> None:
        self._service = service
        self._dialog = dialog

    # ---- installation and welcome -----------------------------------------------------
    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = activity.members_added or []
        channel = channel_of(turn_context)
        if channel is not None:
            event = (activity.channel_data or {}).get("eventType") if isinstance(activity.channel_data, dict) else None
            bot_added = any(member.id == bot_id for member in added)
            if bot_added or event in ("channelCreated", "channelRenamed", "channelRestored"):
                known = await self._dialog.on_channel_added(*channel)
                if bot_added and known:
                    await send_in_turn(turn_context, in_both(Messages(activity.locale), "den.channel.hello"))
            return
        if any(member.id == bot_id for member in added):
            await self._remember(turn_context)
            turn = turn_of(turn_context)
            welcome = await self._dialog.welcome(turn) if turn else welcome_card(Messages(activity.locale))
            await send_in_turn(turn_context, card_activity(welcome))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        channel = channel_of(turn_context)
        if channel is not None:
            await self._dialog.on_channel_added(*channel)
            return
        await self._remember(turn_context)

    # ---- typed messages -----------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = turn_of(turn_context)
        if turn is None:
            await send_in_turn(turn_context, Messages(turn_context.activity.locale).t("error.no_user"))
            return
        await self._remember(turn_context)
        reply = await self._dialog.on_text(turn, turn_context.activity.text)
        await self._send(turn_context, reply)

    # ---- card buttons (Universal Actions) -----------------------------------------------
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        response = await self._on_card_action(turn_context)
        answer_invoke(turn_context, response)
        return response

    async def _on_card_action(self, turn_context: TurnContext) -> InvokeResponse:
        m = Messages(turn_context.activity.locale)
        turn = turn_of(turn_context)
        if turn is None:
            return invoke_message(m.t("error.no_user"))
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        verb = str(action.get("verb") or "")
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        try:
            reply = await self._dialog.on_action(turn, verb, data)
        except StoreUnavailable:
            log.exception("store unavailable during a card action", extra={"verb": verb})
            return invoke_message(m.t("error.store_unavailable"))
        for follow_up in reply.follow_ups:
            await send_in_turn(turn_context, card_activity(follow_up, turn.locale))
        if reply.card is not None:
            return invoke_card(reply.card, turn.locale)
        return invoke_message(reply.message or "")

    # ---- helpers ------------------------------------------------------------------------
    async def _remember(self, turn_context: TurnContext) -> None:
        record = conversation_record_of(turn_context)
        if record is not None:
            await self._service.remember_conversation(record)

    @staticmethod
    async def _send(turn_context: TurnContext, reply: Reply) -> None:
        if reply.message:
            await send_in_turn(turn_context, reply.message)
        locale = turn_context.activity.locale
        if reply.card is not None:
            await send_in_turn(turn_context, card_activity(reply.card, locale))
        for follow_up in reply.follow_ups:
            await send_in_turn(turn_context, card_activity(follow_up, locale))
