"""Proactive messages to the Bot Connector over one shared aiohttp session.

botbuilder's `continue_conversation` builds a connector client (a new HTTP session, a new TCP
connection, a thread for credentials) for every message. The outbox sends many, so it posts the
Bot Connector's v3 REST routes itself, as plain JSON, through one session that keeps its
connections open. With authentication on, the bearer token is the one botbuilder would use: it
comes from the app's own credentials (the credential factory of the adapter's
`BotFrameworkAuthentication`), fetched in a thread, and kept until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.ports import DeliveryFailed
from bot.telemetry import Telemetry
from bot.telemetry.connector import ConnectorCall, connector_call, operation_of

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 409, 412, 429, 500, 502, 503, 504})
REFRESH_MARGIN_SECONDS = 300.0  # fetch a new token this long before the old one expires
UNKNOWN_EXPIRY_SECONDS = 1800.0  # a token whose expiry cannot be read is kept this long


def token_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (seconds since the epoch), read without verifying: it is our own token."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


class ConnectorToken:
    """The app's token for the Bot Connector, fetched once and reused until it is about to expire."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[str]],
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._clock = wall_clock
        self._token = ""
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> str:
        if self._token and self._clock() < self._refresh_at:
            return self._token
        async with self._lock:
            if self._token and self._clock() < self._refresh_at:
                return self._token
            token = await self._fetch()
            self.fetches += 1
            expires = token_expiry(token) or self._clock() + UNKNOWN_EXPIRY_SECONDS
            self._token = token
            self._refresh_at = expires - REFRESH_MARGIN_SECONDS
            return token

    def forget(self) -> None:
        """The connector refused the token (401): fetch a new one next time."""
        self._token = ""


class ConnectorSender:
    """Posts activities to the Bot Connector. One per app process; `close()` on shutdown."""

    def __init__(
        self,
        token: ConnectorToken | None,
        *,
        timeout_seconds: float = 30.0,
        connections: int = 64,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._token = token
        self._telemetry = telemetry if telemetry is not None and telemetry.enabled else None
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=60)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, json_serialize=json.dumps
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send_to_conversation(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """POST v3/conversations/{id}/activities; returns the new activity's id."""
        body = await self.send(activity_request(service_url, conversation_id, activity))
        return str(body.get("id", ""))

    async def create_conversation(self, service_url: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """POST v3/conversations; returns the conversation resource ({id, serviceUrl, activityId})."""
        return await self.send(conversation_request(service_url, parameters))

    async def update_activity(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        """PUT v3/conversations/{id}/activities/{activityId}: replace a posted message in place."""
        url = f"{service_url.rstrip('/')}/v3/conversations/{_quote(conversation_id)}/activities/{_quote(activity_id)}"
        await self.send(ConnectorRequest("PUT", url, encode(activity)))

    async def send(self, request: ConnectorRequest) -> dict[str, Any]:
        """Make one prepared request; its body was written beforehand, so this is the round trip alone."""
        if self._telemetry is None:
            return await self._send(request, None)
        operation = operation_of(request.method, request.url)
        with connector_call(self._telemetry, operation, request.method) as call:
            return await self._send(request, call)

    async def _send(self, request: ConnectorRequest, call: ConnectorCall | None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {await self._bearer()}"
        try:
            async with self._client().request(
                request.method, request.url, data=request.body, headers=headers
            ) as response:
                text = await response.text()
                if call is not None:
                    call.answered(response.status, response.headers)
                if response.status >= 300:
                    if response.status == 401 and self._token is not None:
                        self._token.forget()
                    raise refusal(response.status, response.headers.get("Retry-After"))
                return json.loads(text) if text else {}
        except (aiohttp.ClientError, TimeoutError, ConnectionError, OSError) as exc:
            if call is not None:
                call.unreachable(exc)
            raise DeliveryFailed(f"connector unreachable: {type(exc).__name__}") from exc


    async def _bearer(self) -> str:
        """The app's token; a refused or failed token request is a delivery to try again later."""
        try:
            return await self._token.get()
        except Exception as exc:  # botbuilder: PermissionError(error, description); the Agents SDK, MSAL: others
            reason = _token_error(exc)
            log.warning("connector token not obtained", extra={"reason": reason})
            raise DeliveryFailed(f"no connector token: {reason}") from exc


_OAUTH_ERROR = re.compile(r"""['"]error['"]\s*:\s*['"]([a-z_]{1,64})['"]""")


def _token_error(exc: Exception) -> str:
    """The OAuth error code the SDK puts in its message (botbuilder: `...with error: invalid_client, ...`;
    the Agents SDK: MSAL's answer, `{'error': 'invalid_client', ...}`), or the exception's type: never
    the description, which is the identity platform's text, kept out of logs."""
    text = str(exc)
    marker = "with error: "
    if isinstance(exc, PermissionError) and marker in text:
        return text.split(marker, 1)[1].split(",", 1)[0].strip()[:64]
    found = _OAUTH_ERROR.search(text)
    return found.group(1) if found else type(exc).__name__


@dataclass(frozen=True)
class ConnectorRequest:
    """One Bot Connector request, its JSON body already written."""

    method: str
    url: str
    body: bytes


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def activity_request(service_url: str, conversation_id: str, activity: dict[str, Any]) -> ConnectorRequest:
    """POST v3/conversations/{id}/activities: a message in an existing conversation."""
    url = f"{service_url.rstrip('/')}/v3/conversations/{_quote(conversation_id)}/activities"
    return ConnectorRequest("POST", url, encode(activity))


def conversation_request(service_url: str, parameters: dict[str, Any]) -> ConnectorRequest:
    """POST v3/conversations: a new conversation (a 1:1 chat, or a new post in a channel)."""
    return ConnectorRequest("POST", f"{service_url.rstrip('/')}/v3/conversations", encode(parameters))


def refusal(status: int, retry_after: str | None) -> DeliveryFailed:
    """What a connector status means for the outbox: retry later (after N s), or give up."""
    seconds = _seconds(retry_after)
    permanent = status not in RETRYABLE_STATUSES and 400 <= status < 500 and status != 401
    return DeliveryFailed(f"connector answered {status}", retry_after=seconds, permanent=permanent)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _quote(conversation_id: str) -> str:
    from urllib.parse import quote

    return quote(conversation_id, safe="")
