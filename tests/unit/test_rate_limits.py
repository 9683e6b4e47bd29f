"""Teams' documented limits as sliding windows: the arithmetic, on a clock the test controls."""

from __future__ import annotations

import asyncio

import pytest

from bot.ports.rate_limits import PER_CONVERSATION, SlidingWindows, TeamsRateLimiter


def test_a_conversation_takes_seven_in_a_second_then_waits():
    window = SlidingWindows(PER_CONVERSATION)
    for n in range(7):
        assert window.wait_needed(0.1 * n) == 0
        window.record(0.1 * n)
    assert window.wait_needed(0.7) == pytest.approx(0.3), "the eighth waits until the first leaves the 1 s window"


def test_the_two_second_window_allows_eight_not_fourteen():
    window = SlidingWindows(PER_CONVERSATION)
    for moment in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        window.record(moment)
    window.record(1.05)  # the 1 s window has room again at 1.05
    assert window.wait_needed(1.1) > 0, "8 in 2 s already: the ninth must wait"
    assert window.wait_needed(1.1) == pytest.approx(0.9)


def test_sixty_in_thirty_seconds():
    window = SlidingWindows(PER_CONVERSATION)
    for n in range(60):
        window.record(n * 0.45)  # 60 sends within 27 s, never more than 3 a second
    assert window.wait_needed(27.0) == pytest.approx(3.0), "the 61st waits until the first is 30 s old"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_send_counts_while_under_way_and_for_a_second_after_it_ends():
    clock = Clock()
    limiter = TeamsRateLimiter(per_tenant_per_second=3, clock=clock)
    for n in range(3):
        await limiter.acquire(f"person-{n}")
    assert limiter.wait_needed("person-3") > 0, "three under way: the tenant's second is full"
    clock.now = 5.0  # a slow connector: the sends are still under way seconds later
    assert limiter.wait_needed("person-3") > 0, "however long they take, they may still land in any second"
    limiter.release("person-0")
    assert limiter.wait_needed("person-3") == pytest.approx(1.0), "a second after the first one ended"
    clock.now = 6.0
    assert limiter.wait_needed("person-3") == 0


async def test_the_connector_never_sees_more_than_the_limit_in_any_second():
    """A send is tried every 10 ms for 4 s; each takes 250 ms and reaches the connector as it ends."""
    clock = Clock()
    limiter = TeamsRateLimiter(per_tenant_per_second=10, clock=clock)
    ongoing: dict[str, float] = {}  # key -> when its request reaches the connector
    arrivals: list[float] = []
    for step in range(400):
        clock.now = step * 0.01
        for key in [k for k, end in ongoing.items() if end <= clock.now]:
            limiter.release(key)
            arrivals.append(ongoing.pop(key))
        if limiter.wait_needed(f"p{step}") == 0:
            await limiter.acquire(f"p{step}")
            ongoing[f"p{step}"] = clock.now + 0.25
    assert len(arrivals) > 20
    assert max(sum(1 for a in arrivals if t <= a < t + 1.0) for t in arrivals) <= 10


async def test_retry_after_pauses_only_that_conversation():
    clock = Clock()
    limiter = TeamsRateLimiter(clock=clock)
    limiter.pause("sam", 3.0)
    assert limiter.wait_needed("sam") == 3.0
    assert limiter.wait_needed("maya") == 0
    clock.now = 3.0
    await asyncio.wait_for(limiter.acquire("sam"), 1)
