"""Routing rules: which levels must decide an idea and which are only kept informed.

The Den's administrators set these by rough cost band and program area (the file format is
in `bot/adapters/routing_file.py`). A route is worked out once, when the idea is filed, from
the submitter's line of management; the receipt shows it with the rule's reason, so nobody
wonders why the ADM was or was not asked.

Levels named in neither list are skipped: "too many people ask for approvals not legally
required". Whatever the rule says, somebody above the submitter decides: if no level that
decides is above them (a director pitching a small idea), the nearest manager does.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.domain.model import ApprovalStep, InformedStep, Person, Role
from bot.domain.pitch import Pitch

LEVELS: tuple[Role, ...] = (Role.MANAGER, Role.DIRECTOR, Role.ADM, Role.DM)
RANK = {role: rank for rank, role in enumerate(LEVELS)}


def level_of(person: Person) -> Role:
    """A person's level in an approval chain: anyone without a senior role counts as a manager."""
    return person.role if person.role in RANK else Role.MANAGER


class EscalationAction(enum.StrEnum):
    MANAGER = "manager"  # the step goes to the waiting approver's own manager
    MOVE_ON = "move_on"  # the step is passed with "no decision in N business days" recorded


@dataclass(frozen=True)
class EscalationPolicy:
    """What happens to a step nobody decides: after the reminders, past `after_business_days`."""

    after_business_days: int = 10
    action: EscalationAction = EscalationAction.MANAGER
    enabled: bool = True


@dataclass(frozen=True)
class Rule:
    """One routing rule. Empty `cost_bands`/`program_areas` match anything."""

    name: str
    decide: tuple[Role, ...]
    inform: tuple[Role, ...] = ()
    cost_bands: frozenset[str] = frozenset()
    program_areas: frozenset[str] = frozenset()
    why: Mapping[str, str] = field(default_factory=dict)  # language -> the reason shown on the receipt
    line: int = 0  # where the rule starts in the file, for messages

    def matches(self, pitch: Pitch) -> bool:
        return (not self.cost_bands or pitch.cost_band in self.cost_bands) and (
            not self.program_areas or pitch.program_area in self.program_areas
        )

    @property
    def top(self) -> Role:
        """The highest level the rule mentions: the route goes no further up than this."""
        return max((*self.decide, *self.inform), key=RANK.__getitem__)


@dataclass(frozen=True)
class Route:
    """What a rule makes of one submitter's line of management."""

    deciders: list[ApprovalStep]
    informed: list[InformedStep]
    rule: str
    why: Mapping[str, str]
    nearest_manager_decides: bool = False  # no level that decides was above the submitter


@dataclass(frozen=True)
class RoutingRules:
    """The rules in file order (the first that matches wins), then the default."""

    default: Rule
    rules: tuple[Rule, ...] = ()
    escalation: EscalationPolicy = EscalationPolicy()
    second_look: bool = True
    source: str = ""  # where the rules came from, for the logs

    @classmethod
    def every_level_up_to(cls, top: Role = Role.ADM) -> RoutingRules:
        """The rules when no file is set: every level up to `top` decides (the Den's first behaviour)."""
        decide = tuple(level for level in LEVELS if RANK[level] <= RANK[top])
        return cls(default=Rule(name="default", decide=decide), source="built-in")

    def rule_for(self, pitch: Pitch) -> Rule:
        for rule in self.rules:
            if rule.matches(pitch):
                return rule
        return self.default

    def route(self, submitter: Person, line_of_management: Iterable[Person | None], pitch: Pitch) -> Route:
        return route_with(self.rule_for(pitch), submitter, line_of_management)


def route_with(rule: Rule, submitter: Person, line_of_management: Iterable[Person | None]) -> Route:
    """Walk the line nearest first; stop at the rule's top level. Vacant posts and repeats are skipped."""
    deciders: list[ApprovalStep] = []
    informed: list[InformedStep] = []
    nearest: Person | None = None
    seen = {submitter.id}
    top = RANK[rule.top]
    for person in line_of_management:
        if person is None or person.id in seen:
            continue
        seen.add(person.id)
        level = level_of(person)
        if nearest is None:
            nearest = person
        if RANK[level] > top:
            break
        if level in rule.decide:
            deciders.append(ApprovalStep(person.id, person.name, level))
        elif level in rule.inform:
            informed.append(InformedStep(person.id, person.name, level, after_step=len(deciders)))
        if RANK[level] == top:
            break
    if deciders or nearest is None:
        return Route(deciders, informed, rule.name, dict(rule.why))
    # Nobody at a deciding level is above the submitter: their nearest manager decides.
    step = ApprovalStep(nearest.id, nearest.name, level_of(nearest))
    informed = [
        InformedStep(i.person_id, i.person_name, i.role, after_step=1)  # told once the nearest manager approves
        for i in informed
        if i.person_id != nearest.id
    ]
    return Route([step], informed, rule.name, dict(rule.why), nearest_manager_decides=True)
