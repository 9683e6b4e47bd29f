"""The Den tab's use cases, for one signed-in person: browse and search what they may see, open an idea.

Every answer goes through the visibility rule (bot/domain/visibility.py): the index applies it in
its query, and an idea opened by its id is checked again here, so a link to an idea the person may
not see answers exactly as a link to no idea at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.domain.connect import ConnectRequest
from bot.domain.model import Idea
from bot.domain.stage import Standing
from bot.domain.visibility import Viewer, may_see
from bot.ports import Ideas
from bot.ports.tab import TabFacets, TabIndex, TabPage, TabQuery
from bot.services.connect import ConnectService
from bot.services.viewers import ViewerResolver
from bot.tab.auth import TabUser


class WithdrawResult(Protocol):
    status: str
    idea: Idea | None


class LessonKeeper(Protocol):
    async def ended_without_going_ahead(self, idea: Idea) -> bool: ...
    async def record_lesson(self, *, actor_id: str, idea_id: str, text: str, shared: bool) -> Idea | None: ...


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
        set_sharing: Callable[..., Awaitable[Idea | None]] | None = None,
        connect: ConnectService | None = None,
        lessons: LessonKeeper | None = None,
        withdraw: Callable[..., Awaitable[WithdrawResult]] | None = None,
    ) -> None:
        self.index = index
        self.ideas = ideas
        self.viewers = viewers
        self._challenge_names = challenge_names
        self._standings = standings
        self._set_sharing = set_sharing
        self.connect = connect
        self.lessons = lessons
        self._withdraw = withdraw  # the same use case as the chat's Withdraw (bot/services/approvals.py)

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

    async def share(self, viewer: Viewer, idea_id: str, shared: bool) -> bool:
        """The submitter's consent, changed from the tab. False when the idea is not theirs."""
        if self._set_sharing is None:
            return False
        idea = await self._set_sharing(actor_id=viewer.id, idea_id=idea_id, shared=shared)
        await self._noted(idea)
        return idea is not None

    async def _noted(self, idea: Idea | None) -> None:
        """An index fed later (SharePoint's, from the delta query) takes this instance's own change now."""
        note = getattr(self.index, "note", None)
        if idea is not None and note is not None:
            await note(idea)

    async def my_request_about(self, viewer: Viewer, idea_id: str) -> ConnectRequest | None:
        """The viewer's own request to talk about this idea, if they made one."""
        if self.connect is None:
            return None
        return await self.connect.request(ConnectRequest.id_for(idea_id, viewer.id))

    async def ask_to_connect(self, viewer: Viewer, idea_id: str) -> bool:
        return self.connect is not None and await self.connect.ask(viewer, idea_id) is not None

    async def requests(self, viewer: Viewer) -> list[ConnectRequest]:
        return await self.connect.requests_for(viewer.id) if self.connect is not None else []

    async def answer(self, viewer: Viewer, request_id: str, accept: bool) -> bool:
        if self.connect is None:
            return False
        return await self.connect.answer(owner_id=viewer.id, request_id=request_id, accept=accept) is not None

    async def may_write_lesson(self, viewer: Viewer, idea: Idea) -> bool:
        return (self.lessons is not None and idea.submitter.id == viewer.id
                and await self.lessons.ended_without_going_ahead(idea))

    async def write_lesson(self, viewer: Viewer, idea_id: str, text: str, shared: bool) -> bool:
        if self.lessons is None or not text.strip():
            return False
        written = await self.lessons.record_lesson(actor_id=viewer.id, idea_id=idea_id, text=text, shared=shared)
        await self._noted(written)
        return written is not None

    async def mine(self, viewer: Viewer) -> list[Idea]:
        """The viewer's own ideas, newest first (as My ideas in the chat lists them)."""
        return await self.ideas.list_by_submitter(viewer.id)

    async def withdraw(self, viewer: Viewer, idea_id: str, reason: str) -> WithdrawResult | None:
        """The submitter withdraws an idea still in review, as from the chat. None: no such use case."""
        if self._withdraw is None:
            return None
        result = await self._withdraw(actor_id=viewer.id, idea_id=idea_id, reason=reason)
        await self._noted(result.idea)
        return result
