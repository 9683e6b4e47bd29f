"""A span for each Bot Connector request (a proactive send, a new conversation, an update in place).

The seam any edge's sender calls: `connector_call(telemetry, operation, method)` around the round
trip, then `.answered(status, headers)`. No URL is kept (it holds conversation ids, which are
enough to find a person); 429s and `Retry-After` count with `den.service=teams`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from bot.telemetry.core import Telemetry
from bot.telemetry.graph import count_answer

OPERATIONS = ("send", "create_conversation", "update")


class ConnectorCall:
    def __init__(self, telemetry: Telemetry, span: Span, operation: str) -> None:
        self._telemetry = telemetry
        self._span = span
        self._operation = operation

    def answered(self, status: int, headers: Any = None) -> None:
        if status >= 400:
            self._span.set_attributes({"http.response.status_code": status, "error.type": str(status)})
            self._span.set_status(Status(StatusCode.ERROR))
        else:
            self._span.set_attribute("http.response.status_code", status)
        labels = {"den.connector.operation": self._operation, "den.status_class": f"{status // 100}xx"}
        self._telemetry.sends.add(1, labels)
        count_answer(self._telemetry, "teams", status, headers)

    def unreachable(self, error: BaseException) -> None:
        self._span.set_attribute("error.type", type(error).__name__)
        self._span.set_status(Status(StatusCode.ERROR))
        self._telemetry.sends.add(1, {"den.connector.operation": self._operation, "den.status_class": "unreachable"})


@contextmanager
def connector_call(telemetry: Telemetry, operation: str, method: str) -> Iterator[ConnectorCall]:
    """A leaf span (nothing nests under a connector request, so it is never made current)."""
    operation = operation if operation in OPERATIONS else "other"
    attributes = {"http.request.method": method, "den.service": "teams", "den.connector.operation": operation}
    span = telemetry.tracer.start_span(f"teams {operation}", kind=SpanKind.CLIENT, attributes=attributes)
    try:
        yield ConnectorCall(telemetry, span, operation)
    finally:
        span.end()


def operation_of(method: str, url: str) -> str:
    """Which Bot Connector operation a v3 request is."""
    if method == "PUT":
        return "update"
    return "send" if url.rstrip("/").endswith("/activities") else "create_conversation"
