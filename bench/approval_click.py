"""Benchmark: approval-click latency and message throughput, against a bare echo bot.

Drives the real app over HTTP on loopback (embedded SQLite store), with a local Bot
Connector stand-in. Prints p50/p95 of an approval click (invoke in, card out) and messages
per second for Deputy's Den and for a bare botbuilder echo bot on the same CloudAdapter,
in the same run; the ratio is the figure. Run: `make bench`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bot.adapters.sqlite_store import SqliteStore
from bot.ports.service_urls import LOCAL_SERVICE_URLS
from bot.settings import ROOT
from cards import verbs
from tests.support.fake_connector import FakeConnector
from tests.support.people import MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import DEMO_ORG
from tests.support.store_probes import held_by, pending_outbox
from tests.support.teams_client import TeamsClient, action

CLICKS = 300
THROUGHPUT_SECONDS = 4.0
CONCURRENCY = 8


async def throughput(client: TeamsClient, text: str) -> float:
    done = 0
    deadline = time.perf_counter() + THROUGHPUT_SECONDS

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            status = await client.say(SAM, text)
            assert status in (200, 201), status
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return done / (time.perf_counter() - start)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_process(command: list[str], env: dict[str, str], port: int) -> tuple[str, subprocess.Popen]:
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT)  # noqa: ASYNC220
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return f"{url}/api/messages", process
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command} did not start")


async def start_den_process(db: Path) -> tuple[str, subprocess.Popen]:
    """The app as it runs in production: its own process, `python app.py`."""
    port = free_port()
    env = {
        "PORT": str(port),
        "DEN_HOST": "127.0.0.1",
        "DEN_SQLITE_PATH": str(db),
        "DEN_ORG_FILE": str(DEMO_ORG),
        "DEN_LOG_LEVEL": "WARNING",
        "MicrosoftAppId": "",
        "DEN_ALLOWED_SERVICE_URLS": LOCAL_SERVICE_URLS,  # the connector stand-in on loopback
    }
    return await start_process([sys.executable, str(ROOT / "app.py")], env, port)


async def main() -> None:
    connector = FakeConnector()
    await connector.start()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "den.sqlite3"
        den_url, den_process = await start_den_process(db)
        store = SqliteStore(db)
        await store.open()
        echo_port = free_port()
        echo_url, echo_process = await start_process(
            [sys.executable, "-m", "bench.echo_bot", str(echo_port)], {}, echo_port
        )
        session = aiohttp.ClientSession()
        try:
            den = TeamsClient(den_url, connector.url, TENANT_ID, session=session)
            await den.install(SAM)
            await den.install(MAYA)
            await den.say(SAM, "pitch")
            form = connector.sent[-1].cards[0]
            submit = action(form, verbs.PITCH_SUBMIT)
            approve_actions = []
            for i in range(CLICKS):
                pitch = {**VALID_PITCH, "title": f"Idea {i}"}
                receipt = await den.click(SAM, {**submit, "data": {"formId": None}}, pitch)
                assert receipt.status == 200
            while await pending_outbox(store):  # noqa: ASYNC110 - let the submissions go out first
                await asyncio.sleep(0.1)
            ideas = (await held_by(store, MAYA.aad_id))[:CLICKS]
            for idea in ideas:
                approve_actions.append({"verb": verbs.APPROVE, "data": {"ideaId": idea.id, "step": 0, "revision": 1}})

            latencies = []
            for approve in approve_actions:
                started = time.perf_counter()
                result = await den.click(MAYA, approve, {"comment": ""})
                latencies.append((time.perf_counter() - started) * 1000)
                assert result.status == 200 and result.body["type"].endswith("card.adaptive")

            den_rate = await throughput(den, "help")
            echo_rate = await throughput(TeamsClient(echo_url, connector.url, TENANT_ID, session=session), "hello")
        finally:
            await session.close()
            await store.close()
            den_process.terminate()
            den_process.wait(timeout=10)
            echo_process.terminate()
            echo_process.wait(timeout=10)
            await connector.stop()

    print(f"approval click (invoke in, card out), {len(latencies)} clicks, embedded SQLite store:")
    print(
        f"  p50 {statistics.median(latencies):6.1f} ms   p95 {percentile(latencies, 95):6.1f} ms   (aim: p95 < 100 ms)"
    )
    print(f"messages per second, {CONCURRENCY} concurrent senders for {THROUGHPUT_SECONDS:.0f} s each:")
    print(f"  Deputy's Den 'help': {den_rate:7.1f}/s")
    print(f"  bare echo bot      : {echo_rate:7.1f}/s")
    print(f"  ratio              : {den_rate / echo_rate:7.1%}   (aim: at least 60%)")


if __name__ == "__main__":
    asyncio.run(main())
