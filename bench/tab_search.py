"""Benchmark: the Den tab over 10,000 ideas on the embedded store: search, similar ideas, first page.

Seeds a SQLite store with 10,000 ideas in English and French (two thirds shared and approved, the
rest kept to their route), written as the store writes them (the tab's index in the same
transaction); their words follow Zipf's law over a vocabulary of 4,000 per language, as real text
does, so a common word is in thousands of ideas and a rare one in a few. Then, three runs each:
- search: 200 queries of one to three words (both languages) for a member who sees the shared ideas
  and their own, p95 of the time the store takes to answer one page (count, ranked page);
- similar ideas: 100 pitches' text, p95 of the time to find the three most similar shared ideas;
- first page: the tab's first page (`GET /tab/api/ideas`, signed in) from the real app on loopback,
  p95 of the time from request to response (all of it server time here: loopback, no network).
Each is also printed against a yardstick measured in the same run: reading one indexed row by key
(the cheapest read the store can do). Run: `make bench`.
Aims: search p95 under 50 ms, similar ideas under 100 ms, the first page under 300 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.harness import percentile
from bot.domain.visibility import Viewer
from bot.ports.tab import TabQuery
from tests.support.running_app import settings_for_test, start_app
from tests.support.tab_ideas import PRIYA_PERSON, SAM_PERSON, a_pitch, an_idea

IDEAS = int(os.environ.get("DEN_BENCH_TAB_IDEAS", "10000"))  # fewer for a quick look
RUNS = 3
WORDS_EN = (
    "permit renewal licence online counter wait time client letters plain language form address change "
    "service office digital kiosk appointment booking call centre backlog grant application portal "
    "payment refund notice translation accessibility training schedule shift data report dashboard"
).split()
WORDS_FR = (
    "renouvellement permis formulaire en ligne comptoir attente clientèle lettres langage clair adresse "
    "bureau numérique rendez-vous centre d’appels arriéré subvention demande portail paiement remboursement "
    "avis traduction accessibilité formation horaire données rapport tableau de bord"
).split()


SYLLABLES = [consonant + vowel for consonant in "bcdflmnprstv" for vowel in "aeio"]


def vocabulary(rng: random.Random, words: list[str], size: int = 4000) -> tuple[list[str], list[float]]:
    """A language's words with Zipf's frequencies (the k-th most common about 1/k as often), as real
    text has: the service words above first, then made-up words standing for the rest of a
    ministry's vocabulary (program names, places, systems)."""
    made = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    ordered = [*words, *sorted(made - set(words))][:size]
    return ordered, [1 / (rank + 1) for rank in range(len(ordered))]


def text(rng: random.Random, language: tuple[list[str], list[float]], n: int) -> str:
    words, weights = language
    return " ".join(rng.choices(words, weights, k=n))


async def seed(store, rng: random.Random, english, french) -> None:
    for number in range(1, IDEAS + 1):
        words = french if number % 3 == 0 else english
        pitch = a_pitch(text(rng, words, 6).capitalize(), text(rng, words, 40) + ".", text(rng, words, 40) + ".")
        submitter = SAM_PERSON if number % 2 else PRIYA_PERSON
        await store.add(an_idea(number, pitch, submitter=submitter, approved=number % 3 != 1,
                                shared=number % 3 != 1))


async def timed(work) -> float:
    start = time.perf_counter()
    await work
    return (time.perf_counter() - start) * 1000


def figure(name: str, values: list[float], aim: float, yardstick: list[float]) -> str:
    ratios = [v / max(y, 1e-6) for v, y in zip(values, yardstick, strict=True)]
    verdict = "met" if statistics.median(values) < aim else "NOT met"
    return (
        f"{name}: p95 min {min(values):.1f} / median {statistics.median(values):.1f} / max {max(values):.1f} ms"
        f" (aim < {aim:.0f} ms: {verdict}); x yardstick min {min(ratios):.0f} / median"
        f" {statistics.median(ratios):.0f} / max {max(ratios):.0f}"
    )


async def main() -> None:
    rng = random.Random(27)
    english, french = vocabulary(rng, WORDS_EN), vocabulary(rng, WORDS_FR)
    folder = Path(tempfile.mkdtemp(prefix="den-tab-bench-"))
    app = await start_app(settings_for_test(folder / "den.sqlite3", spool_path=str(folder / "spool.sqlite3")))
    store = app.store
    print(f"seeding {IDEAS:,} ideas ...", flush=True)
    started = time.perf_counter()
    await seed(store, rng, english, french)
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    viewer = Viewer("7d1e0c55-0f6b-4b5e-9a51-3c2d1e0f9a88")  # a member of another ministry: shared ideas only
    queries = [text(rng, rng.choice((english, french)), rng.randint(1, 3)) for _ in range(200)]
    pitches = [text(rng, rng.choice((english, french)), 60) for _ in range(100)]
    search, similar, first, yard = [], [], [], []
    headers = {"Authorization": f"Bearer demo:{SAM_PERSON.id}", "X-Den-Locale": "en-CA"}
    async with aiohttp.ClientSession() as session:
        for _ in range(RUNS):
            yard.append(percentile([await timed(store.get(an_idea(n, a_pitch("x")).id)) for n in range(1, 201)], 95))
            search.append(percentile([await timed(store.search_ideas(viewer, TabQuery(text=q))) for q in queries], 95))
            similar.append(percentile([await timed(store.similar_ideas(p, limit=3)) for p in pitches], 95))

            async def page() -> None:
                async with session.get(f"{app.url}tab/api/ideas", headers=headers) as response:
                    assert response.status == 200, response.status
                    await response.read()

            first.append(percentile([await timed(page()) for _ in range(50)], 95))
    await app.stop()
    print(f"yardstick (one idea read by key): p95 median {statistics.median(yard):.2f} ms")
    print(figure("search (a page of results)", search, 50, yard))
    print(figure("similar ideas (three)", similar, 100, yard))
    print(figure("the tab's first page over HTTP", first, 300, yard))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
