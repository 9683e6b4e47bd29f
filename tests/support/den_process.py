"""The app as its own process (`python app.py`), as it runs in production: for the tests that need
two real instances over one store, or a kill -9."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from bot.ports.service_urls import LOCAL_SERVICE_URLS
from bot.settings import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlite_environment(port: int, db: Path, org_file: Path, **overrides: str) -> dict[str, str]:
    """An instance on the embedded store at `db`, authentication off, timers off, quick retries."""
    return {
        **os.environ,
        "PORT": str(port),
        "DEN_HOST": "127.0.0.1",
        "DEN_SQLITE_PATH": str(db),
        "DEN_ORG_FILE": str(org_file),
        "DEN_LOG_LEVEL": "WARNING",
        "DEN_DIGEST_SCHEDULE": "off",
        "DEN_OUTBOX_POLL_SECONDS": "0.2",
        "DEN_NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "MicrosoftAppId": "",
        "DEN_ALLOWED_SERVICE_URLS": LOCAL_SERVICE_URLS,  # the connector stand-in on loopback
        **overrides,
    }


async def start_den(env: dict[str, str], port: int, *, healthy: bool = True) -> subprocess.Popen:
    """Start `python app.py` and wait until /healthz answers (200 when `healthy`, else any answer)."""
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=ROOT)  # noqa: ASYNC220
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if process.poll() is not None:
                raise AssertionError(f"app.py exited with {process.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    await response.read()
                    if response.status == 200 or not healthy:
                        return process
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    process.kill()
    raise AssertionError("the app did not become healthy within 30 s")


def stop_den(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
