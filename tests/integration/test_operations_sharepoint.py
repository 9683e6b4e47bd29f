"""Telemetry on SharePoint: a click's Graph requests are spans under its trace, and so is each request
inside a $batch (Graph throttles them one by one), with its own status. Through the real msgraph-sdk to
the local Graph server, with an in-memory exporter."""

from __future__ import annotations

import aiohttp

from app import DEN_KEY
from bot.telemetry.setup import in_memory
from cards import verbs
from tests.e2e.test_telemetry import descends_from, pitch_and_approve
from tests.integration.test_sharepoint_app import sharepoint_settings, site  # noqa: F401 - the fixture
from tests.support.graph_fixtures import StaticCredential
from tests.support.people import TENANT_ID
from tests.support.running_app import start_app
from tests.support.teams_client import TeamsClient


async def test_on_sharepoint_each_request_inside_a_batch_is_a_child_span_with_its_own_status(
    tmp_path, connector, fake_graph, site  # noqa: F811 - the fixture
):
    telemetry, exporter, _ = in_memory()
    app = await start_app(
        sharepoint_settings(tmp_path, fake_graph, site), graph_credential=StaticCredential(), telemetry=telemetry
    )
    try:
        assert app.runner.app[DEN_KEY].tab_index is not None, "the Den tab's index is kept with the store traced too"
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        await pitch_and_approve(teams, connector)
    finally:
        await app.stop()
    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}
    [click] = [s for s in spans if s.name == "turn invoke" and s.attributes.get("den.verb") == verbs.APPROVE]
    in_click = [s for s in spans if s.context.trace_id == click.context.trace_id]
    batches = [s for s in in_click if s.name == "graph $batch"]
    assert batches, "the decision is written in one $batch"
    inner = [s for s in in_click if s.attributes.get("den.graph.batched")]
    assert inner and all(by_id[s.parent.span_id].name == "graph $batch" for s in inner)
    assert all(s.attributes["http.response.status_code"] in (200, 201, 204) for s in inner)
    assert "graph PATCH /sites/{id}/lists/{id}/items/{id}/fields" in {s.name for s in inner}, "the idea's update"
    assert "graph POST /sites/{id}/lists/{id}/items" in {s.name for s in inner}, "the decision and notifications"
    envelope = [s for s in in_click if s.name == "graph POST /$batch"]
    assert envelope and all(s.attributes["http.response.status_code"] == 200 for s in envelope)
    plain = [s for s in in_click if s.name.startswith("graph GET ")]
    assert plain, "the read before the decision is a plain request"
    assert all("?" not in s.name and "eq" not in s.attributes["url.template"] for s in plain)
    assert all(descends_from(s, click, by_id) for s in in_click if s is not click)


async def probe(url: str, name: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}{name}") as response:
        return response.status, await response.json()


async def test_on_sharepoint_readyz_says_whether_graph_answers_and_livez_holds(tmp_path, connector, fake_graph, site):  # noqa: F811
    app = await start_app(sharepoint_settings(tmp_path, fake_graph, site), graph_credential=StaticCredential())
    try:
        status, body = await probe(app.url, "readyz")
        assert status == 200 and body["graph"] == "ok" and body["store"] == "ok", body
        fake_graph.down = True  # Graph stops answering: the next probe's write fails
        app.store.health_write_seconds = 0  # (a good write otherwise stands for two minutes)
        status, body = await probe(app.url, "readyz")
        assert status == 503 and body["graph"] == "not answering", body
        assert (await probe(app.url, "livez"))[0] == 200, "alive: Graph's outage is no reason to restart it"
        fake_graph.down = False
        assert (await probe(app.url, "readyz"))[0] == 200
    finally:
        await app.stop()
