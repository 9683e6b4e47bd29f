"""Who may see an idea: the one rule the cards, the tab's browse, its search and its suggestions share.

Need to know, as before: the submitter, everyone on its route and its line of management
(`Idea.visible_to`), and the organisers and sponsors of the challenge it was pitched to. On top of
that, sharing by consent: an idea its submitter agreed to share is visible to every member of the
tenant (never to guests) once it is approved for the Den, and so is an idea that did not go ahead
whose lesson learned its submitter agreed to share. Anyone else is told "not found", exactly
as for an idea that does not exist, so nobody learns that an idea they may not see exists.

The stores' indexes answer the same question in their own query language (SQL on the embedded
store); tests/unit/test_visibility.py checks they agree with this module on every kind of person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.model import Idea, IdeaStatus


@dataclass(frozen=True)
class Viewer:
    """Someone looking: their id, whether they are a member of the tenant (a guest is not), and the
    parts they play in the Den (organiser of its challenges, sponsor of some)."""

    id: str
    member: bool = True
    organiser: bool = False
    sponsor_of: frozenset[str] = field(default_factory=frozenset)

    def runs(self, challenge_id: str) -> bool:
        """An organiser or sponsor of this challenge (ideas pitched to no challenge have neither)."""
        return bool(challenge_id) and (self.organiser or challenge_id in self.sponsor_of)


def reached_den(idea: Idea) -> bool:
    """Approved all the way up its route: the idea is in the Den (its pool, then further)."""
    return idea.status == IdeaStatus.APPROVED


def is_public(idea: Idea) -> bool:
    """Shared by its submitter's consent and approved for the Den, or ended without going ahead with a
    lesson its submitter agreed to share (with the idea): every tenant member may find it."""
    return (idea.shared and reached_den(idea)) or (idea.lesson is not None and idea.lesson.shared)


def need_to_know(idea: Idea) -> set[str]:
    """Everyone who sees the idea because of their part in it (submitter, route, line of management):
    what a store indexes per idea so a query can find "the ideas this person is part of"."""
    people = {idea.submitter.id, *idea.line_ids}
    people |= {s.approver_id for s in idea.chain} | {s.on_behalf_of_id for s in idea.chain}
    people |= {d.approver_id for d in idea.decisions} | {i.person_id for i in idea.informed}
    people |= {who for h in idea.history for who in (h.from_id, h.to_id)}
    people.discard("")
    return people


def may_see(idea: Idea, viewer: Viewer) -> bool:
    if not viewer.id:
        return False
    if viewer.id in need_to_know(idea):
        return True
    if viewer.runs(idea.challenge):
        return True
    return viewer.member and is_public(idea)
