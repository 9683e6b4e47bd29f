"""Reading the routing rules file (`data/routing.yml` by default), checked line by line.

The file is written by the Den's administrators, so every mistake must say where it is:
a bad file stops start-up with `routing.yml, line 12: 'drector' is not a level ...`.
PyYAML's node tree keeps each value's position, which is what the messages quote.

Shape (see the shipped data/routing.yml for a commented example):

    escalation: {after_business_days: 10, action: manager}   # or move_on; enabled: false
    second_look: true
    default: {decide: [manager, director, adm], why: {en: ..., fr: ...}}
    rules:
      - name: small-ideas
        cost_band: [under_10k, 10k_50k]        # optional; one value or a list
        program_area: [client_services]         # optional
        decide: [manager, director]
        inform: [adm]
        why: {en: ..., fr: ...}                  # or one string
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.domain.model import Role
from bot.domain.pitch import COST_BANDS, PROGRAM_AREAS
from bot.domain.routing import LEVELS, EscalationAction, EscalationPolicy, RoutingRules, Rule

TOP_KEYS = {"escalation", "second_look", "default", "rules"}
RULE_KEYS = {"name", "cost_band", "program_area", "decide", "inform", "why"}
ESCALATION_KEYS = {"after_business_days", "action", "enabled"}
LANGUAGES = {"en", "fr"}


class RoutingFileError(ValueError):
    """The rules file cannot be used. The message names the file and the line."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        super().__init__(f"{source}, line {line}: {problem}")
        self.line = line
        self.problem = problem


def load_routing_file(path: str | Path) -> RoutingRules:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RoutingFileError(path.name, 0, f"cannot be read ({error.strerror or error})") from error
    return parse_routing(text, source=path.name)


def parse_routing(text: str, *, source: str = "routing.yml") -> RoutingRules:
    return _Reader(source).read(text)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self._constructor = yaml.SafeLoader("")

    # ---- helpers -------------------------------------------------------------------------
    def fail(self, node: yaml.Node | None, problem: str) -> RoutingFileError:
        line = node.start_mark.line + 1 if node is not None else 1
        return RoutingFileError(self.source, line, problem)

    def mapping(self, node: yaml.Node, what: str, allowed: set[str]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a set of 'key: value' lines")
        result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node)
            if not isinstance(key, str) or key not in allowed:
                raise self.fail(key_node, f"'{key}' is not a setting of {what}; use {_one_of(allowed)}")
            if key in result:
                raise self.fail(key_node, f"'{key}' appears twice in {what}")
            result[key] = (key_node, value_node)
        return result

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, "expected a single value here")
        return self._constructor.construct_object(node, deep=True)

    def words(self, node: yaml.Node, what: str, allowed: tuple[str, ...] | set[str]) -> tuple[str, ...]:
        """One value or a list of them, each from `allowed`, no repeats."""
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        found: list[str] = []
        for item in items:
            value = self.scalar(item)
            value = str(value).strip().lower() if value is not None else ""
            if value not in allowed:
                raise self.fail(item, f"'{value}' is not a {what}; use {_one_of(allowed)}")
            if value in found:
                raise self.fail(item, f"'{value}' is listed twice")
            found.append(value)
        return tuple(found)

    # ---- the file ------------------------------------------------------------------------
    def read(self, text: str) -> RoutingRules:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else 1
            raise RoutingFileError(self.source, line, f"is not valid YAML ({error.problem})") from error
        if root is None:
            raise RoutingFileError(self.source, 1, "is empty; it needs at least a 'default' route")
        top = self.mapping(root, "the routing file", TOP_KEYS)
        if "default" not in top:
            raise self.fail(root, "the routing file needs a 'default' route (used when no rule matches)")
        default = self.rule(top["default"][1], name="default", is_default=True)

        rules: list[Rule] = []
        if "rules" in top:
            node = top["rules"][1]
            if not isinstance(node, yaml.SequenceNode):
                raise self.fail(node, "'rules' must be a list, each rule starting with '- name:'")
            names = {"default"}
            for item in node.value:
                rule = self.rule(item)
                if rule.name in names:
                    raise self.fail(item, f"two rules are named '{rule.name}'")
                names.add(rule.name)
                rules.append(rule)

        escalation = EscalationPolicy()
        if "escalation" in top:
            escalation = self.escalation(top["escalation"][1])
        second_look = True
        if "second_look" in top:
            node = top["second_look"][1]
            value = self.scalar(node)
            if not isinstance(value, bool):
                raise self.fail(node, "'second_look' must be true or false")
            second_look = value
        return RoutingRules(default, tuple(rules), escalation, second_look, source=self.source)

    def rule(self, node: yaml.Node, *, name: str = "", is_default: bool = False) -> Rule:
        allowed = RULE_KEYS - {"name", "cost_band", "program_area"} if is_default else RULE_KEYS
        what = "the default route" if is_default else "a rule"
        fields = self.mapping(node, what, allowed)
        if not is_default:
            if "name" not in fields:
                raise self.fail(node, "every rule needs a 'name'")
            name = str(self.scalar(fields["name"][1]) or "").strip()
            if not name:
                raise self.fail(fields["name"][1], "a rule's name cannot be empty")
            if "cost_band" not in fields and "program_area" not in fields:
                raise self.fail(node, f"rule '{name}' matches every idea: give a cost_band or a program_area")
        if "decide" not in fields:
            raise self.fail(node, f"'{name}' must say which levels decide ('decide: [manager, director]')")
        levels = tuple(level.value for level in LEVELS)
        decide = self.words(fields["decide"][1], "level", levels)
        if not decide:
            raise self.fail(fields["decide"][1], f"'{name}' needs at least one level that decides")
        inform: tuple[str, ...] = ()
        if "inform" in fields:
            inform = self.words(fields["inform"][1], "level", levels)
            both = set(decide) & set(inform)
            if both:
                raise self.fail(fields["inform"][1], f"'{sorted(both)[0]}' cannot both decide and be informed")
        return Rule(
            name=name,
            decide=tuple(Role(v) for v in decide),
            inform=tuple(Role(v) for v in inform),
            cost_bands=frozenset(self._optional(fields, "cost_band", "cost band", COST_BANDS)),
            program_areas=frozenset(self._optional(fields, "program_area", "program area", PROGRAM_AREAS)),
            why=self.why(fields["why"][1]) if "why" in fields else {},
            line=node.start_mark.line + 1,
        )

    def _optional(self, fields, key: str, what: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        return self.words(fields[key][1], what, allowed) if key in fields else ()

    def why(self, node: yaml.Node) -> dict[str, str]:
        if isinstance(node, yaml.ScalarNode):
            return {"en": str(self.scalar(node) or "").strip()}
        texts: dict[str, str] = {}
        for key, (_, value_node) in self.mapping(node, "'why'", LANGUAGES).items():
            texts[key] = str(self.scalar(value_node) or "").strip()
        return texts

    def escalation(self, node: yaml.Node) -> EscalationPolicy:
        fields = self.mapping(node, "'escalation'", ESCALATION_KEYS)
        days, action, enabled = EscalationPolicy().after_business_days, EscalationAction.MANAGER, True
        if "after_business_days" in fields:
            value_node = fields["after_business_days"][1]
            days = self.scalar(value_node)
            if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
                raise self.fail(value_node, "'after_business_days' must be a whole number from 1 to 60")
        if "action" in fields:
            value_node = fields["action"][1]
            action = EscalationAction(self.words(value_node, "known escalation action", _values(EscalationAction))[0])
        if "enabled" in fields:
            value_node = fields["enabled"][1]
            enabled = self.scalar(value_node)
            if not isinstance(enabled, bool):
                raise self.fail(value_node, "'enabled' must be true or false")
        return EscalationPolicy(days, action, enabled)


def _values(enum_type: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(member.value for member in enum_type)  # type: ignore[attr-defined]


def _one_of(allowed) -> str:
    return ", ".join(sorted(allowed))
