"""Similar ideas and asking to connect: the use cases behind the receipt's and the form's suggestions,
the *Ask to connect* button, and the owner's *Accept* / *Decline* (from the chat card or the tab)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.domain.connect import ConnectRefused, ConnectRequest, ConnectState
from bot.domain.outbox import MessageKind, message_id
from bot.domain.visibility import Viewer, may_see
from bot.ports import ConcurrencyConflict, Directory, Ideas, OutboxMessage
from bot.ports.connect import ConnectRequests
from bot.ports.retry import conflict_retry
from bot.ports.tab import TabHit, TabIndex

log = logging.getLogger("deputys_den.connect")
SIMILAR_SHOWN = 3


class ConnectStore(Ideas, ConnectRequests, Protocol):
    """What connecting needs of a store: the ideas and the requests."""


class ConnectService:
    def __init__(self, store: ConnectStore, directory: Directory, *, clock: Callable[[], datetime],
                 on_outbox: Callable[[], None] = lambda: None, index: TabIndex | None = None) -> None:
        """`index`: where similar shared ideas are found (the embedded store's own tables, or on
        SharePoint the instance's delta-fed index); by default the store itself."""
        self.store = store
        self.index: TabIndex = index if index is not None else store  # type: ignore[assignment]
        self.directory = directory
        self.clock = clock
        self._on_outbox = on_outbox

    async def similar(self, text: str, *, asker_id: str, exclude_id: str = "") -> list[TabHit]:
        """Up to three shared ideas in the Den most like `text`, none of the asker's own."""
        found = await self.index.similar_ideas(text, exclude_id=exclude_id, limit=SIMILAR_SHOWN + 5)
        return [hit for hit in found if hit.submitter_id != asker_id][:SIMILAR_SHOWN]

    async def ask(self, viewer: Viewer, idea_id: str) -> ConnectRequest | None:
        """Ask the submitter of a shared idea to talk. None: nothing to ask (not found, not shared,
        one's own); asking again returns the request already made."""
        idea = await self.store.get(idea_id) if idea_id else None
        asker = await self.directory.get_person(viewer.id) if viewer.id else None
        if idea is None or asker is None or not may_see(idea, viewer):
            return None
        existing = await self.store.get_connect_request(ConnectRequest.id_for(idea.id, asker.id))
        if existing is not None:
            return existing
        now = self.clock()
        try:
            owner = await self.directory.get_person(idea.submitter.id)
            request = ConnectRequest.ask(idea, asker, viewer, now, owner)
        except ConnectRefused:
            return None
        notice = OutboxMessage.due_now(message_id(MessageKind.CONNECT_ASKED, idea.id, asker.id),
                                       recipient_id=idea.submitter.id, kind=MessageKind.CONNECT_ASKED,
                                       idea_id=idea.id, now=now, payload={"request": request.id})
        try:
            await self.store.add_connect_request(request, [notice])
        except ConcurrencyConflict:  # the same click twice at once: the other one was stored
            return await self.store.get_connect_request(request.id)
        log.info("connect asked", extra={"idea_id": idea.id})
        self._on_outbox()
        return request

    async def answer(self, *, owner_id: str, request_id: str, accept: bool) -> ConnectRequest | None:
        """The owner's Accept or Decline. None when the request is not theirs to answer (or not found)."""
        async for attempt in conflict_retry():
            with attempt:
                request = await self.store.get_connect_request(request_id) if request_id else None
                if request is None or request.owner.id != owner_id:
                    return None
                now = self.clock()
                try:
                    changed = request.answer(actor_id=owner_id, accept=accept, now=now)
                except ConnectRefused:
                    return request  # already answered the other way: shown as it stands
                if changed:
                    notice = OutboxMessage.due_now(
                        message_id(MessageKind.CONNECT_ANSWERED, request.idea_id, request.asker.id),
                        recipient_id=request.asker.id, kind=MessageKind.CONNECT_ANSWERED,
                        idea_id=request.idea_id, now=now, payload={"request": request.id},
                    )
                    await self.store.update_connect_request(request, [notice])
                    self._on_outbox()
        log.info("connect answered", extra={"idea_id": request.idea_id, "accepted": accept})
        return request

    async def requests_for(self, person_id: str) -> list[ConnectRequest]:
        return await self.store.connect_requests_for(person_id)

    async def request(self, request_id: str) -> ConnectRequest | None:
        return await self.store.get_connect_request(request_id)

    @staticmethod
    def pending_for_owner(requests: list[ConnectRequest], owner_id: str) -> list[ConnectRequest]:
        return [r for r in requests if r.owner.id == owner_id and r.state == ConnectState.PENDING]
