"""Start Microsoft 365 Agents Playground (installed by npm) for a test."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from bot.settings import ROOT
from scripts.playground import playground_command, playground_env, write_playground_config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def playground(folder: Path, bot_endpoint: str, *, current_user: str | None = None):
    """Agents Playground against the bot, its config and logs in `folder`; yields (url, session)."""
    port = free_port()
    config = write_playground_config(
        ROOT / "data" / "demo-org.json", folder / ".m365agentsplayground.yml", current_user
    )
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited in a loop
        playground_command(ROOT, bot_endpoint, port),
        cwd=config.parent,
        env=playground_env(dict(os.environ)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(150):
                try:
                    async with session.get(f"{base}/_internal/v1/config") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError(process.stdout.read().decode(errors="replace"))
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError("Agents Playground did not start within 30 s")
            yield base, session
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
