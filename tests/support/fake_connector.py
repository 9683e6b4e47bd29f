"""A local stand-in for the Bot Connector service (the `serviceUrl` Teams gives a bot).

It speaks the v3 REST routes the Bot Framework SDK calls, records every activity the bot
sends, and can be told to fail the next requests (429 with Retry-After, 503, ...), as the
real connector does under load.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.ports.rate_limits import PER_CONVERSATION, PER_TENANT_PER_SECOND, SlidingWindows


@dataclass
class Sent:
    conversation_id: str
    activity: dict[str, Any]
    method: str = "POST"
    activity_id: str = ""  # the id this stand-in gave the posted message (what Teams answers)

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class FakeConnector:
    sent: list[Sent] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    conversation_failures: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    attempts: int = 0
    url: str = ""
    not_installed: set[str] = field(default_factory=set)  # members a 1:1 chat cannot be created with
    channels: set[str] = field(default_factory=set)  # team channels the bot is in (see add_to_team)
    enforce_limits: bool = False  # answer 429 as Teams does past its per-conversation and per-tenant limits
    latency_seconds: float = 0.0  # how long each send takes, as a real service's round trip does
    throttled: int = 0  # sends refused with 429 for going over a limit
    sent_at: list[float] = field(default_factory=list)  # when each activity was accepted (monotonic)
    _tenant_window: SlidingWindows = field(default_factory=lambda: SlidingWindows([(1.0, PER_TENANT_PER_SECOND)]))
    _conversation_windows: dict[str, SlidingWindows] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None

    def fail_conversation(
        self, conversation_id: str, count: int, status: int = 429, retry_after: str | None = "1"
    ) -> None:
        """Refuse the next `count` sends to one conversation only (Teams throttles per conversation too)."""
        headers = {"Retry-After": retry_after} if retry_after else {}
        self.conversation_failures.setdefault(conversation_id, []).extend([(status, headers)] * count)

    def fail_next(self, count: int, status: int = 429, retry_after: str | None = "1") -> None:
        headers = {"Retry-After": retry_after} if retry_after else {}
        self.failures.extend([(status, headers)] * count)

    async def start(self, port: int = 0) -> None:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._post_activity)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._post_activity)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", self._put_activity)
        app.router.add_get("/_stats", self._stats)
        app.router.add_get("/_sent", self._sent)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def _maybe_fail(self, conversation_id: str = "") -> web.Response | None:
        self.attempts += 1
        targeted = self.conversation_failures.get(conversation_id)
        if targeted or self.failures:
            status, headers = (targeted or self.failures).pop(0)
            body = {"error": {"code": "Throttled" if status == 429 else "ServiceError", "message": "try later"}}
            return web.json_response(body, status=status, headers=headers)
        return None

    async def _record(self, sent: Sent) -> str:
        sent.activity_id = f"activity-{next(self._ids)}"
        self.sent.append(sent)
        self.sent_at.append(time.monotonic())
        async with self._changed:
            self._changed.notify_all()
        return sent.activity_id

    def add_to_team(self, *channel_ids: str) -> None:
        """The bot was added to a team: it may post in these channels (a new post, or a reply)."""
        self.channels.update(channel_ids)

    def _roster_refusal(self, conversation_id: str) -> web.Response | None:
        """Teams refuses a post to a channel of a team the bot is not in (403, BotNotInConversationRoster)."""
        channel = conversation_id.split(";")[0]
        if channel.endswith("@thread.tacv2") and channel not in self.channels:
            error = {"error": {"code": "BotNotInConversationRoster", "message": "The bot is not part of the roster."}}
            return web.json_response(error, status=403)
        return None

    def in_channel(self, channel_id: str) -> list[Sent]:
        """Posts in a channel: new threads (the channel's id) and replies (`<id>;messageid=...`)."""
        return [s for s in self.sent if s.conversation_id.split(";")[0] == channel_id]

    def _over_limit(self, conversation_id: str) -> web.Response | None:
        """Teams' documented limits: 429 with Retry-After when a send would exceed one."""
        if not self.enforce_limits:
            return None
        now = time.monotonic()
        window = self._conversation_windows.setdefault(conversation_id, SlidingWindows(PER_CONVERSATION))
        wait = max(window.wait_needed(now), self._tenant_window.wait_needed(now))
        if wait > 0:
            self.throttled += 1
            body = {"error": {"code": "Throttled", "message": "Too many requests"}}
            return web.json_response(body, status=429, headers={"Retry-After": str(max(1, round(wait)))})
        window.record(now)
        self._tenant_window.record(now)
        return None

    def max_per_second(self) -> int:
        """The most activities accepted within any one second (checks the per-tenant limit)."""
        best, start = 0, 0
        for end, moment in enumerate(self.sent_at):
            while self.sent_at[start] <= moment - 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "sent": len(self.sent),
                "attempts": self.attempts,
                "throttled": self.throttled,
                "maxPerSecond": self.max_per_second(),
            }
        )

    async def _sent(self, request: web.Request) -> web.Response:
        return web.json_response([{"conversationId": s.conversation_id, "activity": s.activity} for s in self.sent])

    async def _post_activity(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        failure = (
            self._maybe_fail(conversation_id)
            or self._roster_refusal(conversation_id)
            or self._over_limit(conversation_id)
        )
        if failure:
            return failure
        activity = json.loads(await request.text())
        activity_id = await self._record(Sent(request.match_info["conversation_id"], activity))
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        return web.json_response({"id": activity_id})

    async def _put_activity(self, request: web.Request) -> web.Response:
        activity = json.loads(await request.text())
        await self._record(Sent(request.match_info["conversation_id"], activity, method="PUT"))
        return web.json_response({"id": request.match_info["activity_id"]})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        failure = self._maybe_fail()
        if failure:
            return failure
        body = json.loads(await request.text())
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        if body.get("isGroup") and channel:
            return await self._new_channel_post(channel, body)
        member = body["members"][0]["id"]
        if member in self.not_installed:
            error = {"error": {"code": "Forbidden", "message": "The bot is not installed for this user."}}
            return web.json_response(error, status=403)
        self.created.append(body)
        return web.json_response({"id": f"a:created-{member}", "serviceUrl": self.url})

    async def _new_channel_post(self, channel: str, body: dict[str, Any]) -> web.Response:
        """A new thread in a team channel: the post is the request's `activity`; the new
        conversation's id is `<channel id>;messageid=<post id>`, as Teams answers."""
        refused = self._roster_refusal(channel)
        if refused is not None:
            return refused
        if not body.get("activity"):
            error = {"error": {"code": "BadArgument", "message": "A channel post needs an activity."}}
            return web.json_response(error, status=400)
        post_id = f"{next(self._ids)}"
        thread = f"{channel};messageid={post_id}"
        await self._record(Sent(thread, body["activity"]))
        self.created.append(body)
        return web.json_response({"id": thread, "activityId": post_id, "serviceUrl": self.url})

    def to(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id == conversation_id]

    async def wait_for(self, predicate, seconds: float = 5.0) -> Any:
        """Wait until predicate(self) returns something truthy, and return it."""

        async def check() -> Any:
            async with self._changed:
                while True:
                    result = predicate(self)
                    if result:
                        return result
                    await self._changed.wait()

        return await asyncio.wait_for(check(), seconds)


async def _serve(port: int, latency: float) -> None:
    connector = FakeConnector(enforce_limits=True, latency_seconds=latency)
    await connector.start(port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    # Its own process for the benchmarks: `python -m tests.support.fake_connector PORT [LATENCY_SECONDS]`.
    asyncio.run(_serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0))
