"""`make run` waits for /healthz; when it never turns healthy it says what /healthz answered."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.run_local import wait_until_healthy


class _Stalled(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b'{"status": "unhealthy", "outbox": {"state": "stalled"}}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_the_message_says_what_healthz_answered():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stalled)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bot = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(SystemExit) as stopped:
            wait_until_healthy(f"http://127.0.0.1:{server.server_port}/healthz", bot, seconds=1)
    finally:
        bot.kill()
        bot.wait()
        server.shutdown()
        server.server_close()
    message = str(stopped.value)
    assert "HTTP 503" in message and '"state": "stalled"' in message
    assert "did not answer" not in message
