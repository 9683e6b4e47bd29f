"""What every benchmark shares: server processes on loopback, their CPU time, and honest figures.

Each server under test runs in its own process and the load comes from this one, so the CPU a
server spends is read from its own /proc entry (user + system time), not inferred from wall
time on a busy machine. Figures are reported as min / median / max over repeated, interleaved
runs, never as one number.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        text = stat.read()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime, stime


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Server:
    """A process serving HTTP on 127.0.0.1:port."""

    name: str
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


async def start_server(
    name: str, command: list[str], *, port: int, env: dict[str, str] | None = None, ready_path: str = "/healthz"
) -> Server:
    """Start `command` and wait until GET ready_path answers (any status: the process is serving)."""
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled over HTTP
        command, env={**os.environ, **(env or {})}, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    server = Server(name, process, port)
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode} before serving")
            try:
                async with session.get(f"{server.url}{ready_path}") as response:
                    await response.read()
                    return server
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise SystemExit(f"{name} did not start")


def den_env(port: int, db: Path, org_file: Path, **more: str) -> dict[str, str]:
    """The settings a benchmarked Den runs with: SQLite `db`, the org file, quiet logs, no timers,
    authentication off, sending to the connector stand-in on loopback; `more`: other settings."""
    from bot.ports.service_urls import LOCAL_SERVICE_URLS

    return {
        "PORT": str(port),
        "DEN_HOST": "127.0.0.1",
        "DEN_SQLITE_PATH": str(db),
        "DEN_ORG_FILE": str(org_file),
        "DEN_LOG_LEVEL": "WARNING",
        "DEN_OUTBOX_POLL_SECONDS": "0.5",
        "DEN_DIGEST_SCHEDULE": "off",
        "MicrosoftAppId": "",
        "DEN_ALLOWED_SERVICE_URLS": LOCAL_SERVICE_URLS,
        **more,
    }


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


@dataclass
class Figure:
    """One measured quantity over repeated runs."""

    label: str
    unit: str
    values: list[float] = field(default_factory=list)
    digits: int = 1

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def line(self, aim: str = "") -> str:
        if not self.values:
            return f"  {self.label:<46} (not measured)"
        fmt = f"{{:.{self.digits}f}}"
        low, mid, high = (fmt.format(v) for v in (min(self.values), self.median, max(self.values)))
        text = f"  {self.label:<46} {low:>9} / {mid:>9} / {high:>9} {self.unit}"
        return f"{text}   {aim}" if aim else text


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
