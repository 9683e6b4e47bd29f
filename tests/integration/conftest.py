import pytest

from tests.support.fake_graph import FakeGraph


@pytest.fixture
async def fake_graph():
    graph = FakeGraph()
    await graph.start()
    yield graph
    await graph.stop()
