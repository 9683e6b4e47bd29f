"""One Teams budget for the tenant: the sharing rule, and an instance's heartbeat applying it to its limiter."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from bot.bootstrap import gone_from_this_host
from bot.domain.budget import InstanceBeat, after_answer, alive_others, fair_share, next_share, whole_messages
from bot.ports.rate_limits import TeamsRateLimiter
from bot.services.tenant_budget import TenantBudget
from tests.support.memory_store import MemoryStore
from tests.support.running_app import FakeClock

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def beat(name: str, share: float, seconds_ago: float = 0) -> InstanceBeat:
    return InstanceBeat(name, T0 - timedelta(seconds=seconds_ago), share)


def test_the_fair_share_is_the_budget_over_the_instances_alive():
    beats = [beat("a", 25), beat("b", 25), beat("dead", 25, seconds_ago=200)]
    others = alive_others(beats, "a", T0, timedelta(seconds=150))
    assert [b.instance_id for b in others] == ["b"] and fair_share(50, others) == 25


def test_a_share_is_lowered_at_once_and_raised_only_into_what_others_leave_free():
    assert next_share(50, 50, [beat("b", 0)]) == 25, "a newcomer appears: lower at once"
    assert next_share(50, 0, [beat("a", 50)]) == 0, "the newcomer takes nothing while the other holds it all"
    assert next_share(50, 0, [beat("a", 25)]) == 25
    assert next_share(50, 10, [beat("a", 45)]) == 10, "never less than held: the others already count it"
    assert next_share(50, 25, []) == 50, "alone again"
    assert after_answer(50, 50, [beat("b", 0)]) == 25, "the answer shows a newcomer: lower before the next beat"
    assert whole_messages(50 / 3) == 16 and whole_messages(0.9) == 0


async def until(condition) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached")


async def test_instances_take_their_share_on_their_limiters_raising_only_after_the_delay():
    store, clock = MemoryStore(), FakeClock(T0)
    limiters = {name: TeamsRateLimiter() for name in "ab"}
    budgets = {
        name: TenantBudget(store, limiters[name], instance_id=name, budget=50, clock=clock, raise_delay_seconds=0.05)
        for name in "ab"
    }
    assert limiters["a"].tenant_rate == 0, "nothing is sent before the first beat"
    await budgets["a"].beat()
    assert limiters["a"].tenant_rate == 50, "alone: the whole budget at once"
    await budgets["b"].beat()
    assert limiters["b"].tenant_rate == 0 and budgets["b"].instances == 2
    clock.advance(seconds=60)
    await budgets["a"].beat()
    assert limiters["a"].tenant_rate == 25, "lowered at once"
    await budgets["b"].beat()
    assert limiters["b"].tenant_rate == 0, "the raise waits until a's earlier sends left the window"
    await until(lambda: limiters["b"].tenant_rate == 25)
    await budgets["b"].stop()  # leaves the roster
    clock.advance(seconds=60)
    await budgets["a"].beat()
    assert limiters["a"].tenant_rate == 50, "b left: a has the whole budget again"


async def test_a_killed_instance_keeps_its_share_reserved_until_its_heartbeat_is_stale():
    store, clock = MemoryStore(), FakeClock(T0)
    limiter = TeamsRateLimiter()
    survivor = TenantBudget(store, limiter, instance_id="a", budget=50, clock=clock, raise_delay_seconds=0.01)
    store.instances["killed"] = InstanceBeat("killed", T0, 25.0)  # beat once, then died without leaving
    await survivor.beat()
    await until(lambda: limiter.tenant_rate == 25)  # what the dead one left free, after the delay
    clock.advance(seconds=120)  # two missed beats: not yet given up on
    await survivor.beat()
    assert limiter.tenant_rate == 25
    clock.advance(seconds=60)  # 180 s > 2.5 beats
    await survivor.beat()
    await until(lambda: limiter.tenant_rate == 50)


def test_an_instance_on_this_host_whose_process_is_gone_is_known_dead_at_once():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    host = socket.gethostname()
    assert gone_from_this_host(f"{host}:3978:{dead_pid}")
    assert not gone_from_this_host(f"{host}:3978:{os.getpid()}"), "this very process"
    assert not gone_from_this_host(f"another-host:3978:{dead_pid}"), "another host's process cannot be checked"
    assert not gone_from_this_host("dd0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"), "App Service"
