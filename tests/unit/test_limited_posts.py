"""Channel posts and in-place updates wait in the same rate-limit windows as notifications."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.ports import DeliveryFailed
from bot.ports.rate_limits import TeamsRateLimiter
from bot.services.limited_posts import RateLimitedPosts


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class RecordingPosts:
    """A channel that records each request and can be told to answer 429 with Retry-After."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.retry_after: float | None = None

    async def post_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str:
        self._answer(recipient_id, "post")
        return f"activity-{len(self.requests)}"

    async def update_card(self, recipient_id: str, message_id: str, card: dict[str, Any], *, summary: str) -> None:
        self._answer(recipient_id, f"update {message_id}")

    def _answer(self, recipient_id: str, what: str) -> None:
        self.requests.append((recipient_id, what))
        if self.retry_after is not None:
            raise DeliveryFailed("429 Too Many Requests", retry_after=self.retry_after)


async def test_a_post_waits_while_notifications_fill_the_tenants_second():
    clock = Clock()
    limiter = TeamsRateLimiter(per_tenant_per_second=2, clock=clock)
    posts = RateLimitedPosts(RecordingPosts(), limiter)
    await limiter.acquire("sam")  # two notifications under way take the tenant's second
    await limiter.acquire("maya")
    post = asyncio.ensure_future(posts.post_card("channel:general", {}, summary="Now pitching"))
    await asyncio.sleep(0.05)
    assert not post.done(), "the channel post must wait for its place like any other send"
    limiter.release("sam")
    clock.now = 1.0
    assert await asyncio.wait_for(post, 1) == "activity-1"


async def test_an_update_counts_against_its_conversation_and_frees_its_place_after():
    clock = Clock()
    limiter = TeamsRateLimiter(per_tenant_per_second=50, clock=clock)
    posts = RateLimitedPosts(RecordingPosts(), limiter)
    for n in range(7):
        await posts.update_card("maya", f"card-{n}", {}, summary="Withdrawn")
    assert limiter.wait_needed("maya") == pytest.approx(1.0), "seven in one second fill Maya's chat's window"
    assert limiter.wait_needed("sam") == 0, "other chats are not held up"


async def test_retry_after_from_an_update_pauses_that_conversation_for_every_sender():
    clock = Clock()
    limiter = TeamsRateLimiter(clock=clock)
    channel = RecordingPosts()
    channel.retry_after = 4.0
    posts = RateLimitedPosts(channel, limiter)
    with pytest.raises(DeliveryFailed):
        await posts.update_card("maya", "card-1", {}, summary="Withdrawn")
    assert limiter.wait_needed("maya") == pytest.approx(4.0), "the outbox's next send to Maya waits too"
    assert limiter.wait_needed("sam") == 0
    assert limiter.wait_needed("maya") > 0 and channel.requests == [("maya", "update card-1")]
