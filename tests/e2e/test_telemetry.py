"""Telemetry over real HTTP: a click's trace, its later delivery linked back to it, the metrics, and
nothing anyone typed, nobody's name and no token in any span, metric or log line.

The app runs in-process on loopback with an in-memory exporter (nothing leaves this machine), over
SQLite here and over SharePoint in tests/integration/test_telemetry_sharepoint.py, on each Teams
edge (botbuilder and the Microsoft 365 Agents SDK): both give the same trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import JsonFormatter
from bot.telemetry.setup import in_memory
from cards import verbs
from tests.e2e.test_core_loop import approval_card_for, install_approvers, last_card_with, update_saying
from tests.support.edges import both_edges
from tests.support.people import DIANE, MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import settings_for_test, start_app
from tests.support.teams_client import TeamsClient, action

# What the people typed: unusual enough that finding any of it in telemetry cannot be a coincidence.
TYPED = {
    **VALID_PITCH,
    "title": "Quokka ledger for ferry passes",
    "problem": "Ferry riders queue twice at Wolfe Island terminals",
    "solution": "A single quokka-themed pass kiosk",
    "people": "Marguerite Okonkwo-Lindqvist and the ferry desk",
}
COMMENT = "Approved: budget line 4471-zebra confirmed"
pytestmark = both_edges
NAMES = [SAM.name, MAYA.name, DIANE.name, "Marguerite Okonkwo-Lindqvist"]


class Lines(logging.Handler):
    """The app's JSON log lines, formatted the moment they are written (as the production handler does)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def attributes_text(spans, metrics_data) -> str:
    """Every attribute value, name, event and link of every span, and every metric point's attributes."""
    parts = []
    for span in spans:
        parts += [span.name, json.dumps(dict(span.attributes or {}), default=str)]
        parts += [json.dumps(dict(e.attributes or {}), default=str) + e.name for e in span.events]
        parts += [json.dumps(dict(link.attributes or {}), default=str) for link in span.links]
        parts += [str(span.status.description or "")]
    for resource_metrics in metrics_data.resource_metrics:
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                parts += [json.dumps(dict(p.attributes or {}), default=str) for p in metric.data.data_points]
    return "\n".join(parts)


def points(metrics_data, name: str) -> list:
    return [
        p
        for rm in metrics_data.resource_metrics
        for scope in rm.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for p in metric.data.data_points
    ]


def descends_from(span, ancestor, by_id) -> bool:
    while span is not None and span.parent is not None:
        if span.parent.span_id == ancestor.context.span_id:
            return True
        span = by_id.get(span.parent.span_id)
    return False


async def pitch_and_approve(teams: TeamsClient, connector) -> dict:
    await install_approvers(teams)
    await teams.install(SAM)
    await teams.say(SAM, "pitch")
    form = await connector.wait_for(lambda c: last_card_with(c, SAM, verbs.PITCH_SUBMIT))
    assert (await teams.click(SAM, action(form, verbs.PITCH_SUBMIT), TYPED)).status == 200
    card = await approval_card_for(connector, MAYA)
    assert (await teams.click(MAYA, action(card, verbs.APPROVE), {"comment": COMMENT})).status == 200
    await update_saying(connector, SAM, COMMENT)  # the decision update reached Sam: its delivery is traced
    return card


async def test_a_click_is_one_trace_with_store_and_connector_spans_and_its_delivery_is_linked_to_it(
    tmp_path, connector, log_lines, teams_edge
):
    telemetry, exporter, reader = in_memory()
    app = await start_app(settings_for_test(tmp_path / "den.sqlite3", teams_edge=teams_edge), telemetry=telemetry)
    try:
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        await pitch_and_approve(teams, connector)
        [idea] = await app.store.list_by_submitter(SAM.aad_id)
    finally:
        await app.stop()
    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}

    [click] = [s for s in spans if s.name == "turn invoke" and s.attributes.get("den.verb") == verbs.APPROVE]
    assert click.parent is None, "a turn starts its own trace"
    assert dict(click.attributes) | {"http.response.status_code": 200} == {
        "den.activity.type": "invoke", "den.invoke.name": "adaptiveCard/action", "den.verb": verbs.APPROVE,
        "den.idea_id": idea.id, "den.outcome": "ok", "http.response.status_code": 200,
    }  # fmt: skip
    store_spans = [s for s in spans if s.context.trace_id == click.context.trace_id and s.name.startswith("store.")]
    assert {"store.get", "store.update"} <= {s.name for s in store_spans}
    assert all(descends_from(s, click, by_id) for s in store_spans)
    assert all(s.attributes["db.system"] == "sqlite" for s in store_spans)

    # A reply sent within a turn (the pitch form Sam asked for by typing) is a span under that turn.
    asked = [s for s in spans if s.name == "turn message"]
    replies = [s for s in spans if s.name == "teams send" and s.parent and s.parent.span_id in
               {t.context.span_id for t in asked}]  # fmt: skip
    assert replies and all(r.attributes["http.response.status_code"] == 200 for r in replies)

    # Sam's decision update: delivered later, in a trace of its own, linked to Maya's click.
    deliveries = [s for s in spans if s.name == "outbox.deliver decision_update"]
    [delivery] = [d for d in deliveries if any(link.context.span_id == click.context.span_id for link in d.links)]
    assert delivery.context.trace_id != click.context.trace_id and delivery.parent is None
    assert delivery.attributes["den.outcome"] == "sent" and delivery.attributes["den.idea_id"] == idea.id
    sends = [s for s in spans if s.name == "teams send" and s.parent and s.parent.span_id == delivery.context.span_id]
    assert len(sends) == 1 and sends[0].attributes["http.response.status_code"] in (200, 201)

    metrics_data = reader.get_metrics_data()
    [clicks] = [p for p in points(metrics_data, "den.clicks") if p.attributes["den.verb"] == verbs.APPROVE]
    assert clicks.value == 1 and clicks.attributes["den.outcome"] == "ok"
    [latency] = [p for p in points(metrics_data, "den.click.duration") if p.attributes["den.verb"] == verbs.APPROVE]
    assert latency.count == 1 and latency.sum > 0
    [decided] = points(metrics_data, "den.decisions")
    assert dict(decided.attributes) == {"den.decision.outcome": "approved", "den.decision.status": "recorded"}
    assert sum(p.value for p in points(metrics_data, "den.teams.sends")) >= 3  # receipts, request, update

    # Log lines written inside the delivery carry its trace and span ids.
    sent = [line for line in log_lines.lines if line["message"] == "notification sent"
            and line.get("trace_id") == format(delivery.context.trace_id, "032x")]  # fmt: skip
    assert sent and sent[0]["span_id"] == format(delivery.context.span_id, "016x")

    # Nothing typed, nobody's name, no token: not in spans, metrics or log lines.
    exported = attributes_text(spans, metrics_data) + "\n" + "\n".join(json.dumps(x) for x in log_lines.lines)
    for typed in [*TYPED.values(), COMMENT, *NAMES]:
        if len(typed) > 12:  # the choice values (cost band, program area) are the app's own words
            assert typed not in exported, f"{typed!r} found in telemetry"
    for fragment in ("Quokka", "quokka", "4471-zebra", "Okonkwo", "Bearer", "eyJ"):
        assert fragment not in exported, f"{fragment!r} found in telemetry"
