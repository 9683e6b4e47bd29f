"""A local stand-in for the Microsoft identity platform's token endpoint (client credentials).

It behaves as Microsoft's "OAuth 2.0 client credentials flow" page says: a form POST with
`grant_type=client_credentials`, the app's `client_id` and `client_secret` (in the body, or as
HTTP Basic) and `scope=<resource>/.default`; it answers `{"token_type": "Bearer", "expires_in",
"ext_expires_in", "access_token"}`, the token a JWT whose `exp` is `expires_in` from now. Errors
are the documented JSON shape (`error`, `error_description`, `error_codes`, `timestamp`,
`trace_id`, `correlation_id`): 401 `invalid_client` for a wrong secret, 400
`unsupported_grant_type`, `invalid_scope` or `invalid_request`; it can be told to fail the next
requests (503) as a service under strain does.

MSAL (which botbuilder uses to get the app's token) first reads the authority's OpenID
configuration over HTTPS, then posts to its `token_endpoint`. The authority's path is `/adfs` so
that MSAL treats it as one its caller vouches for: with any other path on a host it does not know,
MSAL asks login.microsoftonline.com whether the authority is genuine, and nothing here may leave
the machine. TLS uses a certificate made for the test (see `local_tls`).
"""

from __future__ import annotations

import base64
import datetime
import ssl
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TENANT_PATH = "adfs"


def local_tls(folder: Path, names: tuple[str, ...] = ("localhost",)) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for `names`: the server's TLS context and the PEM a client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "localhost.pem", folder / "localhost.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


@dataclass
class Issued:
    token: str
    client_id: str
    scope: str
    expires_at: float


@dataclass
class FakeIdentityPlatform:
    client_id: str
    client_secret: str
    expires_in: int = 3599
    issued: list[Issued] = field(default_factory=list)
    token_requests: int = 0  # POSTs to the token endpoint, answered or refused
    failures: list[int] = field(default_factory=list)  # statuses to answer the next token requests with
    url: str = ""  # the authority, e.g. https://localhost:PORT/adfs
    _runner: web.AppRunner | None = None

    async def start(self, tls: ssl.SSLContext) -> None:
        app = web.Application()
        app.router.add_get(f"/{TENANT_PATH}/.well-known/openid-configuration", self._openid_configuration)
        app.router.add_get(f"/{TENANT_PATH}/v2.0/.well-known/openid-configuration", self._openid_configuration)
        app.router.add_post(f"/{TENANT_PATH}/oauth2/v2.0/token", self._token)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"https://localhost:{port}/{TENANT_PATH}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def valid(self, token: str) -> bool:
        """What the connector checks: a token this platform issued, not yet expired."""
        return any(i.token == token and i.expires_at > time.time() for i in self.issued)

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.url}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "token"],
                "grant_types_supported": ["client_credentials"],
            }
        )

    def _error(self, status: int, error: str, description: str, code: int) -> web.Response:
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        trace = str(uuid.uuid4())
        body = {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": str(uuid.uuid4()),
        }
        return web.json_response(body, status=status)

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        if self.failures:
            status = self.failures.pop(0)
            return self._error(status, "temporarily_unavailable", "The service is temporarily unavailable.", 90033)
        form = await request.post()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return self._error(400, "unsupported_grant_type", "The provided grant type is not supported.", 70003)
        if not client_id:
            return self._error(400, "invalid_request", "The request body must contain 'client_id'.", 900144)
        scope = str(form.get("scope", ""))
        if not scope.endswith("/.default") or " " in scope.strip():
            return self._error(400, "invalid_scope", f"The provided value for scope {scope} is not valid.", 1002012)
        if client_id != self.client_id or client_secret != self.client_secret:
            return self._error(401, "invalid_client", "Invalid client secret provided.", 7000215)
        now = time.time()
        claims: dict[str, Any] = {
            "aud": scope.removesuffix("/.default"),
            "iss": self.url,
            "appid": client_id,
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now) + self.expires_in,
            "jti": str(uuid.uuid4()),
        }
        token = jwt.encode(claims, "not-a-real-signing-key-at-least-32-bytes", algorithm="HS256")
        self.issued.append(Issued(token, client_id, scope, now + self.expires_in))
        return web.json_response(
            {"token_type": "Bearer", "expires_in": self.expires_in, "ext_expires_in": self.expires_in,
             "access_token": token}  # fmt: skip
        )
