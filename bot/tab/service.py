"""The Den tab's use cases, for one signed-in person: browse and search what they may see, open an idea.

Every answer goes through the visibility rule (bot/domain/visibility.py): the index applies it in
its query, and an idea opened by its id is checked again here, so a link to an idea the person may
not see answers exactly as a link to no idea at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.model import Idea
from bot.domain.stage import Standing
from bot.domain.visibility import Viewer, may_see
from bot.ports import Ideas
from bot.ports.tab import TabFacets, TabIndex, TabPage, TabQuery
from bot.services.viewers import ViewerResolver
from bot.tab.auth import TabUser


@dataclass(frozen=True)
class Browse:
    page: TabPage
    facets: TabFacets
    challenge_names: dict[str, str]


class TabService:
    def __init__(
        self,
        index: TabIndex,
        ideas: Ideas,
        viewers: ViewerResolver,
        *,
        challenge_names: Callable[[], Awaitable[dict[str, str]]],
        standings: Callable[[list[Idea]], Awaitable[dict[str, Standing]]],
    ) -> None:
        self.index = index
        self.ideas = ideas
        self.viewers = viewers
        self._challenge_names = challenge_names
        self._standings = standings

    async def viewer(self, user: TabUser) -> Viewer:
        return await self.viewers.of(user.id, member=user.member)

    async def browse(self, viewer: Viewer, query: TabQuery) -> Browse:
        page = await self.index.search_ideas(viewer, query)
        facets = await self.index.tab_facets(viewer)
        names = await self._challenge_names()
        return Browse(page, facets, {cid: names.get(cid, cid) for cid in facets.challenges})

    async def idea(self, viewer: Viewer, idea_id: str) -> tuple[Idea, Standing | None] | None:
        """The idea and where it stands in its challenge, or None (not found, or not the viewer's to see)."""
        idea = await self.ideas.get(idea_id) if idea_id else None
        if idea is None or not may_see(idea, viewer):
            return None
        standing = (await self._standings([idea])).get(idea.id)
        return idea, standing
