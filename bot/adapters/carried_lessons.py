"""Destroying a lesson learned: the lesson lives inside its idea's record (both stores keep it in the
idea's body), so disposing of it rewrites the idea without it, through the store's own conditional
update (which also takes it out of the Den tab's search index). The idea itself stays: it is kept
under its own schedule item."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.retention import StoredRecord
from bot.ports.retry import conflict_retry


async def forget_lessons(store, records: Sequence[StoredRecord]) -> int:
    """Remove each record's lesson from its idea; returns how many are gone (removed now, or already
    absent: the idea or its lesson was destroyed meanwhile)."""
    gone = 0
    for record in records:
        async for attempt in conflict_retry(first_wait=0.02, longest_wait=0.5):
            with attempt:
                idea = await store.get(record.idea_id)
                if idea is not None and idea.lesson is not None:
                    idea.forget_lesson()
                    await store.update(idea)
        gone += 1
    return gone
