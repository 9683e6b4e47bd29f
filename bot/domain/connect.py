"""Asking to connect: someone working on a similar problem asks the submitter of a shared idea to talk.

The submitter learns only the asker's branch ("someone in Service Design Branch") until they accept;
only on Accept do both learn each other's names (and a way to start a chat). A decline tells the
asker no name, and nobody's name is ever shown to someone they did not accept.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from bot.domain.model import Idea, Person
from bot.domain.visibility import Viewer, is_public


class ConnectState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ConnectRefused(Exception):
    """The request changes nothing (not a shared idea, one's own, not the owner's to answer)."""


@dataclass
class ConnectRequest:
    id: str
    idea_id: str
    idea_reference: str
    idea_title: str
    owner: Person  # the idea's submitter, asked
    asker: Person  # who asks
    created_at: datetime
    state: ConnectState = ConnectState.PENDING
    answered_at: datetime | None = None
    version: int | str = 0  # the store's concurrency token (0: not stored yet; SharePoint: item and eTag)

    @staticmethod
    def id_for(idea_id: str, asker_id: str) -> str:
        """One request per asker and idea: asking twice is the same request."""
        return f"{idea_id}:{asker_id}"

    @classmethod
    def ask(
        cls, idea: Idea, asker: Person, viewer: Viewer, now: datetime, owner: Person | None = None
    ) -> ConnectRequest:
        """Only about an idea every member may see (shared, in the Den), by a member, never one's own.
        `owner`: the submitter as the directory knows them now (their address, for the chat link)."""
        if not is_public(idea) or not viewer.member or viewer.id != asker.id or asker.id == idea.submitter.id:
            raise ConnectRefused(idea.id)
        owner = owner if owner is not None and owner.id == idea.submitter.id else idea.submitter
        return cls(cls.id_for(idea.id, asker.id), idea.id, idea.reference, idea.pitch.title, owner, asker, now)

    def answer(self, *, actor_id: str, accept: bool, now: datetime) -> bool:
        """The owner accepts or declines, once. False if it was already answered that way."""
        if actor_id != self.owner.id:
            raise ConnectRefused(self.id)
        wanted = ConnectState.ACCEPTED if accept else ConnectState.DECLINED
        if self.state == wanted:
            return False
        if self.state != ConnectState.PENDING:
            raise ConnectRefused(self.id)
        self.state, self.answered_at = wanted, now
        return True

    def names_shown_to(self, person_id: str) -> bool:
        """Whether `person_id` may see the other side's name: only once the owner accepted."""
        return self.state == ConnectState.ACCEPTED and person_id in (self.owner.id, self.asker.id)
