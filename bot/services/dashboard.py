"""The Den dashboard's use case: one person's dashboard, for a challenge or for a year.

Reads a fixed number of store queries whatever the number of ideas, each narrowed by an index so it
works on SharePoint lists past the list view threshold: the challenges, the ideas' digest projection
(the challenge's, `scan_challenge`, or the year's, `scan_created`: two statements on the embedded
store; on SharePoint a query on the indexed ChallengeId or CreatedAt column, read range by range of
CreatedAt past the threshold), and the stage records of each challenge in scope (one query per
challenge), read while the ideas are. The domain (bot/domain/dashboard.py) decides who may see what
and computes every figure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.domain.calendar import WorkCalendar
from bot.domain.challenge import Challenge
from bot.domain.dashboard import Dashboard, build_dashboard, dashboard_scope, may_open_dashboard
from bot.domain.digest import BusinessDays, DigestIdea, in_challenge_shortlist
from bot.domain.model import Role
from bot.domain.stage import SHORTLISTED_OR_BEYOND, IdeaStage
from bot.domain.visibility import Viewer
from bot.ports import Directory


class DashboardRecords(Protocol):
    async def list_challenges(self) -> list[Challenge]: ...
    async def list_stages(self, challenge_id: str) -> list[IdeaStage]: ...

    def scan_challenge(self, challenge_id: str) -> AsyncIterator[list[DigestIdea]]:
        """A challenge's ideas, as the digest projects them, page by page."""
        ...

    def scan_created(self, start: datetime, end: datetime) -> AsyncIterator[list[DigestIdea]]:
        """The ideas pitched from `start` until `end`, as the digest projects them, page by page."""
        ...


@dataclass(frozen=True)
class DashboardView:
    """A dashboard and what the page offers around it: the challenges this person may pick."""

    dashboard: Dashboard
    challenge: Challenge | None
    choices: list[Challenge]
    years: list[int]


class DashboardService:
    def __init__(
        self,
        store: DashboardRecords,
        directory: Directory,
        *,
        calendar: WorkCalendar,
        clock: Callable[[], datetime],
        follow_up_after: timedelta = timedelta(days=30),
    ) -> None:
        self.store = store
        self.directory = directory
        self.calendar = calendar
        self.clock = clock
        self.follow_up_after = follow_up_after

    async def is_dm(self, user_id: str) -> bool:
        person = await self.directory.get_person(user_id) if user_id else None
        return person is not None and person.role == Role.DM

    async def may_open(self, viewer: Viewer) -> bool:
        return may_open_dashboard(viewer, is_dm=await self.is_dm(viewer.id))

    async def view(self, viewer: Viewer, *, challenge_id: str = "", year: int = 0) -> DashboardView | None:
        """The dashboard, or None when it is not this person's to see (or the challenge does not exist)."""
        now = self.clock()
        is_dm = await self.is_dm(viewer.id)
        challenges = await self.store.list_challenges()
        challenge = next((c for c in challenges if c.id == challenge_id), None) if challenge_id else None
        if challenge_id and challenge is None:
            return None
        this_year = now.astimezone(self.calendar.tz).year
        year = year if 2000 <= year <= this_year + 1 else this_year
        scope = dashboard_scope(viewer, is_dm=is_dm, challenge=challenge, year=year)
        if scope is None:
            return None
        in_scope = [challenge] if challenge is not None else challenges
        if challenge is not None:
            pages = self.store.scan_challenge(challenge.id)
        else:
            tz = self.calendar.tz
            pages = self.store.scan_created(datetime(year, 1, 1, tzinfo=tz).astimezone(UTC),
                                            datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC))
        ideas, stages = await asyncio.gather(_all(pages), self._stages(in_scope))
        shortlisted = {s.idea_id for s in stages if s.stage in SHORTLISTED_OR_BEYOND}  # as the digest marks it
        ideas = in_challenge_shortlist(ideas, shortlisted)
        dashboard = build_dashboard(
            scope, ideas, stages, now=now, days=BusinessDays(self.calendar), follow_up_after=self.follow_up_after
        )
        choices = [c for c in challenges if dashboard_scope(viewer, is_dm=is_dm, challenge=c, year=year)]
        choices.sort(key=lambda c: c.opens_at, reverse=True)
        return DashboardView(dashboard, challenge, choices, list(range(this_year, this_year - 5, -1)))

    async def _stages(self, challenges: list[Challenge]) -> list[IdeaStage]:
        stages: list[IdeaStage] = []
        for each in challenges:
            stages += await self.store.list_stages(each.id)
        return stages


async def _all(pages: AsyncIterator[list[DigestIdea]]) -> list[DigestIdea]:
    return [idea async for page in pages for idea in page]
