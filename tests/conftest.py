import pytest

from tests.support.fake_connector import FakeConnector


@pytest.fixture
async def connector():
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()
