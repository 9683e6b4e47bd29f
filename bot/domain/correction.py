"""Correcting a record at the request of the person it is about (FIPPA s. 47(2)).

An administrator corrects a field of an idea's pitch when its submitter asks; the original stays in
the records register (with who asked, who corrected, when and why), the idea's history says a
correction was made, and the submitter is told. Pure rules: no storage, no clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.limits import check_text
from bot.domain.model import HistoryEntry, HistoryKind, Idea
from bot.domain.pitch import RULES_BY_NAME

# What a correction may change: the text the submitter wrote (the choices they made are theirs to
# revise while the idea is returned to them; a closed idea's choices are corrected the same way).
CORRECTABLE: tuple[str, ...] = ("title", "problem", "solution", "beneficiaries", "first_steps", "people",
                                "program_area", "cost_band")  # fmt: skip
REASON_MAX = 500


class CorrectionRefused(Exception):
    """Nothing was changed; the message says why (for the administrator)."""


def correct_pitch(
    idea: Idea, *, field: str, value: str, requested_by: str, corrected_by: str, reason: str, now: datetime
) -> str:
    """Change one field of the idea's pitch; returns the original value."""
    if requested_by != idea.submitter.id:
        raise CorrectionRefused(f"only the person the record is about ({idea.submitter.name}) may ask to correct it")
    if field not in CORRECTABLE:
        raise CorrectionRefused(f"'{field}' cannot be corrected; use one of {', '.join(CORRECTABLE)}")
    rule = RULES_BY_NAME[field]
    checked = check_text(value, rule.max_length or 4000, multiline=rule.multiline, required=rule.required)
    if not checked.ok:
        raise CorrectionRefused(f"the new {field} is empty or too long (up to {rule.max_length} characters)")
    if rule.choices and checked.value not in rule.choices:
        raise CorrectionRefused(f"'{checked.value}' is not a {field}; use one of {', '.join(rule.choices)}")
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise CorrectionRefused(f"say why, in up to {REASON_MAX} characters (--reason)")
    if not corrected_by.strip():
        raise CorrectionRefused("say who makes the correction (--by)")
    original = getattr(idea.pitch, field)
    if original == checked.value:
        raise CorrectionRefused(f"the {field} already reads that way: nothing to correct")
    idea.pitch = replace(idea.pitch, **{field: checked.value})
    idea.updated_at = now
    idea.history.append(
        HistoryEntry(HistoryKind.CORRECTED, now, actor_name=corrected_by.strip(), step_index=idea.current_step,
                     revision=idea.revision, to_name=field, reason=reason)  # fmt: skip
    )
    return original
