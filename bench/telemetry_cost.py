"""Benchmark: what telemetry costs an approval click (aim: at most 15 % more CPU).

Two Den processes side by side, identical but for telemetry: `python app.py` with none configured
(nothing exported, no wrapper installed), and `bench/telemetry_app.py`, the same app with telemetry
on and its spans and metrics exported to memory through the batch processor (so the cost of making,
processing and exporting them is in the process, and nothing leaves the machine). Each has its own
SQLite store seeded with the same ideas and sends through the same Bot Connector stand-in.

A third process is the same app with telemetry on and 1 trace in 10 kept by the standard sampler
(`OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG=0.1`): what production
pays when it samples (the metrics still count every click).

Per run, interleaved (the order turning each run): managers click Approve on their staff's ideas, sequentially
and then with 8 concurrent clickers, and the server's CPU (its own /proc entry) is read over the
clicks and the two notifications each click queues (the decision to the submitter, the request to
the director). The ratio on / off is reported per run; min / median / max over the runs.
Run: `make bench`. Nothing here is a test.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
from pathlib import Path

import aiohttp

from bench.approval_click import connector_stats, run_clicks
from bench.harness import Figure, den_env, free_port, python, start_server, verdict
from tests.support.bulk import BenchOrg, seed_ideas
from tests.support.teams_client import TeamsClient

RUNS = 8
SEQUENTIAL = 30
CONCURRENT = 120
CLICKERS = 8
CONNECTOR_LATENCY = 0.02
AIM = 1.15


SAMPLED = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
VARIANTS = {  # name: (command, extra environment)
    "off": (python("app.py"), {}),
    "on": (python("-m", "bench.telemetry_app"), {}),
    "sampled": (python("-m", "bench.telemetry_app"), SAMPLED),
}


async def start_den(name: str, command: list[str], db: Path, org_file: Path, extra: dict[str, str]):
    port = free_port()
    return await start_server(
        name,
        command,
        port=port,
        env=den_env(port, db, org_file, APPLICATIONINSIGHTS_CONNECTION_STRING="", OTEL_EXPORTER_OTLP_ENDPOINT="",
                    **extra),  # fmt: skip
        ready_path="/livez",
    )


async def main() -> None:
    org = BenchOrg.build(directors=40, managers_per_director=2, staff_per_manager=5)
    needed = RUNS * (SEQUENTIAL + CONCURRENT)
    with tempfile.TemporaryDirectory() as folder:
        org_file = Path(folder) / "org.json"
        org.write(org_file)
        connector_port = free_port()
        connector = await start_server(
            "connector stand-in",
            python("-m", "tests.support.fake_connector", str(connector_port), str(CONNECTOR_LATENCY)),
            port=connector_port,
            ready_path="/_stats",
        )
        dens = {}
        ideas = {}
        for name, (command, extra) in VARIANTS.items():
            db = Path(folder) / f"den-{name}.sqlite3"
            print(f"seeding {needed:,} ideas for telemetry {name} ...", flush=True)
            ideas[name] = await seed_ideas(db, org, needed, service_url=f"{connector.url}/")
            dens[name] = await start_den(f"Den, telemetry {name}", command, db, org_file, extra)
        cpu = {name: Figure(f"telemetry {name}: server CPU per click", "ms", digits=3) for name in dens}
        ratio = Figure("CPU per click, telemetry on / off", "x", digits=3)
        sampled = Figure("CPU per click, on with 1 trace in 10 / off", "x", digits=3)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLICKERS * 2))
        try:
            clients = {
                name: TeamsClient(f"{den.url}/api/messages", f"{connector.url}/", org.tenant_id, session=session)
                for name, den in dens.items()
            }
            for run in range(RUNS):
                names = list(VARIANTS)
                for name in names[run % 3 :] + names[: run % 3]:  # none always goes first
                    pending = ideas[name]
                    total, clicks = 0.0, 0
                    for count, concurrency in ((SEQUENTIAL, 1), (CONCURRENT, CLICKERS)):
                        batch = [pending.pop() for _ in range(count)]
                        work = [(org.user(manager), idea_id) for idea_id, manager in batch]
                        sent = (await connector_stats(session, connector))["sent"]
                        _, _, used = await run_clicks(
                            dens[name], clients[name], work, concurrency=concurrency,
                            notifications=(session, connector, sent + 2 * len(batch)),
                        )  # fmt: skip
                        total, clicks = total + used, clicks + len(batch)
                    cpu[name].add(total / clicks * 1000)
                ratio.add(cpu["on"].values[-1] / max(cpu["off"].values[-1], 1e-9))
                sampled.add(cpu["sampled"].values[-1] / max(cpu["off"].values[-1], 1e-9))
                print(f"run {run + 1} of {RUNS}: on / off = {ratio.values[-1]:.3f}, "
                      f"sampled / off = {sampled.values[-1]:.3f}", flush=True)  # fmt: skip
        finally:
            await session.close()
            for den in dens.values():
                den.stop(signal.SIGTERM)
            connector.stop(signal.SIGTERM)

    print()
    print(f"Telemetry's cost per approval click ({RUNS} interleaved runs, each {SEQUENTIAL} sequential and")
    print(f"{CONCURRENT} concurrent clicks with their notifications; min / median / max):")
    for figure in cpu.values():
        print(figure.line())
    print(ratio.line(f"aim <= {AIM}x: {verdict(ratio.median <= AIM)}"))
    print(sampled.line(f"aim <= {AIM}x: {verdict(sampled.median <= AIM)}"))


if __name__ == "__main__":
    asyncio.run(main())
