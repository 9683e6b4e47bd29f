"""The directory from a local org file: the default for the embedded mode and for demos.

The file lists people with their manager's id; a position marked `"vacant": true` keeps the
line of management intact while nobody fills it (the chain skips it). Each person's `branch` may
have its French name beside it (`branchFr`), which French cards show; given once for a branch, it
serves everyone in that branch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain.model import Person, Role


@dataclass(frozen=True)
class OrgEntry:
    person: Person
    manager_id: str | None
    vacant: bool
    given_name: str = ""
    surname: str = ""
    away: bool = False  # out of office now (the demo's stand-in for an Outlook automatic reply)
    away_until: str = ""  # optional last day away, YYYY-MM-DD


class OrgFileDirectory:
    """Directory port over a JSON org file. Read once at start; the file is the source of truth."""

    def __init__(
        self, entries: dict[str, OrgEntry], tenant_id: str = "", groups: dict[str, frozenset[str]] | None = None
    ) -> None:
        self._entries = entries
        self.tenant_id = tenant_id
        self._groups = groups or {}

    @classmethod
    def from_file(cls, path: str | Path) -> OrgFileDirectory:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrgFileDirectory:
        entries: dict[str, OrgEntry] = {}
        french = {raw["branch"]: raw["branchFr"] for raw in data["people"] if raw.get("branch") and raw.get("branchFr")}
        for raw in data["people"]:
            person = Person(
                id=raw["id"],
                name=raw["name"],
                role=Role(raw.get("role", "staff")),
                job_title=raw.get("jobTitle", ""),
                email=raw.get("email", ""),
                branch=raw.get("branch", ""),
                branch_fr=raw.get("branchFr") or french.get(raw.get("branch", ""), ""),
            )
            entries[person.id] = OrgEntry(
                person=person,
                manager_id=raw.get("managerId"),
                vacant=bool(raw.get("vacant", False)),
                given_name=raw.get("givenName", ""),
                surname=raw.get("surname", ""),
                away=bool(raw.get("away", False)),
                away_until=str(raw.get("awayUntil", "") or ""),
            )
        groups = {g["id"]: frozenset(g.get("members") or []) for g in data.get("groups") or []}
        return cls(entries, data.get("tenantId", ""), groups)

    @property
    def french_branch_names(self) -> dict[str, str]:
        """Each branch's French name by its English one, where the file gives it (for figures by branch)."""
        return {e.person.branch: e.person.branch_fr for e in self._entries.values() if e.person.branch_fr}

    def entry(self, user_id: str) -> OrgEntry | None:
        return self._entries.get(user_id)

    def people(self) -> list[OrgEntry]:
        """Everyone who is a real person (not a vacant position), in file order."""
        return [e for e in self._entries.values() if not e.vacant]

    async def deputy_ministers(self) -> list[Person]:
        return [e.person for e in self.people() if e.person.role == Role.DM]

    async def search_people(self, text: str, limit: int = 10) -> list[Person]:
        wanted = " ".join(text.lower().split())
        if len(wanted) < 2:
            return []
        found = []
        for entry in self.people():
            person = entry.person
            words = person.name.lower().split()
            name = person.name.lower()
            if any(w.startswith(wanted) for w in words) or name.startswith(wanted) or \
                    person.email.lower().startswith(wanted):
                found.append(person)
        return sorted(found, key=lambda p: p.name.lower())[:limit]

    async def get_person(self, user_id: str) -> Person | None:
        """By id, or by email (as Graph finds a user by user principal name)."""
        entry = self._entries.get(user_id)
        if entry is None and "@" in user_id:
            wanted = user_id.strip().lower()
            entry = next((e for e in self._entries.values() if e.person.email.lower() == wanted), None)
        return entry.person if entry and not entry.vacant else None

    async def line_of_management(self, user_id: str) -> list[Person | None]:
        chain: list[Person | None] = []
        seen = {user_id}
        entry = self._entries.get(user_id)
        while entry and entry.manager_id and entry.manager_id not in seen:
            seen.add(entry.manager_id)
            entry = self._entries.get(entry.manager_id)
            if entry is None:
                break
            chain.append(None if entry.vacant else entry.person)
        return chain

    async def is_member(self, user_id: str, group_id: str) -> bool:
        """Membership of the file's `groups` (standing in for Entra groups)."""
        return user_id in self._groups.get(group_id, frozenset())
