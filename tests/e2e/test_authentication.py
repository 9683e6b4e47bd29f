"""Authentication on, end to end, on both edges: the connector's token on every request to the bot,
checked against the Bot Framework's signing keys, and the app's own token (from the identity
platform, through each SDK's MSAL) on everything the bot sends back, in the turn and later.

Local stand-ins behave as Microsoft documents: tests/support/fake_login.py (the identity
platform's client-credentials grant, over TLS) and tests/support/fake_channel_login.py (the
connector's tokens and the keys at login.botframework.com, reached through a loopback tunnel).
The connector stand-in takes only a live token the identity platform issued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from cards import verbs
from tests.support.edges import both_edges
from tests.support.fake_channel_login import LOGIN_HOST, FakeChannelLogin, IdentityThread, LoopbackTunnel
from tests.support.fake_connector import FakeConnector
from tests.support.fake_login import FakeIdentityPlatform, local_tls
from tests.support.people import AUTHENTICATED, MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import RunningApp, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, action, texts

pytestmark = both_edges

APP_ID = AUTHENTICATED["app_id"]
CONNECTOR_SCOPE = "https://api.botframework.com/.default"


@dataclass
class Secured:
    app: RunningApp
    connector: FakeConnector
    identity: FakeIdentityPlatform
    channel_login: FakeChannelLogin
    tunnel: LoopbackTunnel

    def teams(self, token: str | None) -> TeamsClient:
        return TeamsClient(self.app.messages_url, self.connector.url, TENANT_ID, token=token)

    def good_token(self) -> str:
        return self.channel_login.token(APP_ID, self.connector.url)


@pytest.fixture
async def secured(tmp_path, monkeypatch, teams_edge) -> AsyncIterator[Secured]:
    tls, certificate = local_tls(tmp_path, names=("localhost", LOGIN_HOST))
    served = IdentityThread(tls, FakeIdentityPlatform(APP_ID, AUTHENTICATED["app_password"]))
    served.start()
    tunnel, identity = served.tunnel, served.identity
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, tunnel.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "localhost,127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))  # botbuilder's and MSAL's requests
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the Agents SDK's key fetch (urllib)
    connector = FakeConnector(accepts_token=identity.valid)
    await connector.start()
    settings = settings_for_test(
        tmp_path / "den.sqlite3", **AUTHENTICATED, login_authority=identity.url, teams_edge=teams_edge
    )
    app = await start_app(settings)
    yield Secured(app, connector, identity, served.login, tunnel)
    await app.stop()
    await connector.stop()
    served.stop()


async def test_the_loop_runs_with_a_checked_token_in_and_the_apps_token_out(secured):
    teams, connector = secured.teams(secured.good_token()), secured.connector
    assert await teams.install(MAYA) == 201
    assert await teams.install(SAM) == 201
    assert await teams.say(SAM, "pitch") == 201
    form = await connector.wait_for(
        lambda c: next((card for s in c.to(SAM.conversation_id) for card in s.cards
                        if any(a.get("verb") == verbs.PITCH_SUBMIT for a in card.get("actions", []))), None)
    )  # fmt: skip
    receipt = await teams.click(SAM, action(form, verbs.PITCH_SUBMIT), VALID_PITCH)
    assert receipt.status == 200 and "Thanks, your idea is in!" in texts(receipt.card)

    ask = await connector.wait_for(
        lambda c: next((card for s in c.to(MAYA.conversation_id) for card in s.cards
                        if any(a.get("verb") == verbs.APPROVE for a in card.get("actions", []))), None)
    )  # fmt: skip
    decided = await teams.click(MAYA, action(ask, verbs.APPROVE), {})
    assert "You decided: Approved" in texts(decided.card)
    await connector.wait_for(
        lambda c: any("approved" in texts(card).lower() for s in c.to(SAM.conversation_id) for card in s.cards
                      if s.activity.get("summary")) or None
    )  # fmt: skip

    # Welcomes and the form were sent in the turn; the approval request and Sam's update later.
    assert len(connector.sent) >= 5 and len(connector.bearers) == len(connector.sent)
    assert all(secured.identity.valid(bearer) for bearer in connector.bearers), "every send carried the app's token"
    assert secured.identity.issued, "the token came from the identity platform"
    assert {(i.client_id, i.scope) for i in secured.identity.issued} == {(APP_ID, CONNECTOR_SCOPE)}


async def test_the_signing_keys_are_fetched_from_the_bot_frameworks_address_only(secured):
    teams = secured.teams(secured.good_token())
    assert await teams.install(SAM) == 201
    # Each SDK keeps the keys for the process: fetched once (through the tunnel) or already kept.
    assert secured.tunnel.refused == [], "nothing asked for any other host"


def forged(secured: Secured, how: str) -> str | None:
    login, service_url = secured.channel_login, secured.connector.url
    if how == "no token":
        return None
    if how == "for another app":
        return login.token("0b7f3a52-1111-4222-8333-944455556666", service_url)
    if how == "signed with another key":
        return login.token(APP_ID, service_url, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    if how == "expired":
        return login.token(APP_ID, service_url, lifetime=-3600)
    if how == "for another connector":
        return login.token(APP_ID, "https://smba.elsewhere.example/")
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how", ["no token", "for another app", "signed with another key", "expired", "for another connector"]
)
async def test_a_request_without_a_good_token_is_refused_before_the_bot(secured, how):
    teams = secured.teams(forged(secured, how))
    assert await teams.install(SAM) == 401
    assert await teams.say(SAM, "pitch") == 401
    refused = await teams.click(SAM, {"verb": verbs.PITCH_SUBMIT, "data": {}}, VALID_PITCH)
    assert refused.status == 401
    # In-turn replies are sent before the HTTP answer, so by now any would have been recorded.
    assert secured.connector.sent == [], "nothing reaches the bot's logic"
    assert await secured.app.store.get_conversation(SAM.aad_id) is None, "nothing remembered"
