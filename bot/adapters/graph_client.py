"""Building the Microsoft Graph client: credentials, base URL, retries, and decorated traffic.

- Credentials come from azure-identity: a client secret, a certificate, or a managed identity,
  and DefaultAzureCredential when nothing specific is set. Scope: `https://<graph host>/.default`.
- The base URL is a setting (national clouds; the tests point it at a local server).
- The SDK's retry middleware is configured deliberately: it honours `Retry-After` on 429/503/504.
- Every request carries a SharePoint-style User-Agent, `NONISV|<org>|DeputysDen/<version>`, so
  SharePoint can tell this app's traffic apart (and throttles decorated traffic more gently).
- Every response feeds a RateLimitGauge (`client.rate_limit_gauge`), which the SharePoint store
  reads to slow its background work before SharePoint throttles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from kiota_abstractions.headers_collection import HeadersCollection
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from kiota_http.middleware.options import RetryHandlerOption
from kiota_http.observability_options import ObservabilityOptions
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

from bot import __version__
from bot.adapters.graph_pressure import RateLimitGauge
from bot.telemetry import Telemetry
from bot.telemetry.graph import TracedTransport

GRAPH_DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"


@dataclass(frozen=True)
class GraphSettings:
    base_url: str = GRAPH_DEFAULT_BASE_URL
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    certificate_path: str = ""
    managed_identity: bool = False
    organisation: str = "Ministry"
    max_retries: int = 5
    timeout_seconds: float = 30.0

    @property
    def scope(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}/.default"

    @property
    def user_agent(self) -> str:
        org = "".join(ch for ch in self.organisation if ch not in "|/ ") or "Ministry"
        return f"NONISV|{org}|DeputysDen/{__version__}"


def make_credential(settings: GraphSettings) -> AsyncTokenCredential:
    """The most specific azure-identity credential the settings allow."""
    from azure.identity.aio import (
        CertificateCredential,
        ClientSecretCredential,
        DefaultAzureCredential,
        ManagedIdentityCredential,
    )

    if settings.client_secret:
        return ClientSecretCredential(settings.tenant_id, settings.client_id, settings.client_secret)
    if settings.certificate_path:
        return CertificateCredential(settings.tenant_id, settings.client_id, certificate_path=settings.certificate_path)
    if settings.managed_identity:
        return ManagedIdentityCredential(client_id=settings.client_id or None)
    return DefaultAzureCredential()


def make_graph_client(
    settings: GraphSettings,
    credential: AsyncTokenCredential,
    gauge: RateLimitGauge | None = None,
    telemetry: Telemetry | None = None,
) -> GraphServiceClient:
    host = urlsplit(settings.base_url).hostname or "graph.microsoft.com"
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[settings.scope], allowed_hosts=[host])
    gauge = gauge or RateLimitGauge()
    traced = telemetry is not None and telemetry.enabled
    http_client = httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent},
        timeout=settings.timeout_seconds,
        http2=False,
        event_hooks={"response": [gauge.httpx_hook()]},
        # Each request (each retry too) in a span, under the SDK's middleware.
        transport=TracedTransport(httpx.AsyncHTTPTransport(), telemetry) if traced else None,
    )
    http_client = GraphClientFactory.create_with_default_middleware(
        client=http_client,
        options={RetryHandlerOption.get_key(): RetryHandlerOption(delay=0, max_retries=settings.max_retries)},
    )
    adapter = GraphRequestAdapter(auth, http_client)
    adapter.base_url = settings.base_url.rstrip("/")
    # The SDK's own spans (under a global tracer provider, as Azure Monitor's distro sets) carry no URL:
    # a query's filter holds people's ids and keys.
    adapter.observability_options = ObservabilityOptions(include_euii_attributes=False)
    client = GraphServiceClient(request_adapter=adapter)
    client.rate_limit_gauge = gauge  # one reading per tenant connection, shared by its users
    client.den_telemetry = telemetry if traced else None  # the $batch runner's spans for the requests inside
    return client


def fresh_headers(**values: str) -> HeadersCollection:
    """A new HeadersCollection each time: kiota's RequestConfiguration default is a shared instance."""
    headers = HeadersCollection()
    for name, value in values.items():
        headers.add(name.replace("_", "-"), value)
    return headers


def odata_string(value: str) -> str:
    """An OData string literal: single quotes doubled, so no input can change the query."""
    return "'" + str(value).replace("'", "''") + "'"
