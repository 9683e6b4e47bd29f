"""A larger organisation and a store full of ideas, for the benchmarks and the delivery tests.

The demo org has one manager; a click benchmark there measures Teams' per-conversation limit
(7 messages a second to one chat), not the Den. This one has as many managers and directors as
asked, and a conversation reference for everyone, pointing at the connector stand-in.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.model import Idea, Outcome
from bot.domain.pitch import Pitch
from bot.ports import ConversationRecord
from bot.services.ideas import IdeaService
from tests.support.chains import build_chain
from tests.support.teams_client import BOT_ID, BOT_NAME, User

TENANT_ID = "8f3c2a1e-0d4b-4c6e-9a7f-1b2c3d4e5f60"

PITCH = Pitch(
    title="Tell us once: one address change for every program",
    problem="Clients who move must tell six programs separately, and 1 in 5 letters goes to an old address.",
    solution="One address-change form that updates every program the client is enrolled in.",
    beneficiaries="clients",
    program_area="client_services",
    cost_band="50k_250k",
    first_steps="Map the six programs' address fields; pilot with two programs in one region.",
    people="Service Design team; two regional offices",
)


def _id(label: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{label}"))


@dataclass
class BenchOrg:
    tenant_id: str
    people: list[dict[str, Any]] = field(default_factory=list)
    staff: list[tuple[str, str]] = field(default_factory=list)  # (staff id, manager id)

    @classmethod
    def build(cls, *, directors: int, managers_per_director: int, staff_per_manager: int) -> BenchOrg:
        org = cls(TENANT_ID)
        dm, adm = _id("dm"), _id("adm")
        org._add(dm, "Dana Morel", "dm", None)
        org._add(adm, "Amir Haddad", "adm", dm)
        for d in range(directors):
            director = _id(f"director-{d}")
            org._add(director, f"Director {d}", "director", adm)
            for m in range(managers_per_director):
                manager = _id(f"manager-{d}-{m}")
                org._add(manager, f"Manager {d}.{m}", "manager", director)
                for s in range(staff_per_manager):
                    person = _id(f"staff-{d}-{m}-{s}")
                    org._add(person, f"Analyst {d}.{m}.{s}", "staff", manager)
                    org.staff.append((person, manager))
        return org

    def _add(self, pid: str, name: str, role: str, manager: str | None) -> None:
        self.people.append(
            {"id": pid, "name": name, "role": role, "managerId": manager, "branch": f"Branch {pid[:4]}"}
        )

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"tenantId": self.tenant_id, "people": self.people}), encoding="utf-8")

    def user(self, person_id: str) -> User:
        name = next(p["name"] for p in self.people if p["id"] == person_id)
        return User(person_id, name)

    def directory(self) -> OrgFileDirectory:
        return OrgFileDirectory.from_dict({"tenantId": self.tenant_id, "people": self.people})


async def seed_ideas(db: Path, org: BenchOrg, count: int, *, service_url: str) -> list[tuple[str, str]]:
    """`count` ideas, each waiting on its submitter's manager. Returns [(idea id, manager id)]."""
    store = SqliteStore(db)
    await store.open()
    directory = org.directory()
    now = datetime.now(UTC)
    try:
        for person in org.people:
            user = User(person["id"], person["name"])
            await store.save_conversation(
                ConversationRecord(
                    user_id=user.aad_id,
                    user_name=user.name,
                    conversation_id=user.conversation_id,
                    service_url=service_url,
                    tenant_id=org.tenant_id,
                    channel_id="msteams",
                    bot_id=BOT_ID,
                    bot_name=BOT_NAME,
                    user_channel_id=user.channel_id,
                    updated_at=now,
                )
            )
        ideas: list[tuple[str, str]] = []
        for n in range(count):
            staff_id, manager_id = org.staff[n % len(org.staff)]
            submitter = await directory.get_person(staff_id)
            line = await directory.line_of_management(staff_id)
            idea, _ = Idea.submit(
                idea_id=str(uuid.uuid4()),
                reference=f"DEN-2026-{n + 1:05d}",
                submitter=submitter,
                pitch=PITCH,
                chain=build_chain(submitter, line),
                now=now,
                line_ids=[p.id for p in line if p is not None],
            )
            await store.add(idea)
            ideas.append((idea.id, manager_id))
        return ideas
    finally:
        await store.close()


async def approve_first_steps(db: Path, org: BenchOrg, ideas: list[tuple[str, str]]) -> None:
    """Each manager approves their step, through the real service: each decision queues the update
    to the submitter and the request to the director, in the same transaction as the decision."""
    store = SqliteStore(db)
    await store.open()
    try:
        service = IdeaService(store, org.directory(), clock=lambda: datetime.now(UTC))
        for idea_id, manager_id in ideas:
            await service.decide(
                actor_id=manager_id, idea_id=idea_id, step_index=0, revision=1, outcome=Outcome.APPROVED, comment=""
            )
    finally:
        await store.close()
