"""What the Den tab asks of an index of ideas: browse with filters, search, and the filters' choices,
always for one viewer (bot/domain/visibility.py), so an idea the viewer may not see is in no result,
count or choice. The embedded store keeps its index in its own database, in each write's transaction;
on SharePoint an instance keeps a local index fresh from the ideas list's delta query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.domain.visibility import Viewer

PAGE_SIZE = 20


@dataclass(frozen=True)
class TabQuery:
    text: str = ""
    challenge: str = ""
    stage: str = ""
    program_area: str = ""
    branch: str = ""
    year: int = 0
    lessons: bool = False  # only ideas with a lesson learned shared on them
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (max(1, self.page) - 1) * self.page_size


@dataclass(frozen=True)
class TabHit:
    """One idea in a list of results: what the list shows, never more than the viewer may see."""

    idea_id: str
    reference: str
    title: str
    problem: str
    status: str
    stage: str
    program_area: str
    branch: str
    challenge_id: str
    created_at: datetime
    submitter_id: str
    shared: bool
    lessons: str = ""


@dataclass(frozen=True)
class TabPage:
    hits: list[TabHit]
    total: int
    query: TabQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


@dataclass(frozen=True)
class TabFacets:
    """The filters' choices: only values found among the ideas this viewer may see."""

    challenges: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    program_areas: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


class TabIndex(Protocol):
    async def search_ideas(self, viewer: Viewer, query: TabQuery) -> TabPage: ...
    async def tab_facets(self, viewer: Viewer) -> TabFacets: ...
    async def similar_ideas(self, text: str, *, exclude_id: str = "", limit: int = 3) -> list[TabHit]:
        """Shared ideas in the Den (visible to every member) most like `text`, best first."""
        ...
