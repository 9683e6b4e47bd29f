"""Entra ID for an app in its own process: an App Service managed-identity endpoint on loopback,
and a Graph server that accepts only the tokens that endpoint issued.

App Service gives a managed identity through two environment variables, IDENTITY_ENDPOINT and
IDENTITY_HEADER; azure-identity's ManagedIdentityCredential then asks
`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=<resource>` with the header
`X-IDENTITY-HEADER: {IDENTITY_HEADER}` and reads `access_token` and `expires_on` from the JSON
answer (Microsoft's "managed identities for App Service" page, REST protocol). That endpoint is
plain HTTP on the machine itself in Azure too, so `python app.py` with
`DEN_GRAPH_MANAGED_IDENTITY=true` gets real tokens from here without any call beyond loopback.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.fake_graph import FakeGraph, odata_error

API_VERSION = "2019-08-01"


@dataclass
class FakeManagedIdentity:
    """The identity endpoint: checks the header and API version, and issues a token per resource."""

    header_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    lifetime_seconds: int = 3600
    issued: dict[str, str] = field(default_factory=dict)  # token -> resource it is for
    requests: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None

    def environment(self) -> dict[str, str]:
        """What App Service sets in the app's environment."""
        return {"IDENTITY_ENDPOINT": self.url, "IDENTITY_HEADER": self.header_secret}

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/msi/token", self._token)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/msi/token"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _token(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.headers.get("X-IDENTITY-HEADER") != self.header_secret:
            return web.json_response({"error": "invalid_request", "error_description": "bad header"}, status=401)
        if request.query.get("api-version") != API_VERSION or not request.query.get("resource"):
            return web.json_response({"error": "invalid_request", "error_description": "bad query"}, status=400)
        token = secrets.token_urlsafe(24)
        self.issued[token] = request.query["resource"]
        return web.json_response(
            {
                "access_token": token,
                "expires_on": str(int(time.time()) + self.lifetime_seconds),
                "resource": request.query["resource"],
                "token_type": "Bearer",
            }
        )


@dataclass
class AuthorisedGraph(FakeGraph):
    """The local Graph server, answering 401 to any request without a token the identity issued."""

    identity: FakeManagedIdentity | None = None
    authorised_requests: int = 0
    refused_requests: int = 0

    async def _entry(self, request: web.Request) -> web.Response:
        if self.identity is not None:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme != "Bearer" or token not in self.identity.issued:
                self.refused_requests += 1
                return odata_error(401, "InvalidAuthenticationToken", "Access token is empty or not valid.")
            self.authorised_requests += 1
        return await super()._entry(request)
