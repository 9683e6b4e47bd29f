"""Channel posts and in-place updates inside Teams' rate limits.

The outbox's notifications wait on the instance's one `TeamsRateLimiter`; posts made outside it (a
pitch-day channel card, a withdrawn idea's cards replaced in place) are sends to Teams all the same
and count against the same per-conversation and per-tenant limits. This wraps any `ChannelPosts`
so each post or update waits for its place in the same windows, and a `Retry-After` the connector
answers pauses that conversation for every sender of the instance.
"""

from __future__ import annotations

from typing import Any

from bot.ports import ChannelPosts, DeliveryFailed
from bot.ports.rate_limits import TeamsRateLimiter


class RateLimitedPosts:
    """A `ChannelPosts` whose every request takes a place in the instance's rate-limit windows."""

    def __init__(self, posts: ChannelPosts, limiter: TeamsRateLimiter) -> None:
        self._posts = posts
        self._limiter = limiter

    async def post_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str:
        try:
            async with self._limiter.slot(recipient_id):
                return await self._posts.post_card(recipient_id, card, summary=summary)
        except DeliveryFailed as failure:
            self._pause_on_retry_after(recipient_id, failure)
            raise

    async def update_card(self, recipient_id: str, message_id: str, card: dict[str, Any], *, summary: str) -> None:
        try:
            async with self._limiter.slot(recipient_id):
                await self._posts.update_card(recipient_id, message_id, card, summary=summary)
        except DeliveryFailed as failure:
            self._pause_on_retry_after(recipient_id, failure)
            raise

    def _pause_on_retry_after(self, recipient_id: str, failure: DeliveryFailed) -> None:
        if failure.retry_after:
            self._limiter.pause(recipient_id, failure.retry_after)
