"""Benchmark: the pitch-day room view while 500 people vote within 30 seconds, watched by many screens.

Drives the real app (`python app.py`, its own process, embedded SQLite store) over HTTP on loopback.
A challenge with three finalists, its panel named and People's Choice open. Screens ask as the tab's
shell does ("has it changed since <token>?", held by the server until it has, at most 20 s), while
500 voters' votes are written to the store over 30 seconds; each screen reads the count it is shown.
Measured: the lag between a vote being stored and each screen showing a count that includes it (aim:
under 2 s, against the yardstick of the server's read period, half a second), and the server's CPU
time per screen answer with 20 screens and with 200 (constant per client: the room is read from the
store at most twice a second per instance, whatever the number of screens). Run: `make bench`.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp

from bench.harness import Figure, free_port, percentile, python, start_server, verdict
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.panel import Panel
from bot.domain.voting import Poll
from bot.services.room import FRESH_SECONDS
from bot.settings import ROOT
from tests.support.den_dashboard import CHALLENGE_ID, NOW, OLGA_ID, seed_challenge
from tests.support.people import DIANE, MAYA, SAM
from tests.support.running_app import DEMO_ORG

VOTERS = 500
SPREAD_SECONDS = 30.0
WAIT_SECONDS = 20  # how long the server may hold a screen's question, as the shell asks
RETRY_SECONDS = 1.0  # the shell's pause after a failed question
AIM_LAG_SECONDS = 2.0
COUNT = re.compile(r"([\d,]+) votes? cast so far")


async def seed(path: Path) -> list[str]:
    store = SqliteStore(path)
    await store.open()
    challenge, _ = await seed_challenge(store, winners=False)
    challenge = await store.get_challenge(challenge.id)
    challenge.channel_key = "19:den-general@thread.tacv2"
    await store.update_challenge(challenge)
    await store.save_panel(Panel.name(challenge=challenge, judge_ids=[MAYA.aad_id, DIANE.aad_id],
                                      chair_id=DIANE.aad_id, known_ids=[MAYA.aad_id, DIANE.aad_id], actor_id=OLGA_ID,
                                      is_organiser=True, now=NOW))
    finalists = sorted(s.idea_id for s in await store.list_stages(CHALLENGE_ID) if s.stage.value == "finalist")
    await store.save_poll(Poll.open(challenge=challenge, finalist_ids=finalists, actor_id=OLGA_ID, is_organiser=True,
                                    now=NOW))
    await store.close()
    return finalists


async def screen(url: str, stop: asyncio.Event, seen: list[tuple[float, int]], polls: list[int]) -> None:
    """One projector: the shell's question, with the token of what it shows, asked again at once."""
    headers = {"Authorization": f"Bearer demo:{SAM.aad_id}", "X-Den-Locale": "en-CA"}
    token = ""
    async with aiohttp.ClientSession(base_url=url) as session:
        while not stop.is_set():
            params = {"challenge": CHALLENGE_ID, "since": token, "wait": str(WAIT_SECONDS)}
            async with session.get("/tab/api/room/state", params=params, headers=headers) as response:
                polls[0] += 1
                if response.status == 200:
                    token = response.headers.get("X-Room-Token", "")
                    found = COUNT.search(await response.text())
                    if found:
                        seen.append((time.monotonic(), int(found.group(1).replace(",", ""))))
                elif response.status != 204:
                    await asyncio.sleep(RETRY_SECONDS)


async def round_of(server, path: Path, screens: int, first_voter: int, finalists: list[str]):
    store = SqliteStore(path)
    await store.open()
    written: list[float] = []
    base = sum((await store.count_votes(CHALLENGE_ID)).values())
    stop = asyncio.Event()
    views = [([], [0]) for _ in range(screens)]
    tasks = [asyncio.create_task(screen(server.url, stop, seen, polls)) for seen, polls in views]
    await asyncio.sleep(1.5)  # every screen has its first view
    cpu_before, polls_before = server.cpu(), sum(p[0] for _, p in views)
    started = time.monotonic()
    for n in range(VOTERS):
        await asyncio.sleep(max(0.0, started + n * SPREAD_SECONDS / VOTERS - time.monotonic()))
        asked = time.monotonic()  # the lag counts from the moment the vote is sent to the store
        await store.cast_vote(CHALLENGE_ID, f"voter-{first_voter + n}", finalists[n % 3], NOW + timedelta(seconds=n))
        written.append(asked)
    await asyncio.sleep(2.5)  # the last votes reach every screen
    cpu, polls = server.cpu() - cpu_before, sum(p[0] for _, p in views) - polls_before
    stop.set()
    for task in tasks:  # the screens' held questions are not waited for
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await store.close()
    lags: list[float] = []
    for seen, _ in views:
        shown = 0
        for at, count in seen:
            for k in range(shown, count - base):
                lags.append(at - written[k])
            shown = max(shown, count - base)
    return lags, cpu / max(1, polls), polls


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "den.sqlite3"
        finalists = await seed(path)
        port = free_port()
        env = {"PORT": str(port), "DEN_HOST": "127.0.0.1", "DEN_SQLITE_PATH": str(path), "DEN_ORG_FILE": str(DEMO_ORG),
               "DEN_LOG_LEVEL": "WARNING", "MicrosoftAppId": "", "DEN_ORGANISER_IDS": OLGA_ID,
               "DEN_DIGEST_SCHEDULE": "off"}
        server = await start_server("Deputy's Den", python(str(ROOT / "app.py")), port=port, env=env)
        try:
            print(f"{VOTERS} votes over {SPREAD_SECONDS:.0f} s, each screen's question held until the room changes")
            print(f"  {'':<46} {'min':>9} / {'median':>9} / {'max':>9}")
            per_poll = {}
            for number, screens in enumerate((20, 200)):
                lags, cpu_per_poll, polls = await round_of(server, path, screens, number * VOTERS, finalists)
                lag = Figure(f"{screens} screens: vote stored -> on screen", "s", digits=2)
                for value in lags:
                    lag.add(value)
                p95 = percentile(lags, 95)
                print(lag.line(f"p95 {p95:.2f} s; aim under {AIM_LAG_SECONDS:.0f} s: {verdict(p95 < AIM_LAG_SECONDS)}"))
                ratio = Figure("  lag / the server's read period", "x", digits=2)
                for value in lags:
                    ratio.add(value / FRESH_SECONDS)
                print(ratio.line())
                per_poll[screens] = cpu_per_poll
                print(f"  server CPU per screen answer: {cpu_per_poll * 1000:.2f} ms over {polls:,} answers")
            growth = per_poll[200] / per_poll[20]
            print(f"per-screen server cost with 200 screens / with 20: {growth:.2f}x "
                  f"(constant per client: {verdict(growth < 1.5)}); median lag {statistics.median(lags):.2f} s")
        finally:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
