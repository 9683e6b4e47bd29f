"""Benchmark: the Den tab's dashboard for a challenge of 5,000 ideas with full history, on the embedded store.

Seeds the store as bench/den_report.py does (two challenges of 1,000 and 5,000 ideas: approval
decisions at three levels, stage records, shortlist, finalists, winners, funding and monthly
updates). Times the dashboard as the server builds it (the store reads, every figure, and the page
rendered in French with its charts, tables and CSV files), repeated runs (min/median/max), against
a yardstick measured in the same run: reading the same ideas' rows and parsing their JSON, nothing
else. Counts the SQL statements one dashboard takes, for both sizes, on the store's connection and
on the read's own. Run: `make bench`. Aim: under 500 ms for 5,000 ideas, and a number of statements
that does not grow with the ideas.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import time
from zoneinfo import ZoneInfo

from bench.den_report import NOW, SIZES, seeded_den, yardstick
from bench.harness import Figure, verdict
from bot.domain.calendar import WorkCalendar
from bot.domain.visibility import Viewer
from bot.i18n import Messages
from bot.services.dashboard import DashboardService
from bot.tab.auth import TabUser
from bot.tab.dashboard_pages import dashboard_page
from bot.tab.pages import Reader

RUNS = 7
AIM_SECONDS = 0.5
ORGANISER = Viewer("olga", organiser=True)
READER = Reader(TabUser("olga", "Olga", ""), Messages("fr-CA"), ZoneInfo("America/Toronto"))


async def build(service: DashboardService, challenge_id: str) -> tuple[int, int]:
    view = await service.view(ORGANISER, challenge_id=challenge_id)
    page = dashboard_page(READER, view)
    return view.dashboard.funnel[0].count, len(page.encode())


def counting_connect(counted: list[str]):
    """sqlite3.connect for the scan's own connection, with its statements counted too."""
    original = sqlite3.connect

    def connect(*args, **kwargs):
        connection = original(*args, **kwargs)
        connection.set_trace_callback(counted.append)
        return connection

    return original, connect


async def main() -> None:
    async with seeded_den(random.Random(7)) as den:
        service = DashboardService(den.store, den.directory, calendar=WorkCalendar.of("America/Toronto"),
                                   clock=lambda: NOW)
        print(f"  {'':<46} {'min':>9} / {'median':>9} / {'max':>9}")
        for size in SIZES:
            challenge_id = f"c{size}"
            statements: list[str] = []
            await den.store.set_trace_callback(statements.append)
            original, connect = counting_connect(statements)
            sqlite3.connect = connect
            try:
                pitched, page_bytes = await build(service, challenge_id)
            finally:
                sqlite3.connect = original
                await den.store.set_trace_callback(None)
            reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
            timed, yard = Figure(f"{pitched:,} ideas: dashboard (server time)", "ms", digits=0), []
            for _ in range(RUNS):
                started = time.perf_counter()
                await build(service, challenge_id)
                timed.add((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                await yardstick(den, challenge_id)
                yard.append((time.perf_counter() - started) * 1000)
            ratio = Figure("  ratio to reading and parsing the ideas alone", "x")
            for value in timed.values:
                ratio.add(value / statistics.median(yard))
            print(timed.line(f"aim: under {AIM_SECONDS * 1000:.0f} ms: {verdict(timed.median < AIM_SECONDS * 1000)}"))
            print(ratio.line())
            print(f"  {len(reads)} SQL reads ({len(statements)} statements in all), page {page_bytes / 1024:.0f} KiB")
    print("the number of reads is the same for both sizes: the challenges, its ideas, their decisions, their "
          "stages")


if __name__ == "__main__":
    asyncio.run(main())
