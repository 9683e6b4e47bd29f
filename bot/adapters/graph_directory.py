"""The directory from Entra ID through Microsoft Graph: who is whose manager, and their role.

The whole line of management comes back in one request,
`GET /users/{id}?$expand=manager($levels=max;$select=id,displayName,jobTitle,mail)`, and is
cached for a while (a reorganisation shows up within the cache time). Microsoft's pages
disagree on whether that expanded form works with application permission; when the tenant
refuses it (any 400 or 403), the directory remembers that and walks `GET /users/{id}/manager`
one level at a time instead, caching each person's manager, so colleagues share the walk and a
second pitch costs nothing. The role that ends an approval chain is read from the job title
with configurable patterns; deputy ministers can also be named by id (DEN_DM_IDS).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from cachetools import TTLCache
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.user import User
from msgraph.generated.users.item.check_member_groups.check_member_groups_post_request_body import (
    CheckMemberGroupsPostRequestBody,
)
from msgraph.generated.users.item.manager.manager_request_builder import ManagerRequestBuilder
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from bot.adapters.graph_client import fresh_headers
from bot.domain.model import Person, Role
from bot.ports import StoreUnavailable

log = logging.getLogger(__name__)

DEFAULT_PATTERNS = {
    Role.DM: r"^\s*deputy minister\b|^\s*DM\b",
    Role.ADM: r"assistant deputy minister|\bADM\b",
    Role.DIRECTOR: r"\bdirector\b",
    Role.MANAGER: r"\bmanager\b|\bsupervisor\b|\bchief\b|\bhead\b",
}
SELECT = ["id", "displayName", "jobTitle", "mail", "department"]
MAX_LEVELS = 20
NO_MANAGER = object()  # cached: this person has no manager (the top of the organisation)


@dataclass(frozen=True)
class RoleRules:
    """Job-title patterns, checked from the top of the hierarchy down; the first match wins."""

    patterns: dict[Role, re.Pattern] = field(default_factory=dict)
    dm_ids: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str = "", dm_ids: frozenset[str] = frozenset()) -> RoleRules:
        """`text`: 'adm=assistant deputy|ADM;director=director' overrides the defaults by role."""
        raw = {role: pattern for role, pattern in DEFAULT_PATTERNS.items()}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            name, _, pattern = part.partition("=")
            raw[Role(name.strip().lower())] = pattern.strip()
        ordered = [Role.DM, Role.ADM, Role.DIRECTOR, Role.MANAGER]
        compiled = {role: re.compile(raw[role], re.IGNORECASE) for role in ordered if raw.get(role)}
        return cls(compiled, dm_ids)

    def role_of(self, user_id: str, job_title: str | None) -> Role:
        if user_id in self.dm_ids:
            return Role.DM
        for role, pattern in self.patterns.items():
            if job_title and pattern.search(job_title):
                return role
        return Role.STAFF


class GraphDirectory:
    def __init__(
        self,
        client: GraphServiceClient,
        rules: RoleRules,
        *,
        cache_seconds: float = 3600,
        timer: Callable[[], float] | None = None,
    ) -> None:
        self._client = client
        self._rules = rules
        kwargs = {"timer": timer} if timer else {}
        self._people: TTLCache = TTLCache(maxsize=10_000, ttl=cache_seconds, **kwargs)
        self._lines: TTLCache = TTLCache(maxsize=10_000, ttl=cache_seconds, **kwargs)
        self._members: TTLCache = TTLCache(maxsize=10_000, ttl=cache_seconds, **kwargs)
        self._managers: TTLCache = TTLCache(maxsize=10_000, ttl=cache_seconds, **kwargs)
        self.expand_refused: int | None = None  # the status the tenant refused $levels with, once seen

    def _person(self, user: User) -> Person:
        return Person(
            id=user.id,
            name=user.display_name or "",
            role=self._rules.role_of(user.id, user.job_title),
            job_title=user.job_title or "",
            email=user.mail or "",
            branch=user.department or "",
        )

    async def get_person(self, user_id: str) -> Person | None:
        if user_id in self._people:
            return self._people[user_id]
        params = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=SELECT)
        try:
            user = await self._client.users.by_user_id(user_id).get(
                request_configuration=RequestConfiguration(query_parameters=params, headers=fresh_headers())
            )
        except APIError as error:
            if error.response_status_code == 404:
                return None
            raise StoreUnavailable(f"Graph answered {error.response_status_code} for a user") from error
        person = self._person(user) if user else None
        self._people[user_id] = person
        return person

    async def line_of_management(self, user_id: str) -> list[Person | None]:
        if user_id in self._lines:
            return self._lines[user_id]
        line = await self._walk(user_id) if self.expand_refused else await self._expanded(user_id)
        if line is None:
            line = await self._walk(user_id)
        self._lines[user_id] = line
        return line

    async def _expanded(self, user_id: str) -> list[Person | None] | None:
        """The whole chain in one request; None when the tenant refuses the expanded form."""
        # As documented for $levels=max: ConsistencyLevel: eventual and $count=true (the SDK's
        # typed query parameters for a single user have no $count, so the URL is written out).
        base = self._client.request_adapter.base_url
        url = (
            f"{base}/users/{quote(user_id)}?$select={','.join(SELECT)}"
            f"&$expand=manager($levels=max;$select={','.join(SELECT)})&$count=true"
        )
        try:
            user = (
                await self._client.users.by_user_id(user_id)
                .with_url(url)
                .get(request_configuration=RequestConfiguration(headers=fresh_headers(ConsistencyLevel="eventual")))
            )
        except APIError as error:
            status = error.response_status_code
            if status == 404:
                return []
            if status in (400, 403):
                self.expand_refused = status
                log.warning("manager chain: $expand=manager($levels=max) refused; walking it level by level",
                            extra={"status": status})
                return None
            raise StoreUnavailable(f"Graph answered {status} for a manager chain") from error
        line: list[Person | None] = []
        node = getattr(user, "manager", None)
        previous = user_id
        while isinstance(node, User) and len(line) < MAX_LEVELS:
            person = self._person(node)
            self._managers[previous] = person
            line.append(person)
            previous = person.id
            node = getattr(node, "manager", None)
        self._managers.setdefault(previous, NO_MANAGER)
        return line

    async def _walk(self, user_id: str) -> list[Person | None]:
        """`GET /users/{id}/manager` one level at a time; each answer is cached for colleagues."""
        line: list[Person | None] = []
        current = user_id
        while len(line) < MAX_LEVELS:
            manager = await self._manager_of(current)
            if manager is None or any(p is not None and p.id == manager.id for p in line):
                break
            line.append(manager)
            current = manager.id
        return line

    async def _manager_of(self, user_id: str) -> Person | None:
        if user_id in self._managers:
            found = self._managers[user_id]
            return None if found is NO_MANAGER else found
        params = ManagerRequestBuilder.ManagerRequestBuilderGetQueryParameters(select=SELECT)
        try:
            manager = await self._client.users.by_user_id(user_id).manager.get(
                request_configuration=RequestConfiguration(query_parameters=params, headers=fresh_headers())
            )
        except APIError as error:
            if error.response_status_code == 404:  # no manager assigned: the top of the line
                self._managers[user_id] = NO_MANAGER
                return None
            raise StoreUnavailable(f"Graph answered {error.response_status_code} for a manager") from error
        if not isinstance(manager, User) or not manager.id:
            self._managers[user_id] = NO_MANAGER
            return None
        person = self._person(manager)
        self._managers[user_id] = person
        self._people.setdefault(person.id, person)
        return person

    async def search_people(self, text: str, limit: int = 10) -> list[Person]:
        """`GET /users?$search="displayName:<text>" OR "mail:<text>"` (Entra ID's people search: each
        word of the name and the address matched by its start; it needs `ConsistencyLevel: eventual`).
        Guests are found too, as the panel card's people picker finds them (a panel may have a guest
        judge). Found people are cached as looked-up ones."""
        words = " ".join(text.replace('"', " ").replace("\\", " ").split())
        if len(words) < 2:
            return []
        params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            search=f'"displayName:{words}" OR "mail:{words}"', select=SELECT, top=limit,
            orderby=["displayName"], count=True,
        )
        try:
            found = await self._client.users.get(request_configuration=RequestConfiguration(
                query_parameters=params, headers=fresh_headers(ConsistencyLevel="eventual")))
        except APIError as error:
            raise StoreUnavailable(f"Graph answered {error.response_status_code} to a people search") from error
        people = []
        for user in (found.value if found and found.value else []):
            if user.id and user.display_name:
                person = self._person(user)
                self._people.setdefault(person.id, person)
                people.append(person)
        return people[:limit]

    async def deputy_ministers(self) -> list[Person]:
        people = [await self.get_person(user_id) for user_id in sorted(self._rules.dm_ids)]
        return [p for p in people if p is not None]

    async def is_member(self, user_id: str, group_id: str) -> bool:
        """`POST /users/{id}/checkMemberGroups`: transitive membership, so nested groups count."""
        key = (user_id, group_id)
        if key in self._members:
            return self._members[key]
        try:
            answer = await self._client.users.by_user_id(user_id).check_member_groups.post(
                CheckMemberGroupsPostRequestBody(group_ids=[group_id]),
                request_configuration=RequestConfiguration(headers=fresh_headers()),
            )
        except APIError as error:
            if error.response_status_code == 404:
                return False
            raise StoreUnavailable(f"Graph answered {error.response_status_code} for a group check") from error
        member = group_id in [str(g) for g in (answer.value if answer and answer.value else [])]
        self._members[key] = member
        return member
