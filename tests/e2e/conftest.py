"""The app every HTTP test module talks to: the real server on loopback over a fresh SQLite file,
the local Bot Connector stand-in (`connector`, tests/conftest.py) and a Teams client.

A module changes what it needs by giving its own fixture of the same name: `clock` (the app's
clock; the real one by default), `app_settings` (overrides for settings_for_test), or `teams`
(which may ask for this one, e.g. to install people first). The edge is `teams_edge`
(tests/conftest.py; `pytestmark = both_edges` runs a module on both)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.fake_connector import FakeConnector
from tests.support.people import TENANT_ID
from tests.support.running_app import FakeClock, RunningApp, settings_for_test, start_app
from tests.support.teams_client import TeamsClient


@pytest.fixture
def clock() -> FakeClock | None:
    return None


@pytest.fixture
def app_settings() -> dict[str, Any]:
    return {}


@pytest.fixture
async def app(tmp_path, connector: FakeConnector, clock, app_settings, teams_edge) -> AsyncIterator[RunningApp]:
    settings = settings_for_test(tmp_path / "den.sqlite3", **{"teams_edge": teams_edge, **app_settings})
    running = await start_app(settings, clock)
    yield running
    await running.stop()


@pytest.fixture
def teams(app: RunningApp, connector: FakeConnector) -> TeamsClient:
    return TeamsClient(app.messages_url, connector.url, TENANT_ID)
