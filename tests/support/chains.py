"""Building an approval chain from a line of management, for tests and benches (production asks the
directory for the route: see bot/domain/routing.py); and a revised pitch, for their histories."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.domain.model import ApprovalStep, Person, Role
from bot.domain.pitch import Pitch

APPROVER_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.ADM, Role.DM)


def build_chain(
    submitter: Person,
    line_of_management: Iterable[Person | None],
    *,
    top_role: Role = Role.ADM,
    max_steps: int = 6,
) -> list[ApprovalStep]:
    """The submitter's managers, nearest first, up to and including the first `top_role`.

    `None` entries are vacant positions: they are skipped, and the chain carries on to the
    manager above them. The submitter never approves their own idea, and nobody appears
    twice (a directory with a loop in it must not make an endless chain).
    """
    steps: list[ApprovalStep] = []
    seen = {submitter.id}
    for person in line_of_management:
        if person is None or person.id in seen:
            continue
        seen.add(person.id)
        role = person.role if person.role in APPROVER_ROLES else Role.MANAGER
        steps.append(ApprovalStep(approver_id=person.id, approver_name=person.name, role=role))
        if person.role == top_role or len(steps) >= max_steps:
            break
    return steps


def revised(pitch: Pitch) -> Pitch:
    """A returned pitch as its submitter sends it back: something changed (a revision that changes
    nothing is not sent)."""
    return replace(pitch, first_steps=f"{pitch.first_steps} Revised.")
