"""Ideas for the Den tab's tests, made with the domain itself (submit, decide) and written to a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.model import ApprovalStep, Idea, Outcome, Person, Role
from bot.domain.pitch import Pitch
from tests.support.people import AMIR, DIANE, MAYA, PRIYA, SAM

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SAM_PERSON = Person(SAM.aad_id, SAM.name, branch="Client Services Branch")
PRIYA_PERSON = Person(PRIYA.aad_id, PRIYA.name, branch="Service Design Branch")
SAM_CHAIN = [
    ApprovalStep(MAYA.aad_id, MAYA.name, Role.MANAGER),
    ApprovalStep(DIANE.aad_id, DIANE.name, Role.DIRECTOR),
    ApprovalStep(AMIR.aad_id, AMIR.name, Role.ADM),
]
PRIYA_CHAIN = SAM_CHAIN[1:]


def a_pitch(title: str, problem: str = "", solution: str = "", area: str = "client_services") -> Pitch:
    return Pitch(
        title=title,
        problem=problem or f"The problem behind {title.lower()}.",
        solution=solution or "A simple change the team can try in a month.",
        beneficiaries="clients",
        program_area=area,
        cost_band="under_10k",
        first_steps="Try it with one office.",
    )


def an_idea(
    number: int,
    pitch: Pitch,
    *,
    submitter: Person = SAM_PERSON,
    chain: list[ApprovalStep] | None = None,
    line_ids: list[str] | None = None,
    approved: bool = False,
    rejected: bool = False,
    shared: bool = False,
    challenge: str = "",
    at: datetime | None = None,
) -> Idea:
    """An idea by `submitter`, approved all the way up when `approved`, shared when `shared`."""
    when = at or T0 + timedelta(days=number)
    chain = list(chain if chain is not None else (SAM_CHAIN if submitter.id == SAM.aad_id else PRIYA_CHAIN))
    if line_ids is None:
        line_ids = [step.approver_id for step in chain]
    idea, _ = Idea.submit(
        idea_id=f"00000000-0000-4000-8000-{number:012d}",
        reference=f"DEN-{when.year}-{number:04d}",
        submitter=submitter,
        pitch=pitch,
        chain=chain,
        now=when,
        line_ids=line_ids,
    )
    idea.challenge = challenge
    if approved:
        for index, step in enumerate(chain):
            idea.decide(actor_id=step.approver_id, step_index=index, revision=1, outcome=Outcome.APPROVED,
                        comment="", now=when + timedelta(hours=index + 1))
    if rejected:
        idea.decide(actor_id=chain[0].approver_id, step_index=0, revision=1, outcome=Outcome.REJECTED,
                    comment="Not this year: the budget is committed.", now=when + timedelta(hours=1))
    idea.shared = shared
    return idea
