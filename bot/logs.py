"""Structured logs: one JSON object a line, with the ids a handler passed in `extra`.

Only ids and outcomes are logged, never tokens, passwords, names, or what people wrote. A line
written inside a traced turn or delivery carries its `trace_id` and `span_id` (telemetry on).
"""

from __future__ import annotations

import json
import logging
import secrets
import traceback
from datetime import UTC, datetime

from opentelemetry import trace

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        span = trace.get_current_span().get_span_context()
        if span.is_valid:  # inside a turn or a delivery: the ids that find its trace
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def error_reference() -> str:
    """A short reference for one failure, said to the person and logged with it (`ERR-7F3A9C2E`)."""
    return f"ERR-{secrets.token_hex(4).upper()}"


def where_it_failed(error: BaseException, frames: int = 12) -> list[str]:
    """The innermost frames of a failure as `file:line in function`, without the exception's
    message (which can quote what a person typed)."""
    stack = traceback.extract_tb(error.__traceback__)[-frames:]
    return [f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}" for frame in stack]
