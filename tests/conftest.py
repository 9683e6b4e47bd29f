import os

import pytest

from tests.support.fake_connector import FakeConnector


@pytest.fixture
async def connector():
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def teams_edge() -> str:
    """The SDK edge the app runs on: DEN_TEAMS_EDGE, else botbuilder (a module may run both:
    tests/support/edges.py)."""
    return os.environ.get("DEN_TEAMS_EDGE", "botbuilder")
