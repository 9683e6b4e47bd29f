"""The Teams channel port, whichever SDK receives the activities: proactive messages, and replies in a turn.

Proactive messages are posted to the Bot Connector's REST API as plain JSON through the app's
one shared HTTP session (`bot/edge/connector.py`), not through an SDK's connector client each,
so they are the same requests on either edge and read the same stored conversation references.
Conversation references come from the store, never from memory, so any app instance can
reach anyone the bot has ever talked to. Someone the bot has never talked to gets a new
1:1 conversation created through the Bot Connector (this needs the app installed for them,
which a Teams administrator can do for the whole ministry).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp

from bot.edge.connector import ConnectorRequest, ConnectorSender, activity_request, conversation_request
from bot.i18n import Messages
from bot.ports import CHANNEL_PREFIX, ConversationRecord, Conversations, DeliveryFailed, PreparedSend
from bot.ports.retry import Backoff, retrying
from bot.ports.service_urls import ServiceUrlAllowList
from bot.telemetry.connector import connector_call
from bot.telemetry.turns import current_turn
from cards.common import CONTENT_TYPE
from cards.size_guard import fit_for_teams

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = {408, 409, 412, 429, 500, 502, 503, 504}


def classify(exc: BaseException) -> DeliveryFailed:
    """Map what an SDK's connector client raised to 'retry later (after N s)' or 'give up'.

    botbuilder raises msrest's errors, carrying the `response`; the Agents SDK raises aiohttp's
    ClientResponseError, carrying the `status` and `headers` itself."""
    if isinstance(exc, DeliveryFailed):
        return exc
    status, headers = answer_of(exc)
    if status is None:
        if isinstance(exc, (aiohttp.ClientError, TimeoutError, ConnectionError, OSError)):
            return DeliveryFailed(f"connector unreachable: {type(exc).__name__}")
        return DeliveryFailed(f"unexpected: {type(exc).__name__}")
    retry_after = _seconds(headers.get("Retry-After"))
    permanent = status not in RETRYABLE_STATUSES and 400 <= status < 500
    return DeliveryFailed(f"connector answered {status}", retry_after=retry_after, permanent=permanent)


def answer_of(exc: BaseException) -> tuple[int | None, Any]:
    """The connector's HTTP status and headers an SDK's error carries (None: it never answered)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", {}) or {}
    if status is None and isinstance(exc, aiohttp.ClientResponseError):
        status, headers = exc.status, exc.headers or {}
    return status, headers


def _is_transient(exc: BaseException) -> bool:
    return not classify(exc).permanent


IN_TURN_BACKOFF = Backoff(first=0.25, longest=4.0, retry_after_cap=10.0)  # someone is waiting for the reply


def _retry_after(exc: BaseException | None) -> float | None:
    return classify(exc).retry_after if exc is not None else None


async def send_in_turn(send: Callable[[], Awaitable[Any]]) -> None:
    """Reply within the user's turn (`send`: the SDK's own send of one activity), riding out a
    brief 429/5xx from the connector.

    Bounded (a few seconds at most): the user is waiting. Anything that must not be lost
    goes through the outbox instead.
    """
    async for attempt in retrying(IN_TURN_BACKOFF, attempts=4, retry_if=_is_transient, retry_after_of=_retry_after):
        with attempt:
            await _traced_reply(send)


async def _traced_reply(send: Callable[[], Awaitable[Any]]) -> None:
    """One send, in a span under the turn's when telemetry is on (the same on either SDK's edge)."""
    turn = current_turn()
    if turn is None:
        await send()
        return
    with connector_call(turn.telemetry, "send", "POST") as call:
        try:
            await send()
        except Exception as error:
            status, headers = answer_of(error)
            if status is None:
                call.unreachable(error)
            else:
                call.answered(status, headers)
            raise
        call.answered(200)


def _seconds(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def proactive_activity(record: ConversationRecord, card: dict[str, Any], summary: str) -> dict[str, Any]:
    """The message activity botbuilder's continue_conversation would post, as plain JSON."""
    return {
        "type": "message",
        "channelId": record.channel_id,
        "serviceUrl": record.service_url,
        "conversation": {
            "id": record.conversation_id,
            "conversationType": "personal",
            "isGroup": False,
            "tenantId": record.tenant_id,
        },
        "from": {"id": record.bot_id, "name": record.bot_name},
        "recipient": {"id": record.user_channel_id, "name": record.user_name, "aadObjectId": record.user_id},
        "locale": record.locale,
        "inputHint": "acceptingInput",
        "attachments": [{"contentType": CONTENT_TYPE, "content": card}],
        "summary": summary,
    }


def channel_post(record: ConversationRecord, card: dict[str, Any], summary: str) -> dict[str, Any]:
    """A new post (thread) in a team channel: Create Conversation with `isGroup` and the channel's id,
    the post itself as its first activity (Microsoft's proactive-messaging docs)."""
    return {
        "isGroup": True,
        "bot": {"id": record.bot_id, "name": record.bot_name},
        "tenantId": record.tenant_id,
        "channelData": {"channel": {"id": record.conversation_id}, "tenant": {"id": record.tenant_id}},
        "activity": {
            "type": "message",
            "from": {"id": record.bot_id, "name": record.bot_name},
            "locale": record.locale,
            "attachments": [{"contentType": CONTENT_TYPE, "content": card}],
            "summary": summary,
        },
    }


class TeamsChannel:
    """Proactive 1:1 cards through the Bot Connector's REST API, over one shared HTTP session."""

    def __init__(
        self,
        sender: ConnectorSender,
        store: Conversations,
        *,
        app_id: str,
        allow_list: ServiceUrlAllowList | None = None,
    ) -> None:
        self._sender = sender
        self._store = store
        self._app_id = app_id
        self._allow_list = allow_list  # stored service URLs are checked again before any call

    def _check_host(self, service_url: str) -> None:
        if self._allow_list is not None and not self._allow_list.allows(service_url):
            raise DeliveryFailed(
                f"service URL host not allowed: {ServiceUrlAllowList.host_of(service_url) or '(none)'}",
                permanent=True,
            )

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str | None:
        """Returns the posted message's id (for a 1:1 chat), so the card can be replaced in place."""
        return await (await self.prepare_card(recipient_id, card, summary=summary)).send()

    async def prepare_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> PreparedSend:
        """Read the conversation, fit the card, write the request: all of a send but the request."""
        record = await self._store.get_conversation(recipient_id)
        if recipient_id.startswith(CHANNEL_PREFIX):  # a Den call for ideas or announcement
            if record is None:
                raise DeliveryFailed("the bot is not in that channel (add it to the team)", permanent=True)
            request = conversation_request(record.service_url, channel_post(record, card, summary))
            return self._prepared(request, answer_id=None)
        if record is None:  # first contact: a 1:1 chat is created, then the card is sent in it
            return PreparedSend(partial(self._first_contact, recipient_id, card, summary), requests=2)
        self._check_host(record.service_url)
        card = fit_for_teams(Messages(record.locale), card)  # never a card Teams would refuse
        activity = proactive_activity(record, card, summary)
        return self._prepared(activity_request(record.service_url, record.conversation_id, activity), answer_id="id")

    def _prepared(self, request: ConnectorRequest, *, answer_id: str | None) -> PreparedSend:
        """The request alone; returns the posted message's id where the answer has one."""

        async def send() -> str | None:
            answer = await self._sender.send(request)
            return str(answer.get(answer_id, "")) if answer_id else None

        return PreparedSend(send)

    async def _first_contact(self, recipient_id: str, card: dict[str, Any], summary: str) -> str | None:
        record = await self._create_conversation(recipient_id)
        self._check_host(record.service_url)
        card = fit_for_teams(Messages(record.locale), card)
        return await self._sender.send_to_conversation(
            record.service_url, record.conversation_id, proactive_activity(record, card, summary)
        )

    async def post_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str:
        """Post a card where the bot has been (a new post in a channel, or a 1:1 chat) and return
        its message id, so it can be updated in place later (pitch day's channel cards)."""
        record = await self._store.get_conversation(recipient_id)
        if record is None:
            raise DeliveryFailed("no conversation with that recipient yet (for a channel: add the bot)", permanent=True)
        if recipient_id.startswith(CHANNEL_PREFIX):
            created = await self._sender.create_conversation(record.service_url, channel_post(record, card, summary))
            return str(created.get("activityId") or "")
        return await self._sender.send_to_conversation(
            record.service_url, record.conversation_id, proactive_activity(record, card, summary)
        )

    async def update_card(self, recipient_id: str, message_id: str, card: dict[str, Any], *, summary: str) -> None:
        """Replace a posted card (PUT .../activities/{id}); a channel post is the first activity of
        its own thread, `<channel id>;messageid=<post id>`."""
        record = await self._store.get_conversation(recipient_id)
        if record is None:
            raise DeliveryFailed("no conversation with that recipient yet", permanent=True)
        activity = proactive_activity(record, card, summary)
        conversation = record.conversation_id
        if recipient_id.startswith(CHANNEL_PREFIX):
            conversation = f"{record.conversation_id};messageid={message_id}"
            activity["conversation"] = {"id": conversation, "conversationType": "channel", "isGroup": True,
                                        "tenantId": record.tenant_id}  # fmt: skip
            activity.pop("recipient", None)
        activity["id"] = message_id
        await self._sender.update_activity(record.service_url, conversation, message_id, activity)

    async def _create_conversation(self, recipient_id: str) -> ConversationRecord:
        template = await self._store.any_conversation()
        if template is None:
            # Nobody has ever talked to the bot: no service URL to create a chat with. Nothing to retry.
            raise DeliveryFailed("no conversation known yet to learn the service URL from", permanent=True)
        self._check_host(template.service_url)
        created = await self._sender.create_conversation(
            template.service_url,
            {
                "isGroup": False,
                "bot": {"id": template.bot_id, "name": template.bot_name},
                "members": [{"id": recipient_id, "aadObjectId": recipient_id}],
                "tenantId": template.tenant_id,
                "channelData": {"tenant": {"id": template.tenant_id}},
            },
        )
        record = ConversationRecord(
            user_id=recipient_id,
            user_name="",
            conversation_id=str(created.get("id", "")),
            service_url=str(created.get("serviceUrl") or template.service_url),
            tenant_id=template.tenant_id,
            channel_id=template.channel_id,
            bot_id=template.bot_id,
            bot_name=template.bot_name,
            user_channel_id=recipient_id,
            locale=template.locale,
            updated_at=datetime.now(UTC),  # what the retention schedule counts a contact from (with later messages)
        )
        await self._store.save_conversation(record)
        return record
