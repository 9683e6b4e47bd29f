"""Pytest helpers: a local Graph server, a real msgraph-sdk client pointed at it, a provisioned site."""

from __future__ import annotations

import time

from azure.core.credentials import AccessToken, AccessTokenInfo

from bot.adapters.graph_client import GraphSettings, make_graph_client
from bot.admin.provision import run as provision
from tests.support.fake_graph import FakeGraph

SITE_HOST = "ministry.sharepoint.example"
SITE_PATH = "/sites/deputys-den"


class StaticCredential:
    """An azure-identity-shaped credential with a fixed token: Entra ID cannot be reached from here."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_token(self, *scopes: str, **kwargs) -> AccessToken:
        self.calls += 1
        return AccessToken("test-token-not-a-secret", int(time.time()) + 3600)

    async def get_token_info(self, *scopes: str, options=None) -> AccessTokenInfo:
        self.calls += 1
        return AccessTokenInfo("test-token-not-a-secret", int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *args) -> None:
        pass


def graph_client(fake: FakeGraph, **overrides):
    settings = GraphSettings(base_url=fake.url, organisation="Test Ministry", **overrides)
    return make_graph_client(settings, StaticCredential())


async def provisioned_site(fake: FakeGraph) -> str:
    site_id = fake.add_site(SITE_HOST, SITE_PATH)
    lines: list[str] = []
    assert await provision(graph_client(fake), site_id, dry_run=False, out=lines.append) == 0, lines
    return site_id
