"""The app's timers (the weekly digest; the daily nudges, escalations and challenge passes) run by
the test over HTTP, as an outside scheduler would: POST /api/<timer>/run with the bearer secret,
instead of on the app's own schedule."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.support.running_app import RunningApp

TIMER_SECRET = "timer-secret-for-tests"
# settings_for_test overrides: the timers answer TIMER_SECRET and never run on their own.
TIMERS_BY_REQUEST = {"digest_secret": TIMER_SECRET, "digest_schedule": False}


async def post_timer(
    app: RunningApp, timer: str, *, secret: str | None = TIMER_SECRET, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    """POST /api/<timer>/run (`digest` or `nudges`); the status and the JSON answer."""
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{app.url}api/{timer}/run", json=body or {}, headers=headers) as response:
            return response.status, await response.json()


async def run_timer(app: RunningApp, timer: str) -> dict[str, Any]:
    """The timer run once, which must succeed; what it did (counts by kind)."""
    status, answer = await post_timer(app, timer)
    assert status == 200, answer
    return answer
