"""Who is asking the tab: a Teams single sign-on token, validated before anything else is answered.

The tab's page gets the token from the Teams JavaScript library (`authentication.getAuthToken`)
and sends it as `Authorization: Bearer`. The server checks what Microsoft's "tab SSO" pages say
it must: the signature against Microsoft Entra ID's published keys (the tenant's OpenID metadata
`jwks_uri`, cached, fetched again once for a key id it does not know), the issuer (v1 or v2 of the
tenant), the audience (the app id or its Application ID URI), the tenant and the expiry. A missing
or bad token is 401 and nothing else.

With authentication off (the embedded default, like the bot's), there is no Entra ID: the tab
offers a "sign in as" choice of the demo organisation's people and sends `Bearer demo:<person id>`,
which only an app with authentication off accepts.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import jwt

CLOCK_SKEW_SECONDS = 120
KEYS_TTL_SECONDS = 24 * 3600
REFETCH_AT_MOST_EVERY_SECONDS = 300
DEMO_PREFIX = "demo:"


class InvalidToken(Exception):
    """The request is refused (401). The reason is for the log, never for the response."""


@dataclass(frozen=True)
class TabUser:
    """The person behind a valid token. A guest (`member` False) sees only what they are part of."""

    id: str
    name: str
    tenant_id: str
    member: bool = True


class TokenValidator(Protocol):
    async def validate(self, authorization: str) -> TabUser: ...


def bearer(authorization: str) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("no bearer token")
    return token.strip()


class EntraKeys:
    """The signing keys Entra ID publishes for the tenant, fetched from its OpenID metadata and cached."""

    def __init__(self, authority: str, tenant_id: str, session: aiohttp.ClientSession | None = None) -> None:
        self._metadata_url = f"{authority.rstrip('/')}/{tenant_id}/v2.0/.well-known/openid-configuration"
        self._session = session
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Any:
        if kid not in self._keys or time.monotonic() - self._fetched_at > KEYS_TTL_SECONDS:
            async with self._lock:
                stale = time.monotonic() - self._fetched_at > REFETCH_AT_MOST_EVERY_SECONDS
                if kid not in self._keys and (stale or not self._keys):
                    await self._fetch()
        if kid not in self._keys:
            raise InvalidToken("unknown signing key")
        return self._keys[kid]

    async def _fetch(self) -> None:
        session = self._session or aiohttp.ClientSession()
        try:
            timeout = aiohttp.ClientTimeout(total=10)
            async with session.get(self._metadata_url, timeout=timeout) as response:
                response.raise_for_status()
                jwks_uri = (await response.json())["jwks_uri"]
            async with session.get(jwks_uri, timeout=timeout) as response:
                response.raise_for_status()
                document = await response.json()
        except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as error:
            raise InvalidToken(f"signing keys unavailable: {type(error).__name__}") from None
        finally:
            if self._session is None:
                await session.close()
        keys = {}
        for entry in document.get("keys", []):
            if entry.get("kid") and entry.get("kty") == "RSA":
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256").key
        self._keys, self._fetched_at = keys, time.monotonic()


class EntraTokenValidator:
    """Validates a Teams SSO token for this app and tenant."""

    def __init__(self, keys: EntraKeys, *, client_id: str, tenant_id: str, resource: str = "") -> None:
        self.keys = keys
        self.audiences = [a for a in (client_id, resource) if a]
        self.tenant_id = tenant_id
        self.issuers = [f"https://login.microsoftonline.com/{tenant_id}/v2.0", f"https://sts.windows.net/{tenant_id}/"]

    async def validate(self, authorization: str) -> TabUser:
        token = bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("not a JWT") from None
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise InvalidToken("unexpected algorithm or no key id")
        key = await self.keys.key(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.audiences,
                issuer=self.issuers,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "aud", "iss", "tid", "oid"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from None
        if claims.get("tid") != self.tenant_id:
            raise InvalidToken("another tenant")
        return TabUser(
            id=str(claims["oid"]),
            name=str(claims.get("name", "")),
            tenant_id=str(claims["tid"]),
            member=_is_member(claims),
        )


def _is_member(claims: dict[str, Any]) -> bool:
    """Guests are told apart by the optional `acct` claim (1: guest) or an `idp` other than the tenant's
    own issuer (a B2B guest signs in at their home identity provider)."""
    if str(claims.get("acct", "0")) == "1":
        return False
    idp = claims.get("idp")
    return not idp or idp == claims.get("iss") or claims.get("tid", "") in str(idp)


class DemoSignIn:
    """Authentication off: `Bearer demo:<id>` names one of the demo people (and nobody else)."""

    def __init__(self, people: dict[str, TabUser]) -> None:
        self.people = people

    async def validate(self, authorization: str) -> TabUser:
        token = bearer(authorization)
        if not token.startswith(DEMO_PREFIX) or token[len(DEMO_PREFIX):] not in self.people:
            raise InvalidToken("not a demo person")
        return self.people[token[len(DEMO_PREFIX):]]
