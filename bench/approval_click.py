"""Benchmark: an approval click and its notifications, against a bare aiohttp yardstick.

Four processes besides this one: Deputy's Den as it runs in production (`python app.py`, the
embedded SQLite store) on each Teams edge (DEN_TEAMS_EDGE=botbuilder and =agents, each on its
own copy of the same store, so both answer exactly the same clicks), the yardstick
(`bench/yardstick.py`: a bare aiohttp server answering the same invoke with the same card), and
the Bot Connector stand-in, which enforces Teams' documented rate limits (429 past them). This
process is only the load: managers clicking Approve on their staff's ideas, as Teams would send
the invoke.

Per run, interleaved (yardstick, then the Den on botbuilder, then on the Agents SDK), three runs:
- server CPU per click, read from the server's /proc entry; for the Den it includes sending
  the click's two notifications (the decision to the submitter, the request to the next approver);
- sequential click latency (p50, p95);
- clicks per second with 8 concurrent clickers.
Then notification delivery (on the botbuilder edge's process: both edges send notifications
with the same code): 900 approval requests queued in three bursts, drained through the
stand-in (20 ms per send): the sustained rate from first to last arrival, the Den's CPU per
notification, the highest number of sends it accepted in any one second (Teams allows 50 per
app per tenant) and how many it refused.
Run: `make bench`. Figures are min / median / max; nothing here is a test.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.harness import Figure, Server, den_env, free_port, percentile, python, start_server, verdict
from cards import verbs
from tests.support.bulk import BenchOrg, seed_ideas
from tests.support.teams_client import TeamsClient, User

RUNS = 3
EDGES = ("botbuilder", "agents")  # DEN_TEAMS_EDGE: the Den runs on each, side by side
SEQUENTIAL = 60
CONCURRENT = 240
CLICKERS = 8
YARDSTICK_REPEAT = 5  # the yardstick's CPU is read over this many times more clicks (tick resolution)
QUEUED = 900
CONNECTOR_LATENCY = 0.02  # seconds per send at the stand-in: a round trip, as a real service has


async def connector_stats(session: aiohttp.ClientSession, connector: Server) -> dict[str, Any]:
    async with session.get(f"{connector.url}/_stats") as response:
        return await response.json()


async def wait_for_sends(session: aiohttp.ClientSession, connector: Server, count: int, within: float = 120) -> float:
    """Wait until the stand-in has accepted `count` activities; returns when (perf_counter)."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if (await connector_stats(session, connector))["sent"] >= count:
            return time.perf_counter()
        await asyncio.sleep(0.02)
    raise SystemExit(f"only {(await connector_stats(session, connector))['sent']} of {count} notifications arrived")


def approve(idea_id: str) -> dict[str, Any]:
    return {"verb": verbs.APPROVE, "data": {"ideaId": idea_id, "step": 0, "revision": 1}}


async def click(client: TeamsClient, manager: User, idea_id: str) -> float:
    started = time.perf_counter()
    result = await client.click(manager, approve(idea_id), {"comment": ""})
    elapsed = time.perf_counter() - started
    if result.status != 200 or not (result.body or {}).get("type", "").endswith("card.adaptive"):
        raise SystemExit(f"a click failed: {result.status} {result.body}")
    return elapsed


async def run_clicks(
    server: Server,
    client: TeamsClient,
    work: list[tuple[User, str]],
    *,
    concurrency: int,
    notifications: tuple[aiohttp.ClientSession, Server, int] | None = None,
) -> tuple[list[float], float, float]:
    """Click through `work`; returns (latencies, wall seconds, server CPU seconds incl. notifications)."""
    queue = list(reversed(work))
    latencies: list[float] = []

    async def clicker() -> None:
        while queue:
            manager, idea_id = queue.pop()
            latencies.append(await click(client, manager, idea_id))

    cpu_before = server.cpu()
    started = time.perf_counter()
    await asyncio.gather(*(clicker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    if notifications is not None:
        session, connector, expected = notifications
        await wait_for_sends(session, connector, expected)
        await asyncio.sleep(0.2)  # let the server record the last deliveries
    return latencies, wall, server.cpu() - cpu_before


def queue_approval_requests(db: Path, ideas: list[tuple[str, str]], tag: str) -> None:
    """Queue notifications straight into the store, as a burst of decisions elsewhere would."""
    now = datetime.now(UTC).isoformat()
    with sqlite3.connect(db, timeout=30) as connection:
        connection.executemany(
            "INSERT INTO outbox (id, recipient_id, kind, idea_id, payload, created_at, not_before)"
            " VALUES (?, ?, 'approval_request', ?, ?, ?, ?)",
            [
                (f"{idea_id}:bench-{tag}", manager_id, idea_id, json.dumps({"step": 0, "revision": 1}), now, now)
                for idea_id, manager_id in ideas
            ],
        )


async def main() -> None:
    org = BenchOrg.build(directors=60, managers_per_director=2, staff_per_manager=5)
    needed = RUNS * (SEQUENTIAL + CONCURRENT) + QUEUED
    with tempfile.TemporaryDirectory() as folder:
        db, org_file = Path(folder) / "den.sqlite3", Path(folder) / "org.json"
        org.write(org_file)
        connector_port = free_port()
        connector = await start_server(
            "connector stand-in",
            python("-m", "tests.support.fake_connector", str(connector_port), str(CONNECTOR_LATENCY)),
            port=connector_port,
            ready_path="/_stats",
        )
        print(f"seeding {needed:,} ideas awaiting their managers ...", flush=True)
        ideas = await seed_ideas(db, org, needed, service_url=f"{connector.url}/")
        dens: dict[str, Server] = {}
        for edge in EDGES:
            edge_db = Path(folder) / f"den-{edge}.sqlite3"
            with sqlite3.connect(db) as source, sqlite3.connect(edge_db) as copy:
                source.backup(copy)  # the same ideas, awaiting the same managers, for each edge
            den_port = free_port()
            dens[edge] = await start_server(
                f"Deputy's Den on {edge}",
                python("app.py"),
                port=den_port,
                env=den_env(den_port, edge_db, org_file, DEN_TEAMS_EDGE=edge),
            )
        den, delivery_db = dens["botbuilder"], Path(folder) / "den-botbuilder.sqlite3"
        yard_port = free_port()
        yardstick = await start_server("yardstick", python("-m", "bench.yardstick", str(yard_port)), port=yard_port)
        figures = {
            name: {
                "cpu": Figure(f"{name}: server CPU per click", "ms", digits=3),
                "p50": Figure(f"{name}: sequential click p50", "ms"),
                "p95": Figure(f"{name}: sequential click p95", "ms"),
                "rate": Figure(f"{name}: {CLICKERS} concurrent clickers", "clicks/s"),
            }
            for name in ("yardstick", *EDGES)
        }
        ratios = {edge: Figure(f"{edge}: Den CPU per click / yardstick's", "x") for edge in EDGES}
        agents_vs_botbuilder = Figure("agents' CPU per click / botbuilder's", "x")
        delivery = Figure("notification delivery", "/s")
        delivery_cpu = Figure("Den CPU per notification delivered", "ms", digits=2)
        peak = Figure("most sends accepted in any one second", "/s", digits=0)
        throttled = Figure("sends the stand-in refused (429)", "", digits=0)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLICKERS * 2))
        try:
            clients = {
                name: TeamsClient(f"{server.url}/api/messages", f"{connector.url}/", org.tenant_id, session=session)
                for name, server in (("yardstick", yardstick), *dens.items())
            }
            pending = list(ideas)
            for run in range(RUNS):
                sequential = [pending.pop() for _ in range(SEQUENTIAL)]
                concurrent = [pending.pop() for _ in range(CONCURRENT)]
                for name, server in (("yardstick", yardstick), *dens.items()):
                    client = clients[name]
                    cpu_total, clicks = 0.0, 0
                    for batch, concurrency in ((sequential, 1), (concurrent, CLICKERS)):
                        work = [(org.user(manager), idea_id) for idea_id, manager in batch]
                        notifications = None
                        if server is not yardstick:
                            sent = (await connector_stats(session, connector))["sent"]
                            notifications = (session, connector, sent + 2 * len(batch))
                        latencies, wall, cpu = await run_clicks(
                            server, client, work, concurrency=concurrency, notifications=notifications
                        )
                        cpu_total, clicks = cpu_total + cpu, clicks + len(batch)
                        if concurrency == 1:
                            figures[name]["p50"].add(percentile(latencies, 50) * 1000)
                            figures[name]["p95"].add(percentile(latencies, 95) * 1000)
                        else:
                            figures[name]["rate"].add(len(batch) / wall)
                    if server is yardstick:
                        # Its CPU per click is a fraction of a clock tick: measure it over many more clicks.
                        work = [(org.user(manager), idea_id) for idea_id, manager in concurrent] * YARDSTICK_REPEAT
                        _, _, cpu = await run_clicks(server, client, work, concurrency=CLICKERS)
                        cpu_total, clicks = cpu_total + cpu, clicks + len(work)
                    figures[name]["cpu"].add(cpu_total / clicks * 1000)
                yard_cpu = max(figures["yardstick"]["cpu"].values[-1], 1e-6)
                for edge in EDGES:
                    ratios[edge].add(figures[edge]["cpu"].values[-1] / yard_cpu)
                agents_vs_botbuilder.add(figures["agents"]["cpu"].values[-1] / figures["botbuilder"]["cpu"].values[-1])
                print(f"run {run + 1} of {RUNS} done", flush=True)

            for run in range(RUNS):
                burst = [pending.pop() for _ in range(QUEUED // RUNS)]
                stats = await connector_stats(session, connector)
                cpu_before = den.cpu()
                queue_approval_requests(delivery_db, burst, tag=str(run))
                # Sustained rate: from the first arrival to the last (the first waits for the outbox's poll).
                first = await wait_for_sends(session, connector, stats["sent"] + 1)
                last = await wait_for_sends(session, connector, stats["sent"] + len(burst))
                delivery.add((len(burst) - 1) / (last - first))
                await asyncio.sleep(0.3)  # the last deliveries recorded
                delivery_cpu.add((den.cpu() - cpu_before) / len(burst) * 1000)
                print(f"delivery burst {run + 1} of {RUNS}: {delivery.values[-1]:.1f}/s", flush=True)
            stats = await connector_stats(session, connector)
            peak.add(stats["maxPerSecond"])
            throttled.add(stats["throttled"])
        finally:
            await session.close()
            for server in dens.values():
                server.stop(signal.SIGTERM)
            yardstick.stop(signal.SIGTERM)
            connector.stop(signal.SIGTERM)

    print()
    print(f"Approval clicks, the same clicks on each edge ({RUNS} interleaved runs; min / median / max):")
    for name in ("yardstick", *EDGES):
        for key in ("cpu", "p50", "p95", "rate"):
            aim = ""
            if name != "yardstick" and key == "p95":
                aim = f"aim < 25 ms: {verdict(figures[name]['p95'].median < 25)}"
            if name != "yardstick" and key == "rate":
                aim = f"aim >= 100/s: {verdict(figures[name]['rate'].median >= 100)}"
            print(figures[name][key].line(aim))
    for edge in EDGES:
        print(ratios[edge].line(f"aim <= 60x: {verdict(ratios[edge].median <= 60)}"))
    faster = "agents" if agents_vs_botbuilder.median < 1 else "botbuilder"
    print(agents_vs_botbuilder.line(f"the faster edge (less CPU per click): {faster}"))
    print()
    latency_ms = CONNECTOR_LATENCY * 1000
    print(f"Notification delivery ({QUEUED} queued approval requests in {RUNS} bursts, {latency_ms:.0f} ms per send):")
    print(delivery.line(f"aim >= 45/s: {verdict(delivery.median >= 45)}"))
    print(delivery_cpu.line())
    print(peak.line(f"Teams allows 50: {verdict(peak.median <= 50)}"))
    print(throttled.line())


if __name__ == "__main__":
    asyncio.run(main())
