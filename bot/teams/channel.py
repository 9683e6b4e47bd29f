"""The Teams channel port over the Bot Framework: proactive 1:1 messages.

Conversation references come from the store, never from memory, so any app instance can
reach anyone the bot has ever talked to. Someone the bot has never talked to gets a new
1:1 conversation created through the Bot Connector (this needs the app installed for them,
which a Teams administrator can do for the whole ministry).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from botbuilder.core import CloudAdapterBase, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)

from bot.i18n import Messages
from bot.ports import ConversationRecord, Conversations, DeliveryFailed
from bot.ports.retry import Backoff, retrying
from bot.ports.service_urls import ServiceUrlAllowList
from cards.common import CONTENT_TYPE
from cards.size_guard import fit_for_teams

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = {408, 409, 412, 429, 500, 502, 503, 504}


def reference_from(record: ConversationRecord) -> ConversationReference:
    return ConversationReference(
        activity_id=None,
        user=ChannelAccount(id=record.user_channel_id, name=record.user_name, aad_object_id=record.user_id),
        bot=ChannelAccount(id=record.bot_id, name=record.bot_name),
        conversation=ConversationAccount(
            id=record.conversation_id, conversation_type="personal", tenant_id=record.tenant_id, is_group=False
        ),
        channel_id=record.channel_id,
        locale=record.locale,
        service_url=record.service_url,
    )


def classify(exc: BaseException) -> DeliveryFailed:
    """Map what the connector client raised to 'retry later (after N s)' or 'give up'."""
    if isinstance(exc, DeliveryFailed):
        return exc
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    if status is None:
        if isinstance(exc, (aiohttp.ClientError, TimeoutError, ConnectionError, OSError)):
            return DeliveryFailed(f"connector unreachable: {type(exc).__name__}")
        return DeliveryFailed(f"unexpected: {type(exc).__name__}")
    headers = getattr(response, "headers", {}) or {}
    retry_after = _seconds(headers.get("Retry-After"))
    permanent = status not in RETRYABLE_STATUSES and 400 <= status < 500
    return DeliveryFailed(f"connector answered {status}", retry_after=retry_after, permanent=permanent)


def _is_transient(exc: BaseException) -> bool:
    return not classify(exc).permanent


IN_TURN_BACKOFF = Backoff(first=0.25, longest=4.0, retry_after_cap=10.0)  # someone is waiting for the reply


def _retry_after(exc: BaseException | None) -> float | None:
    return classify(exc).retry_after if exc is not None else None


async def send_in_turn(turn_context: TurnContext, activity: Activity | str) -> None:
    """Reply within the user's turn, riding out a brief 429/5xx from the connector.

    Bounded (a few seconds at most): the user is waiting. Anything that must not be lost
    goes through the outbox instead.
    """
    async for attempt in retrying(IN_TURN_BACKOFF, attempts=4, retry_if=_is_transient, retry_after_of=_retry_after):
        with attempt:
            await turn_context.send_activity(activity)


def _seconds(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class TeamsChannel:
    def __init__(
        self,
        adapter: CloudAdapterBase,
        store: Conversations,
        *,
        app_id: str,
        allow_list: ServiceUrlAllowList | None = None,
    ) -> None:
        self._adapter = adapter
        self._store = store
        self._app_id = app_id
        self._allow_list = allow_list  # stored service URLs are checked again before any call

    def _check_host(self, service_url: str) -> None:
        if self._allow_list is not None and not self._allow_list.allows(service_url):
            raise DeliveryFailed(
                f"service URL host not allowed: {ServiceUrlAllowList.host_of(service_url) or '(none)'}",
                permanent=True,
            )

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> None:
        record = await self._store.get_conversation(recipient_id)
        card = fit_for_teams(Messages(record.locale if record else None), card)
        activity = MessageFactory.attachment(Attachment(content_type=CONTENT_TYPE, content=card))
        activity.summary = summary

        failures: list[BaseException] = []

        async def send(turn_context: TurnContext) -> None:
            # Caught here, not left to the adapter: its turn-error handler would swallow the
            # failure (and try to message the user), and the outbox must know to retry.
            try:
                await turn_context.send_activity(activity)
            except Exception as exc:
                failures.append(exc)

        if record is not None:
            self._check_host(record.service_url)
        try:
            if record is None:
                await self._create_and_send(recipient_id, send)
            else:
                await self._adapter.continue_conversation(reference_from(record), send, self._app_id)
        except Exception as exc:
            raise classify(exc) from exc
        if failures:
            raise classify(failures[0]) from failures[0]

    async def _create_and_send(self, recipient_id: str, send) -> None:
        template = await self._store.any_conversation()
        if template is None:
            # Nobody has ever talked to the bot: no service URL to create a chat with. Nothing to retry.
            raise DeliveryFailed("no conversation known yet to learn the service URL from", permanent=True)
        self._check_host(template.service_url)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=template.bot_id, name=template.bot_name),
            members=[ChannelAccount(id=recipient_id, aad_object_id=recipient_id)],
            tenant_id=template.tenant_id,
            channel_data={"tenant": {"id": template.tenant_id}},
        )

        async def remember_then_send(turn_context: TurnContext) -> None:
            conversation = turn_context.activity.conversation
            await self._store.save_conversation(
                ConversationRecord(
                    user_id=recipient_id,
                    user_name="",
                    conversation_id=conversation.id,
                    service_url=template.service_url,
                    tenant_id=template.tenant_id,
                    channel_id=template.channel_id,
                    bot_id=template.bot_id,
                    bot_name=template.bot_name,
                    user_channel_id=recipient_id,
                    locale=template.locale,
                )
            )
            await send(turn_context)

        await self._adapter.create_conversation(
            self._app_id,
            remember_then_send,
            parameters,
            template.channel_id,
            template.service_url,
            None,
        )
