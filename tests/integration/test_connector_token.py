"""The connector token with authentication on, over HTTP, through botbuilder and MSAL as in production.

A local identity platform (tests/support/fake_login.py: the client-credentials grant as
Microsoft documents it, over TLS) issues the app's tokens; the connector stand-in takes only a
bearer token that platform issued and has not expired, as the Bot Connector does. The token is
fetched through `token_from_app_credentials`, the app's own credentials in botbuilder's
authentication object, exactly as the running app does; only the login URL points here.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication

from bot.edge.connector import REFRESH_MARGIN_SECONDS, ConnectorSender, ConnectorToken
from bot.ports import DeliveryFailed
from bot.teams.edge import token_from_app_credentials
from bot.teams.lean import LeanCloudAdapter
from tests.support.fake_connector import FakeConnector
from tests.support.fake_login import FakeIdentityPlatform, local_tls

APP_ID = "7d0b7c4e-5f57-4c3b-9a0e-2f0a1e6c9b11"
SECRET = "the-app-password"
SCOPE = "https://api.botframework.com"


class WallClock:
    """The token cache's clock: real time, moved on by the test to reach a token's last minutes."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


def app_configuration(identity: FakeIdentityPlatform, secret: str = SECRET) -> SimpleNamespace:
    """The settings botbuilder reads (bot/settings.py has APP_ID, APP_PASSWORD, APP_TYPE, APP_TENANTID)."""
    return SimpleNamespace(
        APP_ID=APP_ID,
        APP_PASSWORD=secret,
        APP_TYPE="MultiTenant",
        APP_TENANTID="",
        TO_CHANNEL_FROM_BOT_LOGIN_URL=identity.url,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=SCOPE,
    )


def sender_for(configuration: SimpleNamespace, clock: WallClock) -> tuple[ConnectorSender, ConnectorToken]:
    """What bot/teams/edge.py's connector_sender builds when APP_ID is set."""
    adapter = LeanCloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))
    claims = adapter.create_claims_identity(configuration.APP_ID)
    token = ConnectorToken(token_from_app_credentials(adapter.bot_framework_authentication, claims), wall_clock=clock)
    return ConnectorSender(token), token


def message(n: int) -> dict:
    return {"type": "message", "text": f"notification {n}"}


@pytest.fixture
async def platform(tmp_path, monkeypatch):
    tls, certificate = local_tls(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))  # MSAL's HTTP client trusts the test's certificate
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    identity = FakeIdentityPlatform(APP_ID, SECRET)
    await identity.start(tls)
    connector = FakeConnector(accepts_token=identity.valid)
    await connector.start()
    yield identity, connector
    await connector.stop()
    await identity.stop()


async def test_the_token_is_fetched_once_and_every_send_carries_it(platform):
    identity, connector = platform
    sender, token = sender_for(app_configuration(identity), WallClock())
    try:
        await asyncio.gather(*(sender.send_to_conversation(connector.url, "a:maya", message(n)) for n in range(8)))
        await sender.send_to_conversation(connector.url, "a:maya", message(8))
    finally:
        await sender.close()
    assert identity.token_requests == 1 and token.fetches == 1, "eight sends at once wait for one token"
    [issued] = identity.issued
    assert issued.client_id == APP_ID and issued.scope == f"{SCOPE}/.default"
    assert connector.bearers == [issued.token] * 9 and len(connector.sent) == 9


async def test_the_token_is_kept_until_five_minutes_before_it_expires_then_renewed(platform):
    identity, connector = platform
    clock = WallClock()
    sender, token = sender_for(app_configuration(identity), clock)
    try:
        await sender.send_to_conversation(connector.url, "a:maya", message(1))
        first = identity.issued[0]
        clock.ahead = first.expires_at - time.time() - REFRESH_MARGIN_SECONDS - 5  # 5 min and 5 s left
        await sender.send_to_conversation(connector.url, "a:maya", message(2))
        assert identity.token_requests == 1, "still more than five minutes to live: kept"
        clock.ahead += 10  # 4 min 55 s left
        await sender.send_to_conversation(connector.url, "a:maya", message(3))
    finally:
        await sender.close()
    assert identity.token_requests == 2 and token.fetches == 2, "renewed in its last five minutes"
    assert connector.bearers == [first.token, first.token, identity.issued[1].token]
    assert identity.issued[1].token != first.token


async def test_a_401_from_the_connector_drops_the_token_and_the_next_send_gets_a_new_one(platform):
    identity, connector = platform
    sender, _ = sender_for(app_configuration(identity), WallClock())
    try:
        await sender.send_to_conversation(connector.url, "a:maya", message(1))
        revoked = identity.issued[0].token
        identity.issued.clear()  # the connector no longer takes it (revoked, or signed with a rolled key)
        with pytest.raises(DeliveryFailed) as refused:
            await sender.send_to_conversation(connector.url, "a:maya", message(2))
        assert refused.value.reason == "connector answered 401" and not refused.value.permanent, (
            "retried later (the outbox keeps the message), not abandoned"
        )
        await sender.send_to_conversation(connector.url, "a:maya", message(3))
    finally:
        await sender.close()
    assert identity.token_requests == 2, "a fresh token from the platform, not the refused one from a cache"
    assert connector.bearers == [revoked, revoked, identity.issued[0].token]
    assert [s.activity["text"] for s in connector.sent] == ["notification 1", "notification 3"]


async def test_a_refused_or_failed_token_request_is_a_retryable_delivery_failure_without_the_secret(platform, caplog):
    identity, connector = platform
    sender, _ = sender_for(app_configuration(identity, secret="a-wrong-password"), WallClock())
    try:
        with pytest.raises(DeliveryFailed) as refused:
            await sender.send_to_conversation(connector.url, "a:maya", message(1))
        assert "invalid_client" in refused.value.reason and not refused.value.permanent
        assert "a-wrong-password" not in refused.value.reason and "a-wrong-password" not in caplog.text
        assert connector.sent == [] and connector.bearers == [], "nothing reaches the connector without a token"
    finally:
        await sender.close()
    sender, token = sender_for(app_configuration(identity), WallClock())
    identity.failures = [503]
    try:
        with pytest.raises(DeliveryFailed) as unavailable:
            await sender.send_to_conversation(connector.url, "a:maya", message(2))
        assert not unavailable.value.permanent
        await sender.send_to_conversation(connector.url, "a:maya", message(3))  # the platform is back
    finally:
        await sender.close()
    assert token.fetches == 1 and [s.activity["text"] for s in connector.sent] == ["notification 3"]
