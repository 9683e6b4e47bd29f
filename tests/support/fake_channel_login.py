"""The Bot Framework's side of authentication, as a bot sees it: the tokens Teams' connector puts on
each request to /api/messages, and the signing keys the bot checks them with.

Microsoft documents it ("Authentication with the Bot Connector API"): the token is a JWT signed
with RS256, `iss` https://api.botframework.com, `aud` the bot's app id, a `serviceurl` claim
naming the connector that sent it; its keys are published at
https://login.botframework.com/v1/.well-known/keys (found through
/v1/.well-known/openidconfiguration), each with the channels it is `endorsements` for. Both SDKs
fetch those keys from that fixed address (botbuilder with `requests`, the Agents SDK with PyJWT's
`urllib`), and both honour the standard proxy variables, so a test sets `HTTPS_PROXY` to
`LoopbackTunnel`, which carries a CONNECT to login.botframework.com:443 to the local server here,
served over TLS with a certificate for that name that the test trusts (`SSL_CERT_FILE`,
`REQUESTS_CA_BUNDLE`). Nothing leaves the machine: the tunnel refuses every other destination.

One signing key serves the whole test session, because both SDKs keep the keys they fetched for
the life of the process. The servers run on their own event loop, in a thread (`IdentityThread`,
with the identity platform of tests/support/fake_login.py): botbuilder fetches the keys with a
blocking `requests.get`, and the token for a reply in the turn through MSAL, on the app's event
loop (so, in production, each such fetch stalls every turn of that instance for its round trip;
the Agents SDK makes both calls in a worker thread).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.fake_login import FakeIdentityPlatform

LOGIN_HOST = "login.botframework.com"
CHANNEL_ISSUER = "https://api.botframework.com"


@cache
def signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """The session's one signing key and its key id."""
    return f"den-test-{uuid.uuid4().hex[:12]}", rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class FakeChannelLogin:
    """login.botframework.com's OpenID metadata and keys, and the tokens the connector sends with."""

    key_requests: int = 0
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self, tls: ssl.SSLContext) -> None:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @staticmethod
    def token(
        app_id: str,
        service_url: str,
        *,
        lifetime: int = 3600,
        issuer: str = CHANNEL_ISSUER,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """A token as the connector sends it to the bot; `key`, `issuer`, `lifetime` to forge a bad one."""
        kid, session_key = signing_key()
        now = int(time.time())
        claims: dict[str, Any] = {
            "serviceurl": service_url,
            "nbf": now - 5,
            "exp": now + lifetime,
            "iss": issuer,
            "aud": app_id,
        }
        return jwt.encode(claims, key or session_key, algorithm="RS256", headers={"kid": kid})

    async def _metadata(self, request: web.Request) -> web.Response:
        base = f"https://{LOGIN_HOST}"
        return web.json_response(
            {
                "issuer": CHANNEL_ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.key_requests += 1
        kid, key = signing_key()
        numbers = key.public_key().public_numbers()
        entry = {"kty": "RSA", "use": "sig", "kid": kid, "n": _b64(numbers.n), "e": _b64(numbers.e),
                 "endorsements": ["msteams", "webchat", "emulator"]}  # fmt: skip
        return web.json_response({"keys": [entry]})


@dataclass
class LoopbackTunnel:
    """An HTTPS proxy that answers CONNECT for login.botframework.com:443 alone, with the local server."""

    target_port: int
    tunnels: int = 0
    refused: list[str] = field(default_factory=list)
    url: str = ""
    _server: asyncio.Server | None = None
    _pipes: set[asyncio.Task] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for pipe in list(self._pipes):
                pipe.cancel()
            await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        method, _, rest = head.decode("latin-1").partition(" ")
        destination = rest.split(" ", 1)[0]
        if method != "CONNECT" or destination.lower() != f"{LOGIN_HOST}:443":
            self.refused.append(destination)
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        self.tunnels += 1
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            pipe = asyncio.create_task(_pipe(source, sink))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            sink.close()


class IdentityThread:
    """The identity platform, the fake login.botframework.com and its tunnel, served from a thread
    with its own event loop."""

    def __init__(self, tls: ssl.SSLContext, identity: FakeIdentityPlatform) -> None:
        self._tls = tls
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="identity", daemon=True)
        self.identity = identity
        self.login = FakeChannelLogin()
        self.tunnel = LoopbackTunnel(0)

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)

    async def _start(self) -> None:
        await self.identity.start(self._tls)
        await self.login.start(self._tls)
        self.tunnel.target_port = self.login.port
        await self.tunnel.start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    async def _stop(self) -> None:
        await self.tunnel.stop()
        await self.login.stop()
        await self.identity.stop()
