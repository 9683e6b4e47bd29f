"""What a staff member pitches, and the rules a pitch must meet.

The same rules drive the card (`isRequired`, `maxLength`, choices) and the server-side
check, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from bot.domain.inputs import clean_text

BENEFICIARIES = ("clients", "staff", "both")
COST_BANDS = ("under_10k", "10k_50k", "50k_250k", "over_250k", "unknown")
PROGRAM_AREAS = (
    "client_services",
    "policy",
    "programs_grants",
    "digital_it",
    "corporate_services",
    "regional_operations",
    "other",
)


@dataclass(frozen=True)
class FieldRule:
    name: str
    required: bool
    max_length: int = 0
    multiline: bool = False
    choices: tuple[str, ...] = ()


FIELD_RULES: tuple[FieldRule, ...] = (
    FieldRule("title", required=True, max_length=120),
    FieldRule("problem", required=True, max_length=2000, multiline=True),
    FieldRule("solution", required=True, max_length=2000, multiline=True),
    FieldRule("beneficiaries", required=True, choices=BENEFICIARIES),
    FieldRule("program_area", required=True, choices=PROGRAM_AREAS),
    FieldRule("cost_band", required=True, choices=COST_BANDS),
    FieldRule("people", required=False, max_length=500, multiline=True),
    FieldRule("first_steps", required=True, max_length=1000, multiline=True),
)
RULES_BY_NAME = {rule.name: rule for rule in FIELD_RULES}


@dataclass(frozen=True)
class Pitch:
    title: str
    problem: str
    solution: str
    beneficiaries: str
    program_area: str
    cost_band: str
    first_steps: str
    people: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pitch:
        return cls(**{k: str(v) for k, v in data.items() if k in _PITCH_FIELDS})


_PITCH_FIELDS = frozenset(f.name for f in fields(Pitch))  # once, not per idea read (reports read thousands)


@dataclass(frozen=True)
class PitchVersion:
    """An earlier revision of a pitch, kept when the submitter sends a revised one."""

    revision: int
    pitch: Pitch
    replaced_at: datetime  # when the next revision replaced it


def changed_fields(before: Pitch, after: Pitch) -> list[str]:
    """The names of the fields that differ, in the form's order."""
    old, new = before.as_dict(), after.as_dict()
    return [rule.name for rule in FIELD_RULES if old.get(rule.name, "") != new.get(rule.name, "")]


def parse_pitch(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Check a form submission. Returns (cleaned values, {field: error code}).

    Error codes are message-catalogue keys' suffixes (`required`, `too_long`, `invalid_choice`),
    so the chat shows a polite sentence in the user's language. Values are returned even when
    invalid so the form can come back with what the person typed.
    """
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for rule in FIELD_RULES:
        raw = data.get(rule.name)
        if isinstance(raw, (list, dict)):
            raw = ""
        value = clean_text(raw, multiline=rule.multiline)
        values[rule.name] = value
        if not value:
            if rule.required:
                errors[rule.name] = "required"
            continue
        if rule.max_length and len(value) > rule.max_length:
            errors[rule.name] = "too_long"
        elif rule.choices and value not in rule.choices:
            errors[rule.name] = "invalid_choice"
    return values, errors


def validate_pitch(data: Mapping[str, Any]) -> tuple[Pitch | None, dict[str, str], dict[str, str]]:
    """(Pitch or None, cleaned values, errors)."""
    values, errors = parse_pitch(data)
    if errors:
        return None, values, errors
    return Pitch.from_dict(values), values, errors
