"""`make run` waits for /healthz; when the app answers unhealthy, its message says what /healthz answered."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.run_local import wait_until_healthy

UNHEALTHY = {"status": "unhealthy", "store": "ok", "outbox": {"state": "stalled", "oldestAgeSeconds": 1200.0}}


class _Unhealthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        body = json.dumps(UNHEALTHY).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _Running:
    def poll(self) -> None:
        return None


def test_make_run_says_what_healthz_answered_when_it_never_turns_healthy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unhealthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(SystemExit) as stopped:
            wait_until_healthy(f"http://127.0.0.1:{server.server_address[1]}/healthz", _Running(), seconds=1.0)
    finally:
        server.shutdown()
        server.server_close()
    message = str(stopped.value)
    assert "it answered: 503" in message and '"state": "stalled"' in message and "oldestAgeSeconds" in message
