"""Reading the retention schedule file (`data/retention.yml` by default), checked line by line.

Like the routing rules, the file is written by people (the ministry's records officer and the Den's
administrators), so every mistake says where it is: a bad file stops start-up with
`retention.yml, line 23: 'decisions' are part of each record of 'ideas': keep them as ideas are kept
(7 years from closed), not 2 years from closed`. Every class of record the Den keeps must be in it: a schedule that
forgets one would leave those records kept forever, which is what the schedule is there to stop.

Shape (see the shipped data/retention.yml):

    schedule: "Ministry records schedule, series DEN (approved 2026-10-01)"
    classes:
      ideas:         {item: DEN-01, keep: 7 years, from: closed}
      votes:         {item: DEN-05, keep: 90 days, from: voting_closed, then: counts}
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.adapters.routing_file import RoutingFileError, _Reader
from bot.domain.retention import (
    CARRIED_BY,
    EVENTS,
    THEN_CHOICES,
    Event,
    Period,
    RecordClass,
    RetentionRule,
    RetentionSchedule,
)

TOP_KEYS = {"schedule", "classes"}
CLASS_KEYS = {"item", "keep", "from", "then"}


class RetentionFileError(RoutingFileError):
    """The schedule cannot be used. The message names the file and the line."""


def load_retention_file(path: str | Path) -> RetentionSchedule:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RetentionFileError(path.name, 0, f"cannot be read ({error.strerror or error})") from error
    return parse_retention(text, source=path.name)


def parse_retention(text: str, *, source: str = "retention.yml") -> RetentionSchedule:
    try:
        return _ScheduleReader(source).read_schedule(text)
    except RetentionFileError:
        raise
    except RoutingFileError as error:  # the shared helpers' wording, under this file's name
        raise RetentionFileError(source, error.line, error.problem) from None


class _ScheduleReader(_Reader):
    def fail(self, node: yaml.Node | None, problem: str) -> RetentionFileError:
        line = node.start_mark.line + 1 if node is not None else 1
        return RetentionFileError(self.source, line, problem)

    def read_schedule(self, text: str) -> RetentionSchedule:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise RetentionFileError(
                self.source, mark.line + 1 if mark else 1, f"is not valid YAML ({error.problem})"
            ) from None
        if root is None:
            raise RetentionFileError(self.source, 1, "is empty; it needs 'schedule' and 'classes'")
        top = self.mapping(root, "the retention schedule", TOP_KEYS)
        if "schedule" not in top:
            raise self.fail(root, "name the records schedule this follows ('schedule: ...')")
        title = str(self.scalar(top["schedule"][1]) or "").strip()
        if not title:
            raise self.fail(top["schedule"][1], "'schedule' cannot be empty")
        if "classes" not in top:
            raise self.fail(root, "list the classes of records ('classes:')")
        classes_node = top["classes"][1]
        entries = self.mapping(classes_node, "'classes'", {c.value for c in RecordClass})
        rules = {RecordClass(name): self.rule(RecordClass(name), key, value) for name, (key, value) in entries.items()}
        missing = [c.value for c in RecordClass if c not in rules]
        if missing:
            raise self.fail(classes_node, f"every class of record needs a line; missing: {', '.join(missing)}")
        for carried, carrier in CARRIED_BY.items():
            rule, parent = rules[carried], rules[carrier]
            if (rule.keep, rule.since) != (parent.keep, parent.since):
                raise RetentionFileError(
                    self.source,
                    rule.line,
                    f"'{carried.value}' are part of each record of '{carrier.value}': keep them as {carrier.value} "
                    f"are kept ({parent.keep} from {parent.since.value}), not {rule.keep} from {rule.since.value}",
                )
        return RetentionSchedule(title, rules, source=self.source)

    def rule(self, record_class: RecordClass, key_node: yaml.Node, node: yaml.Node) -> RetentionRule:
        name = record_class.value
        fields = self.mapping(node, f"'{name}'", CLASS_KEYS)
        for needed in ("item", "keep", "from"):
            if needed not in fields:
                raise self.fail(key_node, f"'{name}' needs '{needed}' (item, keep and from)")
        item = str(self.scalar(fields["item"][1]) or "").strip()
        if not item:
            raise self.fail(fields["item"][1], f"'{name}': 'item' names the schedule item; it cannot be empty")
        keep_node = fields["keep"][1]
        try:
            keep = Period.parse(self.scalar(keep_node))
        except ValueError as error:
            raise self.fail(keep_node, f"'{name}': {error}") from None
        if keep.amount == 0 and record_class is not RecordClass.NOTIFICATIONS:
            raise self.fail(keep_node, f"'{name}': a period of 0 would make records due as they are made")
        allowed = tuple(e.value for e in EVENTS[record_class])
        since = self.choice(fields["from"][1], f"'{name}' cannot count from", allowed)
        then = ""
        if "then" in fields:
            choices = THEN_CHOICES.get(record_class, ())
            if not choices:
                raise self.fail(fields["then"][1], f"'{name}': nothing stays after disposal; 'then' does not apply")
            then = self.choice(fields["then"][1], f"'{name}' cannot keep", choices)
        elif THEN_CHOICES.get(record_class):
            raise self.fail(key_node, f"'{name}' must say what stays after disposal (then: counts)")
        return RetentionRule(record_class, item, keep, Event(since), then, line=key_node.start_mark.line + 1)

    def choice(self, node: yaml.Node, refusal: str, allowed: tuple[str, ...]) -> str:
        value = str(self.scalar(node) or "").strip().lower()
        if value not in allowed:
            raise self.fail(node, f"{refusal} '{value}'; use {', '.join(allowed)}")
        return value
