"""A small People's Choice burst on two app instances over SharePoint, run as the benchmark runs it
(bench/peoples_choice_burst.py): every vote is counted once, for what was clicked. Correctness only:
the benchmark prints the times and the billed requests."""

from __future__ import annotations

import random

import aiohttp

from bench.peoples_choice_burst import close_burst, counted_once, open_burst, vote_round


async def test_a_burst_on_two_instances_counts_every_vote_once(tmp_path, fake_graph, connector):
    async with aiohttp.ClientSession() as session:
        burst = await open_burst(tmp_path, fake_graph, connector, session)
        try:
            fake_graph.latency_seconds = 0.02  # requests in flight together overlap, as on SharePoint
            rng = random.Random(5)
            for _ in range(2):  # a second burst adds to the first
                await vote_round(burst, 40, 2.0, rng)
                await counted_once(burst)
            assert len(burst.expected) == 80
        finally:
            await close_burst(burst)
